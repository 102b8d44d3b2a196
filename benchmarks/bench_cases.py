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
    """Tables and benchmark functions for one `Shape`.

    Holds a plain `tf.Variable` (for `tf.gather` and the Keras 1 algorithm),
    a `keras.layers.Embedding` of the active Keras, and two
    `keras_embedding.Embedding` layers (index check on and off), all built
    on `device`. The keras_embedding layers are created with `dropout=DROPOUT`
    and called with `training=False` where no dropout is wanted: the layer
    then takes exactly the no-dropout path, and one table fewer fits in memory
    at the largest sizes.
    """

    def __init__(self, shape: Shape, device: str) -> None:
        self.shape = shape
        with tf.device(device):
            rng = tf.random.Generator.from_seed(SEED)
            self.ids = [
                rng.uniform(
                    (shape.batch, shape.seq_len), 0, shape.vocab, dtype=tf.int32
                )
                for _ in range(ID_BATCHES)
            ]
            self.table = tf.Variable(
                rng.uniform((shape.vocab, shape.dim), -0.05, 0.05), name="floor"
            )
            self.keras = keras.layers.Embedding(shape.vocab, shape.dim)
            self.ke = Embedding(shape.vocab, shape.dim, dropout=DROPOUT, seed=SEED)
            self.ke_nocheck = Embedding(
                shape.vocab,
                shape.dim,
                dropout=DROPOUT,
                seed=SEED,
                validate_indices=False,
            )
            for layer in (self.keras, self.ke, self.ke_nocheck):
                layer(self.ids[0])

    def _forwards(self) -> dict[str, tuple[Forward, tf.Variable]]:
        """Variant -> (forward function, the `tf.Variable` it reads)."""
        keras_var = variable_tensor(self.keras.embeddings)
        ke_var = variable_tensor(self.ke.embeddings)
        return {
            "gather": (lambda ids: tf.gather(self.table, ids), self.table),
            "keras": (lambda ids: self.keras(ids), keras_var),
            "keras_embedding": (lambda ids: self.ke(ids, training=False), ke_var),
            "keras_embedding_nocheck": (
                lambda ids: self.ke_nocheck(ids, training=False),
                variable_tensor(self.ke_nocheck.embeddings),
            ),
            "keras_embedding_dropout": (
                lambda ids: self.ke(ids, training=True),
                ke_var,
            ),
            "keras1_dropout": (
                lambda ids: keras1_row_dropout(self.table, ids),
                self.table,
            ),
        }

    def functions(self, group: str) -> dict[str, Callable[[int], tf.Tensor]]:
        """Variant -> call(i) for `group` (see `GROUPS`, plus `_xla` twins).

        Raises:
            AssertionError: at trace time, if a (c) variant other than the
                Keras 1 algorithm does not produce an `IndexedSlices` gradient.
        """
        jit = group.endswith(XLA_SUFFIX)
        base = group.removesuffix(XLA_SUFFIX)
        forwards = self._forwards()
        calls = {}
        for name in GROUPS[base]:
            if name == OVERHEAD:
                body = _first_id
            else:
                forward, variable = forwards[name]
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
