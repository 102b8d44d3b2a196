"""`keras_embedding.Embedding`: the Keras 1 Embedding contract on today's Keras."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding import _compat, _distribute, lookup
from keras_embedding._compat import keras
from keras_embedding.legacy import constraints as _constraints
from keras_embedding.legacy import initializations as _initializations
from keras_embedding.legacy import regularizers as _regularizers
from keras_embedding.row_dropout import row_keep_scale

# float32 holds every integer up to 2**24 exactly; above it, float ids (which
# Keras 3's Sequential produces) would silently address the wrong rows.
_MAX_FLOAT_EXACT_ID = 2**24
_INT32_MAX = 2**31 - 1
# Base-layer kwargs this layer passes through; anything else is refused here,
# with a TypeError as in Keras 1, before the base class sees it.
_BASE_KWARGS = {"name", "trainable", "dtype"} | (
    {"lora_rank", "lora_alpha", "quantization_config"} if _compat.IS_KERAS3 else set()
)
# Keras 1 name -> (modern alias, Keras 1 default).
_LEGACY_TO_MODERN = {
    "init": ("embeddings_initializer", "uniform"),
    "W_regularizer": ("embeddings_regularizer", None),
    "W_constraint": ("embeddings_constraint", None),
}


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
        output_dim: size of each vector, >= 0 (0 gives an empty table).
        init: how the table is initialised: a Keras 1 name (`"uniform"`,
            `"normal"`, `"glorot_uniform"`, `"orthogonal"`, ...; with Keras 1
            distributions, see `keras_embedding.legacy.initializations`), a
            Keras 1 function `init(shape, name=None)`, or any Keras
            initializer. Alias: `embeddings_initializer`.
        input_length: length of the id sequences when it is constant. It
            gives the layer a static output shape (so `Flatten` then `Dense`
            work) and, as the first layer of a `Sequential`, builds the model
            at once. An input of another length raises `ValueError`.
        W_regularizer: penalty on the table, summed over all its entries: a
            name (`"l1"`, `"l2"`, `"l1l2"`) or any Keras regularizer. Alias:
            `embeddings_regularizer`.
        activity_regularizer: penalty on the output, summed over batch, time
            and features as in Keras 1 (modern Keras divides it by the batch
            size; this layer does not).
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
            keeps the table's gradient sparse.
        seed: int fixing the sequence of dropout masks. Defaults to a number
            drawn from Python's `random` (so `keras.utils.set_random_seed`
            makes it reproducible).
        validate_indices: whether to check that every id is in
            `[0, input_dim)`. A bad id raises `InvalidArgumentError` naming the
            layer, the id and `input_dim`; under XLA, which cannot raise, the
            output rows of bad ids are NaN instead.
        **kwargs: base layer arguments (`name`, `trainable`, `dtype`, ...),
            the Keras 1 layer arguments `input_dtype`, `input_shape` and
            `batch_input_shape`, and the modern aliases above. On Keras 3
            also `lora_rank`, `lora_alpha` and `quantization_config`.

    Input shape:
        Integer (or float, truncated toward zero) tensor of shape
        `(batch_size, input_length)`; any rank works.

    Output shape:
        `(batch_size, input_length, output_dim)`, in the layer's compute
        dtype; the table itself stays in the variable dtype.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        init: str | Callable[..., Any] = "uniform",
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
        legacy = {"init": init, "W_regularizer": W_regularizer}
        legacy["W_constraint"] = W_constraint
        for old, (new, default) in _LEGACY_TO_MODERN.items():
            if new in kwargs:
                if legacy[old] != default:
                    raise TypeError(
                        f"Embedding received both `{old}` and `{new}`, which "
                        f"set the same thing; pass only one. Received: "
                        f"{old}={legacy[old]!r}, {new}={kwargs[new]!r}"
                    )
                legacy[old] = kwargs.pop(new)
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
        # they get placeholders; the real sizes are validated and set below,
        # where the error can name the layer.
        super().__init__(
            1,
            1,
            embeddings_initializer=_initializations.get(legacy["init"]),
            embeddings_regularizer=_regularizers.get(legacy["W_regularizer"]),
            embeddings_constraint=_constraints.get(legacy["W_constraint"]),
            mask_zero=bool(mask_zero),
            **kwargs,
        )
        self.input_dim = self._size("input_dim", input_dim, minimum=1)
        self.output_dim = self._size("output_dim", output_dim, minimum=0)
        self.input_length = (
            None
            if input_length is None
            else self._size("input_length", input_length, minimum=0)
        )
        self.dropout = self._rate(dropout)
        self.seed = seed
        self._dropout_seed = random.randint(1, _INT32_MAX) if seed is None else seed
        self.validate_indices = bool(validate_indices)
        # Kept off the base layer, which would divide the penalty by the
        # batch size; Keras 1 summed it.
        self._output_regularizer = _regularizers.get(activity_regularizer)
        self._initial_table = self._check_weights(weights)
        self._step_counter: _compat.StepCounter | None = None
        _compat.set_sequential_input(
            self, self._input_batch_shape(input_shape, batch_input_shape)
        )

    # ------------------------------------------------------------------
    # Construction helpers

    def _error(self, message: str) -> str:
        return f"Embedding layer '{self.name}': {message}"

    def _size(self, arg: str, value: Any, minimum: int) -> int:
        integral = None
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            number = float(value)
            if math.isfinite(number) and number.is_integer():
                integral = int(value)
        if integral is None or integral < minimum:
            raise ValueError(
                self._error(
                    f"`{arg}` must be an integer >= {minimum}. "
                    f"Received: {arg}={value!r}"
                )
            )
        return integral

    def _rate(self, dropout: Any) -> float:
        valid = isinstance(dropout, (int, float, np.integer, np.floating))
        if valid and not isinstance(dropout, (bool, np.bool_)):
            rate = float(dropout)
            if 0.0 <= rate < 1.0:
                return rate
        raise ValueError(
            self._error(
                "`dropout` must be a fraction of rows in [0, 1). "
                f"Received: dropout={dropout!r}"
            )
        )

    def _check_weights(self, weights: Sequence[Any] | None) -> np.ndarray | None:
        if weights is None:
            return None
        if not isinstance(weights, (list, tuple)) or len(weights) != 1:
            length = len(weights) if hasattr(weights, "__len__") else "?"
            raise ValueError(
                self._error(
                    "`weights` must be a list holding exactly one array of "
                    f"shape {(self.input_dim, self.output_dim)}; got a "
                    f"{type(weights).__name__} of length {length}. "
                    f"Received: weights={_short(weights)}"
                )
            )
        table = np.asarray(weights[0])
        expected = (self.input_dim, self.output_dim)
        if table.shape != expected:
            raise ValueError(
                self._error(
                    f"the table in `weights` has shape {table.shape}, but the "
                    f"layer's table has shape {expected} (input_dim, "
                    f"output_dim). Received: weights=[array of shape "
                    f"{table.shape}]"
                )
            )
        return table

    def _input_batch_shape(
        self, input_shape: Any, batch_input_shape: Any
    ) -> tuple[int | None, ...]:
        """The Sequential input shape, following Keras 1's precedence."""
        if batch_input_shape is not None:
            shape = tuple(batch_input_shape)
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
            shape = tuple(input_shape)
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

    # ------------------------------------------------------------------
    # Keras API

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        if input_shape is not None:
            self._check_length(tf.TensorShape(input_shape))
        _distribute.check_strategy(self.name)
        super().build(input_shape)
        # A first call inside tf.function builds the layer while tracing; the
        # initial values must be set once, eagerly, not as graph ops.
        with tf.init_scope():
            if self.dropout > 0.0:
                self._step_counter = _compat.StepCounter()
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
        self._check_length(shape)
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
        from keras_embedding.legacy.config import normalize_config

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
        ids = self._standardize_ids(inputs)
        self._check_length(ids.shape)
        valid = None
        if self.validate_indices:
            if _compat.in_xla_context():
                valid = tf.logical_and(ids >= 0, ids < self.input_dim)
            else:
                ids = self._assert_in_range(ids)
        outputs = lookup(ids)
        scale = None
        if self.dropout > 0.0 and _is_training(training):
            scale = row_keep_scale(
                ids, self.dropout, self._dropout_seed, self._step_counter.next()
            )
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
            self.add_loss(self._output_regularizer(outputs))
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
        wide = self.input_dim > _INT32_MAX
        if dtype in (tf.int32, tf.int64):
            return tf.cast(ids, tf.int64) if wide else ids
        if dtype.is_integer:
            big = dtype in (tf.uint32, tf.uint64)
            return tf.cast(ids, tf.int64 if big or wide else tf.int32)
        if dtype.is_floating:
            if self.input_dim > _MAX_FLOAT_EXACT_ID:
                raise ValueError(
                    self._error(
                        f"float ids cannot address rows above 2**24, and "
                        f"input_dim={self.input_dim} is larger. Feed integer "
                        f"ids, e.g. start the model with "
                        f"`keras.Input(shape=..., dtype='int32')`. "
                        f"Received: ids of dtype {dtype.name}"
                    )
                )
            # Truncation toward zero, as Keras 1's cast did.
            return tf.cast(ids, tf.int32)
        raise TypeError(
            self._error(
                "ids must be integers (or floats, truncated toward zero). "
                f"Received: ids of dtype {dtype.name}"
            )
        )

    def _check_length(self, shape: tf.TensorShape) -> None:
        if self.input_length is None or shape.rank is None:
            return
        length = shape[1] if shape.rank >= 2 else -1
        if length is not None and length != self.input_length:
            raise ValueError(
                self._error(
                    f"expected sequences of length input_length="
                    f"{self.input_length}, but the input has length "
                    f"{length if length >= 0 else 'none (rank 1)'}. "
                    f"Received: input of shape {tuple(shape.as_list())}"
                )
            )

    def _assert_in_range(self, ids: tf.Tensor) -> tf.Tensor:
        lowest = tf.reduce_min(ids)
        highest = tf.reduce_max(ids)
        in_range = tf.logical_and(lowest >= 0, highest < self.input_dim)
        bad = tf.where(lowest < 0, lowest, highest)
        check = tf.debugging.Assert(
            in_range,
            [
                self._error(
                    f"ids must be in [0, input_dim={self.input_dim}). Received: id="
                ),
                bad,
            ],
            summarize=1,
        )
        with tf.control_dependencies([check]):
            return tf.identity(ids)


def _is_training(training: Any) -> bool:
    """Whether dropout may apply; a symbolic flag is resolved in the graph."""
    return isinstance(training, tf.Tensor) or bool(training)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
