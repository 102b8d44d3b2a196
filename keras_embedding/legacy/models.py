"""Keras 1's `keras.models`: Sequential, Model, model_from_json, load_model.

`model_from_config`, `model_from_json` and `keras1_layers` come from
`keras_embedding.legacy.configs`, `load_model` from
`keras_embedding.legacy.files`, so Keras 1 code finds them where Keras 1 had
them.

`Sequential` and `Model` are for Keras 1 code: `Sequential` takes its input
from its first layer (an Embedding's stays int32) and accepts a Keras 1
`Merge` of branch models as that first layer; `Model(input=..., output=...)`
takes Keras 1's keywords. Both take Keras 1's `fit(nb_epoch=...)` and Keras
1's defaults for `fit`, `evaluate` and `predict`; `Sequential` also has
`predict_classes` and `predict_proba`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import objectives
from keras_embedding.keras1 import optimizers as keras1_optimizers
from keras_embedding.keras1.layers import keras1_name, origin
from keras_embedding.legacy.configs import (
    keras1_layers,
    model_from_config,
    model_from_json,
)
from keras_embedding.legacy.files import load_model

__all__ = [
    "Model",
    "Sequential",
    "keras1_layers",
    "load_model",
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
        name: The model's name (default `sequential_1`, ... as in Keras 1).
    """

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None):
        super().__init__(name=name or keras1_name("Sequential"))
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
        name: The model's name (default `model_1`, ... as in Keras 1).
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
        name = name or keras1_name("Model")
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
