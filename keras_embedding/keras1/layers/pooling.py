"""Keras 1 `keras.layers.pooling`: max, average and global pooling.

Each becomes the modern layer of the same name. A 'th' (channels-first) 2D
pooling becomes a `ChannelsFirstMaxPooling2D` or
`ChannelsFirstAveragePooling2D`, which pool channels last, since TensorFlow
has no channels-first pooling on many CPUs. Averages exclude padding, as
Keras 1's did on both of its backends.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1.layers._args import (
    BORDER_MODE,
    dim_ordering_arg,
    keras_builder,
)
from keras_embedding.keras1.layers._base import register
from keras_embedding.keras1.specs import Arg, LayerSpec, integer, integers, optional


class _ChannelsFirstPooling:
    """Pools `(batch, channels, rows, cols)` tensors channels last."""

    _pool: Any = None

    def call(self, inputs: Any) -> tf.Tensor:
        x = tf.transpose(inputs, (0, 2, 3, 1))
        y = type(self)._pool(
            x,
            ksize=self.pool_size,
            strides=self.strides,
            padding=self.padding.upper(),
            data_format="NHWC",
        )
        return tf.transpose(y, (0, 3, 1, 2))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("data_format", None)
        return config


@register_serializable
class ChannelsFirstMaxPooling2D(_ChannelsFirstPooling, keras.layers.MaxPooling2D):
    """A channels-first `MaxPooling2D` that pools channels last."""

    _pool = staticmethod(tf.nn.max_pool2d)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["data_format"] = "channels_first"
        super().__init__(*args, **kwargs)


@register_serializable
class ChannelsFirstAveragePooling2D(
    _ChannelsFirstPooling, keras.layers.AveragePooling2D
):
    """A channels-first `AveragePooling2D` that pools channels last."""

    _pool = staticmethod(tf.nn.avg_pool2d)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["data_format"] = "channels_first"
        super().__init__(*args, **kwargs)


def _pooling1d_args() -> tuple[Arg, ...]:
    return (
        Arg("pool_length", "pool_size", 2, integer(1)),
        Arg("stride", "strides", None, optional(integer(1))),
        Arg("border_mode", "padding", "valid", BORDER_MODE),
    )


def _pooling2d_args() -> tuple[Arg, ...]:
    return (
        Arg("pool_size", default=(2, 2), convert=integers(2, 1)),
        Arg("strides", default=None, convert=optional(integers(2, 1))),
        Arg("border_mode", "padding", "valid", BORDER_MODE),
        dim_ordering_arg(),
    )


def _pooling2d_builder(channels_last: type, channels_first: type) -> Any:
    def build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
        modern = dict(modern)
        if modern.pop("data_format") == "channels_first":
            return channels_first(**modern, **base)
        return channels_last(data_format="channels_last", **modern, **base)

    return build


MAX_POOLING_1D = register(
    LayerSpec(
        "MaxPooling1D",
        args=_pooling1d_args(),
        build=keras_builder(keras.layers.MaxPooling1D),
        becomes="MaxPooling1D",
    ),
    keras.layers.MaxPooling1D,
)

AVERAGE_POOLING_1D = register(
    LayerSpec(
        "AveragePooling1D",
        args=_pooling1d_args(),
        build=keras_builder(keras.layers.AveragePooling1D),
        becomes="AveragePooling1D",
    ),
    keras.layers.AveragePooling1D,
)

MAX_POOLING_2D = register(
    LayerSpec(
        "MaxPooling2D",
        args=_pooling2d_args(),
        build=_pooling2d_builder(keras.layers.MaxPooling2D, ChannelsFirstMaxPooling2D),
        becomes="MaxPooling2D ('tf') or ChannelsFirstMaxPooling2D ('th')",
    ),
    keras.layers.MaxPooling2D,
)

AVERAGE_POOLING_2D = register(
    LayerSpec(
        "AveragePooling2D",
        args=_pooling2d_args(),
        build=_pooling2d_builder(
            keras.layers.AveragePooling2D, ChannelsFirstAveragePooling2D
        ),
        becomes="AveragePooling2D ('tf') or ChannelsFirstAveragePooling2D ('th')",
    ),
    keras.layers.AveragePooling2D,
)

GLOBAL_MAX_POOLING_1D = register(
    LayerSpec(
        "GlobalMaxPooling1D",
        args=(),
        build=keras_builder(keras.layers.GlobalMaxPooling1D),
        becomes="GlobalMaxPooling1D",
    ),
    keras.layers.GlobalMaxPooling1D,
)

GLOBAL_AVERAGE_POOLING_1D = register(
    LayerSpec(
        "GlobalAveragePooling1D",
        args=(),
        build=keras_builder(keras.layers.GlobalAveragePooling1D),
        becomes="GlobalAveragePooling1D",
    ),
    keras.layers.GlobalAveragePooling1D,
)

GLOBAL_MAX_POOLING_2D = register(
    LayerSpec(
        "GlobalMaxPooling2D",
        args=(dim_ordering_arg(),),
        build=keras_builder(keras.layers.GlobalMaxPooling2D),
        becomes="GlobalMaxPooling2D",
    ),
    keras.layers.GlobalMaxPooling2D,
)

GLOBAL_AVERAGE_POOLING_2D = register(
    LayerSpec(
        "GlobalAveragePooling2D",
        args=(dim_ordering_arg(),),
        build=keras_builder(keras.layers.GlobalAveragePooling2D),
        becomes="GlobalAveragePooling2D",
    ),
    keras.layers.GlobalAveragePooling2D,
)
