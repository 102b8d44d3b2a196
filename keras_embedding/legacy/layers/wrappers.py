"""Keras 1's `keras.layers.wrappers`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    Bidirectional,
    TimeDistributed,
)

__all__ = [
    "Bidirectional",
    "TimeDistributed",
]
