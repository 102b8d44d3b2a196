"""Keras 1 model configs: `model_from_config`, `model_from_json`, `keras1_layers`.

A Keras 1 model config becomes a plain `keras.Sequential` (a Sequential
without a `Merge`) or a functional `keras.Model` (a functional model, or a
Sequential that starts with a `Merge` of branch models, whose branch layers
become layers of the functional model). Layer names are kept, so the weights
of a Keras 1 file match by name as well as by order; `keras1_layers` lists a
model's layers in the order of a Keras 1 weight file. Such a model saves to
`.keras` and loads again with `keras.models.load_model` after `import
keras_embedding`.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

from keras_embedding._compat import keras
from keras_embedding.keras1.layers import layer_from_config, origin
from keras_embedding.keras1.layers.merge import Merge as _MergeLayer

__all__ = ["keras1_layers", "model_from_config", "model_from_json"]


def _parse(text: str) -> Any:
    """Reads a Keras 1 model config: JSON (py2-era too) or a Python repr."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    try:
        return json.loads(text)
    except ValueError as json_error:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(
                "The model config is neither JSON nor a Python literal "
                f"({json_error}). Received: {text[:80]!r}"
            ) from json_error


def model_from_json(text: str | bytes, custom_objects: Mapping[str, Any] | None = None):
    """Builds a Keras 1 model from its JSON (`model.to_json()`), unweighted.

    Args:
        text: The JSON (py2-era JSON with CR line endings and any key order
            is fine), or the repr of a `get_config()` dict or list.
        custom_objects: Functions and classes the config names; a `Lambda`
            layer's function under the layer's name.

    Returns:
        A `keras.Sequential` or a functional `keras.Model`.

    Raises:
        ValueError: for text that is no config, an unsupported layer or
            mode (the message names the layer, its class and what is
            supported), or a Lambda without its function.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not isinstance(text, str):
        raise ValueError(
            "model_from_json takes the JSON text of a model. "
            f"Received: {type(text).__name__}"
        )
    return model_from_config(_parse(text), custom_objects=custom_objects)


def model_from_config(config: Any, custom_objects: Mapping[str, Any] | None = None):
    """Builds a Keras 1 model from its config, without weights.

    Args:
        config: `{'class_name': 'Sequential' | 'Model', 'config': ...}` as in
            a Keras 1 file's `model_config`, or what `get_config()` returned:
            the list of a Sequential's layers, or a functional model's dict.
        custom_objects: Functions and classes the config names; a `Lambda`
            layer's function under the layer's name.

    Returns:
        A `keras.Sequential` (a Sequential config without a `Merge`) or a
        functional `keras.Model`, whose layers have the config's names.

    Raises:
        ValueError: for a config of another shape, an unsupported layer or
            mode (the message names the layer, its class and what is
            supported), or a Lambda without its function.
    """
    custom_objects = dict(custom_objects or {})
    with keras.saving.custom_object_scope(
        {key: value for key, value in custom_objects.items() if key.isidentifier()}
    ):
        return _Builder(custom_objects).model(config)


class _Builder:
    """Builds one model config; layers met twice (shared) are built once."""

    def __init__(self, custom_objects: dict[str, Any]) -> None:
        self.custom_objects = custom_objects
        self.layers: dict[str, Any] = {}

    def model(self, config: Any, name: str | None = None) -> Any:
        if isinstance(config, (list, tuple)):
            return self.sequential(list(config), name)
        if not isinstance(config, Mapping):
            raise ValueError(
                "A Keras 1 model config is a dict {'class_name': ..., 'config': "
                "...} or a Sequential's list of layers. "
                f"Received: {_short(config)}"
            )
        class_name = config.get("class_name")
        inner = config.get("config")
        if class_name == "Sequential":
            if isinstance(inner, Mapping):  # a later Keras wrote {name, layers}
                return self.sequential(
                    list(inner.get("layers", [])), inner.get("name") or name
                )
            return self.sequential(list(inner or []), name)
        if class_name in ("Model", "Functional"):
            return self.functional(inner, name)
        if "layers" in config and "input_layers" in config:
            return self.functional(config)
        if class_name == "Graph":
            raise ValueError(
                "Keras 1's `Graph` container (`keras.legacy.models.Graph`, "
                "deprecated since Keras 1.0) cannot be ported: rebuild it as a "
                "functional `Model` with `keras_embedding.legacy.layers`. "
                "Received: class_name='Graph'"
            )
        raise ValueError(
            "Not a Keras 1 model config: expected class_name 'Sequential' or "
            f"'Model'. Received: class_name={class_name!r}"
        )

    def layer(self, entry: Mapping[str, Any]) -> Any:
        if not isinstance(entry, Mapping):
            raise ValueError(
                f"A layer config must be a dict. Received: {_short(entry)}"
            )
        if entry.get("class_name") in ("Sequential", "Model"):
            return self.model(entry, entry.get("name"))
        config = entry.get("config")
        name = config.get("name") if isinstance(config, Mapping) else None
        if name is not None and name in self.layers:
            return self.layers[name]
        layer = layer_from_config(entry, self.custom_objects)
        self.layers[layer.name] = layer
        return layer

    # A Sequential ------------------------------------------------------

    def sequential(self, entries: list[Any], name: str | None) -> Any:
        if not entries:
            return keras.Sequential(name=name)
        first = entries[0]
        if (
            isinstance(first, Mapping)
            and first.get("class_name") == "Merge"
            and isinstance(first.get("config"), Mapping)
            and first["config"].get("layers")
        ):
            inputs, output = self.graph(entries)
            return keras.Model(_single(inputs), output, name=name)
        layers = [self.layer(entry) for entry in entries]
        model = keras.Sequential(name=name)
        found = origin(layers[0])
        if found is not None and found.batch_input_shape is not None:
            model.add(
                keras.Input(
                    batch_shape=found.batch_input_shape,
                    dtype=found.input_dtype or "float32",
                    name=f"{layers[0].name}_input",
                )
            )
        for layer in layers:
            model.add(layer)
        return model

    def graph(self, entries: list[Any]) -> tuple[list[Any], Any]:
        """The inputs and output of a Sequential's layers as a graph; a
        first `Merge` of branch models takes the branches' inputs."""
        first = entries[0]
        if first.get("class_name") == "Merge" and first["config"].get("layers"):
            merge_config = dict(first["config"])
            branches = merge_config.pop("layers")
            inputs, outputs = [], []
            for branch in branches:
                branch_inputs, branch_output = self.branch(branch)
                inputs += branch_inputs
                outputs.append(branch_output)
            merged = self.layer({"class_name": "Merge", "config": merge_config})
            tensor = merged(outputs)
            rest = entries[1:]
        else:
            layer = self.layer(first)
            tensor = self.input_for(layer)
            inputs = [tensor]
            tensor = layer(tensor)
            rest = entries[1:]
        for entry in rest:
            tensor = self.layer(entry)(tensor)
        return inputs, tensor

    def branch(self, config: Any) -> tuple[list[Any], Any]:
        if not isinstance(config, Mapping):
            raise ValueError(
                f"A Merge branch must be a model config. Received: {_short(config)}"
            )
        if config.get("class_name") == "Sequential":
            return self.graph(list(config.get("config") or []))
        model = self.model(config)
        tensors = [self.input_like(tensor) for tensor in model.inputs]
        return tensors, model(_single(tensors))

    def input_for(self, layer: Any) -> Any:
        found = origin(layer)
        if found is None or found.batch_input_shape is None:
            raise ValueError(
                f"Layer {layer.name!r} starts a Merge branch but its config gives "
                "no input shape (batch_input_shape). Received: no input shape"
            )
        return keras.Input(
            batch_shape=found.batch_input_shape,
            dtype=found.input_dtype or "float32",
            name=self.unique(f"{layer.name}_input"),
        )

    def input_like(self, tensor: Any) -> Any:
        return keras.Input(
            batch_shape=tuple(tensor.shape),
            dtype=tensor.dtype,
            name=self.unique(getattr(tensor, "name", "input").split(":")[0]),
        )

    def unique(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.layers:
            number += 1
            candidate = f"{name}_{number}"
        self.layers[candidate] = None
        return candidate

    # A functional model ------------------------------------------------

    def functional(self, config: Any, name: str | None = None) -> Any:
        if not isinstance(config, Mapping) or not isinstance(
            config.get("layers"), list
        ):
            raise ValueError(
                "A Keras 1 functional model config has `layers`, `input_layers` "
                f"and `output_layers`. Received: {_short(config)}"
            )
        outputs_by_layer: dict[str, list[Any]] = {}
        pending: list[tuple[Any, str, list[Any]]] = []
        for entry in config["layers"]:
            name = entry.get("name") or entry.get("config", {}).get("name")
            if entry.get("class_name") == "InputLayer":
                outputs_by_layer[name] = [
                    self.input_layer(entry.get("config", {}), name)
                ]
                continue
            layer = self.layer(entry)
            # A model used as a layer had a node 0 of its own in Keras 1 (its
            # output on its own inputs); the config's nodes count from 1.
            own = (
                [_single(list(layer.outputs))] if isinstance(layer, keras.Model) else []
            )
            outputs_by_layer.setdefault(name, own)
            for node in entry.get("inbound_nodes", []):
                pending.append((layer, name, node))
        while pending:
            waiting = []
            for layer, name, node in pending:
                tensors = _node_inputs(node, outputs_by_layer)
                if tensors is None:
                    waiting.append((layer, name, node))
                    continue
                call_input = (
                    tensors
                    if isinstance(layer, _MergeLayer) or len(tensors) > 1
                    else tensors[0]
                )
                outputs_by_layer[name].append(layer(call_input))
            if len(waiting) == len(pending):
                missing = sorted(
                    {str(ref[0]) for _, _, node in waiting for ref in node}
                )
                raise ValueError(
                    "The model config's layers cannot all be connected: some "
                    f"inbound layers never get an output ({', '.join(missing)}). "
                    f"Received: {len(waiting)} unconnected node(s)"
                )
            pending = waiting
        inputs = [
            _tensor(ref, outputs_by_layer) for ref in config.get("input_layers", [])
        ]
        outputs = [
            _tensor(ref, outputs_by_layer) for ref in config.get("output_layers", [])
        ]
        return keras.Model(
            _single(inputs), _single(outputs), name=config.get("name") or name
        )

    def input_layer(self, config: Mapping[str, Any], name: str) -> Any:
        shape = config.get("batch_input_shape")
        if shape is None:
            raise ValueError(
                f"InputLayer {name!r} has no batch_input_shape. "
                f"Received: {_short(config)}"
            )
        self.layers[name] = None
        return keras.Input(
            batch_shape=tuple(shape),
            dtype=config.get("input_dtype") or "float32",
            sparse=bool(config.get("sparse", False)),
            name=name,
        )


def _tensor(ref: Sequence[Any], outputs_by_layer: Mapping[str, list[Any]]) -> Any:
    name, node_index, tensor_index = ref[0], int(ref[1]), int(ref[2])
    try:
        output = outputs_by_layer[name][node_index]
    except (KeyError, IndexError) as error:
        raise ValueError(
            f"The model config refers to node {node_index} of layer {name!r}, "
            f"which it does not build. Received: {list(ref)}"
        ) from error
    if isinstance(output, (list, tuple)):
        return output[tensor_index]
    if tensor_index != 0:
        raise ValueError(
            f"Layer {name!r} has one output; the config asks for output "
            f"{tensor_index}. Received: {list(ref)}"
        )
    return output


def _node_inputs(
    node: Any, outputs_by_layer: Mapping[str, list[Any]]
) -> list[Any] | None:
    tensors = []
    for ref in node:
        name, node_index = ref[0], int(ref[1])
        if name not in outputs_by_layer or len(outputs_by_layer[name]) <= node_index:
            return None
        tensors.append(_tensor(ref, outputs_by_layer))
    return tensors


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _single(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


def keras1_layers(model: Any) -> list[Any]:
    """A model's layers in the order of a Keras 1 weight file's `layer_names`.

    For a `Sequential` from Keras 1 code that starts with a `Merge` of branch
    models, the branch models' layers come first (each once), then the
    layers after the Merge, as Keras 1 saved them. Other models list their
    layers (without input layers); a model used as a layer is one entry, as
    Keras 1 saved one weight group for it (`keras1_weights` splits it).

    Args:
        model: A model built by this module or by Keras.

    Returns:
        The layers.
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        branches = getattr(layer, "branches", None)
        if isinstance(layer, _MergeLayer) and branches:
            for branch in branches:
                found += [item for item in keras1_layers(branch) if item not in found]
            continue
        found.append(layer)
    return found
