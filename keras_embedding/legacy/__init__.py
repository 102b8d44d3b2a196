"""Porting Keras 1 code and files onto today's Keras.

This is the top of the package: it builds on the Embedding layer and on the
Keras 1 vocabulary (`keras_embedding.keras1`), and nothing imports it. Keras 1
code changes `keras` to `keras_embedding.legacy` in its imports.
"""

from keras_embedding.keras1 import initializations
from keras_embedding.keras1.constraints import (
    MaxNorm,
    NonNeg,
    UnitNorm,
    maxnorm,
    nonneg,
    unitnorm,
)
from keras_embedding.keras1.layers import normalize_config
from keras_embedding.keras1.regularizers import (
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
from keras_embedding.legacy.configs import model_from_config, model_from_json
from keras_embedding.legacy.files import convert, load_model
from keras_embedding.legacy.hdf5 import read_layer_weights
from keras_embedding.legacy.weights import load_embedding, load_weights

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
    "convert",
    "initializations",
    "l1",
    "l1l2",
    "l2",
    "load_embedding",
    "load_model",
    "load_weights",
    "model_from_config",
    "model_from_json",
    "normalize_config",
    "read_layer_weights",
    "maxnorm",
    "nonneg",
    "unitnorm",
]
