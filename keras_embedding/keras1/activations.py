"""Keras 1 activations: the names Keras 1 knew, with Keras 1's formulas.

Only `hard_sigmoid` changed since: Keras 1 (and tf_keras) compute
`clip(0.2 * x + 0.5, 0, 1)`, while Keras 3's `'hard_sigmoid'` is
`relu6(x + 3) / 6`, with slope 1/6. The Keras 1 function is registered as
`keras_embedding>hard_sigmoid`, so a ported layer computes the Keras 1 curve
in either Keras flavour and keeps it through saving and loading.

`get()` resolves every other Keras 1 name to the running Keras's own function,
which computes what Keras 1 computed. `recurrent()` is `get()` for the gates
of a recurrent layer: it never returns Keras's own `sigmoid`, whose identity is
what makes tf_keras switch an LSTM or GRU to cuDNN on a GPU, and cuDNN writes
zeros at masked steps where Keras 1 repeated the previous output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from keras_embedding._compat import keras, register_serializable

__all__ = [
    "elu",
    "get",
    "hard_sigmoid",
    "linear",
    "recurrent",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "tanh",
]


@register_serializable
def hard_sigmoid(x: Any) -> tf.Tensor:
    """Keras 1's `hard_sigmoid`: `clip(0.2 * x + 0.5, 0, 1)`.

    Args:
        x: A float tensor.

    Returns:
        A tensor of the same shape and dtype.
    """
    x = tf.convert_to_tensor(x)
    return tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


@register_serializable
def sigmoid(x: Any) -> tf.Tensor:
    """The logistic sigmoid `1 / (1 + exp(-x))`, as Keras 1's `sigmoid`.

    The same values as Keras's own `sigmoid`; a recurrent layer's gates use
    this function so that tf_keras never runs the layer on cuDNN.

    Args:
        x: A float tensor.

    Returns:
        A tensor of the same shape and dtype.
    """
    return tf.sigmoid(x)


def _keras(name: str) -> Callable[[Any], Any]:
    return keras.activations.get(name)


# Keras 1.2.2's `keras.activations` names. Those other than `hard_sigmoid`
# compute what the running Keras's function of the same name computes (Keras
# 1's softmax took only 2D and 3D inputs, along the last axis).
_KERAS1_NAMES: dict[str, Callable[[], Callable[[Any], Any]]] = {
    "softmax": lambda: _keras("softmax"),
    "elu": lambda: _keras("elu"),
    "softplus": lambda: _keras("softplus"),
    "softsign": lambda: _keras("softsign"),
    "relu": lambda: _keras("relu"),
    "tanh": lambda: _keras("tanh"),
    "sigmoid": lambda: _keras("sigmoid"),
    "hard_sigmoid": lambda: hard_sigmoid,
    "linear": lambda: _keras("linear"),
}


def softmax(x: Any) -> Any:
    """Keras 1 `softmax`, over the last axis."""
    return _keras("softmax")(x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Keras 1 `elu`: `x` if `x > 0`, else `alpha * (exp(x) - 1)`."""
    return keras.activations.elu(x, alpha=alpha)


def softplus(x: Any) -> Any:
    """Keras 1 `softplus`: `log(1 + exp(x))`."""
    return _keras("softplus")(x)


def softsign(x: Any) -> Any:
    """Keras 1 `softsign`: `x / (1 + |x|)`."""
    return _keras("softsign")(x)


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Any:
    """Keras 1 `relu`, with its optional leak `alpha` and cap `max_value`."""
    if alpha == 0.0 and max_value is None:
        return _keras("relu")(x)
    x = tf.convert_to_tensor(x)
    negative = tf.nn.relu(-x)
    x = tf.nn.relu(x)
    if max_value is not None:
        x = tf.minimum(x, tf.cast(max_value, x.dtype))
    return x - tf.cast(alpha, x.dtype) * negative


def tanh(x: Any) -> Any:
    """Keras 1 `tanh`."""
    return _keras("tanh")(x)


def linear(x: Any) -> Any:
    """Keras 1 `linear`: `x` unchanged."""
    return x


def _invalid(identifier: Any) -> ValueError:
    return ValueError(
        f"Invalid activation function: {identifier!r}. Expected None, a Keras 1 "
        f"name ({', '.join(_KERAS1_NAMES)}), another name the running Keras "
        f"knows, or a callable. Received: activation={identifier!r}"
    )


def get(identifier: Any) -> Callable[[Any], Any]:
    """Returns the activation function for a Keras 1 or modern value.

    Args:
        identifier: None (linear, as in Keras 1); a Keras 1 name, where
            `'hard_sigmoid'` gives the Keras 1 formula; another name or a
            serialized activation the running Keras knows; or a callable,
            returned as it is.

    Returns:
        The activation function.

    Raises:
        ValueError: for a value that names no activation.
    """
    if identifier is None:
        return _keras("linear")
    if isinstance(identifier, str):
        if identifier in _KERAS1_NAMES:
            return _KERAS1_NAMES[identifier]()
        try:
            found = keras.activations.get(identifier)
        except (ValueError, TypeError):
            found = None
        if not callable(found):
            raise _invalid(identifier)
        return found
    if isinstance(identifier, dict):
        try:
            return keras.activations.get(identifier)
        except (ValueError, TypeError) as error:
            raise _invalid(identifier) from error
    if callable(identifier):
        return identifier
    raise _invalid(identifier)


def recurrent(identifier: Any) -> Callable[[Any], Any]:
    """`get()` for the gates of an LSTM or GRU (Keras 1 `inner_activation`).

    Keras's own `sigmoid` becomes this module's `sigmoid` (same values): with
    Keras's own, tf_keras would run the layer on cuDNN on a GPU, which writes
    zeros at masked steps where Keras 1 repeated the previous output.

    Args:
        identifier: As for `get()`.

    Returns:
        The activation function.

    Raises:
        ValueError: for a value that names no activation.
    """
    function = get(identifier)
    if function is _keras("sigmoid") or function is tf.sigmoid:
        return sigmoid
    return function
