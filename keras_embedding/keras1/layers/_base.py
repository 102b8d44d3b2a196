"""Building modern layers from Keras 1 specs, and converting their weights.

Every layer built here remembers what it was built from (`Keras1Origin`): its
spec, its Keras 1 argument values and the input it asked for as a first layer.
`convert_weights` turns Keras 1 weight arrays into the layer's, and
`from_config` builds a layer from a saved Keras 1 layer config. The specs of
all modules register here, by Keras 1 class name and by the modern classes
they build, so that a plain modern layer's spec can be inferred too.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_embedding import _compat
from keras_embedding._compat import keras
from keras_embedding.keras1.specs import LayerSpec, check_weights

# Keras 1's base layer took these besides each layer's own arguments.
_BASE_KWARGS = ("name", "trainable", "input_shape", "batch_input_shape", "input_dtype")

SPECS: dict[str, LayerSpec] = {}
"""Every Keras 1 layer spec, by Keras 1 class name."""

_BY_MODERN_CLASS: dict[type, LayerSpec] = {}

ORIGIN = "_keras1_origin"

_CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "keras1_weights_checking", default=True
)


@dataclasses.dataclass(frozen=True)
class Keras1Origin:
    """What a layer was built from.

    Attributes:
        spec: Its Keras 1 spec.
        values: Every Keras 1 argument's value, by Keras 1 name (defaults
            filled in), as given in code or read from a config.
        modern: The converted arguments, by modern keyword.
        batch_input_shape: The input shape (batch size first) it asks for as
            the first layer of a model, or None.
        input_dtype: The input dtype it asks for as a first layer, or None.
    """

    spec: LayerSpec
    values: Mapping[str, Any]
    modern: Mapping[str, Any]
    batch_input_shape: tuple[Any, ...] | None = None
    input_dtype: str | None = None


def register(spec: LayerSpec, *modern_classes: type) -> LayerSpec:
    """Adds `spec` to `SPECS`, and infers it for plain `modern_classes`."""
    SPECS[spec.name] = spec
    for cls in modern_classes:
        _BY_MODERN_CLASS.setdefault(cls, spec)
    return spec


def origin(layer: Any) -> Keras1Origin | None:
    """The Keras 1 origin of `layer`, or None for a layer built otherwise."""
    return getattr(layer, ORIGIN, None)


def remember(layer: Any, found: Keras1Origin) -> None:
    """Attaches `found` to `layer` (see `origin`)."""
    # A plain attribute: neither Keras flavour tracks a frozen dataclass.
    object.__setattr__(layer, ORIGIN, found)


def spec_of(layer: Any) -> LayerSpec | None:
    """The spec `layer` was built from, or else the one of its class."""
    found = origin(layer)
    if found is not None:
        return found.spec
    for cls in type(layer).__mro__:
        if cls in _BY_MODERN_CLASS:
            return _BY_MODERN_CLASS[cls]
    return None


def keras1_name(class_name: str) -> str:
    """A fresh Keras 1 default layer name: `dense_1`, `dense_2`, ...

    Keras 1 numbered each lower-cased class name from 1 in a session; the
    numbering restarts with `keras.backend.clear_session()`.
    """
    prefix = class_name.lower()
    return f"{prefix}_{_compat.get_uid('keras1:' + prefix)}"


def _input_batch_shape(
    own: tuple[Any, ...] | None, input_shape: Any, batch_input_shape: Any
) -> tuple[Any, ...] | None:
    # Keras 1: a layer's own input_dim / input_length replace `input_shape`,
    # and `batch_input_shape` wins over both.
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    shape = own if own is not None else input_shape
    return None if shape is None else (None, *tuple(shape))


def make(
    spec: LayerSpec,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    read: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> Any:
    """Builds the modern layer for Keras 1 code or a Keras 1 config.

    Args:
        spec: The layer's spec (one with a `build`).
        args: Positional arguments, in Keras 1 order.
        kwargs: Keyword arguments: the layer's own, under Keras 1 or modern
            names, and Keras 1's base layer arguments (`name`, `trainable`,
            `input_shape`, `batch_input_shape`, `input_dtype`) or `dtype`.
        read: Instead of `args` and `kwargs`, the values and other keys that
            `spec.from_config` read from a saved config.

    Returns:
        The modern layer, remembering its `Keras1Origin`. Its initial
        `weights` (Keras 1 arrays), if given, are set when it is built.

    Raises:
        TypeError: for an unknown keyword, a missing argument, or one given
            twice.
        ValueError: for a value that cannot be ported.
    """
    if read is None:
        values, rest = spec.collect(args, dict(kwargs or {}), spec.name)
    else:
        values, rest = dict(read[0]), dict(read[1])
    name = rest.pop("name", None) or keras1_name(spec.name)
    owner = f"{spec.name} layer {name!r}"
    base = {"name": name, "trainable": rest.pop("trainable", True)}
    if rest.get("dtype") is not None:
        base["dtype"] = _compat.plain_dtype(rest.pop("dtype"))
    rest.pop("dtype", None)
    input_shape = rest.pop("input_shape", None)
    batch_input_shape = rest.pop("batch_input_shape", None)
    input_dtype = spec.input_dtype or rest.pop("input_dtype", None)
    rest.pop("input_dtype", None)
    rest.pop("create_input_layer", None)  # a Keras 1 internal; no effect here
    base.update({key: rest.pop(key) for key in spec.passthrough if key in rest})
    if rest:
        received = ", ".join(f"{key}={value!r}" for key, value in rest.items())
        raise TypeError(
            f"{owner}: keyword argument(s) not understood: {', '.join(rest)}. "
            f"{spec.name} takes {', '.join(arg.name for arg in spec.args)}, and "
            f"{', '.join(_BASE_KWARGS)}. Received: {received}"
        )
    full = {arg.name: values.get(arg.name, arg.default) for arg in spec.args}
    modern = spec.convert(values, owner)
    initial = modern.pop("weights", None)
    own_shape = spec.input_shape(full) if spec.input_shape is not None else None
    batch_shape = _input_batch_shape(own_shape, input_shape, batch_input_shape)
    # Some modern layers (Keras 3's SpatialDropout1D, ...) take no `trainable`.
    trainable = base.pop("trainable")
    layer = spec.build(dict(modern), dict(base))
    if not trainable:
        layer.trainable = False
    remember(
        layer,
        Keras1Origin(
            spec,
            full,
            modern,
            batch_shape,
            None if input_dtype is None else str(input_dtype),
        ),
    )
    if batch_shape is not None:
        _compat.set_sequential_input(layer, batch_shape)
    if initial is not None:
        _set_when_built(layer, initial)
    return layer


def _set_when_built(layer: Any, arrays: Any) -> None:
    """Sets Keras 1 `weights=` on `layer` once it is built, as Keras 1 did."""
    if not isinstance(arrays, (list, tuple)):
        raise ValueError(
            f"{describe(layer)}: `weights` must be a list of numpy arrays, in "
            f"the order Keras 1 saved them. Received: weights of type "
            f"{type(arrays).__name__}"
        )
    build = layer.build

    # `wraps` keeps the signature, from which Keras 3 learns how to pass the
    # input shapes.
    @functools.wraps(build)
    def build_then_set(*args: Any, **kwargs: Any) -> None:
        build(*args, **kwargs)
        layer.set_weights(convert_weights(layer, list(arrays)))

    # An instance attribute: Keras calls `layer.build` when it first sees an
    # input, and neither Keras flavour tracks a function attribute.
    object.__setattr__(layer, "build", build_then_set)


def describe(layer: Any) -> str:
    """Names a layer in error messages: `LSTM layer 'lstm_1'`."""
    spec = spec_of(layer)
    kind = spec.name if spec is not None else type(layer).__name__
    return f"{kind} layer {getattr(layer, 'name', '?')!r}"


def convert_weights(
    layer: Any,
    arrays: Sequence[Any],
    backend: str = "tensorflow",
    trainable_only: bool = False,
) -> list[np.ndarray]:
    """The `layer.get_weights()` list for a layer's Keras 1 weight arrays.

    Args:
        layer: A layer built from a Keras 1 spec, or a plain modern layer of a
            class that a spec builds (its spec is then inferred).
        arrays: The Keras 1 arrays, in the order Keras 1 saved them.
        backend: The Keras 1 backend that wrote them: "tensorflow" or
            "theano" (whose convolution kernels are flipped).
        trainable_only: Whether `arrays` are only the layer's trainable
            weights (optimizer slots), to become `layer.trainable_weights`.

    Returns:
        The arrays in the layer's order and layout. Where the layer is built,
        their count and shapes are checked against its weights.

    Raises:
        ValueError: for an unknown backend, a layer whose spec cannot be
            inferred, or arrays that do not fit the layer (the message names
            the layer and shows both shapes).
    """
    if backend not in ("tensorflow", "theano"):
        raise ValueError(
            f"{describe(layer)}: `backend` must be 'tensorflow' or 'theano'. "
            f"Received: backend={backend!r}"
        )
    owner = describe(layer)
    if not isinstance(arrays, (list, tuple)):
        raise ValueError(
            f"{owner}: the Keras 1 weights must be a list of arrays. "
            f"Received: arrays of type {type(arrays).__name__}"
        )
    arrays = [np.asarray(array) for array in arrays]
    spec = spec_of(layer)
    if spec is None and isinstance(layer, keras.Model):
        return _model_weights(layer, arrays, backend, trainable_only)
    if spec is None:
        if not layer.weights and not arrays:
            return []
        known = sorted({cls.__name__ for cls in _BY_MODERN_CLASS})
        raise ValueError(
            f"{owner}: cannot tell how Keras 1 stored the weights of a "
            f"{type(layer).__name__}. Build it with keras_embedding.legacy "
            f"(Keras 1 code or model_from_config), or use a layer of one of "
            f"these classes: {', '.join(known)}. Received: a "
            f"{type(layer).__name__} layer"
        )
    # A wrapper converts its inner layers' arrays through this function; only
    # the outermost call checks, against the trainable subset if asked.
    token = _CHECKING.set(False)
    try:
        converted = (
            spec.weights(layer, arrays, backend) if spec.weights is not None else arrays
        )
    except ValueError as error:
        if str(error).startswith(owner):
            raise
        raise ValueError(f"{owner}: {error}") from error
    finally:
        _CHECKING.reset(token)
    if getattr(layer, "built", False) and _CHECKING.get():
        targets = layer.trainable_weights if trainable_only else layer.weights
        return check_weights(
            owner,
            converted,
            [tuple(weight.shape) for weight in targets],
        )
    return [np.asarray(array) for array in converted]


def keras1_count(layer: Any, trainable_only: bool = False) -> int:
    """How many arrays Keras 1 saved for a built layer (or nested model).

    Args:
        layer: A built layer or model.
        trainable_only: Count only the trainable arrays (optimizer slots).

    Returns:
        The number of arrays in the layer's Keras 1 group.
    """
    if trainable_only and not layer.trainable:
        return 0
    spec = spec_of(layer)
    if spec is not None and spec.count is not None:
        return spec.count(layer, trainable_only)
    if spec is None and isinstance(layer, keras.Model):
        return sum(keras1_count(sub, trainable_only) for sub in _sublayers(layer))
    return len(layer.trainable_weights if trainable_only else layer.weights)


def _sublayers(model: Any) -> list[Any]:
    return [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def _model_weights(
    model: Any, arrays: list[np.ndarray], backend: str, trainable_only: bool
) -> list[np.ndarray]:
    """A nested model's arrays: Keras 1 saved one group for it, its layers'
    arrays one after the other; each layer converts its own."""
    owner = describe(model)
    sublayers = _sublayers(model)
    counts = [keras1_count(sub, trainable_only) for sub in sublayers]
    if sum(counts) != len(arrays):
        each = ", ".join(
            f"{sub.name}: {count}" for sub, count in zip(sublayers, counts, strict=True)
        )
        raise ValueError(
            f"{owner}: its layers take {sum(counts)} Keras 1 arrays ({each}). "
            f"Received: {len(arrays)} arrays"
        )
    by_variable: dict[int, np.ndarray] = {}
    start = 0
    for sub, count in zip(sublayers, counts, strict=True):
        converted = convert_weights(
            sub, arrays[start : start + count], backend, trainable_only
        )
        targets = sub.trainable_weights if trainable_only else sub.weights
        by_variable.update(
            {
                id(variable): array
                for variable, array in zip(targets, converted, strict=True)
            }
        )
        start += count
    # The model's own order: tf_keras lists all trainable weights first.
    targets = model.trainable_weights if trainable_only else model.weights
    return [by_variable[id(variable)] for variable in targets]


def expect_count(arrays: Sequence[Any], counts: Sequence[int], what: str) -> None:
    """Raises unless there are as many arrays as one of `counts`."""
    if len(arrays) not in counts:
        shapes = ", ".join(str(np.shape(array)) for array in arrays) or "none"
        wanted = " or ".join(str(count) for count in counts)
        raise ValueError(
            f"Keras 1 saved {wanted} array(s) for {what}; got {len(arrays)}, of "
            f"shape(s) {shapes}. Received: {len(arrays)} arrays"
        )


def layer_from_config(
    entry: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """Builds the modern layer for a Keras 1 `{'class_name', 'config'}` entry.

    Args:
        entry: The layer's entry in a Keras 1 model config.
        custom_objects: Functions and classes by name; a `Lambda` layer's
            function by the layer's name.

    Returns:
        The modern layer.

    Raises:
        ValueError: for an unknown class (the message lists the supported
            ones), a refused mode or argument, or a Lambda without its
            function.
    """
    if not isinstance(entry, Mapping) or not isinstance(entry.get("config"), Mapping):
        raise ValueError(
            "A Keras 1 layer config must be a dict {'class_name': ..., 'config': "
            f"{{...}}}}. Received: {_short(entry)}"
        )
    class_name = str(entry.get("class_name"))
    config = entry["config"]
    spec = SPECS.get(class_name)
    if spec is None:
        raise ValueError(
            f"Layer {config.get('name')!r} is a Keras 1 {class_name!r}, which "
            f"cannot be ported. Supported Keras 1 layers: "
            f"{', '.join(sorted(SPECS))}. Received: class_name={class_name!r}"
        )
    if spec.read_config is not None:
        read = spec.read_config(config, custom_objects or {})
    else:
        read = spec.from_config(config)
    try:
        return make(spec, read=read)
    except TypeError as error:  # a config key Keras 1's class did not take
        raise ValueError(str(error)) from error


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
