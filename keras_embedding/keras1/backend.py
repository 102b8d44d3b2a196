"""Keras 1's backend functions (`keras.backend`), TensorFlow flavour.

The functions a Keras 1 `Lambda`, `merge` function, loss or metric calls as
`K.sum(x, axis=1)`, with Keras 1.2.2's names, arguments and results: for
instance `expand_dims(x, dim=-1)`, `batch_dot` with Keras 1's axes rules,
`dot` of an nD tensor and a matrix, `mean` of booleans as floats, negative
axes counted from the end. They run on TensorFlow tensors, which is what a
layer's function receives in either Keras flavour. Session, variable and
graph functions (`get_session`, `function`, `placeholder`, ...) have no
equivalent in TensorFlow 2 and are not provided.

`image_dim_ordering()` is the `dim_ordering` a Keras 1 layer takes for
'default': the `image_dim_ordering` of `~/.keras/keras.json` if it names one
(as Keras 1 read it), else Keras 1.2.2's default 'tf'; `set_image_dim_ordering`
changes it, as in Keras 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding._compat import keras
from keras_embedding.keras1 import activations

__all__ = [
    "abs",
    "all",
    "any",
    "arange",
    "argmax",
    "argmin",
    "backend",
    "batch_dot",
    "batch_flatten",
    "cast",
    "clear_session",
    "clip",
    "concatenate",
    "cos",
    "dot",
    "dtype",
    "elu",
    "epsilon",
    "equal",
    "exp",
    "expand_dims",
    "eye",
    "flatten",
    "floatx",
    "gather",
    "greater",
    "greater_equal",
    "hard_sigmoid",
    "image_dim_ordering",
    "int_shape",
    "l2_normalize",
    "lesser",
    "lesser_equal",
    "log",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ndim",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "permute_dimensions",
    "pow",
    "prod",
    "relu",
    "repeat",
    "repeat_elements",
    "reshape",
    "reverse",
    "round",
    "set_image_dim_ordering",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "softsign",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "sum",
    "switch",
    "tanh",
    "tile",
    "transpose",
    "var",
    "zeros",
    "zeros_like",
]

_EPSILON = 1e-7  # Keras 1's `10e-8`


def backend() -> str:
    """The Keras 1 backend these functions mirror: 'tensorflow'."""
    return "tensorflow"


def epsilon() -> float:
    """Keras 1's fuzz factor, 1e-7 (its docstring said 1e-8)."""
    return _EPSILON


def floatx() -> str:
    """The default float type, 'float32'."""
    return keras.backend.floatx()


_DIM_ORDERINGS = ("tf", "th")
_image_dim_ordering: str | None = None


def image_dim_ordering() -> str:
    """Keras 1's default `dim_ordering`: 'tf' (channels last) or 'th'.

    Returns:
        The value set by `set_image_dim_ordering`, else the
        `image_dim_ordering` of `$KERAS_HOME/keras.json` (default
        `~/.keras/keras.json`) if it holds one, else 'tf' (Keras 1.2.2's
        default).
    """
    if _image_dim_ordering is not None:
        return _image_dim_ordering
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    try:
        with open(os.path.join(home, "keras.json")) as file:
            saved = json.load(file).get("image_dim_ordering")
    except (OSError, ValueError, AttributeError):
        saved = None
    return saved if saved in _DIM_ORDERINGS else "tf"


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Sets Keras 1's default `dim_ordering` for layers built from now on.

    Args:
        dim_ordering: 'tf' (channels last) or 'th' (channels first).

    Raises:
        ValueError: for any other value.
    """
    global _image_dim_ordering
    if dim_ordering not in _DIM_ORDERINGS:
        raise ValueError(
            "dim_ordering must be 'tf' or 'th'. "
            f"Received: dim_ordering={dim_ordering!r}"
        )
    _image_dim_ordering = dim_ordering


def clear_session() -> None:
    """Resets Keras's global state (layer names restart at `_1`)."""
    keras.backend.clear_session()


def _tensor(x: Any) -> tf.Tensor:
    return x if tf.is_tensor(x) else tf.convert_to_tensor(x)


def _axis(axis: Any, rank: int | None) -> Any:
    """Keras 1 counted a negative axis from the end, lists included."""
    if axis is None or rank is None:
        return axis
    if isinstance(axis, (list, tuple)):
        return [a % rank if a is not None and a < 0 else a for a in axis]
    return axis % rank if axis < 0 else axis


def _float_if_bool(x: tf.Tensor) -> tf.Tensor:
    return tf.cast(x, floatx()) if x.dtype == tf.bool else x


# Shapes and types -------------------------------------------------------


def shape(x: Any) -> tf.Tensor:
    """The dynamic shape of `x`, as an int32 tensor."""
    return tf.shape(x)


def int_shape(x: Any) -> tuple[int | None, ...]:
    """The static shape of `x`, None where unknown."""
    return tuple(_tensor(x).shape.as_list())


def ndim(x: Any) -> int | None:
    """The rank of `x`."""
    return _tensor(x).shape.rank


def dtype(x: Any) -> str:
    """The dtype name of `x`."""
    return _tensor(x).dtype.name


def cast(x: Any, dtype: Any) -> tf.Tensor:  # noqa: A002 - Keras 1's name
    """`x` cast to `dtype`."""
    return tf.cast(x, dtype)


def zeros(shape: Sequence[int], dtype: Any = None) -> tf.Tensor:  # noqa: A002
    """A tensor of zeros (Keras 1 made a variable; a constant serves in a layer)."""
    return tf.zeros(shape, dtype or floatx())


def ones(shape: Sequence[int], dtype: Any = None) -> tf.Tensor:  # noqa: A002
    """A tensor of ones."""
    return tf.ones(shape, dtype or floatx())


def eye(size: int, dtype: Any = None) -> tf.Tensor:  # noqa: A002
    """An identity matrix."""
    return tf.eye(size, dtype=dtype or floatx())


def zeros_like(x: Any, dtype: Any = None) -> tf.Tensor:  # noqa: A002
    """Zeros of the shape of `x`."""
    return tf.zeros_like(x, dtype=dtype)


def ones_like(x: Any, dtype: Any = None) -> tf.Tensor:  # noqa: A002
    """Ones of the shape of `x`."""
    return tf.ones_like(x, dtype=dtype)


def arange(
    start: int,
    stop: int | None = None,
    step: int = 1,
    dtype: Any = "int32",  # noqa: A002
) -> tf.Tensor:
    """Like Theano's arange: `arange(n)` is `0 .. n-1`, int32 by default."""
    if stop is None:
        start, stop = 0, start
    return tf.range(start, stop, step, dtype=dtype)


# Products -------------------------------------------------------------------


def dot(x: Any, y: Any) -> tf.Tensor:
    """Keras 1's `dot`: matrix product over the last axis of `x` and the
    second-to-last of `y`, for tensors of any rank (as numpy's `dot`)."""
    x, y = _tensor(x), _tensor(y)
    if x.shape.rank > 2 or y.shape.rank > 2:
        x_shape = _dims(x)
        y_shape = _dims(y)
        order = list(range(y.shape.rank))
        order = [order.pop(-2), *order]
        flat_x = tf.reshape(x, [-1, x_shape[-1]])
        flat_y = tf.reshape(tf.transpose(y, order), [y_shape[-2], -1])
        return tf.reshape(
            tf.matmul(flat_x, flat_y), [*x_shape[:-1], *y_shape[:-2], y_shape[-1]]
        )
    return tf.matmul(x, y)


def _dims(x: tf.Tensor) -> list[Any]:
    dynamic = tf.unstack(tf.shape(x))
    return [
        s if s is not None else d
        for s, d in zip(x.shape.as_list(), dynamic, strict=True)
    ]


def batch_dot(x: Any, y: Any, axes: int | Sequence[int] | None = None) -> tf.Tensor:
    """Keras 1.2.2's `batch_dot`.

    For two 2D tensors, the sum of their product over `axes` (the same axis
    for both), as `(batch, 1)`. For two tensors of the same higher rank, a
    batched matmul whose operands are transposed on their last two axes
    unless `axes` is the last axis of `x` and the second-to-last of `y`
    (Keras 1's rule, which for rank 3 contracts exactly `axes`).

    Raises:
        ValueError: for 2D tensors with two different axes, or tensors of
            different ranks (Keras 1 gave wrong shapes or failed).
    """
    x, y = _tensor(x), _tensor(y)
    if isinstance(axes, int):
        axes = (axes, axes)
    rank_x, rank_y = x.shape.rank, y.shape.rank
    if rank_x == 2 and rank_y == 2:
        if axes is None:
            axes = (1, 1)
        if axes[0] != axes[1]:
            raise ValueError(
                "batch_dot of two 2D tensors needs the same axis on both. "
                f"Received: axes={list(axes)}"
            )
        out = tf.reduce_sum(x * y, axis=axes[0])
    elif rank_x == rank_y:
        adjoint_x = axes is not None and axes[0] != rank_x - 1
        adjoint_y = axes is not None and axes[1] == rank_y - 1
        out = tf.matmul(x, y, adjoint_a=adjoint_x, adjoint_b=adjoint_y)
    else:
        raise ValueError(
            "batch_dot needs two tensors of the same rank. Received: tensors of "
            f"ranks {rank_x} and {rank_y}"
        )
    if out.shape.rank == 1:
        out = out[:, tf.newaxis]
    return out


def transpose(x: Any) -> tf.Tensor:
    """`x` with its axes reversed."""
    return tf.transpose(x)


def gather(reference: Any, indices: Any) -> tf.Tensor:
    """The rows of `reference` at `indices`."""
    return tf.gather(reference, indices)


# Reductions -----------------------------------------------------------------


def max(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    """Maximum over `axis`."""
    x = _tensor(x)
    return tf.reduce_max(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    """Minimum over `axis`."""
    x = _tensor(x)
    return tf.reduce_min(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    """Sum over `axis`."""
    x = _tensor(x)
    return tf.reduce_sum(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    """Product over `axis`."""
    x = _tensor(x)
    return tf.reduce_prod(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    """Mean over `axis`; booleans count as floats."""
    x = _float_if_bool(_tensor(x))
    return tf.reduce_mean(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    """Variance (biased) over `axis`."""
    x = _float_if_bool(_tensor(x))
    axis = _axis(axis, x.shape.rank)
    centred = x - tf.reduce_mean(x, axis=axis, keepdims=True)
    return tf.reduce_mean(tf.square(centred), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
    """Standard deviation (biased) over `axis`."""
    return tf.sqrt(var(x, axis=axis, keepdims=keepdims))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    """Logical or over `axis` (of `x` cast to bool)."""
    x = tf.cast(x, tf.bool)
    return tf.reduce_any(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> tf.Tensor:  # noqa: A001
    """Logical and over `axis` (of `x` cast to bool)."""
    x = tf.cast(x, tf.bool)
    return tf.reduce_all(x, axis=_axis(axis, x.shape.rank), keepdims=keepdims)


def argmax(x: Any, axis: int = -1) -> tf.Tensor:
    """Index of the maximum along `axis`."""
    x = _tensor(x)
    return tf.argmax(x, axis=_axis(axis, x.shape.rank))


def argmin(x: Any, axis: int = -1) -> tf.Tensor:
    """Index of the minimum along `axis`."""
    x = _tensor(x)
    return tf.argmin(x, axis=_axis(axis, x.shape.rank))


# Elementwise ----------------------------------------------------------------


def _unary(op: Callable[[Any], tf.Tensor], doc: str) -> Callable[[Any], tf.Tensor]:
    def function(x: Any) -> tf.Tensor:
        return op(x)

    function.__doc__ = doc
    return function


square = _unary(tf.square, "Elementwise square.")
abs = _unary(tf.abs, "Elementwise absolute value.")  # noqa: A001
sqrt = _unary(tf.sqrt, "Elementwise square root.")
exp = _unary(tf.exp, "Elementwise exponential.")
log = _unary(tf.math.log, "Elementwise natural logarithm.")
round = _unary(tf.round, "Elementwise rounding, half to even.")  # noqa: A001
sign = _unary(tf.sign, "Elementwise sign.")
sin = _unary(tf.sin, "Elementwise sine.")
cos = _unary(tf.cos, "Elementwise cosine.")
stop_gradient = _unary(tf.stop_gradient, "`x`, without a gradient.")


def pow(x: Any, a: Any) -> tf.Tensor:  # noqa: A001
    """Elementwise `x ** a`."""
    return tf.pow(x, a)


def clip(x: Any, min_value: Any, max_value: Any) -> tf.Tensor:
    """`x` clipped to [min_value, max_value] (max below min counts as min)."""
    x = _tensor(x)
    if max_value is not None and max_value < min_value:
        max_value = min_value
    if max_value is None:
        max_value = np.inf
    return tf.clip_by_value(x, tf.cast(min_value, x.dtype), tf.cast(max_value, x.dtype))


def _binary(op: Callable[[Any, Any], tf.Tensor], doc: str) -> Callable[..., tf.Tensor]:
    def function(x: Any, y: Any) -> tf.Tensor:
        return op(x, y)

    function.__doc__ = doc
    return function


equal = _binary(tf.equal, "Elementwise `x == y`.")
not_equal = _binary(tf.not_equal, "Elementwise `x != y`.")
greater = _binary(tf.greater, "Elementwise `x > y`.")
greater_equal = _binary(tf.greater_equal, "Elementwise `x >= y`.")
lesser = _binary(tf.less, "Elementwise `x < y`.")
lesser_equal = _binary(tf.less_equal, "Elementwise `x <= y`.")
maximum = _binary(tf.maximum, "Elementwise maximum.")
minimum = _binary(tf.minimum, "Elementwise minimum.")


# Shape manipulation -----------------------------------------------------------


def concatenate(tensors: Sequence[Any], axis: int = -1) -> tf.Tensor:
    """The tensors joined along `axis`."""
    tensors = [_tensor(t) for t in tensors]
    rank = tensors[0].shape.rank
    return tf.concat(tensors, axis=_axis(axis, rank) if rank else 0)


def reshape(x: Any, shape: Sequence[Any]) -> tf.Tensor:
    """`x` reshaped (-1 for one unknown dimension)."""
    return tf.reshape(x, shape)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> tf.Tensor:
    """`x` with its axes in the order `pattern`."""
    return tf.transpose(x, perm=pattern)


def repeat_elements(x: Any, rep: int, axis: int) -> tf.Tensor:
    """Each slice of `x` along `axis` repeated `rep` times, as numpy's repeat."""
    return tf.repeat(x, rep, axis=axis)


def repeat(x: Any, n: int) -> tf.Tensor:
    """A 2D `(batch, dim)` tensor repeated into `(batch, n, dim)`."""
    return tf.tile(tf.expand_dims(x, 1), [1, n, 1])


def tile(x: Any, n: Any) -> tf.Tensor:
    """`x` tiled `n` times along each axis."""
    return tf.tile(x, [n] if isinstance(n, int) else n)


def flatten(x: Any) -> tf.Tensor:
    """`x` as one dimension."""
    return tf.reshape(x, [-1])


def batch_flatten(x: Any) -> tf.Tensor:
    """`x` as `(batch, everything else)`."""
    x = _tensor(x)
    return tf.reshape(x, tf.stack([-1, tf.reduce_prod(tf.shape(x)[1:])]))


def expand_dims(x: Any, dim: int = -1) -> tf.Tensor:
    """`x` with a new axis of size 1 at `dim` (Keras 1's keyword)."""
    return tf.expand_dims(x, dim)


def squeeze(x: Any, axis: int) -> tf.Tensor:
    """`x` without its axis `axis` of size 1."""
    return tf.squeeze(x, [axis])


def stack(x: Sequence[Any]) -> tf.Tensor:
    """The tensors stacked along a new first axis."""
    return tf.stack(x)


def one_hot(indices: Any, nb_classes: int) -> tf.Tensor:
    """One-hot vectors of `nb_classes` for integer `indices`."""
    return tf.one_hot(indices, depth=nb_classes, axis=-1)


def reverse(x: Any, axes: int | Sequence[int]) -> tf.Tensor:
    """`x` reversed along `axes`."""
    return tf.reverse(x, [axes] if isinstance(axes, int) else list(axes))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """`then_expression` if the scalar `condition` holds, else the other one
    (either may be a function returning a tensor)."""
    then_fn = then_expression if callable(then_expression) else lambda: then_expression
    else_fn = else_expression if callable(else_expression) else lambda: else_expression
    return tf.cond(tf.cast(condition, tf.bool), then_fn, else_fn)


# Activations and normalisation -------------------------------------------------


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Any:
    """Keras 1's relu, with its optional leak and cap."""
    return activations.relu(x, alpha=alpha, max_value=max_value)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit."""
    return activations.elu(x, alpha=alpha)


def softmax(x: Any) -> tf.Tensor:
    """Softmax over the last axis."""
    return tf.nn.softmax(x)


softplus = _unary(tf.nn.softplus, "`log(1 + exp(x))`.")
softsign = _unary(tf.nn.softsign, "`x / (1 + |x|)`.")
sigmoid = _unary(tf.sigmoid, "The logistic sigmoid.")
tanh = _unary(tf.tanh, "Hyperbolic tangent.")
hard_sigmoid = activations.hard_sigmoid


def l2_normalize(x: Any, axis: int) -> tf.Tensor:
    """`x` divided by its L2 norm along `axis`."""
    x = _tensor(x)
    return tf.math.l2_normalize(x, axis=_axis(axis, x.shape.rank))
