"""Keras 1 `keras.layers.wrappers`: TimeDistributed and Bidirectional.

`TimeDistributed` becomes the modern wrapper around the ported inner layer.
`Bidirectional` becomes this module's `Bidirectional`, a modern one except at
masked steps: Keras 1's layers repeated their previous output there, in both
directions, while modern Keras forces the two layers of a sequence-returning
Bidirectional to write zeros. Keras 1 saved a Bidirectional layer's weights
as the forward layer's arrays then the backward layer's, each in the inner
layer's Keras 1 layout; the backward layer runs with `go_backwards` flipped
and, with `return_sequences`, its output is reversed back in time, as today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1.layers._args import keras_builder
from keras_embedding.keras1.layers._base import (
    SPECS,
    convert_weights,
    keras1_count,
    layer_from_config,
    origin,
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


@register_serializable
class Bidirectional(keras.layers.Bidirectional):
    """A `Bidirectional` whose layers repeat their output at masked steps.

    Takes the arguments of `keras.layers.Bidirectional`. Both Keras flavours
    make the two layers of a sequence-returning Bidirectional output zeros
    at masked steps; Keras 1 output the previous step's value there, as a
    lone recurrent layer still does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for layer in (self.forward_layer, self.backward_layer):
            if getattr(layer, "zero_output_for_mask", None) is not None:
                layer.zero_output_for_mask = False


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


def _inner(layer: Any) -> Any:
    """The inner layer as built from Keras 1 arguments, where it was."""
    found = origin(layer)
    return found.values["layer"] if found is not None else layer.layer


def _bidirectional_count(layer: Any, trainable_only: bool) -> int:
    found = origin(layer)
    inner = found.values["layer"] if found is not None else layer.forward_layer
    return 2 * keras1_count(inner, trainable_only)


TIME_DISTRIBUTED = register(
    LayerSpec(
        "TimeDistributed",
        args=(Arg("layer", convert=_layer),),
        weights=_time_distributed_weights,
        build=keras_builder(keras.layers.TimeDistributed),
        count=lambda layer, trainable_only: keras1_count(_inner(layer), trainable_only),
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
        build=keras_builder(Bidirectional),
        count=_bidirectional_count,
        read_config=_read("Bidirectional"),
        becomes="keras_embedding Bidirectional (masked steps as in Keras 1)",
    ),
    keras.layers.Bidirectional,
)
