"""Keras 1's `keras.layers`, building today's layers with Keras 1 numerics.

Keras 1 code imports from here instead of `keras.layers` (and from
`keras_embedding.legacy.layers.core` and the other submodules instead of
`keras.layers.core`, ...). Each constructor takes Keras 1's arguments, in
Keras 1's positional order and with Keras 1's defaults, and returns the
modern layer that computes what the Keras 1 layer computed; the mapping of
each layer is its spec in `keras_embedding.keras1.layers`. Keras 1's base
layer arguments work on every layer: `name` (default `dense_1`, `dense_2`,
... as in Keras 1), `trainable`, `input_shape`, `batch_input_shape` and
`input_dtype`, and `weights=` takes the arrays as Keras 1 saved them.

`keras1_weights` turns a layer's Keras 1 weight arrays into its own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from keras_embedding._compat import keras
from keras_embedding.keras1.layers import SPECS, convert_weights, keras1_name, make
from keras_embedding.keras1.specs import REQUIRED, LayerSpec

__all__ = [
    "LSTM",
    "ELU",
    "GRU",
    "PReLU",
    "Activation",
    "ActivityRegularization",
    "AtrousConvolution1D",
    "AtrousConvolution2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "Convolution1D",
    "Convolution2D",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Highway",
    "Input",
    "Lambda",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "Merge",
    "Permute",
    "RepeatVector",
    "Reshape",
    "SimpleRNN",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "TimeDistributed",
    "TimeDistributedDense",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "keras1_weights",
    "merge",
]


def _signature(spec: LayerSpec) -> inspect.Signature:
    parameters = []
    for arg in spec.args:
        kind = (
            inspect.Parameter.KEYWORD_ONLY
            if arg.keyword_only
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        default = inspect.Parameter.empty if arg.default is REQUIRED else arg.default
        parameters.append(inspect.Parameter(arg.name, kind, default=default))
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters)


def _constructor(class_name: str) -> Callable[..., Any]:
    spec = SPECS[class_name]

    def construct(*args: Any, **kwargs: Any) -> Any:
        return make(spec, args, kwargs)

    renamed = ", ".join(
        f"`{arg.name}` -> `{arg.modern}`" for arg in spec.args if arg.modern
    )
    construct.__name__ = construct.__qualname__ = class_name
    construct.__signature__ = _signature(spec)  # type: ignore[attr-defined]
    construct.__doc__ = (
        f"Keras 1's `{class_name}`{_signature(spec)}.\n\n"
        f"Builds: {spec.becomes or class_name}.\n"
        + (
            f"Keras 1 names kept, modern names also taken: {renamed}.\n"
            if renamed
            else ""
        )
        + "\nArgs:\n    As in Keras 1.2.2, plus Keras 1's base layer arguments "
        "(`name`, `trainable`, `input_shape`, `batch_input_shape`, `input_dtype`).\n\n"
        "Returns:\n    The modern layer.\n\n"
        "Raises:\n    TypeError: for an unknown keyword or a missing argument.\n"
        "    ValueError: for a value that cannot be ported; the message says why.\n"
    )
    return construct


Embedding = _constructor("Embedding")
Dense = _constructor("Dense")
Activation = _constructor("Activation")
Dropout = _constructor("Dropout")
SpatialDropout1D = _constructor("SpatialDropout1D")
SpatialDropout2D = _constructor("SpatialDropout2D")
Flatten = _constructor("Flatten")
Reshape = _constructor("Reshape")
Permute = _constructor("Permute")
RepeatVector = _constructor("RepeatVector")
Masking = _constructor("Masking")
Lambda = _constructor("Lambda")
ActivityRegularization = _constructor("ActivityRegularization")
Highway = _constructor("Highway")
TimeDistributedDense = _constructor("TimeDistributedDense")
SimpleRNN = _constructor("SimpleRNN")
GRU = _constructor("GRU")
LSTM = _constructor("LSTM")
TimeDistributed = _constructor("TimeDistributed")
Bidirectional = _constructor("Bidirectional")
Convolution1D = _constructor("Convolution1D")
AtrousConvolution1D = _constructor("AtrousConvolution1D")
Convolution2D = _constructor("Convolution2D")
AtrousConvolution2D = _constructor("AtrousConvolution2D")
ZeroPadding1D = _constructor("ZeroPadding1D")
ZeroPadding2D = _constructor("ZeroPadding2D")
Cropping1D = _constructor("Cropping1D")
Cropping2D = _constructor("Cropping2D")
UpSampling1D = _constructor("UpSampling1D")
UpSampling2D = _constructor("UpSampling2D")
MaxPooling1D = _constructor("MaxPooling1D")
AveragePooling1D = _constructor("AveragePooling1D")
MaxPooling2D = _constructor("MaxPooling2D")
AveragePooling2D = _constructor("AveragePooling2D")
GlobalMaxPooling1D = _constructor("GlobalMaxPooling1D")
GlobalAveragePooling1D = _constructor("GlobalAveragePooling1D")
GlobalMaxPooling2D = _constructor("GlobalMaxPooling2D")
GlobalAveragePooling2D = _constructor("GlobalAveragePooling2D")
BatchNormalization = _constructor("BatchNormalization")
GaussianNoise = _constructor("GaussianNoise")
GaussianDropout = _constructor("GaussianDropout")
LeakyReLU = _constructor("LeakyReLU")
PReLU = _constructor("PReLU")
ELU = _constructor("ELU")
Merge = _constructor("Merge")


def merge(
    inputs: Sequence[Any],
    mode: str | Callable[..., Any] = "sum",
    concat_axis: int = -1,
    dot_axes: int | Sequence[int] = -1,
    output_shape: Any = None,
    output_mask: Any = None,
    arguments: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Any:
    """Keras 1's functional `merge`: merges a list of tensors into one.

    Args:
        inputs: The tensors (at least 2).
        mode: 'sum', 'mul', 'concat', 'ave', 'cos', 'dot', 'max', or a
            function of the list of tensors.
        concat_axis: Axis of 'concat'.
        dot_axes: Axes of 'dot' and 'cos'.
        output_shape: For a function `mode`, its output shape (without the
            batch size) or a function of the input shapes.
        output_mask: For a function `mode`, the mask or a function of the
            input masks.
        arguments: Keyword arguments for a function `mode`.
        name: The layer's name (default `merge_1`, `merge_2`, ...).

    Returns:
        The merged tensor.

    Raises:
        ValueError: for an unknown mode or inputs the mode cannot merge.
    """
    layer = Merge(
        mode=mode,
        concat_axis=concat_axis,
        dot_axes=dot_axes,
        output_shape=output_shape,
        output_mask=output_mask,
        arguments=arguments,
        name=name,
    )
    return layer(list(inputs))


def Input(  # noqa: N802 - Keras 1's name
    shape: Sequence[int | None] | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    dtype: str = "float32",
    sparse: bool = False,
    tensor: Any = None,
) -> Any:
    """Keras 1's `Input`: a symbolic input tensor of a functional model.

    Args:
        shape: The shape of one sample (without the batch size).
        batch_shape: The shape with the batch size first; wins over `shape`.
        name: The input's name (default `input_1`, `input_2`, ...).
        dtype: The input's dtype (Keras 1 default float32; ids for an
            Embedding may be 'int32').
        sparse: Whether the input is a sparse tensor.
        tensor: An existing tensor to wrap.

    Returns:
        A Keras tensor.

    Raises:
        ValueError: if neither `shape` nor `batch_shape` (nor `tensor`) is
            given.
    """
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError(
            "Input needs `shape` (without the batch size) or `batch_shape`. "
            "Received: shape=None, batch_shape=None"
        )
    name = name or keras1_name("input")
    kwargs: dict[str, Any] = {"name": name, "dtype": dtype, "sparse": sparse}
    if tensor is not None:
        kwargs["tensor"] = tensor
    if batch_shape is not None:
        return keras.Input(batch_shape=tuple(batch_shape), **kwargs)
    return keras.Input(shape=None if shape is None else tuple(shape), **kwargs)


def keras1_weights(
    layer: Any,
    arrays: Sequence[Any],
    backend: str = "tensorflow",
    trainable_only: bool = False,
) -> list[np.ndarray]:
    """Turns a layer's Keras 1 weight arrays into `layer.get_weights()` order.

    LSTM and GRU gates are reordered and fused, a fused 'gpu' layer's arrays
    pass as they are, a Conv1D kernel loses Keras 1.2.2's dummy axis, a 'th'
    Conv2D kernel is transposed, Theano kernels are flipped, a Bidirectional
    layer's arrays are split between its two layers, and wrappers convert for
    their inner layer.

    Args:
        layer: A layer built by this module or by `model_from_config`, or a
            plain modern layer of a class those build (its Keras 1 spec is
            then inferred from its class and the arrays).
        arrays: The layer's Keras 1 arrays, in the order Keras 1 saved them
            (a layer group's `weight_names`).
        backend: The Keras 1 backend that saved them, "tensorflow" or
            "theano".
        trainable_only: Whether `arrays` are only the layer's trainable
            weights, in Keras 1 order (for optimizer slots, which Keras 1 kept
            per trainable weight): the result then follows
            `layer.trainable_weights`.

    Returns:
        The arrays for `layer.set_weights()` (or for its trainable weights).
        When the layer is built, their number and shapes are checked.

    Raises:
        ValueError: for arrays that do not fit the layer (the message names
            the layer and both shapes), an unknown backend, a layer whose
            Keras 1 layout cannot be inferred, or a Theano layer that cannot
            be ported.
    """
    return convert_weights(
        layer, arrays, backend=backend, trainable_only=trainable_only
    )
