"""Keras 1 `keras.layers.normalization`: BatchNormalization.

Mode 0 (feature-wise; batch statistics in training, the moving ones at test
time) becomes the modern `BatchNormalization`. Keras 1 saved `gamma, beta,
running_mean, running_std`, in the modern order; from Keras 1.0.6 on
`running_std` holds the moving variance, which is what the modern layer
keeps. `epsilon` comes from the config (Keras 1's default changed across 1.x
versions). Modes 1 and 2 have no modern equivalent and are refused.
"""

from __future__ import annotations

from typing import Any

from keras_embedding import _compat
from keras_embedding._compat import keras
from keras_embedding.keras1.layers._args import initializer, regularizer
from keras_embedding.keras1.layers._base import expect_count, register
from keras_embedding.keras1.specs import Arg, LayerSpec, choice, integer, number

# TensorFlow's fused batch normalization raises a smaller epsilon to this.
_FUSED_MIN_EPSILON = 1.001e-5


def _build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    modern = dict(modern)
    modern.pop("mode")
    kwargs = {}
    if modern["epsilon"] < _FUSED_MIN_EPSILON:
        kwargs.update(_compat.UNFUSED_BATCH_NORM)
    return keras.layers.BatchNormalization(**modern, **kwargs, **base)


def _weights(layer: Any, arrays: list[Any], backend: str) -> list[Any]:
    expect_count(
        arrays,
        (2, 4),
        "a BatchNormalization (gamma, beta and, unless only the trainable "
        "ones, running_mean, running_std)",
    )
    return list(arrays)


def _axis(name: str, value: Any) -> int:
    return integer(-(2**31))(name, value)


BATCH_NORMALIZATION = register(
    LayerSpec(
        "BatchNormalization",
        args=(
            Arg("epsilon", default=1e-3, convert=number(0.0)),
            Arg(
                "mode",
                default=0,
                convert=choice(
                    {0: 0},
                    "Mode 1 normalised each sample on its own and mode 2 used "
                    "batch statistics at test time too; modern "
                    "BatchNormalization does neither.",
                ),
            ),
            Arg("axis", default=-1, convert=_axis),
            Arg("momentum", default=0.99, convert=number(0.0)),
            Arg("weights", default=None),
            Arg("beta_init", "beta_initializer", "zero", initializer),
            Arg("gamma_init", "gamma_initializer", "one", initializer),
            Arg("gamma_regularizer", default=None, convert=regularizer),
            Arg("beta_regularizer", default=None, convert=regularizer),
        ),
        weights=_weights,
        build=_build,
        becomes="BatchNormalization (mode 0; running_std is the variance)",
    ),
    keras.layers.BatchNormalization,
)
