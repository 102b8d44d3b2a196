"""Compiling a ported model as Keras 1 compiled it, and resuming its training.

A Keras 1 model file's `training_config` names the loss (Keras 1 names), the
metrics and the optimizer with its Keras 1 hyperparameters;
`optimizer_weights` holds the optimizer's state. Keras 1.2.2's `compile`
sorted the model's trainable weights by variable name (`dense_1_W:0` <
`dense_1_b:0` < `embedding_1_W:0` < `gru_1_U_h:0` ...) and built the
optimizer's slots in that order, so the saved slots are matched to weights by
those names, then converted like the weights themselves (LSTM and GRU gates
reordered and fused, kernels reshaped or flipped).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_embedding._compat import keras
from keras_embedding.keras1 import objectives, optimizers
from keras_embedding.legacy.configs import keras1_layers
from keras_embedding.legacy.hdf5 import SavedFile
from keras_embedding.legacy.layers import keras1_weights

__all__ = ["compile_from_training_config", "restore_optimizer_state"]

# Keras 1's only non-trainable weights: BatchNormalization's statistics.
_NON_TRAINABLE_SUFFIXES = ("_running_mean", "_running_std")


def _per_output(value: Any, names: Sequence[str], what: str, default: Any) -> list[Any]:
    """One entry per output from a single value, a list or a dict by name."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"The training config's {what} names output(s) {unknown} that the "
                f"model does not have (its outputs: {list(names)}). "
                f"Received: {what}={dict(value)!r}"
            )
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(
                f"The training config's {what} has {len(value)} entries for "
                f"{len(names)} outputs ({list(names)}). Received: {what}={value!r}"
            )
        return list(value)
    return [value] * len(names)


def _from(custom_objects: Mapping[str, Any] | None, name: Any) -> Any:
    # Keras 1's load_model replaced any name found in custom_objects.
    if custom_objects and isinstance(name, str) and name in custom_objects:
        return custom_objects[name]
    return None


def _optimizer(config: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    custom = _from(custom_objects, (config or {}).get("class_name"))
    if custom is not None:
        return custom.from_config(config.get("config", {}))
    return optimizers.get(config)


def compile_from_training_config(
    model: Any,
    training_config: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
) -> None:
    """Compiles `model` as Keras 1 compiled it.

    Args:
        model: The ported model; its output names are the Keras 1 ones.
        training_config: A Keras 1 file's `training_config`: the
            `optimizer_config`, `loss`, `metrics`, `loss_weights` (and
            `sample_weight_mode`, which modern Keras does not need: it reads
            per-timestep weights from their shape).
        custom_objects: Custom losses, metrics and optimizer classes by the
            names the config uses.

    Raises:
        ValueError: for a loss, metric or optimizer Keras 1 did not have and
            `custom_objects` does not give, or per-output settings that do
            not match the model's outputs.
    """
    # Keras 1 named each output after its layer; Keras 3's Sequential has no
    # `output_names`.
    if isinstance(model, keras.Sequential):
        names = [model.layers[-1].name]
    else:
        names = list(model.output_names)
    losses = [
        _from(custom_objects, loss) or objectives.get(loss)
        for loss in _per_output(training_config.get("loss"), names, "loss", None)
    ]
    # Keras 1 applied each loss to the targets and predictions as they were.
    compiled_losses = [
        loss if isinstance(loss, keras.losses.Loss) else objectives.Keras1Loss(loss)
        for loss in losses
    ]
    metrics_config = training_config.get("metrics") or []
    if isinstance(metrics_config, Mapping):
        per_output = _per_output(metrics_config, names, "metrics", [])
    else:
        per_output = [list(metrics_config)] * len(names)
    metrics = []
    for wanted, loss, output in zip(per_output, losses, model.outputs, strict=True):
        wanted = wanted if isinstance(wanted, (list, tuple)) else [wanted]
        metrics.append(
            [
                _from(custom_objects, metric)
                or objectives.get_metric(
                    metric, loss=loss, output_shape=tuple(output.shape)
                )
                for metric in wanted
            ]
        )
    loss_weights = training_config.get("loss_weights")
    if loss_weights is not None:
        loss_weights = [
            float(w) for w in _per_output(loss_weights, names, "loss_weights", 1.0)
        ]
    optimizer = _optimizer(training_config.get("optimizer_config"), custom_objects)
    if len(names) == 1:
        model.compile(
            optimizer=optimizer,
            loss=compiled_losses[0],
            metrics=metrics[0],
            loss_weights=loss_weights,
        )
    else:
        model.compile(
            optimizer=optimizer,
            loss=compiled_losses,
            metrics=metrics,
            loss_weights=loss_weights,
        )


def _trainable(weight_name: str) -> bool:
    return not weight_name.split(":", 1)[0].endswith(_NON_TRAINABLE_SUFFIXES)


def restore_optimizer_state(model: Any, saved: SavedFile) -> None:
    """Sets the compiled optimizer's state from a Keras 1 file's.

    Keras 1's optimizer weights are `[iterations]` (SGD, Adam, Adamax,
    Nadam) followed by one list of slots per kind (moments, accumulators,
    ...), each over the trainable weights sorted by variable name. Keras 1
    did not save the `iterations` of RMSprop, Adagrad and Adadelta (their
    `decay` schedule restarts, as in Keras 1's own `load_model`), nor
    Nadam's momentum schedule (it restarts at 1, likewise).

    Args:
        model: A model compiled with one of `keras1.optimizers`, whose layers
            have the file's layer names.
        saved: The Keras 1 file.

    Raises:
        ValueError: if the saved state does not fit (the message gives the
            counts or the weight and both shapes).
    """
    # Under a mixed precision policy `compile` wraps it in a loss scaler.
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    weights = list(saved.optimizer_weights)
    if not weights:
        return
    if not isinstance(optimizer, optimizers.Optimizer):
        warnings.warn(
            f"{saved.path!r}: the optimizer state was not restored: the model's "
            f"optimizer, {type(optimizer).__name__}, is not a Keras 1 optimizer "
            "of keras_embedding.keras1.optimizers, whose slots the file's "
            "follow. Training starts with a fresh optimizer state.",
            stacklevel=2,
        )
        return
    layers = {layer.name: layer for layer in keras1_layers(model)}
    params = []  # (variable name, layer, its index among the layer's trainable)
    for group in saved.layers:
        layer = layers.get(group.name)
        if layer is None or not layer.trainable:
            continue
        trainable = [
            (name, array)
            for name, array in zip(group.weight_names, group.arrays, strict=True)
            if _trainable(name)
        ]
        for index, (name, array) in enumerate(trainable):
            params.append((name, layer, index, array.shape))
    params.sort(key=lambda param: param[0])
    kinds = optimizer.keras1_slots
    first = 1 if optimizer.keras1_saves_iterations else 0
    expected = first + len(kinds) * len(params)
    if len(weights) != expected:
        raise ValueError(
            f"{saved.path!r}: its optimizer state holds {len(weights)} arrays, but "
            f"Keras 1's {type(optimizer).__name__} keeps "
            f"{'[iterations] + ' if first else ''}{len(kinds)} slot(s) for each of "
            f"the model's {len(params)} trainable weights ({expected} arrays). "
            f"Received: {len(weights)} optimizer weights"
        )
    slots: dict[str, list[list[np.ndarray | None]]] = {}
    for position, (name, layer, index, shape) in enumerate(params):
        per_layer = slots.setdefault(
            layer.name,
            [[None] * _count(params, layer) for _ in kinds],
        )
        for kind in range(len(kinds)):
            array = np.asarray(weights[first + kind * len(params) + position])
            if array.shape != shape:
                raise ValueError(
                    f"{saved.path!r}: the saved {kinds[kind]} slot of {name!r} has "
                    f"shape {array.shape}, but the weight has shape {shape}. "
                    f"Received: optimizer weight of shape {array.shape}"
                )
            per_layer[kind][index] = array
    optimizer.build(model.trainable_variables)
    for layer_name, per_kind in slots.items():
        layer = layers[layer_name]
        for kind, arrays in enumerate(per_kind):
            converted = keras1_weights(
                layer, arrays, backend=saved.backend, trainable_only=True
            )
            for variable, value in zip(layer.trainable_weights, converted, strict=True):
                optimizer.keras1_slot_variables(variable)[kind].assign(value)
    optimizer.iterations.assign(int(np.asarray(weights[0])) if first else 0)


def _count(params: list[tuple[str, Any, int, Any]], layer: Any) -> int:
    return sum(1 for param in params if param[1] is layer)
