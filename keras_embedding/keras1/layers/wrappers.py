"""Keras 1 `keras.layers.wrappers`: TimeDistributed and Bidirectional.

Both become the modern wrapper of the same name around the ported inner
layer. Keras 1 saved a Bidirectional layer's weights as the forward layer's
arrays then the backward layer's, each in the inner layer's Keras 1 layout;
the backward layer runs with `go_backwards` flipped and, with
`return_sequences`, its output is reversed back in time, as today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_embedding._compat import keras
from keras_embedding.keras1.layers._args import keras_builder
from keras_embedding.keras1.layers._base import (
    SPECS,
    convert_weights,
    layer_from_config,
    register,
)
from keras_embedding.keras1.specs import Arg, LayerSpec, choice


def _layer(name: str, value: Any) -> Any:
    if not isinstance(value, keras.layers.Layer):
        raise TypeError(
            f"`{name}` must be a layer (built with keras_embedding.legacy.layers "
            f"or keras.layers). Received: {name}={value!r}"
        )
    return value


def _read(spec_name: str) -> Any:
    def read(
        config: Mapping[str, Any], custom_objects: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        config = dict(config)
        inner = config.get("layer")
        if not isinstance(inner, Mapping):
            raise ValueError(
                f"{spec_name} config {config.get('name')!r} has no inner layer "
                f"config. Received: layer={inner!r}"
            )
        config["layer"] = layer_from_config(inner, custom_objects)
        return SPECS[spec_name].from_config(config)

    return read


def _time_distributed_weights(layer: Any, arrays: list[Any], backend: str) -> list[Any]:
    return convert_weights(layer.layer, arrays, backend)


def _bidirectional_weights(layer: Any, arrays: list[Any], backend: str) -> list[Any]:
    if len(arrays) % 2:
        raise ValueError(
            "Keras 1 saved a Bidirectional layer's forward weights then as many "
            f"backward weights; got an odd number of arrays. Received: "
            f"{len(arrays)} arrays"
        )
    half = len(arrays) // 2
    return [
        *convert_weights(layer.forward_layer, arrays[:half], backend),
        *convert_weights(layer.backward_layer, arrays[half:], backend),
    ]


TIME_DISTRIBUTED = register(
    LayerSpec(
        "TimeDistributed",
        args=(Arg("layer", convert=_layer),),
        weights=_time_distributed_weights,
        build=keras_builder(keras.layers.TimeDistributed),
        read_config=_read("TimeDistributed"),
        becomes="TimeDistributed",
    ),
    keras.layers.TimeDistributed,
)

BIDIRECTIONAL = register(
    LayerSpec(
        "Bidirectional",
        args=(
            Arg("layer", convert=_layer),
            Arg(
                "merge_mode",
                default="concat",
                convert=choice(
                    {
                        "sum": "sum",
                        "mul": "mul",
                        "ave": "ave",
                        "concat": "concat",
                        None: None,
                    }
                ),
            ),
            Arg("weights", default=None),
        ),
        weights=_bidirectional_weights,
        build=keras_builder(keras.layers.Bidirectional),
        read_config=_read("Bidirectional"),
        becomes="Bidirectional",
    ),
    keras.layers.Bidirectional,
)
