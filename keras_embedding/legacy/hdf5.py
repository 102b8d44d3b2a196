"""Reading Embedding layers and weights from Keras 1 and Keras 2 HDF5 files.

Keras 1's `model.save` writes a root attribute `model_config` (JSON) and a
group `model_weights` holding one group per layer; `save_weights` writes those
layer groups at the root. A layer group lists its datasets in its
`weight_names` attribute: `embedding_1_W:0` under the TensorFlow backend,
`embedding_1_W` under Theano. Keras 2 names the table `embeddings:0`, in a
subgroup. Keras 1 files store strings as fixed-length bytes.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from keras_embedding.keras1.specs import check_weights
from keras_embedding.layer import Embedding

if TYPE_CHECKING:
    import h5py

PathLike = str | os.PathLike


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as error:
        raise ImportError(
            "Reading HDF5 files needs h5py: `pip install h5py`."
        ) from error
    return h5py


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _names(group: h5py.Group, attribute: str) -> list[str]:
    """A names attribute as strings. Keras writes an empty float64 array for a
    layer without weights, and bytes arrays otherwise."""
    values = group.attrs.get(attribute)
    if values is None or np.asarray(values).dtype.kind == "f":
        return []
    return [_text(value) for value in np.atleast_1d(values)]


def _layer_groups(file: h5py.File) -> dict[str, h5py.Group]:
    """Maps each layer name to its weights group, for either file layout."""
    root = file.get("model_weights", file)
    names = _names(root, "layer_names") or list(root.keys())
    return {name: root[name] for name in names if name in root}


def _weights(group: h5py.Group) -> dict[str, np.ndarray]:
    """The arrays of a layer group, by weight name, in the saved order."""
    return {name: np.asarray(group[name]) for name in _names(group, "weight_names")}


def _table_name(weight_names: list[str], name: str) -> str | None:
    wanted = {f"{name}_W", f"{name}_W:0", "embeddings:0", "embeddings"}
    for weight_name in weight_names:
        if weight_name.rsplit("/", 1)[-1] in wanted:
            return weight_name
    return None


def read_layer_weights(path: PathLike, name: str) -> list[np.ndarray]:
    """Returns the saved weights of the layer `name`, in the saved order.

    Works on Keras 1 and Keras 2 `model.save` and `save_weights` files. A
    Keras 1 `Dense` saves `[W, b]`, which a modern `Dense` takes as
    `set_weights([kernel, bias])` unchanged.

    Args:
        path: The HDF5 file.
        name: The layer name.

    Returns:
        The arrays, as saved.

    Raises:
        ValueError: if the file has no layer `name`; the message lists the
            layers it has.
    """
    with _h5py().File(path, "r") as file:
        groups = _layer_groups(file)
        if name not in groups:
            raise ValueError(
                f"No layer {name!r} in {os.fspath(path)!r}. Its layers: "
                f"{', '.join(groups) or 'none'}. Received: name={name!r}"
            )
        return list(_weights(groups[name]).values())


def load_weights(layer: Embedding, path: PathLike, name: str | None = None) -> None:
    """Sets an Embedding's table from a Keras 1 or Keras 2 HDF5 file.

    The table is the dataset `<name>_W:0` (Keras 1, TensorFlow backend),
    `<name>_W` (Keras 1, Theano) or `embeddings:0` (Keras 2) of the layer
    `name`, in a `model.save` or `save_weights` file. The layer is built first
    if needed.

    Args:
        layer: A `keras_embedding.Embedding` (or any Keras Embedding).
        path: The HDF5 file.
        name: The layer name in the file; defaults to `layer.name`.

    Raises:
        ValueError: if the file has no such table (the message lists the
            layers with weights there), or if its shape differs from the
            layer's `(input_dim, output_dim)`.
    """
    name = layer.name if name is None else name
    with _h5py().File(path, "r") as file:
        groups = _layer_groups(file)
        weights = _weights(groups[name]) if name in groups else {}
        table_name = _table_name(list(weights), name)
        if table_name is None:
            with_weights = [key for key, group in groups.items() if _weights(group)]
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
    with _h5py().File(path, "r") as file:
        model_config = file.attrs.get("model_config")
    if model_config is None:
        raise ValueError(
            f"{os.fspath(path)!r} has no model config: it was written by "
            "`save_weights`. Create the layer and call `load_weights(layer, "
            f"path)` instead. Received: path={os.fspath(path)!r}"
        )
    configs = _embedding_configs(json.loads(_text(model_config)))
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
    load_weights(layer, path, name=config.get("name"))
    return layer
