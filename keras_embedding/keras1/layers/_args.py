"""Converters and builders shared by the Keras 1 layer specs.

A layer's `dim_ordering='default'` means Keras 1's `image_dim_ordering()`
(see `keras_embedding.keras1.backend`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from keras_embedding.keras1 import activations, constraints, initializations
from keras_embedding.keras1 import regularizers as _regularizers
from keras_embedding.keras1.backend import image_dim_ordering
from keras_embedding.keras1.specs import Arg, Builder, choice, integer, optional


def initializer(name: str, value: Any) -> Any:
    """An `init=` value: a Keras 1 name or function, or a Keras initializer."""
    return initializations.get(value)


def regularizer(name: str, value: Any) -> Any:
    """A weight regularizer (Keras 1 penalties are sums, as today's)."""
    return _regularizers.get(value)


def activity(name: str, value: Any) -> Any:
    """An activity regularizer, summed over the batch as in Keras 1."""
    found = _regularizers.get(value)
    return None if found is None else _regularizers.BatchSummedActivity(found)


def constraint(name: str, value: Any) -> Any:
    """A weight constraint."""
    return constraints.get(value)


def activation(name: str, value: Any) -> Any:
    """An activation: None is linear, `'hard_sigmoid'` Keras 1's."""
    return activations.get(value)


def recurrent_activation(name: str, value: Any) -> Any:
    """A gate activation of an LSTM or GRU (see `activations.recurrent`)."""
    return activations.recurrent(value)


def shape(name: str, value: Any) -> tuple[int | None, ...]:
    """A shape: a list or tuple of integers (None or -1 where allowed)."""
    if isinstance(value, (list, tuple)) and all(
        item is None
        or (isinstance(item, (int, np.integer)) and not isinstance(item, bool))
        for item in value
    ):
        return tuple(None if item is None else int(item) for item in value)
    raise ValueError(
        f"`{name}` must be a tuple of integers. Received: {name}={value!r}"
    )


def ignored_rate(class_name: str) -> Callable[[Any], Any]:
    """Reads a saved dropout rate as Keras 1 applied it.

    Keras 1 silently applied no dropout for a rate outside (0, 1); such a
    saved value loads as 0.0, with a warning.
    """

    def read(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        if math.isnan(value) or not 0 <= value < 1:
            warnings.warn(
                f"{class_name} config: a rate of {value!r} is outside [0, 1). "
                "Keras 1 ignored such a value and applied no dropout, so it "
                "loads as 0.0.",
                stacklevel=5,
            )
            return 0.0
        return value

    return read


def input_dim_shape(values: Any) -> tuple[Any, ...] | None:
    """Keras 1 `input_dim=n` on a layer of vectors: input shape `(n,)`."""
    return (values["input_dim"],) if values["input_dim"] else None


def sequence_shape(values: Any) -> tuple[Any, ...] | None:
    """Keras 1 `input_dim`, `input_length` on a layer of sequences."""
    if not values["input_dim"]:
        return None
    return (values["input_length"], values["input_dim"])


def input_dim_arg(keyword_only: bool = False) -> Arg:
    """Keras 1's `input_dim=None`."""
    return Arg(
        "input_dim",
        default=None,
        convert=optional(integer(1)),
        keyword_only=keyword_only,
    )


def input_length_arg(keyword_only: bool = False) -> Arg:
    """Keras 1's `input_length=None`."""
    return Arg(
        "input_length",
        default=None,
        convert=optional(integer(1)),
        keyword_only=keyword_only,
    )


def keras_builder(
    make: Callable[..., Any],
    drop: Iterable[str] = (),
    fixed: dict[str, Any] | None = None,
) -> Builder:
    """A builder calling `make(**modern, **fixed, **base)`, without `drop`.

    Args:
        make: The modern layer class or a factory.
        drop: Modern keys the modern class does not take (Keras 1's
            `input_dim`, which only gave a first layer's input shape).
        fixed: Settings that make the modern class compute what Keras 1 did.
    """
    dropped = frozenset(drop)

    def build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
        kwargs = {key: value for key, value in modern.items() if key not in dropped}
        return make(**kwargs, **(fixed or {}), **base)

    return build


# ----------------------------------------------------------------------
# Image dimension ordering and border modes


def _data_format(name: str, value: Any) -> str:
    if value == "default":
        value = image_dim_ordering()
    if value == "th":
        return "channels_first"
    if value == "tf":
        return "channels_last"
    raise ValueError(
        f"`{name}` must be 'tf', 'th' or 'default'. Received: {name}={value!r}"
    )


def dim_ordering_arg(keyword_only: bool = False) -> Arg:
    """Keras 1's `dim_ordering='default'`, as the modern `data_format`."""
    return Arg(
        "dim_ordering",
        "data_format",
        "default",
        _data_format,
        keyword_only=keyword_only,
    )


BORDER_MODE = choice(
    {"valid": "valid", "same": "same"},
    "Keras 1 also had 'full', which only its Theano backend ran and which has "
    "no modern padding mode: pad with ZeroPadding and use 'valid'.",
)
