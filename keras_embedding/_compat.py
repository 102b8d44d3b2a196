"""The few places where Keras 3 and tf_keras (Keras 2) differ.

`tf.keras` is Keras 3 by default and tf_keras when `TF_USE_LEGACY_KERAS=1`.
Everything else in the package imports `keras` from here, so it always talks
to the same Keras that `tf.keras` gives the user.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.python.ops import control_flow_util

# `tf.keras` is a lazy loader that already applied TF's own rule for
# TF_USE_LEGACY_KERAS; asking it which Embedding it serves keeps us in step
# with the user's `tf.keras` even if that rule changes.
IS_KERAS3: bool = not tf.keras.layers.Embedding.__module__.startswith("tf_keras")

if IS_KERAS3:
    import keras
else:
    import tf_keras as keras

PACKAGE = "keras_embedding"

# Arguments of Keras 3's `Embedding` that tf_keras's lacks.
KERAS3_ONLY_EMBEDDING_ARGS = ("lora_rank", "lora_alpha", "quantization_config")


def register_serializable(cls: type) -> type:
    """Registers `cls` with Keras under `keras_embedding>ClassName`."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def in_xla_context() -> bool:
    """True while tracing a function that XLA will compile.

    XLA drops `tf.debugging.Assert` and clamps out-of-range gather indices, so
    the layer switches to a NaN-poisoning index check there.
    """
    return control_flow_util.GraphOrParentsInXlaContext(
        tf.compat.v1.get_default_graph()
    )


# Policy classes that carry nothing but a dtype name (Keras 3, tf_keras).
_PLAIN_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def plain_dtype(value: Any) -> Any:
    """Reduces a serialized plain dtype policy to its name.

    Keras 3 writes `{'class_name': 'DTypePolicy', 'config': {'name': ...}}`
    and tf_keras `{'class_name': 'Policy', ...}`; the name reads the same in
    either flavour, while the other flavour's dict may not.
    """
    if isinstance(value, dict) and value.get("class_name") in _PLAIN_POLICIES:
        return value["config"]["name"]
    return value


def set_sequential_input(layer: Any, batch_input_shape: tuple) -> None:
    """Makes a Sequential model that starts with `layer` take this input shape.

    Keras 3's Sequential builds its input layer from the private
    `_input_shape_arg` (passing `input_shape=` to the base layer instead makes
    it warn) and has no way to take a batch size from a layer. tf_keras reads
    `_batch_input_shape`, batch size included, which stateful RNNs need.
    """
    if IS_KERAS3:
        layer._input_shape_arg = tuple(batch_input_shape[1:])
    else:
        layer._batch_input_shape = tuple(batch_input_shape)


def variable_tensor(variable: Any) -> Any:
    """The `tf.Variable` (or ShardedVariable) behind a Keras weight.

    Keras 3 wraps TF variables in `keras.Variable`; `tf.nn.embedding_lookup`
    and the scatter ops want the TF object. Its public `.value` will not do:
    inside a mixed-precision layer call it is a cast copy of the whole table.
    """
    if IS_KERAS3 and isinstance(variable, keras.Variable):
        return variable._value
    return variable


def optimizer_slot(optimizer: Any, slots: list[Any], variable: Any) -> Any:
    """The `tf.Variable` of `slots` (one per model variable) for `variable`.

    Keras 3 indexes an optimizer's variables by `_get_variable_index` and keeps
    `keras.Variable`s; tf_keras keeps `tf.Variable`s in `_index_dict` order.
    """
    if IS_KERAS3:
        return variable_tensor(slots[optimizer._get_variable_index(variable)])
    return slots[optimizer._index_dict[optimizer._var_key(variable)]]


# tf_keras's optimizers all sum a sparse gradient's repeated rows themselves
# (in `apply_gradients`); Keras 3's square each slice as it comes.
OPTIMIZERS_SUM_DUPLICATES: bool = not IS_KERAS3


class LazyOptimizerHooks:
    """Overrides the lazy optimizers need in one flavour only.

    tf_keras sums duplicate slices (with `tf.unique`) before `update_step`.
    The lazy update sums them itself, and under XLA it must: there
    `tf.unique`'s output is padded, and XLA's `Unique` over padded input
    counts the padding as data.
    """

    if not IS_KERAS3:

        def _deduplicate_sparse_grad(self, grads: Any) -> list[Any]:
            return list(grads)


# The dynamic loss scaler that `compile` wraps optimizers in under
# "mixed_float16". Keras 3's densifies a sparse gradient to check that it is
# finite; tf_keras's checks only the slices' values.
LossScaleOptimizer = (
    keras.optimizers.LossScaleOptimizer
    if IS_KERAS3
    else keras.mixed_precision.LossScaleOptimizer
)
LOSS_SCALE_CHECK_DENSIFIES: bool = IS_KERAS3


def outer_call_cache() -> dict | None:
    """A dict that lives as long as the outermost Keras layer call in progress.

    Keras 3 keeps one `CallContext` per outermost call (a model's call in a
    training step, say), shared by every nested layer call. Its
    `TimeDistributed` calls the wrapped layer's `call` once per timestep
    without going through `__call__`; a dict kept on that context lets these
    calls share one dropout mask. tf_keras's `TimeDistributed` calls the layer
    once, on all timesteps: None there, and outside any Keras call.
    """
    if not IS_KERAS3:
        return None
    from keras.src.backend.common import global_state

    context = global_state.get_global_attribute("current_call_ctx")
    if context is None:
        return None
    cache = getattr(context, "_keras_embedding_cache", None)
    if cache is None:
        cache = {}
        context._keras_embedding_cache = cache
    return cache


def _sync_on_read_variable(value: int, name: str) -> tf.Variable:
    # On-read synchronised: under a mirrored strategy each replica advances
    # its own copy in step with the others, so all replicas drop the same
    # rows; reading it outside a replica gives the first replica's value.
    return tf.Variable(
        value,
        dtype=tf.int64,
        trainable=False,
        name=name,
        synchronization=tf.VariableSynchronization.ON_READ,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
    )


class OptimizerBase(keras.optimizers.Optimizer):
    """An optimizer written once for Keras 3 and tf_keras.

    The two base classes differ in their constructors (Keras 3 takes
    `learning_rate`; tf_keras builds it in the subclass), in `update_step`
    (Keras 3 passes the learning rate), in how a slot is found for a variable
    and in where a once-per-step hook fits. Subclasses implement
    `_create_slots(variables)` and `_update(gradient, variable,
    learning_rate)`, and may implement `_start_step()`, which runs once per
    step before any variable is updated.
    """

    def __init__(self, learning_rate: Any, name: str, **kwargs: Any) -> None:
        if IS_KERAS3:
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        else:
            super().__init__(name=name, **kwargs)
            self._learning_rate = self._build_learning_rate(learning_rate)

    def build(self, var_list: Any) -> None:
        if getattr(self, "_slots_built", False):
            return
        super().build(var_list)
        self._create_slots(list(var_list))
        self._slots_built = True
        self._built = True  # tf_keras's own flag (set_weights checks it)

    def _create_slots(self, variables: list[Any]) -> None:
        raise NotImplementedError

    def update_step(
        self, gradient: Any, variable: Any, learning_rate: Any = None
    ) -> Any:
        if learning_rate is None:  # tf_keras does not pass it
            learning_rate = self.learning_rate
        if IS_KERAS3 and isinstance(variable, keras.Variable):  # either kind
            variable = variable_tensor(variable)
        return self._update(gradient, variable, learning_rate)

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> Any:
        raise NotImplementedError

    def _start_step(self) -> None:
        """Runs once per step, before the variables are updated."""

    def _slot(self, slots: list[Any], variable: Any) -> Any:
        """The `tf.Variable` among `slots` (one per model variable) of `variable`."""
        return optimizer_slot(self, slots, variable)

    if IS_KERAS3:

        def _backend_update_step(
            self, grads: Any, variables: Any, learning_rate: Any
        ) -> None:
            self._start_step()
            super()._backend_update_step(grads, variables, learning_rate)

    else:

        def _internal_apply_gradients(self, grads_and_vars: Any) -> Any:
            self._start_step()
            return super()._internal_apply_gradients(grads_and_vars)


class StepCounter(tf.__internal__.tracking.AutoTrackable):
    """A layer's row-dropout state: its seed and its count of training calls.

    The row-dropout mask of a step is a hash of (seed, step, id), so the
    counter must advance inside `tf.function`, `model.fit` and XLA alike, and
    both must be saved for resumed training to draw the masks uninterrupted
    training would. They are plain `tf.Variable`s held by a trackable that is
    not a `tf.Module`: tf_keras would count a module's variables as layer
    weights, and `get_weights()` must stay `[W]` as in Keras 1. TF still
    tracks them for checkpoints and SavedModel; the layer writes them to
    `.keras` files itself.

    Attributes:
        seed: int64 scalar variable, the 64 bits of the seed.
        step: int64 scalar variable, the number of training calls so far.
    """

    def __init__(self, seed: int, name: str = "dropout") -> None:
        """Creates the variables.

        Args:
            seed: the seed, as an int64 value (see `row_dropout.int64_seed`).
            name: prefix of the variables' names.
        """
        self.seed = _sync_on_read_variable(seed, f"{name}_seed")
        self.step = _sync_on_read_variable(0, f"{name}_step")

    def next(self, advance: Any = 1) -> tf.Tensor:
        """Returns the current step and advances the counter.

        Args:
            advance: 1, or an int64 scalar tensor (0 leaves the counter as
                it is, as for a call with a false `training` tensor).
        """
        return self.step.assign_add(advance) - advance


def get_uid(prefix: str) -> int:
    """The next number for `prefix` (1, 2, ...); `clear_session()` restarts it."""
    if IS_KERAS3:
        from keras.src.utils import naming

        return naming.get_uid(prefix)
    return keras.backend.get_uid(prefix)


# Keras 3's LSTM and GRU pick cuDNN by themselves on a GPU unless told not to;
# tf_keras decides from the activations' identity (see keras1.activations).
NO_CUDNN: dict[str, Any] = {"use_cudnn": False} if IS_KERAS3 else {}

# tf_keras may run BatchNormalization through TensorFlow's fused kernel, which
# raises an epsilon below 1.001e-5 to that value; Keras 3 never fuses.
UNFUSED_BATCH_NORM: dict[str, Any] = {} if IS_KERAS3 else {"fused": False}
