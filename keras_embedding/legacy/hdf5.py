"""Reading Keras 1 HDF5 files, and telling them from other files.

Keras 1's `model.save` writes root attributes `keras_version`, `model_config`
(JSON) and, for a compiled model, `training_config`; a group `model_weights`
with one group per layer, listed in order by its `layer_names` attribute; and
`optimizer_weights`. `save_weights` writes the layer groups and
`layer_names` at the root. A layer group lists its datasets in its
`weight_names` attribute: `lstm_1_W_i:0` under the TensorFlow backend,
`lstm_1_W_i` under Theano (whose convolution kernels are flipped). Strings
are stored as fixed-length bytes.

Keras 2 added a `backend` attribute and wrote `keras_version` 2.x; Keras 3
writes `.keras` archives, `.weights.h5` files (no `layer_names`) and
Keras-2-style `.h5` files. `read` marks all of those `modern`: they are for
the running Keras's own loaders.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import h5py

PathLike = str | os.PathLike

__all__ = [
    "LayerWeights",
    "SavedFile",
    "read",
    "read_layer_groups",
    "read_layer_weights",
]


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as error:
        raise ImportError(
            "Reading HDF5 files needs h5py: `pip install h5py`."
        ) from error
    return h5py


def _text(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _names(group: h5py.Group, attribute: str) -> list[str]:
    """A names attribute as strings. Keras writes an empty float64 array for a
    layer without weights, and bytes arrays otherwise."""
    values = group.attrs.get(attribute)
    if values is None or np.asarray(values).dtype.kind == "f":
        return []
    return [_text(value) for value in np.atleast_1d(values)]


@contextlib.contextmanager
def _open(filepath: PathLike) -> Iterator[h5py.File]:
    """Opens an HDF5 file for reading; any failure names the file."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}. Received: filepath={path!r}")
    h5py = _h5py()
    if not h5py.is_hdf5(path):
        hint = (
            " It is a zip archive (a Keras 3 `.keras` file?): load it with "
            "`keras.models.load_model`."
            if zipfile.is_zipfile(path)
            else " A Keras 1 file is HDF5 (`model.save` or `save_weights`)."
        )
        raise ValueError(
            f"{path!r} is not an HDF5 file.{hint} Received: filepath={path!r}"
        )
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(
            f"Cannot read {path!r}: the HDF5 file is damaged or truncated "
            f"({error}). Received: filepath={path!r}"
        ) from error
    with file:
        try:
            yield file
        except (OSError, KeyError, RuntimeError) as error:
            raise ValueError(
                f"Cannot read {path!r}: the HDF5 file is damaged or incomplete "
                f"({type(error).__name__}: {error}). Received: filepath={path!r}"
            ) from error


@dataclasses.dataclass(frozen=True)
class LayerWeights:
    """One layer's group in a weights file.

    Attributes:
        name: The layer name.
        weight_names: The dataset names, in the saved order.
        arrays: The arrays, in the same order.
    """

    name: str
    weight_names: tuple[str, ...]
    arrays: tuple[np.ndarray, ...]


@dataclasses.dataclass(frozen=True)
class SavedFile:
    """What a Keras HDF5 file holds.

    Attributes:
        path: The file.
        modern: Whether Keras 2 or later wrote it (then only `path`,
            `keras_version`, `backend` and `model_config` are read).
        keras_version: The `keras_version` attribute, if any.
        backend: "tensorflow" or "theano" for a Keras 1 file (told by its
            weight names); a modern file's `backend` attribute, if any.
        model_config: The parsed model config (`model.save` files), or None
            (`save_weights` files).
        training_config: The parsed training config of a compiled model.
        layers: Every layer group, in the saved (Keras 1) order.
        optimizer_weight_names: The `optimizer_weights` dataset names.
        optimizer_weights: Their arrays, in order.
    """

    path: str
    modern: bool
    keras_version: str | None = None
    backend: str | None = None
    model_config: Any = None
    training_config: Any = None
    layers: tuple[LayerWeights, ...] = ()
    optimizer_weight_names: tuple[str, ...] = ()
    optimizer_weights: tuple[np.ndarray, ...] = ()

    def layer(self, name: str) -> LayerWeights | None:
        """The group of layer `name`, or None."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        return None

    @property
    def with_weights(self) -> list[LayerWeights]:
        """The layer groups that hold weights, in order."""
        return [layer for layer in self.layers if layer.arrays]


def _is_modern(file: h5py.File) -> bool:
    if "backend" in file.attrs:
        return True
    version = file.attrs.get("keras_version")
    if version is not None:
        major = _text(version).split(".", 1)[0]
        return major.isdigit() and int(major) >= 2
    if "model_config" in file.attrs or "nb_layers" in file.attrs:
        return False
    # Keras 3's `.weights.h5` layout has no `layer_names` at all.
    root = file.get("model_weights", file)
    return "layer_names" not in root.attrs


def _json(file: h5py.File, attribute: str, path: str) -> Any:
    value = file.attrs.get(attribute)
    if value is None:
        return None
    try:
        return json.loads(_text(value))
    except ValueError as error:
        raise ValueError(
            f"{path!r}: its `{attribute}` attribute is not valid JSON ({error}). "
            f"Received: filepath={path!r}"
        ) from error


def _layer_groups(file: h5py.File, path: str) -> list[LayerWeights]:
    root = file.get("model_weights", file)
    where = "model_weights/" if root is not file else ""
    layers = []
    for name in _names(root, "layer_names"):
        if name not in root:
            raise ValueError(
                f"{path!r} is damaged or incomplete: its layer list names "
                f"{name!r} but it has no group {where + name!r}. "
                f"Received: filepath={path!r}"
            )
        group = root[name]
        weight_names = _names(group, "weight_names")
        missing = [w for w in weight_names if w not in group]
        if missing:
            raise ValueError(
                f"{path!r} is damaged or incomplete: layer {name!r} lists the "
                f"weight {missing[0]!r}, which the file does not hold. "
                f"Received: filepath={path!r}"
            )
        arrays = tuple(np.asarray(group[w]) for w in weight_names)
        layers.append(LayerWeights(name, tuple(weight_names), arrays))
    return layers


def _keras1_backend(layers: list[LayerWeights], path: str) -> str:
    """Theano wrote bare variable names; TensorFlow appended `:0`."""
    names = [name for layer in layers for name in layer.weight_names]
    tensorflow = [name for name in names if ":" in name]
    if len(tensorflow) == len(names):
        return "tensorflow"
    if not tensorflow:
        return "theano"
    raise ValueError(
        f"{path!r} mixes TensorFlow weight names (such as {tensorflow[0]!r}) "
        "with Theano ones (without ':0'), so the backend that wrote it, which "
        "decides how convolution kernels are laid out, cannot be told. "
        f"Received: filepath={path!r}"
    )


def read(filepath: PathLike) -> SavedFile:
    """Reads a Keras HDF5 file.

    Args:
        filepath: A Keras 1 `model.save` or `save_weights` file, or any other
            Keras HDF5 file (then only its kind is read).

    Returns:
        What the file holds. For a Keras 1 file: its configs, every layer
        group with its arrays, the optimizer weights, and the backend that
        wrote it.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming the file, if it is not HDF5, is truncated or
            damaged, lacks a group or dataset its lists name, was written by
            Keras 0.x, or mixes TensorFlow and Theano weight names.
    """
    path = os.fspath(filepath)
    with _open(path) as file:
        version = file.attrs.get("keras_version")
        version = None if version is None else _text(version)
        if _is_modern(file):
            backend = file.attrs.get("backend")
            return SavedFile(
                path,
                modern=True,
                keras_version=version,
                backend=None if backend is None else _text(backend),
                model_config=_json(file, "model_config", path),
            )
        if "nb_layers" in file.attrs:
            raise ValueError(
                f"{path!r} was written by Keras 0.x (a weights file with "
                "`nb_layers`), whose layout is not supported; Keras 1.0 and "
                f"later files are. Received: filepath={path!r}"
            )
        model_config = _json(file, "model_config", path)
        if model_config is not None and "model_weights" not in file:
            raise ValueError(
                f"{path!r} is damaged or incomplete: it has a model config but "
                f"no `model_weights` group. Received: filepath={path!r}"
            )
        layers = _layer_groups(file, path)
        names: list[str] = []
        arrays: tuple[np.ndarray, ...] = ()
        if "optimizer_weights" in file:
            group = file["optimizer_weights"]
            names = _names(group, "weight_names")
            arrays = tuple(np.asarray(group[name]) for name in names)
        return SavedFile(
            path,
            modern=False,
            keras_version=version,
            backend=_keras1_backend(layers, path),
            model_config=model_config,
            training_config=_json(file, "training_config", path),
            layers=tuple(layers),
            optimizer_weight_names=tuple(names),
            optimizer_weights=arrays,
        )


def read_layer_groups(path: PathLike) -> dict[str, LayerWeights]:
    """Every layer group of a Keras 1 or Keras 2 `.h5` file, by layer name.

    Unlike `read`, this reads any file with a `layer_names` list, whichever
    Keras wrote it, and no config.

    Args:
        path: The HDF5 file.

    Returns:
        The groups in the saved order.

    Raises:
        ValueError: if the file cannot be read (the message names it).
    """
    with _open(path) as file:
        root = file.get("model_weights", file)
        groups = {}
        for name in _names(root, "layer_names") or list(root.keys()):
            if name in root and isinstance(root[name], _h5py().Group):
                weight_names = _names(root[name], "weight_names")
                arrays = tuple(np.asarray(root[name][w]) for w in weight_names)
                groups[name] = LayerWeights(name, tuple(weight_names), arrays)
        return groups


def read_layer_weights(path: PathLike, name: str) -> list[np.ndarray]:
    """Returns the saved weights of the layer `name`, in the saved order.

    Works on Keras 1 and Keras 2 `model.save` and `save_weights` files. The
    arrays are as saved: a Keras 1 `Dense`'s `[W, b]` is what a modern
    `Dense` takes, but an LSTM's 12 arrays are not (use `load_weights`,
    which converts them).

    Args:
        path: The HDF5 file.
        name: The layer name.

    Returns:
        The arrays, as saved.

    Raises:
        ValueError: if the file has no layer `name` (the message lists the
            layers it has), or cannot be read (the message names it).
    """
    groups = read_layer_groups(path)
    if name not in groups:
        raise ValueError(
            f"No layer {name!r} in {os.fspath(path)!r}. Its layers: "
            f"{', '.join(groups) or 'none'}. Received: name={name!r}"
        )
    return list(groups[name].arrays)
