"""Keras 1's `keras.layers.convolutional` (which also offered the pooling layers).

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    AtrousConvolution1D,
    AtrousConvolution2D,
    AveragePooling1D,
    AveragePooling2D,
    Convolution1D,
    Convolution2D,
    Cropping1D,
    Cropping2D,
    MaxPooling1D,
    MaxPooling2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

__all__ = [
    "AtrousConvolution1D",
    "AtrousConvolution2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "Convolution1D",
    "Convolution2D",
    "Cropping1D",
    "Cropping2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
]
