"""Loading Keras 1 weights into modern layers and whole models.

Every layer's Keras 1 arrays go through `legacy.layers.keras1_weights`, which
knows each Keras 1 layer's layout (LSTM gate order, fused 'gpu' arrays,
Conv1D kernels, Theano kernel flips, BatchNormalization's variance, ...).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from keras_embedding._compat import keras
from keras_embedding.keras1.specs import check_weights
from keras_embedding.layer import Embedding
from keras_embedding.legacy import hdf5
from keras_embedding.legacy.configs import keras1_layers
from keras_embedding.legacy.hdf5 import LayerWeights, PathLike, SavedFile
from keras_embedding.legacy.layers import keras1_weights

__all__ = ["load_embedding", "load_weights"]


def _names(items: Sequence[Any]) -> str:
    return ", ".join(item.name for item in items) or "none"


def pair_layers(
    model: Any, saved: SavedFile, by_name: bool
) -> list[tuple[Any, LayerWeights]]:
    """Pairs the model's layers with the file's layer groups.

    By name: each model layer with a group of its name. Otherwise Keras 1's
    rule: the layers with weights, in order, one to one. A model built from
    the file's own config has the file's layer names, and is then paired by
    name, which is the same pairing and does not depend on how the modern
    model orders the layers of a Keras 1 `Merge`.

    Raises:
        ValueError: if the counts of layers with weights differ (the message
            lists both), or the model is not built.
    """
    layers = [layer for layer in keras1_layers(model) if layer.weights]
    groups = saved.with_weights
    if not layers and groups and not getattr(model, "built", True):
        raise ValueError(
            f"Model {model.name!r} is not built, so it has no weights to load "
            f"into yet: give its first layer an input shape or call it on data "
            f"first. Received: a model with built={model.built}"
        )
    by_group = {group.name: group for group in groups}
    if by_name:
        return [
            (layer, by_group[layer.name]) for layer in layers if layer.name in by_group
        ]
    if sorted(layer.name for layer in layers) == sorted(by_group):
        return [(layer, by_group[layer.name]) for layer in layers]
    if len(layers) != len(groups):
        raise ValueError(
            f"{saved.path!r} holds weights for {len(groups)} layer(s) "
            f"({_names(groups)}), but model {model.name!r} has {len(layers)} "
            f"layer(s) with weights ({_names(layers)}). Keras 1 loads them in "
            "order, one to one; pass `by_name=True` to load the layers whose "
            f"names match. Received: filepath={saved.path!r}"
        )
    return list(zip(layers, groups, strict=True))


def set_keras1_weights(layer: Any, group: LayerWeights, saved: SavedFile) -> None:
    """Converts a layer group's Keras 1 arrays and sets them on `layer`."""
    try:
        if saved.modern:
            arrays = check_weights(
                f"Layer {layer.name!r}",
                list(group.arrays),
                [tuple(w.shape) for w in layer.weights],
            )
        else:
            arrays = keras1_weights(layer, list(group.arrays), backend=saved.backend)
        layer.set_weights(arrays)
    except ValueError as error:
        raise ValueError(
            f"Loading the weights of layer {group.name!r} from {saved.path!r}: {error}"
        ) from error


def _table_name(weight_names: Sequence[str], name: str) -> str | None:
    wanted = {f"{name}_W", f"{name}_W:0", "embeddings:0", "embeddings"}
    for weight_name in weight_names:
        if weight_name.rsplit("/", 1)[-1] in wanted:
            return weight_name
    return None


def _load_embedding_table(layer: Any, path: PathLike, name: str) -> None:
    """Today's single-Embedding load: finds the table in any layout."""
    groups = hdf5.read_layer_groups(path)
    group = groups.get(name)
    weights = dict(zip(group.weight_names, group.arrays, strict=True)) if group else {}
    table_name = _table_name(list(weights), name)
    if table_name is None:
        with_weights = [key for key, found in groups.items() if found.arrays]
        raise ValueError(
            f"No Embedding table for layer {name!r} in {os.fspath(path)!r} "
            f"(looked for {name}_W, {name}_W:0 and embeddings:0). Layers "
            f"with weights there: {', '.join(with_weights) or 'none'}. "
            f"Received: name={name!r}"
        )
    owner = (
        f"Embedding layer {layer.name!r}, reading {table_name!r} from "
        f"{os.fspath(path)!r}"
    )
    (table,) = check_weights(
        owner, [weights[table_name]], [(int(layer.input_dim), int(layer.output_dim))]
    )
    if not layer.built:
        layer.build((None, getattr(layer, "input_length", None)))
    layer.set_weights([table])


def _load_layer(layer: Any, path: PathLike, name: str) -> None:
    saved = hdf5.read(path)
    # `read` parses only Keras 1 files; any other `.h5` is read group by group.
    groups = (
        hdf5.read_layer_groups(path)
        if saved.modern
        else {group.name: group for group in saved.layers}
    )
    group = groups.get(name)
    if group is None:
        raise ValueError(
            f"No layer {name!r} in {saved.path!r}. Its layers: "
            f"{', '.join(groups) or 'none'}. Received: name={name!r}"
        )
    if not layer.built:
        raise ValueError(
            f"Layer {layer.name!r} is not built, so it has no weights to load "
            "into yet: build it (call it on data) first. "
            f"Received: a layer with built={layer.built}"
        )
    set_keras1_weights(layer, group, saved)


def load_weights(
    target: Any, filepath: PathLike, by_name: bool = False, name: str | None = None
) -> None:
    """Loads a Keras 1 `model.save` or `save_weights` file's weights.

    Each layer's Keras 1 arrays are converted to the modern layer's layout
    (LSTM and GRU gates, fused arrays, convolution kernels, Theano kernel
    flips, BatchNormalization statistics, wrappers, ...). The backend that
    wrote the file is told from its weight names (Theano's lack `:0`).

    Args:
        target: A model (Keras 1 code run through `keras_embedding.legacy`,
            `legacy.model_from_json`, or a modern model of the same layers),
            or one layer.
        filepath: The HDF5 file. A file written by Keras 2 or later goes to
            the running Keras's own `load_weights` (for a model).
        by_name: For a model: load into each layer the file's group of the
            same name, skipping the others (Keras 1's `by_name=True`). By
            default the layers with weights are matched in order, as Keras 1
            did (by name when all names match).
        name: For a layer: its name in the file; defaults to `target.name`.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming the file, if it cannot be read; naming the layer
            and showing both shapes, if weights do not fit; listing both
            sides, if the model and the file have different numbers of
            layers with weights, or the layer is not in the file.
    """
    if not isinstance(target, keras.Model):
        name = target.name if name is None else name
        if isinstance(target, (Embedding, keras.layers.Embedding)):
            _load_embedding_table(target, filepath, name)
        else:
            _load_layer(target, filepath, name)
        return
    saved = hdf5.read(filepath)
    if saved.modern:
        if by_name:
            target.load_weights(saved.path, by_name=True)
        else:
            target.load_weights(saved.path)
        return
    for layer, group in pair_layers(target, saved, by_name):
        set_keras1_weights(layer, group, saved)


def _embedding_configs(node: Any) -> list[dict[str, Any]]:
    """Every Embedding config in a model config, at any depth.

    Walking the whole JSON finds Embeddings of a Sequential, of a functional
    Model, of a nested model, and of the Sequential branches of a Keras 1
    `Merge` layer alike.
    """
    found = []
    if isinstance(node, dict):
        # tf_keras writes this package's layer as `keras_embedding>Embedding`.
        class_name = str(node.get("class_name")).rsplit(">", 1)[-1]
        if class_name == "Embedding" and isinstance(node.get("config"), dict):
            found.append(node["config"])
        for value in node.values():
            found.extend(_embedding_configs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_embedding_configs(value))
    return found


def load_embedding(path: PathLike, name: str | None = None) -> Embedding:
    """Rebuilds an Embedding layer, with its weights, from a model file.

    Reads the `model_config` and the weights of a Keras 1 (or Keras 2)
    `model.save` file.

    Args:
        path: The HDF5 file written by `model.save`.
        name: The Embedding to load; needed when the model has several.

    Returns:
        A built `keras_embedding.Embedding` with the saved config and table.

    Raises:
        ValueError: if the file has no model config (a `save_weights` file:
            use `load_weights` on a layer you create), no Embedding, several
            and no `name`, or none called `name`; the message lists the
            Embedding names present.
    """
    model_config = hdf5.read(path).model_config
    if model_config is None:
        raise ValueError(
            f"{os.fspath(path)!r} has no model config: it was written by "
            "`save_weights`. Create the layer and call `load_weights(layer, "
            f"path)` instead. Received: path={os.fspath(path)!r}"
        )
    configs = _embedding_configs(model_config)
    names = [config.get("name") for config in configs]
    if name is None and len(configs) != 1:
        raise ValueError(
            f"{os.fspath(path)!r} holds {len(configs)} Embedding layers "
            f"({', '.join(map(str, names)) or 'none'}); pass `name=` to pick "
            f"one. Received: name={name!r}"
        )
    if name is not None and name not in names:
        raise ValueError(
            f"No Embedding named {name!r} in {os.fspath(path)!r}. Embedding "
            f"layers there: {', '.join(map(str, names)) or 'none'}. "
            f"Received: name={name!r}"
        )
    config = configs[0] if name is None else configs[names.index(name)]
    layer = Embedding.from_config(config)
    _load_embedding_table(layer, path, config.get("name"))
    return layer
