"""Keras 1's `keras.layers.normalization`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    BatchNormalization,
)

__all__ = [
    "BatchNormalization",
]
