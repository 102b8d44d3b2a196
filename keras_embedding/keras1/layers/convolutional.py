"""Keras 1 `keras.layers.convolutional`: convolutions, padding, up-sampling.

- `Convolution1D` becomes `Conv1D`. Keras 1.2.2 stored its kernel as
  `(filter_length, 1, input_dim, nb_filter)` (it ran a 2D convolution); the
  modern kernel is `W[:, 0]`.
- `Convolution2D` becomes `Conv2D`. Its `dim_ordering` is 'tf' (channels
  last, kernel `(rows, cols, in, out)`) or 'th' (channels first, kernel
  `(out, in, rows, cols)`). A 'th' layer becomes a `ChannelsFirstConv2D`,
  which takes and returns channels-first tensors but convolves channels last,
  since TensorFlow has no channels-first convolution on many CPUs.
- A file written by the Theano backend holds true-convolution kernels:
  `convert_weights(..., backend="theano")` flips them along their spatial
  axes. Theano's 'same' padding differs from TensorFlow's for even kernels,
  and at strides above 1 for some input lengths; no modern layer reproduces
  it, so such a layer is refused.
- `dim_ordering='default'` means `image_dim_ordering()` (see `_args`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import initializations
from keras_embedding.keras1.layers._args import (
    BORDER_MODE,
    activation,
    activity,
    constraint,
    dim_ordering_arg,
    initializer,
    input_dim_arg,
    input_length_arg,
    keras_builder,
    regularizer,
    sequence_shape,
)
from keras_embedding.keras1.layers._base import expect_count, register
from keras_embedding.keras1.specs import (
    Arg,
    LayerSpec,
    boolean,
    integer,
    integers,
)


@register_serializable
class ConvKernelInitializer(keras.initializers.Initializer):
    """Draws a convolution kernel in Keras 1's layout, with Keras 1's fans.

    Keras 1 drew a Conv1D kernel as `(length, 1, in, out)` and a Conv2D
    kernel in Theano order `(out, in, rows, cols)` (or with the same fans for
    'tf'); a fan-based modern initializer on the modern layout would see
    other fans. Other initializers are called on the modern shape.

    Args:
        init: The Keras 1 initialization (anything `initializations.get`
            takes).
        rank: 1 or 2, the convolution's rank.
    """

    def __init__(self, init: Any, rank: int) -> None:
        if rank not in (1, 2):
            raise ValueError(
                f"ConvKernelInitializer: rank must be 1 or 2. Received: rank={rank!r}"
            )
        self.init = initializations.get(init)
        self.rank = rank

    def __call__(self, shape: Sequence[int], dtype: Any = None, **kwargs: Any) -> Any:
        """Returns a kernel of the modern `shape`.

        Args:
            shape: `(length, in, out)` or `(rows, cols, in, out)`.
            dtype: Optional float dtype.
            **kwargs: Ignored (tf_keras partition information).

        Returns:
            A tensor of `shape`.
        """
        shape = tuple(int(dim) for dim in shape)
        if not isinstance(self.init, initializations.Keras1Initializer):
            return self.init(shape, dtype=dtype)
        if self.rank == 1:
            length, channels, filters = shape
            values = self.init((length, 1, channels, filters), dtype=dtype)[:, 0]
        else:
            rows, cols, channels, filters = shape
            values = tf.transpose(
                self.init((filters, channels, rows, cols), dtype=dtype), (2, 3, 1, 0)
            )
        return values

    def get_config(self) -> dict[str, Any]:
        return {"init": keras.initializers.serialize(self.init), "rank": self.rank}


def _kernel_initializer(rank: int) -> Any:
    def convert(name: str, value: Any) -> Any:
        return ConvKernelInitializer(initializer(name, value), rank)

    return convert


@register_serializable
class ChannelsFirstConv2D(keras.layers.Conv2D):
    """A channels-first `Conv2D` that convolves channels last.

    It takes and returns `(batch, channels, rows, cols)` tensors, as Keras 1's
    'th' convolutions did, with the modern kernel layout
    `(rows, cols, in, out)`. The convolution runs on a transposed copy, so it
    works on CPUs where TensorFlow has no channels-first kernel.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["data_format"] = "channels_first"
        super().__init__(*args, **kwargs)

    def call(self, inputs: Any) -> tf.Tensor:
        x = tf.transpose(inputs, (0, 2, 3, 1))
        y = tf.nn.convolution(
            x,
            tf.cast(self.kernel, x.dtype),
            strides=self.strides,
            padding=self.padding.upper(),
            dilations=self.dilation_rate,
            data_format="NHWC",
        )
        if self.use_bias:
            y = y + tf.cast(self.bias, y.dtype)
        y = tf.transpose(y, (0, 3, 1, 2))
        return self.activation(y) if self.activation is not None else y

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("data_format", None)
        return config


def _build_conv2d(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    modern = dict(modern)
    kernel_size = (modern.pop("nb_row"), modern.pop("nb_col"))
    data_format = modern.pop("data_format")
    if data_format == "channels_first":
        return ChannelsFirstConv2D(kernel_size=kernel_size, **modern, **base)
    return keras.layers.Conv2D(
        kernel_size=kernel_size, data_format=data_format, **modern, **base
    )


def _spatial_sizes(layer: Any, rank: int) -> list[int | None]:
    """The input's spatial sizes the layer was built for (None if unknown)."""
    shape = (layer.get_build_config() or {}).get("input_shape")
    if shape is None:
        return [None] * rank
    shape = list(shape)
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return shape[2:] if first else shape[1 : 1 + rank]


def _theano_check(layer: Any, kernel_size: Sequence[int]) -> None:
    """Refuses a Theano 'same' convolution whose padding TensorFlow's differs from.

    Keras 1's Theano backend padded `k // 2` zeros on each side and kept the
    first `ceil(n / stride)` outputs; TensorFlow pads
    `(ceil(n / s) - 1) * s + k - n` zeros with the odd one on the right. They
    agree for odd kernels at stride 1, and at a larger stride only where
    TensorFlow's left padding happens to be `k // 2`.
    """
    if layer.padding != "same":
        return
    sizes = _spatial_sizes(layer, len(kernel_size))
    dilation = getattr(layer, "dilation_rate", (1,) * len(kernel_size))
    for size, kernel, stride, rate in zip(
        sizes, kernel_size, layer.strides, dilation, strict=True
    ):
        span = (kernel - 1) * rate + 1
        if span % 2 == 0:
            why = f"with an even kernel size ({kernel})"
        elif stride == 1:
            continue
        elif size is None:
            why = f"at stride {stride} on an input of unknown length"
        elif max((-(-size // stride) - 1) * stride + span - size, 0) // 2 == span // 2:
            continue
        else:
            why = f"at stride {stride} on an input of length {size}"
        raise ValueError(
            f"Theano's 'same' convolution {why} puts its padding zeros "
            "differently from TensorFlow's, so the outputs would be shifted; no "
            "modern layer computes it and the layer cannot be ported. Received: "
            f"kernel_size={tuple(kernel_size)}, strides={tuple(layer.strides)}, "
            "border_mode='same', backend='theano'"
        )


def _conv1d_weights(
    layer: Any, arrays: list[np.ndarray], backend: str
) -> list[np.ndarray]:
    expect_count(arrays, (1, 2), "a Convolution1D (W and, with bias, b)")
    kernel = arrays[0]
    if kernel.ndim == 4:  # Keras 1.2.2: (length, 1, in, out)
        if kernel.shape[1] != 1:
            raise ValueError(
                "a Keras 1 Convolution1D kernel has shape (length, 1, in, out). "
                f"Received: W of shape {kernel.shape}"
            )
        kernel = kernel[:, 0]
    if backend == "theano":
        _theano_check(layer, kernel.shape[:1])
        kernel = kernel[::-1]
    return [np.ascontiguousarray(kernel), *arrays[1:]]


def _conv2d_weights(
    layer: Any, arrays: list[np.ndarray], backend: str
) -> list[np.ndarray]:
    expect_count(arrays, (1, 2), "a Convolution2D (W and, with bias, b)")
    kernel = arrays[0]
    if kernel.ndim != 4:
        raise ValueError(
            f"a Convolution2D kernel has 4 dimensions. Received: W of shape "
            f"{kernel.shape}"
        )
    if layer.data_format == "channels_first":  # 'th': (out, in, rows, cols)
        kernel = kernel.transpose(2, 3, 1, 0)
    if backend == "theano":
        _theano_check(layer, kernel.shape[:2])
        kernel = kernel[::-1, ::-1]
    return [np.ascontiguousarray(kernel), *arrays[1:]]


def _conv_tail_args() -> tuple[Arg, ...]:
    return (
        Arg("W_regularizer", "kernel_regularizer", None, regularizer),
        Arg("b_regularizer", "bias_regularizer", None, regularizer),
        Arg("activity_regularizer", default=None, convert=activity),
        Arg("W_constraint", "kernel_constraint", None, constraint),
        Arg("b_constraint", "bias_constraint", None, constraint),
        Arg("bias", "use_bias", True, boolean),
    )


def _conv1d_args(atrous: bool) -> tuple[Arg, ...]:
    return (
        Arg("nb_filter", "filters", convert=integer(1)),
        Arg("filter_length", "kernel_size", convert=integer(1)),
        Arg("init", "kernel_initializer", "glorot_uniform", _kernel_initializer(1)),
        Arg("activation", default=None, convert=activation),
        Arg("weights", default=None),
        Arg("border_mode", "padding", "valid", BORDER_MODE),
        Arg("subsample_length", "strides", 1, integer(1)),
        *((Arg("atrous_rate", "dilation_rate", 1, integer(1)),) if atrous else ()),
        *_conv_tail_args(),
        # AtrousConvolution1D took them through **kwargs.
        input_dim_arg(keyword_only=atrous),
        input_length_arg(keyword_only=atrous),
    )


def _conv2d_args(atrous: bool) -> tuple[Arg, ...]:
    return (
        Arg("nb_filter", "filters", convert=integer(1)),
        Arg("nb_row", convert=integer(1)),
        Arg("nb_col", convert=integer(1)),
        Arg("init", "kernel_initializer", "glorot_uniform", _kernel_initializer(2)),
        Arg("activation", default=None, convert=activation),
        Arg("weights", default=None),
        Arg("border_mode", "padding", "valid", BORDER_MODE),
        Arg("subsample", "strides", (1, 1), integers(2, 1)),
        *(
            (Arg("atrous_rate", "dilation_rate", (1, 1), integers(2, 1)),)
            if atrous
            else ()
        ),
        dim_ordering_arg(),
        *_conv_tail_args(),
    )


_CONV1D_BUILD = keras_builder(keras.layers.Conv1D, drop=("input_dim", "input_length"))

CONVOLUTION_1D = register(
    LayerSpec(
        "Convolution1D",
        args=_conv1d_args(atrous=False),
        weights=_conv1d_weights,
        build=_CONV1D_BUILD,
        input_shape=sequence_shape,
        becomes="Conv1D (kernel W[:, 0])",
    ),
    keras.layers.Conv1D,
)

ATROUS_CONVOLUTION_1D = register(
    LayerSpec(
        "AtrousConvolution1D",
        args=_conv1d_args(atrous=True),
        weights=_conv1d_weights,
        build=_CONV1D_BUILD,
        input_shape=sequence_shape,
        becomes="Conv1D with dilation_rate (kernel W[:, 0])",
    )
)

CONVOLUTION_2D = register(
    LayerSpec(
        "Convolution2D",
        args=_conv2d_args(atrous=False),
        weights=_conv2d_weights,
        build=_build_conv2d,
        becomes="Conv2D ('tf') or ChannelsFirstConv2D ('th', kernel transposed)",
    ),
    keras.layers.Conv2D,
)

ATROUS_CONVOLUTION_2D = register(
    LayerSpec(
        "AtrousConvolution2D",
        args=_conv2d_args(atrous=True),
        weights=_conv2d_weights,
        build=_build_conv2d,
        becomes="Conv2D or ChannelsFirstConv2D with dilation_rate",
    )
)


# ----------------------------------------------------------------------
# Padding, cropping, up-sampling (no weights)


def _pad1d(name: str, value: Any) -> tuple[int, int]:
    if isinstance(value, Mapping):
        value = (value.get("left_pad", 0), value.get("right_pad", 0))
    return integers(2, 0)(name, value)


def _pad2d(name: str, value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(value, Mapping):
        keys = ("top_pad", "bottom_pad", "left_pad", "right_pad")
        value = tuple(value.get(key, 0) for key in keys)
    if isinstance(value, (list, tuple)) and len(value) == 4:
        top, bottom, left, right = integers(4, 0)(name, value)
        return ((top, bottom), (left, right))
    rows, cols = integers(2, 0)(name, value)
    return ((rows, rows), (cols, cols))


def _crop2d(name: str, value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (integers(2, 0)(name, value[0]), integers(2, 0)(name, value[1]))
    raise ValueError(
        f"`{name}` must be ((top, bottom), (left, right)). Received: {name}={value!r}"
    )


ZERO_PADDING_1D = register(
    LayerSpec(
        "ZeroPadding1D",
        args=(Arg("padding", default=1, convert=_pad1d),),
        build=keras_builder(keras.layers.ZeroPadding1D),
        becomes="ZeroPadding1D",
    ),
    keras.layers.ZeroPadding1D,
)

ZERO_PADDING_2D = register(
    LayerSpec(
        "ZeroPadding2D",
        args=(Arg("padding", default=(1, 1), convert=_pad2d), dim_ordering_arg()),
        build=keras_builder(keras.layers.ZeroPadding2D),
        becomes="ZeroPadding2D",
    ),
    keras.layers.ZeroPadding2D,
)

CROPPING_1D = register(
    LayerSpec(
        "Cropping1D",
        args=(Arg("cropping", default=(1, 1), convert=integers(2, 0)),),
        build=keras_builder(keras.layers.Cropping1D),
        becomes="Cropping1D",
    ),
    keras.layers.Cropping1D,
)

CROPPING_2D = register(
    LayerSpec(
        "Cropping2D",
        args=(
            Arg("cropping", default=((0, 0), (0, 0)), convert=_crop2d),
            dim_ordering_arg(),
        ),
        build=keras_builder(keras.layers.Cropping2D),
        becomes="Cropping2D",
    ),
    keras.layers.Cropping2D,
)

UP_SAMPLING_1D = register(
    LayerSpec(
        "UpSampling1D",
        args=(Arg("length", "size", 2, integer(1)),),
        build=keras_builder(keras.layers.UpSampling1D),
        becomes="UpSampling1D",
    ),
    keras.layers.UpSampling1D,
)

UP_SAMPLING_2D = register(
    LayerSpec(
        "UpSampling2D",
        args=(Arg("size", default=(2, 2), convert=integers(2, 1)), dim_ordering_arg()),
        build=keras_builder(keras.layers.UpSampling2D),
        becomes="UpSampling2D (nearest)",
    ),
    keras.layers.UpSampling2D,
)
