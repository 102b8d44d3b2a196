"""Keras 1 `keras.layers.advanced_activations`: LeakyReLU, PReLU, ELU.

`LeakyReLU(alpha)` becomes `ReLU(negative_slope=alpha)`, which both Keras
flavours spell alike. `PReLU` keeps Keras 1's weights (`alphas`, one per
input position except along `shared_axes`).
"""

from __future__ import annotations

from typing import Any

from keras_embedding._compat import keras
from keras_embedding.keras1.layers._args import initializer, keras_builder
from keras_embedding.keras1.layers._base import expect_count, register
from keras_embedding.keras1.specs import Arg, LayerSpec, number


def _shared_axes(name: str, value: Any) -> Any:
    if value is None:
        return None
    axes = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(axis, int) and not isinstance(axis, bool) for axis in axes):
        raise ValueError(
            f"`{name}` must be an axis or a list of axes. Received: {name}={value!r}"
        )
    return list(axes)


def _prelu_weights(layer: Any, arrays: list[Any], backend: str) -> list[Any]:
    expect_count(arrays, (1,), "a PReLU (alphas)")
    return list(arrays)


LEAKY_RELU = register(
    LayerSpec(
        "LeakyReLU",
        args=(Arg("alpha", "negative_slope", 0.3, number(0.0)),),
        build=keras_builder(keras.layers.ReLU),
        becomes="ReLU(negative_slope=alpha)",
    )
)

PRELU = register(
    LayerSpec(
        "PReLU",
        args=(
            Arg("init", "alpha_initializer", "zero", initializer),
            Arg("weights", default=None),
            Arg("shared_axes", default=None, convert=_shared_axes),
        ),
        weights=_prelu_weights,
        build=keras_builder(keras.layers.PReLU),
        becomes="PReLU",
    ),
    keras.layers.PReLU,
)

ELU = register(
    LayerSpec(
        "ELU",
        args=(Arg("alpha", default=1.0, convert=number()),),
        build=keras_builder(keras.layers.ELU),
        becomes="ELU",
    ),
    keras.layers.ELU,
)
