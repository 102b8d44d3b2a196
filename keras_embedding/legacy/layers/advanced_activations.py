"""Keras 1's `keras.layers.advanced_activations`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    ELU,
    LeakyReLU,
    PReLU,
)

__all__ = [
    "ELU",
    "LeakyReLU",
    "PReLU",
]
