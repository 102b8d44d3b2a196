"""The lookup benchmarks (a), (b), (c) and their XLA twins (e).

For one table size, `LookupCase` holds the tables and returns, per group, the
`tf.function`s to time. Every variant of a group computes the same kind of
thing on the same ids, so the group's times are directly comparable:

- `a_forward`: inference lookup, `training=False`;
- `b_dropout_forward`: training lookup with row dropout p=`DROPOUT`;
- `c_sgd_step`: forward, `reduce_sum` loss, gradient and a plain SGD update
  written only to the rows the gradient touches (or the whole table, for the
  Keras 1 algorithm, whose gradient is dense).

Group names ending in `_xla` are the same functions with `jit_compile=True`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from keras_embedding import Embedding
from keras_embedding._compat import keras, variable_tensor

DROPOUT = 0.2
LEARNING_RATE = 0.01
SEED = 1234
# Distinct id batches cycled through, so consecutive calls do not read the
# very same rows (which would sit in cache in a way training data never is).
ID_BATCHES = 4

# A `tf.function` that returns one id: the cost of calling any function,
# which is part of every time below. Timed in each group's rounds so that
# ratios can also be given net of it.
OVERHEAD = "call_overhead"
# Group -> its variants, the floor (`tf.gather`) first.
GROUPS: dict[str, tuple[str, ...]] = {
    "a_forward": (
        "gather",
        "keras",
        "keras_embedding",
        "keras_embedding_nocheck",
        OVERHEAD,
    ),
    "b_dropout_forward": (
        "gather",
        "keras_embedding_dropout",
        "keras1_dropout",
        OVERHEAD,
    ),
    "c_sgd_step": (
        "gather",
        "keras",
        "keras_embedding",
        "keras_embedding_dropout",
        "keras1_dropout",
        OVERHEAD,
    ),
}
XLA_SUFFIX = "_xla"

Forward = Callable[[tf.Tensor], tf.Tensor]


@dataclass(frozen=True)
class Shape:
    """One benchmark point: table (vocab x dim), ids (batch x seq_len)."""

    vocab: int
    dim: int
    batch: int
    seq_len: int

    @property
    def lookup_bytes(self) -> int:
        """Bytes a float32 lookup moves: each row read once, output written once."""
        return 2 * self.batch * self.seq_len * self.dim * 4


def keras1_row_dropout(table: tf.Variable, ids: tf.Tensor) -> tf.Tensor:
    """Keras 1's algorithm: one Bernoulli per vocabulary row, applied to W.

    `B = (uniform((V,)) >= p) / (1 - p)`, then `gather(W * B[:, None], ids)`:
    a V x D multiply per step, and a dense gradient for W.
    """
    vocab = tf.shape(table)[0]
    keep = tf.cast(tf.random.uniform((vocab,)) >= DROPOUT, tf.float32)
    return tf.gather(table * (keep / (1.0 - DROPOUT))[:, tf.newaxis], ids)


class LookupCase:
    """Ids and benchmark functions for one `Shape`.

    Every call of `functions` builds new tables on `device`, one per variant:
    a plain `tf.Variable` for `tf.gather` and for the Keras 1 algorithm, a
    `keras.layers.Embedding` of the active Keras, and a
    `keras_embedding.Embedding` for each of its variants. No two variants,
    and no two groups, share a variable. Sharing would leak one variant's
    effects into another's times: the first sparse op on a TF resource
    variable (`tf.gather` on it is a `ResourceGather`) switches it to
    copy-on-read for good, after which every dense read or write of the whole
    table copies it (`profile_layer.py` measures this).

    The keras_embedding layers are built with `dropout=DROPOUT`; the
    variants without dropout call them with `training=False`, which is the
    path an inference call of a model trained with dropout takes.
    """

    def __init__(self, shape: Shape, device: str) -> None:
        self.shape = shape
        self.device = device
        with tf.device(device):
            self._rng = tf.random.Generator.from_seed(SEED)
            self.ids = [
                self._rng.uniform(
                    (shape.batch, shape.seq_len), 0, shape.vocab, dtype=tf.int32
                )
                for _ in range(ID_BATCHES)
            ]

    def _variant(self, name: str) -> tuple[Forward, tf.Variable]:
        """A new table for variant `name`: (its forward function, its variable).

        Layers are built, not called, so no lookup touches a table before
        the variant's own function does.
        """
        vocab, dim = self.shape.vocab, self.shape.dim
        if name in ("gather", "keras1_dropout"):
            table = tf.Variable(self._rng.uniform((vocab, dim), -0.05, 0.05), name=name)
            if name == "gather":
                return (lambda ids: tf.gather(table, ids)), table
            return (lambda ids: keras1_row_dropout(table, ids)), table
        id_shape = tuple(self.ids[0].shape)
        if name == "keras":
            keras_layer = keras.layers.Embedding(vocab, dim)
            keras_layer.build(id_shape)
            return (lambda ids: keras_layer(ids)), variable_tensor(
                keras_layer.embeddings
            )
        layer = Embedding(
            vocab,
            dim,
            dropout=DROPOUT,
            seed=SEED,
            validate_indices=name != "keras_embedding_nocheck",
        )
        layer.build(id_shape)
        training = name == "keras_embedding_dropout"
        return (lambda ids: layer(ids, training=training)), variable_tensor(
            layer.embeddings
        )

    def functions(
        self, group: str, variants: tuple[str, ...] | None = None
    ) -> dict[str, Callable[[int], tf.Tensor]]:
        """Variant -> call(i) for `group` (see `GROUPS`, plus `_xla` twins).

        Each variant gets a new table (see the class docstring); it lives as
        long as the returned functions. `variants` picks some of the group's
        variants; default: all.

        Raises:
            AssertionError: at trace time, if a (c) variant other than the
                Keras 1 algorithm does not produce an `IndexedSlices` gradient.
        """
        jit = group.endswith(XLA_SUFFIX)
        base = group.removesuffix(XLA_SUFFIX)
        calls = {}
        for name in variants or GROUPS[base]:
            if name == OVERHEAD:
                body = _first_id
            else:
                with tf.device(self.device):
                    forward, variable = self._variant(name)
                body = (
                    _sgd_step(forward, variable, sparse=name != "keras1_dropout")
                    if base == "c_sgd_step"
                    else forward
                )
            fn = tf.function(body, jit_compile=jit, autograph=False)
            calls[name] = _cycling(fn, self.ids)
        return calls


def _first_id(ids: tf.Tensor) -> tf.Tensor:
    """One tiny op: the call computes and returns a new tensor, as every
    benchmarked variant does, but does no work worth timing."""
    return ids[0, 0]


def _cycling(
    fn: Callable[[tf.Tensor], tf.Tensor], ids: list[tf.Tensor]
) -> Callable[[int], tf.Tensor]:
    """call(i) = fn(ids[i mod len(ids)])."""
    return lambda i: fn(ids[i % len(ids)])


def _sgd_step(
    forward: Forward, variable: tf.Variable, sparse: bool
) -> Callable[[tf.Tensor], tf.Tensor]:
    """One SGD step on `variable` through `forward`; returns the loss.

    A sparse step writes only the gathered rows (`scatter_sub`), which is what
    an IndexedSlices gradient allows; the dense step rewrites the table.
    """

    def step(ids: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(forward(ids))
        with warnings.catch_warnings():
            if not sparse:
                # Keras 1's gradient is dense by design; TF warns about that.
                warnings.filterwarnings(
                    "ignore", "Converting sparse IndexedSlices", UserWarning
                )
            grad = tape.gradient(loss, variable)
        if sparse:
            # Checked while tracing: the point of (c) is that the gradient
            # stays sparse, so a dense one must fail the run, not slow it.
            if not isinstance(grad, tf.IndexedSlices):
                raise AssertionError(
                    f"expected an IndexedSlices gradient, got {type(grad).__name__}"
                )
            variable.scatter_sub(
                tf.IndexedSlices(
                    LEARNING_RATE * grad.values, grad.indices, grad.dense_shape
                )
            )
        else:
            variable.assign_sub(LEARNING_RATE * tf.convert_to_tensor(grad))
        return loss

    return step
