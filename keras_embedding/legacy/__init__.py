"""Porting Keras 1 code and files: Keras 1 names, configs and HDF5 weights."""

from keras_embedding.legacy import initializations
from keras_embedding.legacy.config import normalize_config
from keras_embedding.legacy.constraints import (
    MaxNorm,
    NonNeg,
    UnitNorm,
    maxnorm,
    nonneg,
    unitnorm,
)
from keras_embedding.legacy.hdf5 import load_embedding, load_weights, read_layer_weights
from keras_embedding.legacy.regularizers import (
    ActivityRegularizer,
    L1L2Regularizer,
    WeightRegularizer,
    activity_l1,
    activity_l1l2,
    activity_l2,
    l1,
    l1l2,
    l2,
)

__all__ = [
    "ActivityRegularizer",
    "L1L2Regularizer",
    "MaxNorm",
    "NonNeg",
    "UnitNorm",
    "WeightRegularizer",
    "activity_l1",
    "activity_l1l2",
    "activity_l2",
    "initializations",
    "l1",
    "l1l2",
    "l2",
    "load_embedding",
    "load_weights",
    "normalize_config",
    "read_layer_weights",
    "maxnorm",
    "nonneg",
    "unitnorm",
]
