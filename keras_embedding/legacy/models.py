"""Keras 1's `keras.models`: Sequential, Model, model_from_config / _json.

`model_from_config` and `model_from_json` build a Keras 1 model config as a
plain `keras.Sequential` (a Sequential without a `Merge`) or a functional
`keras.Model` (a functional model, or a Sequential that starts with a `Merge`
of branch models, whose branch layers become layers of the functional
model). Layer names are kept, so the weights of a Keras 1 file match by name
as well as by order; `keras1_layers` lists a model's layers in the order of a
Keras 1 weight file. Such a model saves to `.keras` and loads again with
`keras.models.load_model` after `import keras_embedding`.

`Sequential` and `Model` are for Keras 1 code: `Sequential` takes its input
from its first layer (an Embedding's stays int32) and accepts a Keras 1
`Merge` of branch models as that first layer; `Model(input=..., output=...)`
takes Keras 1's keywords. Both take Keras 1's `fit(nb_epoch=...)` and Keras
1's defaults for `fit`, `evaluate` and `predict`; `Sequential` also has
`predict_classes` and `predict_proba`.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import objectives
from keras_embedding.keras1 import optimizers as keras1_optimizers
from keras_embedding.keras1.layers import layer_from_config, origin
from keras_embedding.keras1.layers.merge import Merge as _MergeLayer

__all__ = [
    "Model",
    "Sequential",
    "keras1_layers",
    "model_from_config",
    "model_from_json",
]


# ----------------------------------------------------------------------
# Keras 1 training API


def _fit_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "nb_epoch" in kwargs:
        if "epochs" in kwargs:
            raise TypeError(
                "fit: pass `nb_epoch` (Keras 1) or `epochs`, not both. Received: "
                f"nb_epoch={kwargs['nb_epoch']!r}, epochs={kwargs['epochs']!r}"
            )
        kwargs["epochs"] = kwargs.pop("nb_epoch")
    kwargs.setdefault("epochs", 10)  # Keras 1's default
    kwargs.setdefault("batch_size", 32)
    return kwargs


def _per_output(value: Any, names: list[str], what: str) -> list[Any]:
    """A Keras 1 per-output setting (one value, a list or a dict by output
    name) as a list in output order."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"compile: `{what}` names unknown outputs {unknown}; the model's "
                f"outputs are {names}. Received: {what}={value!r}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and what == "loss":
        if len(value) != len(names):
            raise ValueError(
                f"compile: `loss` has {len(value)} entries for {len(names)} "
                f"outputs. Received: loss={value!r}"
            )
        return list(value)
    return [value] * len(names)


def _output_shapes(model: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The names and shapes of a model's outputs, building it if needed."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if not outputs:
        last = model.layers[-1] if model.layers else None
        shape = getattr(last, "output", None)
        if shape is None:
            raise ValueError(
                f"compile: model {model.name!r} has no input yet; give its first "
                "layer an input shape (input_shape=, input_dim=, ...). "
                "Received: a model without inputs"
            )
        return [last.name], [tuple(shape.shape)]
    names = list(getattr(model, "output_names", None) or [t.name for t in outputs])
    return names, [tuple(output.shape) for output in outputs]


class _Keras1API:
    """Keras 1's `compile` and its defaults for `fit`, `evaluate`, `predict`."""

    def compile(
        self,
        optimizer: Any,
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        sample_weight_mode: Any = None,
        **kwargs: Any,
    ) -> None:
        """Configures training as Keras 1's `compile` did.

        Optimizer names and Keras 1 optimizer objects get Keras 1's numerics
        and defaults (`keras_embedding.keras1.optimizers`), loss names Keras
        1's formulas and `'accuracy'` the accuracy Keras 1 chose from the
        loss and the output shape (`keras_embedding.keras1.objectives`).

        Args:
            optimizer: A Keras 1 optimizer name or object, or a modern one.
            loss: A Keras 1 loss name or function, or one per output (a list,
                or a dict by output name).
            metrics: Metric names or functions, or a dict by output name.
            loss_weights: Keras 1's per-output loss weights.
            sample_weight_mode: Keras 1's None or 'temporal'; modern Keras
                takes per-step sample weights without it.
            **kwargs: Other modern `compile` arguments.

        Raises:
            ValueError: for an unknown optimizer, loss or metric, or a
                setting for an output the model does not have.
        """
        if sample_weight_mode not in (None, "temporal"):
            raise ValueError(
                "compile: `sample_weight_mode` must be None or 'temporal'. "
                f"Received: sample_weight_mode={sample_weight_mode!r}"
            )
        names, shapes = _output_shapes(self)
        losses = [
            objectives.get(item) if isinstance(item, str) else item
            for item in _per_output(loss, names, "loss")
        ]
        per_output = _per_output(metrics, names, "metrics")
        metric_lists = [
            [
                objectives.get_metric(item, loss_i, shape)
                for item in (wanted if isinstance(wanted, (list, tuple)) else [wanted])
                if item is not None
            ]
            for wanted, loss_i, shape in zip(per_output, losses, shapes, strict=True)
        ]
        super().compile(
            optimizer=keras1_optimizers.get(optimizer),
            loss=losses[0] if len(losses) == 1 else losses,
            metrics=metric_lists[0] if len(metric_lists) == 1 else metric_lists,
            loss_weights=loss_weights,
            **kwargs,
        )

    def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Trains the model, as Keras 1's `fit`.

        Keras 1's `nb_epoch` is taken for `epochs`; the defaults are Keras
        1's: 10 epochs, batches of 32.

        Args:
            x: Input data.
            y: Target data.
            **kwargs: Keras 1 or modern `fit` arguments.

        Returns:
            The `History`.

        Raises:
            TypeError: for both `nb_epoch` and `epochs`.
        """
        return super().fit(x, y, **_fit_kwargs(dict(kwargs)))

    def evaluate(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        """Keras 1's `evaluate` (batches of 32 by default)."""
        kwargs.setdefault("batch_size", 32)
        return super().evaluate(x, y, **kwargs)

    def predict(self, x: Any, **kwargs: Any) -> Any:
        """Keras 1's `predict` (batches of 32, silent by default)."""
        kwargs.setdefault("batch_size", 32)
        kwargs.setdefault("verbose", 0)
        return super().predict(x, **kwargs)

    def reset_states(self) -> None:
        """Resets the states of the model's stateful layers, as in Keras 1."""
        for layer in self.layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()


@register_serializable
class Sequential(_Keras1API, keras.Sequential):
    """Keras 1's `Sequential` model.

    The first layer gives the model's input: the `batch_input_shape` and
    `input_dtype` that Keras 1 code gave it (or its `input_dim` /
    `input_length`; an Embedding's ids stay int32). A Keras 1
    `Merge([model_a, model_b], mode=...)` may be that first layer: the model
    then takes the branch models' inputs, as a list.

    Args:
        layers: Optional list of layers to add.
        name: The model's name.
    """

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None):
        super().__init__(name=name)
        for layer in layers or ():
            self.add(layer)

    def add(self, layer: Any, **kwargs: Any) -> None:
        """Adds a layer on top; the first one may give the model's input.

        Args:
            layer: A layer (or a model, used as a layer).
            **kwargs: Passed to `keras.Sequential.add`.
        """
        if not self.layers and not getattr(self, "_has_input", False):
            found = origin(layer)
            if found is not None and found.batch_input_shape is not None:
                self._has_input = True
                super().add(
                    keras.Input(
                        batch_shape=found.batch_input_shape,
                        dtype=found.input_dtype or "float32",
                        name=f"{layer.name}_input",
                    )
                )
        super().add(layer, **kwargs)
        self._build_on_branches(layer)

    def _build_on_branches(self, layer: Any) -> None:
        # Keras 1 built a model that starts with a Merge of branch models at
        # once. A Sequential of several inputs cannot build itself, so each
        # layer is built by calling it on the symbolic output so far.
        first = self.layers[0] if self.layers else None
        if not getattr(first, "branches", None):
            return
        if layer is first:
            tensor = [
                keras.Input(batch_shape=tuple(t.shape), dtype=t.dtype)
                for branch in first.branches
                for t in branch.inputs
            ]
        else:
            tensor = self.__dict__["_keras1_output"]
        object.__setattr__(self, "_keras1_output", layer(tensor))
        self.built = True  # its layers are; tf_keras's summary() asks

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """Keras 1's `predict_proba`: the predictions, which should be
        probabilities (a warning says when they are not in [0, 1])."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.min() < 0.0 or proba.max() > 1.0:
            warnings.warn(
                "Network returning invalid probability values. The last layer "
                "might not normalize predictions into probabilities (like "
                "softmax or sigmoid would).",
                stacklevel=2,
            )
        return proba

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """Keras 1's `predict_classes`: the argmax of each prediction, or for
        one output unit `prediction > 0.5`, as int32."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")


@register_serializable
class Model(_Keras1API, keras.Model):
    """Keras 1's functional `Model(input=..., output=...)`.

    Args:
        input: The input tensor or list of input tensors (Keras 1's name).
        output: The output tensor or list of output tensors.
        name: The model's name.
        **kwargs: The modern `inputs` / `outputs` instead, or other
            `keras.Model` arguments.

    Raises:
        TypeError: for an input or output given under both its Keras 1 and
            its modern name, or for none.
    """

    def __init__(
        self,
        input: Any = None,  # noqa: A002 - Keras 1's keyword
        output: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        inputs = _one_of("input", input, "inputs", kwargs.pop("inputs", None))
        outputs = _one_of("output", output, "outputs", kwargs.pop("outputs", None))
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)


def _one_of(keras1: str, old: Any, modern: str, new: Any) -> Any:
    if old is not None and new is not None:
        raise TypeError(
            f"Model: pass `{keras1}` (Keras 1) or `{modern}`, not both. "
            f"Received: {keras1}={old!r}, {modern}={new!r}"
        )
    if old is None and new is None:
        raise TypeError(f"Model needs `{keras1}=`. Received: {keras1}=None")
    return old if old is not None else new


# ----------------------------------------------------------------------
# Reading configs


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

    def model(self, config: Any) -> Any:
        if isinstance(config, (list, tuple)):
            return self.sequential(list(config), None)
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
                return self.sequential(list(inner.get("layers", [])), inner.get("name"))
            return self.sequential(list(inner or []), None)
        if class_name in ("Model", "Functional"):
            return self.functional(inner)
        if "layers" in config and "input_layers" in config:
            return self.functional(config)
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
            return self.model(entry)
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

    def functional(self, config: Any) -> Any:
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
            outputs_by_layer.setdefault(name, [])
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
        return keras.Model(_single(inputs), _single(outputs), name=config.get("name"))

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
    layers (without input layers); a nested model contributes its layers.

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
        if isinstance(layer, keras.Model):
            found += [item for item in keras1_layers(layer) if item not in found]
            continue
        found.append(layer)
    return found
