"""Keras 1 regularizers: `l1`, `l2`, `l1l2`, their activity twins, and `get`.

A Keras 1 penalty is a **sum** over every element, never a mean:
`sum(l1 * |x|) + sum(l2 * x**2)`. For an activity regularizer that means the
sum over batch x time x features; the Embedding layer applies it to its output
without the batch averaging that modern Keras adds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import _serialized

__all__ = [
    "ActivityRegularizer",
    "BatchSummedActivity",
    "L1L2Regularizer",
    "WeightRegularizer",
    "activity_l1",
    "activity_l1l2",
    "activity_l2",
    "get",
    "l1",
    "l1l2",
    "l2",
]


def _coefficient(name: str, value: Any) -> float:
    """Validates a penalty factor and rounds it through float32, as Keras 1
    did (`l2(0.01)` serialises as 0.009999999776482582)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"L1L2Regularizer: {name} must be a finite number >= 0. "
            f"Received: {name}={value!r}"
        )
    return float(np.float32(value))


@register_serializable
class L1L2Regularizer(keras.regularizers.Regularizer):
    """The Keras 1 regularizer: `sum(l1 * |x|) + sum(l2 * x**2)`.

    Args:
        l1: L1 factor, a finite number >= 0. Stored as float32, as in Keras 1.
        l2: L2 factor, a finite number >= 0. Stored as float32, as in Keras 1.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _coefficient("l1", l1)
        self.l2 = _coefficient("l2", l2)

    def __call__(self, x: Any) -> tf.Tensor:
        """Returns the penalty for `x`, summed over all its elements.

        Args:
            x: A weight or activation tensor.

        Returns:
            A scalar float tensor.
        """
        x = tf.convert_to_tensor(x)
        if x.dtype in (tf.float16, tf.bfloat16):
            # A sum over a whole batch of activations overflows float16.
            x = tf.cast(x, tf.float32)
        penalty = tf.zeros((), x.dtype)
        if self.l1:
            penalty += tf.reduce_sum(self.l1 * tf.abs(x))
        if self.l2:
            penalty += tf.reduce_sum(self.l2 * tf.square(x))
        return penalty

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}

    def keras1_config(self) -> dict[str, Any]:
        """Returns the config as Keras 1.2.2 wrote it.

        Returns:
            `{'name': 'L1L2Regularizer', 'l1': float, 'l2': float}`.
        """
        return {"name": "L1L2Regularizer", **self.get_config()}


@register_serializable
class BatchSummedActivity(keras.regularizers.Regularizer):
    """A layer's activity penalty as Keras 1 added it: summed over the batch.

    Both Keras flavours divide a layer's activity penalty by the batch size
    (the first dimension of the output); Keras 1 did not. As a layer's
    `activity_regularizer`, this wrapper multiplies the penalty by that same
    size, so the loss gets Keras 1's sum.

    Args:
        regularizer: The penalty, anything `get()` accepts.
    """

    def __init__(self, regularizer: Any) -> None:
        self.regularizer = get(regularizer)
        if self.regularizer is None:
            raise ValueError(
                "BatchSummedActivity needs a regularizer. "
                f"Received: regularizer={regularizer!r}"
            )

    def __call__(self, x: Any) -> tf.Tensor:
        """Returns the penalty of `x` times its batch size.

        Args:
            x: A layer output, batch first.

        Returns:
            A scalar float tensor.
        """
        x = tf.convert_to_tensor(x)
        penalty = tf.convert_to_tensor(self.regularizer(x))
        if x.shape.rank == 0:
            return penalty
        return penalty * tf.cast(tf.shape(x)[0], penalty.dtype)

    def get_config(self) -> dict[str, Any]:
        return {"regularizer": keras.regularizers.serialize(self.regularizer)}


# Keras 1 aliases: the serialized class name is always `L1L2Regularizer`.
WeightRegularizer = L1L2Regularizer
ActivityRegularizer = L1L2Regularizer


# `l` is the Keras 1 keyword (`l2(l=0.01)`), so it stays despite ruff's E741.
def l1(l: float = 0.01) -> L1L2Regularizer:  # noqa: E741
    """Keras 1 `l1`: an L1 penalty `sum(l * |W|)`."""
    return L1L2Regularizer(l1=l)


def l2(l: float = 0.01) -> L1L2Regularizer:  # noqa: E741
    """Keras 1 `l2`: an L2 penalty `sum(l * W**2)`."""
    return L1L2Regularizer(l2=l)


def l1l2(l1: float = 0.01, l2: float = 0.01) -> L1L2Regularizer:
    """Keras 1 `l1l2`: both penalties."""
    return L1L2Regularizer(l1=l1, l2=l2)


def activity_l1(l: float = 0.01) -> L1L2Regularizer:  # noqa: E741
    """Keras 1 `activity_l1`: an L1 penalty on the layer output."""
    return L1L2Regularizer(l1=l)


def activity_l2(l: float = 0.01) -> L1L2Regularizer:  # noqa: E741
    """Keras 1 `activity_l2`: an L2 penalty on the layer output."""
    return L1L2Regularizer(l2=l)


def activity_l1l2(l1: float = 0.01, l2: float = 0.01) -> L1L2Regularizer:
    """Keras 1 `activity_l1l2`: both penalties on the layer output."""
    return L1L2Regularizer(l1=l1, l2=l2)


# Every name Keras 1's `regularizers.get` resolved (its module globals).
_KERAS1_NAMES = {
    "L1L2Regularizer": L1L2Regularizer,
    "WeightRegularizer": L1L2Regularizer,
    "ActivityRegularizer": L1L2Regularizer,
    "l1": l1,
    "l2": l2,
    "l1l2": l1l2,
    "activity_l1": activity_l1,
    "activity_l2": activity_l2,
    "activity_l1l2": activity_l1l2,
}


def _invalid(identifier: Any) -> ValueError:
    return ValueError(
        f"Invalid regularizer: {identifier!r}. Expected None, a Keras 1 name "
        f"({', '.join(_KERAS1_NAMES)}), a Keras 1 config "
        "{'name': 'L1L2Regularizer', 'l1': ..., 'l2': ...}, a callable "
        "`reg(weight) -> scalar`, or a Keras regularizer, its name or its "
        f"config. Received: regularizer={identifier!r}"
    )


def get(identifier: Any) -> keras.regularizers.Regularizer | None:
    """Returns the regularizer for a Keras 1 or modern regularizer value.

    Args:
        identifier: None; a Keras 1 name such as `'l2'` (Keras 1 defaults,
            0.01); a Keras 1 config `{'name': 'L1L2Regularizer', 'l1': ...,
            'l2': ...}` (also `WeightRegularizer`, `ActivityRegularizer` and
            the factory names); a Keras regularizer instance, name or config
            from Keras 2, tf_keras or Keras 3; or a callable
            `reg(weight) -> scalar`.

    Returns:
        A regularizer (or the callable as given), or None.

    Raises:
        ValueError: for an unknown value, and for a Keras 1.0-protocol
            regularizer (`set_param` / `set_layer` and `__call__(loss)`),
            which cannot be ported as it is.
    """
    if identifier is None:
        return None
    if hasattr(identifier, "set_param") or hasattr(identifier, "set_layer"):
        raise ValueError(
            "A Keras 1.0-protocol regularizer (with `set_param`/`set_layer` "
            "and `__call__(loss)` returning the loss plus its penalty) cannot "
            "be ported: Keras now adds the penalty to the loss itself. Write "
            "a callable `reg(weight_matrix) -> scalar` that returns only the "
            "penalty, or subclass `keras.regularizers.Regularizer`. "
            f"Received: regularizer={identifier!r}"
        )
    return _serialized.resolve(identifier, _KERAS1_NAMES, keras.regularizers, _invalid)
