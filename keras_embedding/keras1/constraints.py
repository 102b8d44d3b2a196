"""Keras 1 constraints: `MaxNorm`, `NonNeg`, `UnitNorm`, their aliases, `get`.

The formulas are Keras 1's, with its epsilon of 1e-7. On an Embedding table of
shape `(input_dim, output_dim)` the default `axis=0` takes each norm over the
vocabulary axis, that is per output feature column, not per word vector.

The classes are registered as `keras_embedding>MaxNorm` and so on: tf_keras's
legacy `.h5` loader resolves a bare class name to its own `MaxNorm`, which has
no `m` argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import _serialized

__all__ = [
    "MaxNorm",
    "NonNeg",
    "UnitNorm",
    "get",
    "maxnorm",
    "nonneg",
    "unitnorm",
]

# Keras 1's `K.epsilon()`.
_EPSILON = 1e-7

Axis = int | Sequence[int]


def _check_axis(owner: str, axis: Any) -> Axis:
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    if (
        isinstance(axis, (list, tuple))
        and axis
        and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
        )
    ):
        return [int(a) for a in axis]
    raise ValueError(
        f"{owner}: axis must be an integer or a non-empty list of integers. "
        f"Received: axis={axis!r}"
    )


def _norms(w: tf.Tensor, axis: Axis) -> tf.Tensor:
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


@register_serializable
class MaxNorm(keras.constraints.Constraint):
    """Keras 1 `MaxNorm`: scales down the slices along `axis` to norm <= m.

    Computes `w * clip(norms, 0, m) / (1e-7 + norms)`.

    Args:
        m: The maximum norm, a finite number >= 0. Its type is kept in the
            config, as in Keras 1.
        axis: The axis (or axes) the norms are taken over. `0`, the Keras 1
            default, gives one norm per output feature of an Embedding.
    """

    def __init__(self, m: float = 2, axis: Axis = 0) -> None:
        if (
            isinstance(m, bool)
            or not isinstance(m, (int, float, np.integer, np.floating))
            or not math.isfinite(m)
            or m < 0
        ):
            raise ValueError(
                f"MaxNorm: m must be a finite number >= 0. Received: m={m!r}"
            )
        self.m = m
        self.axis = _check_axis("MaxNorm", axis)

    def __call__(self, w: Any) -> tf.Tensor:
        """Returns `w` with the norms along `axis` clipped to `m`.

        Args:
            w: The weight.

        Returns:
            A tensor like `w`.
        """
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(norms, 0, tf.cast(self.m, w.dtype))
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"m": self.m, "axis": self.axis}


@register_serializable
class NonNeg(keras.constraints.Constraint):
    """Keras 1 `NonNeg`: `w * (w >= 0)`; negative entries become -0.0."""

    def __call__(self, w: Any) -> tf.Tensor:
        """Returns `w` with its negative entries zeroed (as -0.0).

        Args:
            w: The weight.

        Returns:
            A tensor like `w`.
        """
        w = tf.convert_to_tensor(w)
        return w * tf.cast(w >= 0, w.dtype)

    def get_config(self) -> dict[str, Any]:
        return {}


@register_serializable
class UnitNorm(keras.constraints.Constraint):
    """Keras 1 `UnitNorm`: `w / (1e-7 + norms)` along `axis`.

    Args:
        axis: The axis (or axes) the norms are taken over; `0` by default.
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = _check_axis("UnitNorm", axis)

    def __call__(self, w: Any) -> tf.Tensor:
        """Returns `w` with unit norms along `axis`.

        Args:
            w: The weight.

        Returns:
            A tensor like `w`.
        """
        w = tf.convert_to_tensor(w)
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


# Keras 1 aliases.
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

# Every name Keras 1's `constraints.get` resolved; they win over Keras 3's
# own `MaxNorm`, `NonNeg` and `UnitNorm`.
_KERAS1_NAMES = {
    "MaxNorm": MaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "maxnorm": MaxNorm,
    "nonneg": NonNeg,
    "unitnorm": UnitNorm,
}


def _invalid(identifier: Any) -> ValueError:
    return ValueError(
        f"Invalid constraint: {identifier!r}. Expected None, a Keras 1 name "
        f"({', '.join(_KERAS1_NAMES)}), a Keras 1 config "
        "{'name': 'MaxNorm', 'm': ..., 'axis': ...}, a callable "
        "`constraint(weight) -> weight`, or a Keras constraint, its name or "
        f"its config. Received: constraint={identifier!r}"
    )


def get(identifier: Any) -> keras.constraints.Constraint | None:
    """Returns the constraint for a Keras 1 or modern constraint value.

    Args:
        identifier: None; a Keras 1 name (`'maxnorm'`, `'nonneg'`,
            `'unitnorm'` or a class name), with Keras 1 defaults; a Keras 1
            config such as `{'name': 'MaxNorm', 'm': 3, 'axis': 1}`; a Keras
            constraint instance, name or config from Keras 2, tf_keras or
            Keras 3; or a callable `constraint(weight) -> weight`.

    Returns:
        A constraint (or the callable as given), or None.

    Raises:
        ValueError: for an unknown value or bad constraint arguments.
    """
    if identifier is None:
        return None
    return _serialized.resolve(identifier, _KERAS1_NAMES, keras.constraints, _invalid)
