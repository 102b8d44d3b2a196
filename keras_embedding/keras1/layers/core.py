"""Keras 1 `keras.layers.core`: Dense, Activation, Dropout, Flatten, Lambda...

Most become the modern layer of the same name. `TimeDistributedDense`
becomes a `Dense`, which maps the last axis of any input as Keras 1's did at
each step. `Highway` has no modern counterpart and is defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import activations, initializations, regularizers
from keras_embedding.keras1.layers import _args
from keras_embedding.keras1.layers._args import (
    activation,
    activity,
    constraint,
    dim_ordering_arg,
    ignored_rate,
    initializer,
    input_dim_arg,
    input_dim_shape,
    input_length_arg,
    keras_builder,
    regularizer,
    sequence_shape,
)
from keras_embedding.keras1.layers._base import register
from keras_embedding.keras1.specs import (
    Arg,
    LayerSpec,
    boolean,
    integer,
    number,
    optional,
    rate,
)


def _dense_args(*, input_length: bool = False) -> tuple[Arg, ...]:
    """The arguments of Keras 1's Dense and TimeDistributedDense, in order."""
    return (
        Arg("output_dim", "units", convert=integer(1)),
        Arg("init", "kernel_initializer", "glorot_uniform", initializer),
        Arg("activation", default=None, convert=activation),
        Arg("weights", default=None),
        Arg("W_regularizer", "kernel_regularizer", None, regularizer),
        Arg("b_regularizer", "bias_regularizer", None, regularizer),
        Arg("activity_regularizer", default=None, convert=activity),
        Arg("W_constraint", "kernel_constraint", None, constraint),
        Arg("b_constraint", "bias_constraint", None, constraint),
        Arg("bias", "use_bias", True, boolean),
        input_dim_arg(),
        *((input_length_arg(),) if input_length else ()),
    )


DENSE = register(
    LayerSpec(
        "Dense",
        args=_dense_args(),
        build=keras_builder(keras.layers.Dense, drop=("input_dim",)),
        input_shape=input_dim_shape,
        becomes="Dense",
    ),
    keras.layers.Dense,
)

TIME_DISTRIBUTED_DENSE = register(
    LayerSpec(
        "TimeDistributedDense",
        args=_dense_args(input_length=True),
        build=keras_builder(keras.layers.Dense, drop=("input_dim", "input_length")),
        input_shape=sequence_shape,
        becomes="Dense (applied to the last axis of each step)",
    )
)

ACTIVATION = register(
    LayerSpec(
        "Activation",
        args=(Arg("activation", convert=activation),),
        build=keras_builder(keras.layers.Activation),
        becomes="Activation",
    ),
    keras.layers.Activation,
)


def _dropout_args(name: str) -> tuple[Arg, ...]:
    return (Arg("p", "rate", convert=rate, from_config=ignored_rate(name)),)


DROPOUT = register(
    LayerSpec(
        "Dropout",
        args=(
            *_dropout_args("Dropout"),
            Arg("noise_shape", default=None),
            Arg("seed", default=None, convert=optional(integer(0))),
        ),
        build=keras_builder(keras.layers.Dropout),
        becomes="Dropout (identity at inference)",
    ),
    keras.layers.Dropout,
)

SPATIAL_DROPOUT_1D = register(
    LayerSpec(
        "SpatialDropout1D",
        args=_dropout_args("SpatialDropout1D"),
        build=keras_builder(keras.layers.SpatialDropout1D),
        becomes="SpatialDropout1D (identity at inference)",
    ),
    keras.layers.SpatialDropout1D,
)

SPATIAL_DROPOUT_2D = register(
    LayerSpec(
        "SpatialDropout2D",
        args=(*_dropout_args("SpatialDropout2D"), dim_ordering_arg()),
        build=keras_builder(keras.layers.SpatialDropout2D),
        becomes="SpatialDropout2D (identity at inference)",
    ),
    keras.layers.SpatialDropout2D,
)

FLATTEN = register(
    LayerSpec(
        "Flatten",
        args=(),
        # Keras 1 flattened in memory order whatever the image ordering; a
        # modern Flatten would first move channels last under the
        # 'channels_first' image data format.
        build=keras_builder(
            keras.layers.Flatten, fixed={"data_format": "channels_last"}
        ),
        becomes="Flatten (memory order)",
    ),
    keras.layers.Flatten,
)

RESHAPE = register(
    LayerSpec(
        "Reshape",
        args=(Arg("target_shape", convert=_args.shape),),
        build=keras_builder(keras.layers.Reshape),
        becomes="Reshape",
    ),
    keras.layers.Reshape,
)

PERMUTE = register(
    LayerSpec(
        "Permute",
        args=(Arg("dims", convert=_args.shape),),
        build=keras_builder(keras.layers.Permute),
        becomes="Permute",
    ),
    keras.layers.Permute,
)

REPEAT_VECTOR = register(
    LayerSpec(
        "RepeatVector",
        args=(Arg("n", convert=integer(1)),),
        build=keras_builder(keras.layers.RepeatVector),
        becomes="RepeatVector",
    ),
    keras.layers.RepeatVector,
)

MASKING = register(
    LayerSpec(
        "Masking",
        args=(Arg("mask_value", default=0.0, convert=number()),),
        build=keras_builder(keras.layers.Masking),
        becomes="Masking",
    ),
    keras.layers.Masking,
)


def _build_activity_regularization(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    penalty = regularizers.L1L2Regularizer(l1=modern["l1"], l2=modern["l2"])
    return keras.layers.Activation(
        "linear",
        activity_regularizer=regularizers.BatchSummedActivity(penalty),
        **base,
    )


ACTIVITY_REGULARIZATION = register(
    LayerSpec(
        "ActivityRegularization",
        args=(
            Arg("l1", default=0.0, convert=number(0.0)),
            Arg("l2", default=0.0, convert=number(0.0)),
        ),
        build=_build_activity_regularization,
        becomes="Activation('linear') with the penalty summed over the batch",
    )
)


# ----------------------------------------------------------------------
# Lambda


def _function(name: str, value: Any) -> Any:
    if not callable(value):
        raise TypeError(
            f"`{name}` must be a Python function of the input. "
            f"Received: {name}={value!r}"
        )
    return value


def _output_shape(name: str, value: Any) -> Any:
    if value is None or callable(value):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise TypeError(
        f"`{name}` must be a tuple (without the batch size) or a function of "
        f"the input shape. Received: {name}={value!r}"
    )


def _build_lambda(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    # Keras 1 and today's Lambda read `output_shape` alike: a tuple without
    # the batch size, or a function from the whole input shape(s) to the
    # whole output shape.
    return keras.layers.Lambda(
        modern["function"],
        output_shape=modern["output_shape"],
        arguments=modern["arguments"] or None,
        **base,
    )


def _read_lambda(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Reads a Lambda config without running the code it holds.

    Keras 1 saved a lambda's bytecode (`function_type='lambda'`) and a named
    function's name (`'function'`). Bytecode only runs on the Python that
    wrote it, and running code read from a file is unsafe, so the function
    comes from `custom_objects`: under the layer's name, or for a named
    function under that name too.
    """
    config = dict(config)
    name = config.get("name")
    function_type = config.pop("function_type", "lambda")
    output_shape_type = config.pop("output_shape_type", "raw")
    saved = config.pop("function", None)
    function = custom_objects.get(name)
    if function is None and function_type == "function" and isinstance(saved, str):
        function = custom_objects.get(saved) or keras.saving.get_registered_object(
            saved
        )
    if function is None:
        raise ValueError(
            f"Lambda layer {name!r}: its function is saved as "
            f"{'Python bytecode' if function_type == 'lambda' else repr(saved)}, "
            "which is never executed (it only runs on the Python version that "
            "saved it, and running code read from a file is unsafe). Pass the "
            f'function: custom_objects={{"{name}": fn}}. '
            f"Received: function_type={function_type!r}"
        )
    if output_shape_type != "raw":
        # A saved output shape function is code too; today's Lambda infers
        # the output shape by running the function given instead.
        config["output_shape"] = custom_objects.get(f"{name}.output_shape")
    config["function"] = function
    return LAMBDA.from_config(config)


LAMBDA = register(
    LayerSpec(
        "Lambda",
        args=(
            Arg("function", convert=_function),
            Arg("output_shape", default=None, convert=_output_shape),
            Arg("arguments", default=None),
        ),
        build=_build_lambda,
        read_config=_read_lambda,
        becomes="Lambda (from a config: the function from custom_objects)",
    ),
    keras.layers.Lambda,
)


# ----------------------------------------------------------------------
# Highway


@register_serializable
class Highway(keras.layers.Layer):
    """Keras 1's densely connected highway layer.

    `y = activation(x W + b) * t + x * (1 - t)`, with the transform gate
    `t = sigmoid(x W_carry + b_carry)`. The weights are, in Keras 1's order,
    `kernel` (W), `carry_kernel` (W_carry), `bias` (b) and `carry_bias`
    (b_carry, initialised to ones); the carry weights have no regularizer or
    constraint, as in Keras 1.

    Args:
        activation: Activation of the transform (default linear).
        use_bias: Whether to add the biases `b` and `b_carry`.
        kernel_initializer: Initializer of `W` and `W_carry`.
        kernel_regularizer, bias_regularizer: Penalties on `W` and `b`.
        kernel_constraint, bias_constraint: Constraints on `W` and `b`.
        **kwargs: Base layer arguments.

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        The same.
    """

    def __init__(
        self,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializations.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def build(self, input_shape: Any) -> None:
        dim = int(input_shape[-1])
        self.input_spec = keras.layers.InputSpec(ndim=2, axes={-1: dim})
        self.kernel = self.add_weight(
            shape=(dim, dim),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.carry_kernel = self.add_weight(
            shape=(dim, dim), initializer=self.kernel_initializer, name="carry_kernel"
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(dim,),
                initializer="zeros",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
            self.carry_bias = self.add_weight(
                shape=(dim,), initializer="ones", name="carry_bias"
            )
        self.built = True

    def call(self, inputs: Any) -> tf.Tensor:
        x = tf.convert_to_tensor(inputs)
        gate = tf.matmul(x, tf.cast(self.carry_kernel, x.dtype))
        transform = tf.matmul(x, tf.cast(self.kernel, x.dtype))
        if self.use_bias:
            gate += tf.cast(self.carry_bias, x.dtype)
            transform += tf.cast(self.bias, x.dtype)
        gate = tf.sigmoid(gate)
        return self.activation(transform) * gate + (1.0 - gate) * x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                )
                if self.kernel_regularizer is not None
                else None,
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer)
                if self.bias_regularizer is not None
                else None,
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint)
                if self.kernel_constraint is not None
                else None,
                "bias_constraint": keras.constraints.serialize(self.bias_constraint)
                if self.bias_constraint is not None
                else None,
            }
        )
        return config


HIGHWAY = register(
    LayerSpec(
        "Highway",
        args=(
            Arg("init", "kernel_initializer", "glorot_uniform", initializer),
            Arg("activation", default=None, convert=activation),
            Arg("weights", default=None),
            Arg("W_regularizer", "kernel_regularizer", None, regularizer),
            Arg("b_regularizer", "bias_regularizer", None, regularizer),
            Arg("activity_regularizer", default=None, convert=activity),
            Arg("W_constraint", "kernel_constraint", None, constraint),
            Arg("b_constraint", "bias_constraint", None, constraint),
            Arg("bias", "use_bias", True, boolean),
            input_dim_arg(),
            # Keras 1.2.2 ignored it with a deprecation warning (it only ever
            # initialised b_carry).
            Arg("transform_bias", default=None, keyword_only=True),
        ),
        build=keras_builder(Highway, drop=("input_dim", "transform_bias")),
        input_shape=input_dim_shape,
        becomes="keras_embedding Highway",
    ),
    Highway,
)
