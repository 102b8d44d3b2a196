"""Keras 1's `keras.layers.core`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Highway,
    Lambda,
    Masking,
    Merge,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    TimeDistributedDense,
    merge,
)

__all__ = [
    "Activation",
    "ActivityRegularization",
    "Dense",
    "Dropout",
    "Flatten",
    "Highway",
    "Lambda",
    "Masking",
    "Merge",
    "Permute",
    "RepeatVector",
    "Reshape",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "TimeDistributedDense",
    "merge",
]
