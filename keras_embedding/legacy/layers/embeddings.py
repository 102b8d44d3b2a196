"""Keras 1's `keras.layers.embeddings`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    Embedding,
)

__all__ = [
    "Embedding",
]
