"""Keras 1 initializations: the names, their distributions and the functions.

Keras 1 looked an `init=` string up among the functions of its
`keras.initializations` module. The same functions live here, with the same
signatures, so a Keras-1-style custom init such as

```python
def init_normal(shape, name=None):
    return initializations.normal(shape, scale=0.01, name=name)
```

runs unchanged. `get()` turns any `init=` value into a Keras initializer.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import _serialized

__all__ = [
    "Keras1Function",
    "Keras1Initializer",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_uniform",
    "normal",
    "one",
    "orthogonal",
    "uniform",
    "zero",
]

Shape = Sequence[int]


def _fans(shape: Shape) -> tuple[float, float]:
    """Keras 1's `get_fans` with its default (Theano) dimension ordering."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5):
        receptive_field = math.prod(shape[2:])
        return shape[1] * receptive_field, shape[0] * receptive_field
    side = math.sqrt(math.prod(shape))
    return side, side


def _draw_seed(seed: int | None) -> tf.Tensor:
    # Keras 1 drew each init's seed from np.random, so `np.random.seed(...)`
    # made a Keras 1 model reproducible; an unseeded init here does the same.
    if seed is None:
        seed = np.random.randint(10e8)
    return tf.constant([seed, 0], tf.int64)


# The random draws are TF ops, so a large table is drawn on its own device
# rather than built as a host array first.
def _uniform(shape: Shape, scale: float, seed: tf.Tensor) -> tf.Tensor:
    return tf.random.stateless_uniform(shape, seed, minval=-scale, maxval=scale)


def _normal(shape: Shape, scale: float, seed: tf.Tensor) -> tf.Tensor:
    return tf.random.stateless_normal(shape, seed, stddev=scale)


def _orthogonal(shape: Shape, scale: float, seed: tf.Tensor) -> tf.Tensor:
    flat_shape = (shape[0], math.prod(shape[1:]))
    gaussian = tf.random.stateless_normal(flat_shape, seed, dtype=tf.float64)
    _, u, v = tf.linalg.svd(gaussian)
    # The factor with the matrix's own shape has orthonormal rows or columns.
    q = u if tuple(u.shape) == flat_shape else tf.transpose(v)
    return tf.cast(scale * tf.reshape(q, shape), tf.float32)


def _identity(shape: Shape, scale: float) -> tf.Tensor:
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(
            "The 'identity' initialization only works for square 2D weights "
            "(an Embedding needs input_dim == output_dim). "
            f"Received: shape={tuple(shape)}"
        )
    return scale * tf.eye(shape[0])


def _keras1_values(init: str, shape: Shape, seed: tf.Tensor) -> tf.Tensor:
    """Draws the values of the Keras 1 initialization `init` for `shape`."""
    if init == "identity":
        return _identity(shape, 1.0)
    if math.prod(shape) == 0 or init == "zero":
        # Keras 1 gave an empty weight for every init; skipping the fan-based
        # scale also avoids dividing by a zero fan.
        return tf.zeros(shape)
    fan_in, fan_out = _fans(shape)
    if init == "uniform":
        return _uniform(shape, 0.05, seed)
    if init == "normal":
        return _normal(shape, 0.05, seed)
    if init == "lecun_uniform":
        return _uniform(shape, math.sqrt(3.0 / fan_in), seed)
    if init == "glorot_normal":
        return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), seed)
    if init == "glorot_uniform":
        return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), seed)
    if init == "he_normal":
        return _normal(shape, math.sqrt(2.0 / fan_in), seed)
    if init == "he_uniform":
        return _uniform(shape, math.sqrt(6.0 / fan_in), seed)
    if init == "orthogonal":
        return _orthogonal(shape, 1.1, seed)
    return tf.ones(shape)


_KERAS1_NAMES: tuple[str, ...] = (
    "uniform",
    "normal",
    "lecun_uniform",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "orthogonal",
    "identity",
    "zero",
    "one",
)


def _as_shape(shape: Any) -> tuple[int, ...]:
    return tuple(int(dim) for dim in shape)


# The Keras 1 functions. `name` named the Keras 1 variable; the weight is now
# named by the layer that creates it, so it is accepted and not used.
def uniform(shape: Shape, scale: float = 0.05, name: str | None = None) -> tf.Tensor:
    """Keras 1 `uniform`: U(-scale, scale), as a float32 tensor."""
    return _uniform(_as_shape(shape), scale, _draw_seed(None))


def normal(shape: Shape, scale: float = 0.05, name: str | None = None) -> tf.Tensor:
    """Keras 1 `normal`: N(0, scale), not truncated, as a float32 tensor."""
    return _normal(_as_shape(shape), scale, _draw_seed(None))


def lecun_uniform(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `lecun_uniform`: U(±sqrt(3 / fan_in))."""
    return _keras1_values("lecun_uniform", _as_shape(shape), _draw_seed(None))


def glorot_normal(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `glorot_normal`: N(0, sqrt(2 / (fan_in + fan_out))), untruncated."""
    return _keras1_values("glorot_normal", _as_shape(shape), _draw_seed(None))


def glorot_uniform(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `glorot_uniform`: U(±sqrt(6 / (fan_in + fan_out)))."""
    return _keras1_values("glorot_uniform", _as_shape(shape), _draw_seed(None))


def he_normal(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `he_normal`: N(0, sqrt(2 / fan_in)), untruncated."""
    return _keras1_values("he_normal", _as_shape(shape), _draw_seed(None))


def he_uniform(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `he_uniform`: U(±sqrt(6 / fan_in))."""
    return _keras1_values("he_uniform", _as_shape(shape), _draw_seed(None))


def orthogonal(shape: Shape, scale: float = 1.1, name: str | None = None) -> tf.Tensor:
    """Keras 1 `orthogonal`: `scale` times an orthonormal matrix from an SVD."""
    shape = _as_shape(shape)
    if math.prod(shape) == 0:
        return tf.zeros(shape)
    return _orthogonal(shape, scale, _draw_seed(None))


def identity(shape: Shape, scale: float = 1, name: str | None = None) -> tf.Tensor:
    """Keras 1 `identity`: `scale` times the identity; square shapes only."""
    return _identity(_as_shape(shape), scale)


def zero(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `zero`: all zeros."""
    return tf.zeros(_as_shape(shape))


def one(shape: Shape, name: str | None = None) -> tf.Tensor:
    """Keras 1 `one`: all ones."""
    return tf.ones(_as_shape(shape))


_FUNCTIONS: dict[str, Callable[..., tf.Tensor]] = {
    "uniform": uniform,
    "normal": normal,
    "lecun_uniform": lecun_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "orthogonal": orthogonal,
    "identity": identity,
    "zero": zero,
    "one": one,
}


def _output(values: Any, dtype: Any, kwargs: dict[str, Any]) -> tf.Tensor:
    """Casts `values` and cuts out the shard tf_keras asks for, if any.

    tf_keras calls an initializer once per shard of a partitioned variable,
    with the full `shape` plus `partition_shape` and `partition_offset`.
    """
    values = tf.cast(tf.convert_to_tensor(values), dtype or keras.backend.floatx())
    partition_shape = kwargs.get("partition_shape")
    if partition_shape is not None:
        begin = [int(offset) for offset in kwargs["partition_offset"]]
        values = tf.slice(values, begin, [int(dim) for dim in partition_shape])
    return values


@register_serializable
class Keras1Initializer(keras.initializers.Initializer):
    """A Keras 1 initialization, by name, with its Keras 1 distribution.

    For a 2D weight of shape `(input_dim, output_dim)`, fan_in is `input_dim`
    and fan_out is `output_dim`, as in Keras 1. Normal distributions are not
    truncated.

    Args:
        init: One of `uniform`, `normal`, `lecun_uniform`, `glorot_normal`,
            `glorot_uniform`, `he_normal`, `he_uniform`, `orthogonal` (gain
            1.1), `identity` (square weights only), `zero`, `one`.
        seed: Optional integer. With a seed every call returns the same
            values; without one each call draws its seed from `np.random`, as
            Keras 1 did, so `np.random.seed()` makes it reproducible.
    """

    def __init__(self, init: str = "uniform", seed: int | None = None) -> None:
        if init not in _KERAS1_NAMES:
            raise ValueError(
                f"Invalid Keras 1 initialization {init!r}. Expected one of "
                f"{', '.join(_KERAS1_NAMES)}. Received: init={init!r}"
            )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
        ):
            raise ValueError(
                f"Keras1Initializer: seed must be an integer or None. "
                f"Received: seed={seed!r}"
            )
        self.init = init
        self.seed = None if seed is None else int(seed)

    def __call__(self, shape: Shape, dtype: Any = None, **kwargs: Any) -> tf.Tensor:
        """Returns a tensor of `shape` drawn from the Keras 1 distribution.

        Args:
            shape: Shape of the weight.
            dtype: Optional float dtype; defaults to `keras.backend.floatx()`.
            **kwargs: tf_keras's `partition_shape` and `partition_offset`.

        Returns:
            A tensor of `shape` and `dtype`.
        """
        values = _keras1_values(self.init, _as_shape(shape), _draw_seed(self.seed))
        return _output(values, dtype, kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"init": self.init, "seed": self.seed}


@register_serializable
class Keras1Function(keras.initializers.Initializer):
    """Wraps a Keras 1 custom init `function(shape, name=None)`.

    Args:
        function: The function, or the name it is registered under (with
            `keras.saving.register_keras_serializable` or `custom_objects`). It
            returns a numpy array, tensor or variable of the given shape.
    """

    def __init__(self, function: Callable[..., Any] | str) -> None:
        if isinstance(function, str):
            found = _serialized.find_registered(function)
            if found is None:
                raise ValueError(
                    f"Unknown Keras 1 init function {function!r}. Keras 1 "
                    "saved a custom init by its name only: decorate the "
                    "function with `@keras.saving.register_keras_serializable()`"
                    f" or pass `custom_objects={{{function!r}: {function}}}` "
                    f"when loading. Received: function={function!r}"
                )
            function = found
        if not callable(function):
            raise ValueError(
                "Keras1Function: function must be callable as "
                f"`function(shape, name=None)`. Received: function={function!r}"
            )
        self.function = function

    def __call__(self, shape: Shape, dtype: Any = None, **kwargs: Any) -> tf.Tensor:
        """Calls the Keras 1 function and returns its values as a tensor.

        Args:
            shape: Shape of the weight.
            dtype: Optional float dtype; defaults to `keras.backend.floatx()`.
            **kwargs: tf_keras's `partition_shape` and `partition_offset`.

        Returns:
            A tensor of `shape` and `dtype`.
        """
        shape = _as_shape(shape)
        values = tf.convert_to_tensor(self.function(shape, name=None))
        if tuple(values.shape) != shape:
            raise ValueError(
                f"The Keras 1 init function {self.function.__name__!r} returned "
                f"a value of shape {tuple(values.shape)} for the weight shape "
                f"{shape}. Received: shape={shape}"
            )
        return _output(values, dtype, kwargs)

    def get_config(self) -> dict[str, Any]:
        # Keras 1 wrote the function's `__name__`; a registered function gets
        # its `package>name` key so that it reloads without custom_objects.
        return {"function": keras.saving.get_registered_name(self.function)}


_OWN_CLASSES = {
    "Keras1Initializer": Keras1Initializer,
    "Keras1Function": Keras1Function,
}


def _is_keras1_callable(function: Callable[..., Any]) -> bool:
    """Tells Keras 1's `init(shape, name=None)` from `init(shape, dtype=None)`."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "name" in parameters


def _invalid(identifier: Any) -> ValueError:
    return ValueError(
        f"Invalid initialization: {identifier!r}. Expected a Keras 1 name "
        f"({', '.join(_KERAS1_NAMES)}), a Keras 1 function "
        "`init(shape, name=None)`, or a Keras initializer, its name or its "
        f"config. Received: init={identifier!r}"
    )


def get(identifier: Any, seed: int | None = None) -> keras.initializers.Initializer:
    """Returns the Keras initializer for a Keras 1 or modern `init` value.

    Args:
        identifier: A Keras 1 name (which wins over a modern Keras name with
            the same spelling), a Keras 1 function `init(shape, name=None)`, a
            Keras initializer instance or callable `(shape, dtype=None)`, a
            modern name such as `'random_normal'`, or a serialized initializer
            from Keras 2, tf_keras or Keras 3.
        seed: Optional integer seed for a Keras 1 name.

    Returns:
        A Keras initializer, callable as `init(shape, dtype=None)`.

    Raises:
        ValueError: if `identifier` is none of the above.
    """
    if isinstance(identifier, str):
        if identifier in _KERAS1_NAMES:
            return Keras1Initializer(identifier, seed=seed)
        try:
            found = keras.initializers.get(identifier)
        except (ValueError, TypeError):
            found = _serialized.find_registered(identifier)
        # Keras 3 returns a registered function as it is, so a Keras 1 one
        # still needs its wrapper.
        if not callable(found):
            raise _invalid(identifier)
        return get(found, seed=seed)
    if isinstance(identifier, dict):
        own = _OWN_CLASSES.get(str(identifier.get("class_name")).split(">")[-1])
        if own is not None and isinstance(identifier.get("config"), dict):
            # Built here so that a missing Keras 1 function gets its own
            # error, which Keras's deserializer would bury.
            return own.from_config(identifier["config"])
        try:
            return keras.initializers.get(
                _serialized.for_running_keras(identifier, keras.initializers)
            )
        except (ValueError, TypeError) as error:
            raise _invalid(identifier) from error
    if isinstance(identifier, keras.initializers.Initializer):
        return identifier
    if callable(identifier):
        for name, function in _FUNCTIONS.items():
            if identifier is function:
                return Keras1Initializer(name, seed=seed)
        if _is_keras1_callable(identifier):
            return Keras1Function(identifier)
        return identifier
    raise _invalid(identifier)
