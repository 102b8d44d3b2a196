"""Keras 1's `keras.layers.noise`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    GaussianDropout,
    GaussianNoise,
)

__all__ = [
    "GaussianDropout",
    "GaussianNoise",
]
