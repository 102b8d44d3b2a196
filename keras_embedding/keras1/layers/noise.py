"""Keras 1 `keras.layers.noise`: GaussianNoise and GaussianDropout.

Both are the identity at inference, in Keras 1 as today.
"""

from __future__ import annotations

from keras_embedding._compat import keras
from keras_embedding.keras1.layers._args import ignored_rate, keras_builder
from keras_embedding.keras1.layers._base import register
from keras_embedding.keras1.specs import Arg, LayerSpec, number, rate

GAUSSIAN_NOISE = register(
    LayerSpec(
        "GaussianNoise",
        args=(Arg("sigma", "stddev", convert=number(0.0)),),
        build=keras_builder(keras.layers.GaussianNoise),
        becomes="GaussianNoise (identity at inference)",
    ),
    keras.layers.GaussianNoise,
)

GAUSSIAN_DROPOUT = register(
    LayerSpec(
        "GaussianDropout",
        args=(
            Arg("p", "rate", convert=rate, from_config=ignored_rate("GaussianDropout")),
        ),
        build=keras_builder(keras.layers.GaussianDropout),
        becomes="GaussianDropout (identity at inference)",
    ),
    keras.layers.GaussianDropout,
)
