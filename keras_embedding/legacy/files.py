"""One call for a Keras 1 model file: `load_model`, and `convert` to `.keras`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from keras_embedding._compat import keras
from keras_embedding.legacy import hdf5
from keras_embedding.legacy.configs import keras1_layers, model_from_config
from keras_embedding.legacy.hdf5 import PathLike, SavedFile
from keras_embedding.legacy.training import (
    compile_from_training_config,
    restore_optimizer_state,
)
from keras_embedding.legacy.weights import pair_layers, set_keras1_weights

__all__ = ["convert", "load_model"]


def _weights_only(path: str) -> ValueError:
    return ValueError(
        f"{path!r} holds weights only (Keras 1's `save_weights` writes no model "
        "config), so there is no model to build from it. Build the model first "
        "(its Keras 1 code with the imports changed to keras_embedding.legacy, "
        "or legacy.model_from_json on its JSON), then call "
        f"legacy.load_weights(model, {path!r}). Received: filepath={path!r}"
    )


def _load(
    saved: SavedFile, custom_objects: Mapping[str, Any] | None, compile: bool
) -> Any:
    if saved.model_config is None:
        raise _weights_only(saved.path)
    model = model_from_config(saved.model_config, custom_objects=custom_objects)
    for layer, group in pair_layers(model, saved, by_name=False):
        set_keras1_weights(layer, group, saved)
    if compile and saved.training_config is not None:
        try:
            compile_from_training_config(model, saved.training_config, custom_objects)
        except ValueError as error:
            raise ValueError(
                f"{saved.path!r}: the model was built, but cannot be compiled as "
                "Keras 1 compiled it (give what is missing in custom_objects, or "
                f"pass compile=False): {error}"
            ) from error
        restore_optimizer_state(model, saved)
    return model


def load_model(
    filepath: PathLike,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
) -> Any:
    """Loads a Keras 1 model file as a modern Keras model.

    Builds the model from the file's config (a `Sequential` where Keras 1 had
    one without a `Merge`, a functional model otherwise), converts every
    layer's weights, and, if the model was compiled, compiles it with Keras
    1's loss, metrics and optimizer (its Keras 1 hyperparameters and its
    saved state), so `evaluate` gives Keras 1's loss and `fit` or
    `train_on_batch` continue where Keras 1 stopped.

    Args:
        filepath: A Keras 1 `model.save` file (HDF5). A file written by Keras
            2 or later goes to the running Keras's own `load_model`.
        custom_objects: Custom layers, functions, losses, metrics and
            optimizer classes by the names the file uses. A `Lambda` layer's
            function goes under the layer's name: `{"lambda_1": fn}` (the
            file's marshalled bytecode is never run).
        compile: Whether to compile the model as Keras 1 had compiled it.

    Returns:
        The model.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming the file, if it is not HDF5, is truncated or
            damaged, or holds weights only (use `load_weights`); naming the
            layer, for a layer or mode that cannot be ported, a Lambda
            without its function, or weights that do not fit.
    """
    saved = hdf5.read(filepath)
    if saved.modern:
        return keras.models.load_model(
            saved.path, custom_objects=custom_objects, compile=compile
        )
    return _load(saved, custom_objects, compile)


def _keras1_layers(config: Any) -> Iterator[tuple[str, str]]:
    """(name, class name) of each Keras 1 layer in a model config, in order,
    inside `Merge` branches and nested models too."""
    if isinstance(config, list):
        entries = config
    elif isinstance(config, Mapping) and isinstance(config.get("config"), list):
        entries = config["config"]
    elif isinstance(config, Mapping) and isinstance(config.get("config"), Mapping):
        entries = config["config"].get("layers", [])
    else:
        entries = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        class_name = str(entry.get("class_name"))
        layer_config = entry.get("config")
        if class_name in ("Sequential", "Model"):
            yield from _keras1_layers(entry)
            continue
        if isinstance(layer_config, Mapping):
            for branch in layer_config.get("layers") or []:
                yield from _keras1_layers(branch)
            name = layer_config.get("name") or entry.get("name")
            yield str(name), _describe_keras1(class_name, layer_config)


def _describe_keras1(class_name: str, config: Mapping[str, Any]) -> str:
    if class_name == "Merge":
        return f"Merge(mode={config.get('mode')!r})"
    inner = config.get("layer")
    if isinstance(inner, Mapping) and isinstance(inner.get("config"), Mapping):
        inner_name = inner["config"].get("name")
        return f"{class_name}({inner.get('class_name')} {inner_name!r})"
    return class_name


def _describe_modern(layer: Any) -> str:
    cls = type(layer)
    module = cls.__module__
    if module.startswith("keras_embedding"):
        return f"keras_embedding {cls.__name__}"
    inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
    if inner is not None:
        return f"{cls.__name__}({type(inner).__name__})"
    return cls.__name__


def convert(
    source: PathLike,
    target: PathLike,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
) -> list[str]:
    """Converts a Keras 1 model file into a `.keras` file.

    The `.keras` file loads with `keras.models.load_model` after `import
    keras_embedding`, with nothing else (the layers, activations, losses and
    optimizers it needs are registered by that import).

    Args:
        source: The Keras 1 `model.save` file.
        target: The `.keras` file to write.
        custom_objects: As for `load_model`.
        compile: Whether to keep the training configuration and state.

    Returns:
        Lines for people: what each Keras 1 layer became, and the compile
        settings.

    Raises:
        ValueError: if `target` does not end in `.keras`, or as `load_model`.
    """
    target = os.fspath(target)
    if not target.endswith(".keras"):
        raise ValueError(
            "The converted model is written in the `.keras` format, so the "
            f"target's name must end in `.keras`. Received: target={target!r}"
        )
    saved = hdf5.read(source)
    if saved.modern:
        version = saved.keras_version or "2 or later"
        raise ValueError(
            f"{saved.path!r} was written by Keras {version}, "
            "not Keras 1: load it with keras.models.load_model and save it with "
            f"model.save. Received: source={saved.path!r}"
        )
    model = _load(saved, custom_objects, compile)
    model.save(target)
    modern = {layer.name: layer for layer in keras1_layers(model)}
    modern.update({layer.name: layer for layer in model.layers})
    lines = [
        f"{saved.path} (Keras {saved.keras_version or '1'}, {saved.backend} backend)"
    ]
    rows = [
        (name, keras1, _describe_modern(modern[name]) if name in modern else "(none)")
        for name, keras1 in _keras1_layers(saved.model_config)
    ]
    width = [max([len(row[i]) for row in rows] + [5]) for i in range(2)]
    for name, keras1, becomes in rows:
        lines.append(f"  {name:<{width[0]}}  {keras1:<{width[1]}}  -> {becomes}")
    if compile and saved.training_config is not None:
        optimizer = model.optimizer
        settings = ", ".join(
            f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
            for key, value in optimizer.get_config().items()
            if key != "name"
        )
        state = ""
        if saved.optimizer_weights:
            state = ", with its saved state"
            if optimizer.keras1_saves_iterations:
                state += f" (iteration {int(optimizer.iterations.numpy())})"
        lines.append(f"  optimizer: {type(optimizer).__name__}({settings}){state}")
        lines.append(f"  loss: {saved.training_config.get('loss')!r}")
    lines.append(f"wrote {target}")
    return lines
