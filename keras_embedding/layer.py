"""`keras_embedding.Embedding`: the Keras 1 Embedding contract on today's Keras."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import ml_dtypes
import numpy as np
import tensorflow as tf

from keras_embedding import _compat, _distribute, lookup
from keras_embedding._compat import keras
from keras_embedding.keras1 import specs
from keras_embedding.keras1.layers import EMBEDDING as _SPEC
from keras_embedding.keras1.layers import normalize_config
from keras_embedding.keras1.specs import check_weights
from keras_embedding.row_dropout import int64_seed, row_keep_scale

_INT32_MAX = 2**31 - 1
# The unsigned type of each signed id type: reinterpreted as unsigned, a
# negative id is larger than any valid one, so one maximum checks both ends.
_UNSIGNED = {tf.int8: tf.uint8, tf.int16: tf.uint16, tf.int32: tf.uint32}
_UNSIGNED[tf.int64] = tf.uint64
# Where `save_own_variables` keeps the row-dropout state in `.keras` files.
_STATE_KEYS = ("dropout_seed", "dropout_step")
# Base-layer kwargs this layer passes through; anything else is refused here,
# with a TypeError as in Keras 1, before the base class sees it.
_BASE_KWARGS = {"name", "trainable", "dtype"} | (
    set(_compat.KERAS3_ONLY_EMBEDDING_ARGS) if _compat.IS_KERAS3 else set()
)


@_compat.register_serializable
class Embedding(keras.layers.Embedding):
    """Turns non-negative integer ids into dense vectors, as Keras 1 did.

    A drop-in replacement for the Keras 1 `Embedding` layer that subclasses
    the active `tf.keras.layers.Embedding` (Keras 3, or tf_keras when
    `TF_USE_LEGACY_KERAS=1`). Every Keras 1 argument keeps its Keras 1 meaning,
    including `dropout`, which drops whole vocabulary rows; the modern
    argument names, masks, mixed precision, saving, LoRA and quantization keep
    working.

    Example:

    >>> model = keras.Sequential()
    >>> model.add(Embedding(1000, 64, input_length=10))
    >>> model.output_shape
    (None, 10, 64)
    >>> ids = np.random.randint(1000, size=(32, 10))
    >>> model.predict(ids, verbose=0).shape
    (32, 10, 64)

    Args:
        input_dim: size of the vocabulary, i.e. 1 + the largest id, >= 1.
            Python ints, numpy integers and integral floats are accepted.
        output_dim: size of each vector, in [0, 2**31 - 1] (0 gives an empty
            table). The table may hold at most 2**63 - 1 entries.
        init: how the table is initialised: a Keras 1 name (`"uniform"`,
            `"normal"`, `"glorot_uniform"`, `"orthogonal"`, ...; with Keras 1
            distributions, see `keras_embedding.keras1.initializations`), a
            Keras 1 function `init(shape, name=None)`, or any Keras
            initializer. Alias: `embeddings_initializer`.
        input_length: length of the id sequences when it is constant. It
            gives the layer a static output shape (so `Flatten` then `Dense`
            work) and, as the first layer of a `Sequential`, builds the model
            at once. An input of another length raises `ValueError`, or
            `InvalidArgumentError` when the step runs if its length is only
            known then.
        W_regularizer: penalty on the table, summed over all its entries: a
            name (`"l1"`, `"l2"`, `"l1l2"`) or any Keras regularizer. Alias:
            `embeddings_regularizer`.
        activity_regularizer: penalty on the output, summed over batch, time
            and features as in Keras 1 (modern Keras divides it by the batch
            size; this layer does not), the global batch's on N replicas.
        W_constraint: projection applied to the table after each optimizer
            update: `"maxnorm"`, `"nonneg"`, `"unitnorm"` (Keras 1 defaults:
            `m=2`, `axis=0`, i.e. per output column) or any Keras constraint.
            Alias: `embeddings_constraint`.
        mask_zero: whether id 0 is padding. The mask (`ids != 0`) reaches the
            following layers; row 0 stays an ordinary row of the table.
        weights: `[array]` with one array of shape `(input_dim, output_dim)`,
            the initial table (cast to the table's dtype).
        dropout: fraction of vocabulary rows to drop in training, in [0, 1).
            Each step, each row is dropped with this probability, the same
            decision for every sample and position of the batch, and kept rows
            are scaled by `1 / (1 - dropout)`. It costs O(#ids) per step and
            keeps the table's gradient sparse. The seed in use and the step
            are saved with the model (not in legacy `.h5` files).
        seed: int in [0, 2**64) fixing the sequence of dropout masks. Defaults
            to a number drawn from Python's `random` (so
            `keras.utils.set_random_seed` makes it reproducible).
        validate_indices: whether to check that every id is in
            `[0, input_dim)`. A bad id (NaN and infinities included) raises
            `InvalidArgumentError` naming the layer, the id and `input_dim`;
            under XLA, which cannot raise, the output rows of bad ids are NaN
            instead.
        **kwargs: base layer arguments (`name`, `trainable`, `dtype`, ...),
            the Keras 1 layer arguments `input_dtype`, `input_shape` and
            `batch_input_shape`, and the modern aliases above. On Keras 3
            also `lora_rank`, `lora_alpha` and `quantization_config`.

    Input shape:
        Integer (or float, truncated toward zero) tensor of shape
        `(batch_size, input_length)`; any rank works. Float ids are refused
        when `input_dim` exceeds the integers their dtype holds exactly
        (2**11 for float16, 2**8 for bfloat16, 2**24 for float32).

    Raises:
        ValueError: for an argument out of its range, naming it and its value.
        TypeError: for an argument of the wrong type, or an unknown one.

    Output shape:
        `(batch_size, input_length, output_dim)`, in the layer's compute
        dtype; the table itself stays in the variable dtype.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        init: str | Callable[..., Any] | None = None,
        input_length: int | None = None,
        W_regularizer: Any = None,  # noqa: N803 - the Keras 1 argument name
        activity_regularizer: Any = None,
        W_constraint: Any = None,  # noqa: N803 - the Keras 1 argument name
        mask_zero: bool = False,
        weights: Sequence[Any] | None = None,
        dropout: float = 0.0,
        *,
        seed: int | None = None,
        validate_indices: bool = True,
        **kwargs: Any,
    ) -> None:
        given = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "input_length": input_length,
            "activity_regularizer": activity_regularizer,
            "mask_zero": mask_zero,
            "weights": weights,
            "dropout": dropout,
        }
        # None leaves an argument that has a modern alias free for the alias.
        aliased = {"init": init, "W_regularizer": W_regularizer}
        aliased["W_constraint"] = W_constraint
        given.update({key: val for key, val in aliased.items() if val is not None})
        values, kwargs = _SPEC.collect((), {**given, **kwargs}, "Embedding")
        kwargs.pop("input_dtype", None)  # Keras 1 always used int32 ids.
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        unknown = sorted(set(kwargs) - _BASE_KWARGS)
        if unknown:
            received = ", ".join(f"{key}={kwargs[key]!r}" for key in unknown)
            raise TypeError(
                f"Embedding got unexpected keyword arguments {unknown}. "
                f"Received: {received}"
            )
        # The base classes reject Keras 1 sizes (output_dim=0, numpy ints), so
        # they get placeholders; the spec validates the real arguments below,
        # where the error can name the layer.
        super().__init__(1, 1, **kwargs)
        args = _SPEC.convert(values, self._error_prefix())
        self._check_table_size(args["input_dim"], args["output_dim"])
        self.input_dim = args["input_dim"]
        self.output_dim = args["output_dim"]
        self.embeddings_initializer = args["embeddings_initializer"]
        self.input_length = args["input_length"]
        self.embeddings_regularizer = args["embeddings_regularizer"]
        self._output_regularizer = None
        self.activity_regularizer = args["activity_regularizer"]
        self.embeddings_constraint = args["embeddings_constraint"]
        self.mask_zero = args["mask_zero"]
        self.supports_masking = self.mask_zero
        self.dropout = args["dropout"]
        if seed is not None:
            seed = self._convert("seed", seed, specs.seed)
        self.seed = seed
        self._dropout_seed = random.randint(1, _INT32_MAX) if seed is None else seed
        self.validate_indices = bool(validate_indices)
        self._initial_table = (
            None
            if args["weights"] is None
            else check_weights(
                self._error_prefix(),
                args["weights"],
                [(self.input_dim, self.output_dim)],
            )[0]
        )
        self._step_counter: _compat.StepCounter | None = None
        self._calls = _CallDepth()
        _compat.set_sequential_input(
            self, self._input_batch_shape(input_shape, batch_input_shape)
        )

    # ------------------------------------------------------------------
    # Construction helpers

    def _error_prefix(self) -> str:
        return f"Embedding layer '{self.name}'"

    def _error(self, message: str) -> str:
        return f"{self._error_prefix()}: {message}"

    def _convert(self, name: str, value: Any, convert: specs.Converter) -> Any:
        try:
            return convert(name, value)
        except (TypeError, ValueError) as error:
            raise type(error)(self._error(str(error))) from error

    def _check_table_size(self, input_dim: int, output_dim: int) -> None:
        if input_dim * output_dim > specs.INT64_MAX:
            raise ValueError(
                self._error(
                    f"a table of input_dim x output_dim = {input_dim} x "
                    f"{output_dim} entries cannot exist: TensorFlow shapes hold "
                    "at most 2**63 - 1 entries. Received: "
                    f"input_dim={input_dim}, output_dim={output_dim}"
                )
            )

    def _input_batch_shape(
        self, input_shape: Any, batch_input_shape: Any
    ) -> tuple[int | None, ...]:
        """The Sequential input shape, following Keras 1's precedence."""
        if batch_input_shape is not None:
            shape = self._convert("batch_input_shape", batch_input_shape, specs.shape)
            if not shape:
                raise ValueError(
                    self._error(
                        "`batch_input_shape` needs at least the batch size. "
                        f"Received: batch_input_shape={batch_input_shape!r}"
                    )
                )
            if not _compat.IS_KERAS3 or shape[0] is None:
                return shape
            warnings.warn(
                self._error(
                    f"Keras 3's Sequential cannot take a batch size from a "
                    f"layer, so the batch size {shape[0]} of "
                    f"`batch_input_shape={shape}` is dropped. Start the model "
                    f"with `keras.Input(batch_shape={shape})` to fix it."
                ),
                stacklevel=3,
            )
            return shape
        if input_shape is not None:
            shape = self._convert("input_shape", input_shape, specs.shape)
            if (
                self.input_length is not None
                and len(shape) >= 1
                and shape[0] not in (None, self.input_length)
            ):
                raise ValueError(
                    self._error(
                        f"`input_shape` {shape} disagrees with "
                        f"`input_length={self.input_length}`. "
                        f"Received: input_shape={shape}"
                    )
                )
            return (None, *shape)
        return (None, self.input_length)

    # ------------------------------------------------------------------
    # Keras 1 attribute

    @property
    def W(self) -> Any:  # noqa: N802 - the Keras 1 attribute name
        """The table variable, as Keras 1 code reads it (`layer.embeddings`)."""
        return self.embeddings

    @property
    def dropout(self) -> float:
        """The row-dropout rate, in [0, 1).

        It may be set at any time (a `ValueError` names a bad value). Like
        any layer setting, a new rate reaches calls traced afterwards: eager
        calls at once, a compiled model's `fit` after `model.compile(...)`.
        """
        return self._dropout

    @dropout.setter
    def dropout(self, value: Any) -> None:
        self._dropout = _SPEC.convert_value("dropout", value, self._error_prefix())

    @property
    def activity_regularizer(self) -> Any:
        """The penalty on the output (Keras 1's sum over the batch), or None."""
        if _compat.IS_KERAS3 and getattr(self, "_calls", None) and self._calls.depth:
            # Keras 3's `__call__` adds this attribute's penalty divided by
            # the batch size; `call` adds Keras 1's sum instead.
            return None
        return self._output_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value: Any) -> None:
        self._output_regularizer = (
            None
            if value is None
            else _SPEC.convert_value(
                "activity_regularizer", value, self._error_prefix()
            )
        )

    # ------------------------------------------------------------------
    # Keras API

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        if input_shape is not None:
            self._check_static_length(tf.TensorShape(input_shape))
        _distribute.check_strategy(self.name)
        super().build(input_shape)
        # A first call inside tf.function builds the layer while tracing; the
        # initial values must be set once, eagerly, not as graph ops.
        with tf.init_scope():
            # Made whatever the rate, so that `dropout` can be set later.
            self._step_counter = _compat.StepCounter(int64_seed(self._dropout_seed))
            if self._initial_table is not None:
                self.set_weights([self._initial_table])
                self._initial_table = None

    def get_weights(self) -> list[Any]:
        # tf_keras lists a sharded table (ParameterServerStrategy) shard by
        # shard; Keras 1 code expects `[table]`.
        if _distribute.is_sharded(getattr(self, "embeddings", None)):
            return _distribute.get_table(self.embeddings)
        return super().get_weights()

    def set_weights(self, weights: Sequence[Any]) -> None:
        if _distribute.is_sharded(getattr(self, "embeddings", None)):
            _distribute.set_table(self.embeddings, weights, self.name)
        else:
            super().set_weights(weights)

    def save_own_variables(self, store: Any) -> None:
        super().save_own_variables(store)
        if self._step_counter is not None:
            store["dropout_seed"] = self._step_counter.seed.numpy()
            store["dropout_step"] = self._step_counter.step.numpy()

    def load_own_variables(self, store: Any) -> None:
        super().load_own_variables(_WithoutKeys(store, _STATE_KEYS))
        # A file written before the state was saved leaves a fresh state.
        if self._step_counter is not None and all(key in store for key in _STATE_KEYS):
            self._step_counter.seed.assign(np.asarray(store["dropout_seed"]))
            self._step_counter.step.assign(np.asarray(store["dropout_step"]))

    @tf.autograph.experimental.do_not_convert
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Tells `call` whether it runs as a call of this layer or is called
        # directly by a wrapper (see `_dropout_step`).
        self._calls.depth += 1
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._calls.depth -= 1

    def call(self, inputs: Any, training: Any = None) -> tf.Tensor:
        return self._legacy_call(inputs, training, self._gather)

    if _compat.IS_KERAS3:

        def quantized_call(self, inputs: Any, training: Any = None) -> tf.Tensor:
            return self._legacy_call(inputs, training, super().quantized_call)

        def quantize(self, mode: Any = None, type_check: bool = True, **kwargs: Any):
            # Keras refuses to quantize subclasses unless told that the
            # subclass keeps the quantized lookup; this one wraps it unchanged.
            del type_check
            return super().quantize(mode, type_check=False, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        shape = tf.TensorShape(input_shape)
        self._check_static_length(shape)
        dims = list(shape.as_list())
        if self.input_length is not None and len(dims) >= 2:
            dims[1] = self.input_length
        return (*dims, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "activity_regularizer": keras.regularizers.serialize(
                    self._output_regularizer
                )
                if self._output_regularizer is not None
                else None,
                "input_length": self.input_length,
                "dropout": self.dropout,
                "seed": self.seed,
                "validate_indices": self.validate_indices,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Embedding:
        """Builds the layer from a Keras 1, Keras 2 / tf_keras or Keras 3 config.

        The config passed in is never modified.
        """
        return cls(**normalize_config(config))

    @classmethod
    def from_pretrained(
        cls, embeddings: Any, freeze: bool = True, **kwargs: Any
    ) -> Embedding:
        """Creates a layer whose table is `embeddings`.

        Args:
            embeddings: array-like of shape `(input_dim, output_dim)`.
            freeze: if True the table is not trained (`trainable=False`).
            **kwargs: any other constructor argument (`mask_zero`, `dropout`,
                `input_length`, `name`, ...).

        Returns:
            An `Embedding` holding a copy of `embeddings`.
        """
        table = np.asarray(embeddings)
        if table.ndim != 2:
            raise ValueError(
                "Embedding.from_pretrained expects a 2-D array of shape "
                f"(input_dim, output_dim). Received: embeddings of shape "
                f"{table.shape}"
            )
        kwargs.setdefault("trainable", not freeze)
        return cls(table.shape[0], table.shape[1], weights=[table], **kwargs)

    # ------------------------------------------------------------------
    # The lookup

    def _legacy_call(
        self, inputs: Any, training: Any, lookup: Callable[[tf.Tensor], tf.Tensor]
    ) -> tf.Tensor:
        ids = self._check_length(self._standardize_ids(inputs))
        valid = None
        if self.validate_indices:
            if _compat.in_xla_context():
                valid = self._valid_ids(ids)
            else:
                ids = self._assert_in_range(ids)
        ids = _index_ids(ids, wide=self.input_dim > _INT32_MAX)
        outputs = lookup(ids)
        scale = None
        if self.dropout > 0.0 and _is_training(training):
            seed, step = self._dropout_step(training)
            scale = row_keep_scale(ids, self.dropout, seed, step)
            if isinstance(training, tf.Tensor):
                scale = tf.where(training, scale, tf.ones_like(scale))
        if valid is not None:
            # XLA drops asserts and clamps the gather, so a bad id would
            # quietly read a real row; NaN makes it loud in any loss.
            poison = tf.where(valid, 1.0, math.nan)
            scale = poison if scale is None else scale * poison
        if scale is not None:
            outputs = outputs * tf.cast(scale, outputs.dtype)[..., tf.newaxis]
        if self._output_regularizer is not None:
            penalty = self._output_regularizer(outputs)
            self.add_loss(penalty * _distribute.replicas_sharing_the_batch())
        return outputs

    def _gather(self, ids: tf.Tensor) -> tf.Tensor:
        table = _compat.variable_tensor(self.embeddings)
        lora = _compat.IS_KERAS3 and self.lora_enabled
        if not lora and not _distribute.is_sharded(table):
            # Keras 3's `ops.take` reads the whole table to learn its shape,
            # and both Keras's lookups give a gradient slice per id, not per
            # row (see lookup.py).
            return tf.cast(lookup.gather(table, ids), self.compute_dtype)
        return super().call(ids)

    def _standardize_ids(self, inputs: Any) -> tf.Tensor:
        """The ids as a tensor of their own dtype, refusing what is no id."""
        if isinstance(inputs, tf.SparseTensor):
            raise TypeError(
                self._error(
                    "SparseTensor ids are not supported: pass dense ids "
                    "(`tf.sparse.to_dense`, padding with 0 and `mask_zero=True`) "
                    "or a RaggedTensor. Received: a SparseTensor of shape "
                    f"{inputs.shape}"
                )
            )
        ids = tf.convert_to_tensor(inputs) if not tf.is_tensor(inputs) else inputs
        dtype = tf.as_dtype(ids.dtype)
        if dtype.is_floating:
            # Above 2**(mantissa bits + 1) a float dtype skips integers, so
            # ids would silently address other rows.
            exact = 2 ** (ml_dtypes.finfo(dtype.as_numpy_dtype).nmant + 1)
            if self.input_dim > exact:
                raise ValueError(
                    self._error(
                        f"{dtype.name} ids cannot address rows above "
                        f"2**{exact.bit_length() - 1} exactly, and "
                        f"input_dim={self.input_dim} is larger. Feed integer "
                        "ids, e.g. start the model with "
                        "`keras.Input(shape=..., dtype='int32')`. "
                        f"Received: ids of dtype {dtype.name}"
                    )
                )
        elif not dtype.is_integer:
            raise TypeError(
                self._error(
                    "ids must be integers (or floats, truncated toward zero). "
                    f"Received: ids of dtype {dtype.name}"
                )
            )
        return ids

    def _check_static_length(self, shape: tf.TensorShape) -> bool:
        """Raises if `shape` contradicts `input_length`.

        Returns:
            Whether the length is known to be right; False when it is only
            known at run time.
        """
        if self.input_length is None:
            return True
        if shape.rank is None:
            return False
        length = shape[1] if shape.rank >= 2 else -1
        if length is None:
            return False
        if length != self.input_length:
            raise ValueError(
                self._error(
                    f"expected sequences of length input_length="
                    f"{self.input_length}, but the input has length "
                    f"{length if length >= 0 else 'none (rank 1)'}. "
                    f"Received: input of shape {tuple(shape.as_list())}"
                )
            )
        return True

    def _check_length(self, ids: Any) -> Any:
        """`ids`, checked against `input_length` and given it as static length.

        A static length is checked now, at no cost per step; an unknown one
        (a `tf.function` or a `tf.data` pipeline with `None` dimensions, a
        tf_keras functional `Input((None,))`) is checked when the step runs.
        """
        if self._check_static_length(ids.shape):
            return ids
        length = self.input_length
        message = (
            f"expected sequences of length input_length={length}, but the "
            "input has length "
        )
        if isinstance(ids, tf.RaggedTensor):
            lengths = ids.row_lengths()
            shortest, longest = tf.reduce_min(lengths), tf.reduce_max(lengths)
            found = tf.where(shortest != length, shortest, longest)
            ok = tf.logical_or(
                tf.size(lengths) == 0,
                tf.logical_and(shortest == length, longest == length),
            )
            return _after(self._require(ok, message, found), ids)
        # -1 stands for a missing axis 1 (ids of rank 0 or 1).
        found = tf.concat([tf.shape(ids, out_type=tf.int64), [-1, -1]], 0)[1]
        ids = _after(self._require(found == length, message, found), ids)
        if ids.shape.rank is None:
            return ids
        static = ids.shape.as_list()
        static[1] = length
        # Under XLA, which drops the check, a wrong length fails compilation.
        return tf.ensure_shape(ids, static)

    def _require(self, ok: tf.Tensor, message: str, value: tf.Tensor) -> Any:
        """Raises `InvalidArgumentError(message + value)` where `ok` is false.

        Eagerly the error is raised here, with a message of its own; in a
        graph this returns the assert op, whose message shows `value` after
        `message`. `value` is computed anyway: it must cost no more than
        `ok` did.
        """
        if tf.executing_eagerly():
            if not bool(ok):
                text = _scalar_text(value.numpy())
                raise tf.errors.InvalidArgumentError(
                    None, None, self._error(message + text)
                )
            return None
        # The raw op, not tf.debugging.Assert: that one wraps non-int32 data
        # in a tf.cond, which costs more than the whole check.
        return tf.raw_ops.Assert(
            condition=ok, data=[self._error(message).rstrip(), value], summarize=1
        )

    def _assert_in_range(self, ids: Any) -> Any:
        """`ids`, after a check that each is in [0, input_dim).

        One reduction over the ids: integers reinterpreted as unsigned (a
        negative id becomes larger than any valid one) and their maximum
        compared with `input_dim`; floats (rare, and never fast) compared
        elementwise, which also catches NaN.
        """
        flat = ids.flat_values if isinstance(ids, tf.RaggedTensor) else ids
        message = f"ids must be in [0, input_dim={self.input_dim}). Received: id="
        if flat.dtype.is_floating:
            ok, bad = _first_invalid_float(flat, self.input_dim)
        else:
            bound = _id_bound(flat.dtype, self.input_dim)
            if bound is None:
                return ids
            highest = tf.reduce_max(_unsigned_view(flat))
            # Reinterpreted back, the maximum is a bad id itself: the
            # negative one nearest zero if there is one, else the largest.
            bad = (
                highest
                if highest.dtype == flat.dtype
                else tf.bitcast(highest, flat.dtype)
            )
            ok = highest < bound
        return _after(self._require(ok, message, bad), ids)

    def _valid_ids(self, ids: Any) -> Any:
        """Elementwise validity of the ids (under XLA), or None if all are."""
        flat = ids.flat_values if isinstance(ids, tf.RaggedTensor) else ids
        if flat.dtype.is_floating:
            valid = _valid_floats(flat, self.input_dim)
        else:
            bound = _id_bound(flat.dtype, self.input_dim)
            if bound is None:
                return None
            valid = _unsigned_view(flat) < bound
        if isinstance(ids, tf.RaggedTensor):
            return ids.with_flat_values(valid)
        return valid

    def _dropout_step(self, training: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """The (seed, step) of this call's mask; advances the step counter.

        A false `training` tensor leaves the counter as it is. Calls of the
        layer (through `__call__`) each get a step of their own, as each
        call in Keras 1 drew its own mask. Keras 3's `TimeDistributed`
        instead calls `call` directly once per timestep: those calls, within
        one outer call, share one step, as in Keras 1 and tf_keras, where
        `TimeDistributed` calls the layer once on all timesteps.
        """
        counter = self._step_counter
        advance = tf.cast(training, tf.int64) if isinstance(training, tf.Tensor) else 1
        shared = None if self._calls.depth else _compat.outer_call_cache()
        if shared is None:
            return counter.seed.read_value(), counter.next(advance)
        graph = None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()
        key = (id(self), id(graph))
        if key in shared:
            return shared[key]
        seed, step = counter.seed.read_value(), counter.step.read_value()
        # The update is a side effect, not an input of the mask: with an
        # unknown number of timesteps `TimeDistributed` vectorizes `call`
        # (`tf.vectorized_map`), which cannot vectorize a variable update
        # that the outputs depend on, but leaves this one to run once.
        counter.step.assign(step + advance)
        shared[key] = seed, step
        return seed, step


def _is_training(training: Any) -> bool:
    """Whether dropout may apply; a symbolic flag is resolved in the graph."""
    return isinstance(training, tf.Tensor) or bool(training)


class _CallDepth:
    """How many calls of a layer are in progress (a plain, untracked object)."""

    def __init__(self) -> None:
        self.depth = 0


class _WithoutKeys(Mapping):
    """A read-only view of a weights store that hides some of its keys."""

    def __init__(self, store: Any, hidden: Sequence[str]) -> None:
        self._store = store
        # Weights stores have `keys()` but need not iterate.
        self._keys = [key for key in store.keys() if key not in hidden]  # noqa: SIM118

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._keys)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._store[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _after(check: Any, ids: Any) -> Any:
    """`ids`, to be computed only once `check` (an op or None) has run."""
    if check is None:
        return ids
    with tf.control_dependencies([check]):
        if isinstance(ids, tf.RaggedTensor):
            return ids.with_flat_values(tf.identity(ids.flat_values))
        return tf.identity(ids)


def _id_bound(dtype: tf.DType, input_dim: int) -> int | None:
    """The bound valid ids stay under, as unsigned values; None if every value
    of `dtype` is a valid id."""
    if dtype.is_unsigned:
        return input_dim if input_dim <= dtype.max else None
    # A signed id reinterpreted as unsigned is below 2**(bits - 1) exactly
    # when it is not negative.
    return min(input_dim, dtype.max + 1)


def _unsigned_view(ids: tf.Tensor) -> tf.Tensor:
    """Integer ids reinterpreted as unsigned (unsigned ids as they are)."""
    unsigned = _UNSIGNED.get(ids.dtype)
    return ids if unsigned is None else tf.bitcast(ids, unsigned)


def _valid_floats(ids: tf.Tensor, input_dim: int) -> tf.Tensor:
    # Truncation toward zero makes (-1, input_dim) the valid range; NaN
    # fails both comparisons.
    return tf.logical_and(ids > -1, ids < input_dim)


def _first_invalid_float(ids: tf.Tensor, input_dim: int) -> tuple[tf.Tensor, tf.Tensor]:
    """(whether all float ids are valid, the first invalid one if not)."""
    invalid = tf.reshape(tf.logical_not(_valid_floats(ids, input_dim)), [-1])
    values = tf.reshape(ids, [-1])
    # A valid 0 at the end keeps the argmax defined on empty ids.
    invalid = tf.concat([tf.cast(invalid, tf.int32), [0]], 0)
    values = tf.concat([values, tf.zeros([1], values.dtype)], 0)
    first = tf.argmax(invalid, output_type=tf.int32)
    return tf.equal(invalid[first], 0), values[first]


def _index_ids(ids: Any, wide: bool) -> Any:
    """The ids in the integer dtype the lookup takes (int32 or int64).

    Floats are truncated toward zero, as Keras 1's cast did. `wide` (an
    `input_dim` above int32) asks for int64.
    """
    dtype = tf.as_dtype(ids.dtype)
    if dtype in (tf.int32, tf.int64):
        return tf.cast(ids, tf.int64) if wide and dtype == tf.int32 else ids
    big = dtype in (tf.uint32, tf.uint64)
    return tf.cast(ids, tf.int64 if big or wide else tf.int32)


def _scalar_text(value: Any) -> str:
    """A scalar id as users should read it: `nan`, `inf`, `1e+10`, `-3`."""
    value = np.asarray(value).item()
    return repr(value) if isinstance(value, float) else str(value)
