"""Keras 1 row ("word-type") dropout, computed per id instead of per table.

Keras 1 drew one Bernoulli per vocabulary row each step, multiplied the whole
(input_dim, output_dim) table by it and then gathered. That costs
O(input_dim x output_dim) per step and turns the table's gradient dense.

Here the keep/drop decision of row `i` at step `t` is a pure function of
(seed, t, i): an integer hash turned into a uniform number. Evaluating it only
at the ids of the batch gives exactly the same semantics (one decision per row
per step, shared by every sample and position) at O(#ids) cost, with no random
op, so it behaves the same in eager mode, `tf.function`, XLA, on CPU and GPU,
and on every replica of a distributed step.
"""

from __future__ import annotations

import tensorflow as tf

_MASK32 = 0xFFFFFFFF
# Multiplier of a well-studied 32-bit integer finaliser; any odd constant with
# good avalanche would do. Products stay below 2**59, so int64 never overflows.
_MIX = 0x45D9F3B
_GOLDEN = 0x9E3779B9


def _xor(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    return tf.bitwise.bitwise_xor(a, b)


def _low32(x: tf.Tensor) -> tf.Tensor:
    return tf.bitwise.bitwise_and(x, tf.constant(_MASK32, tf.int64))


def _mix32(x: tf.Tensor) -> tf.Tensor:
    """Avalanches a 32-bit value held in an int64 tensor (output < 2**32)."""
    for _ in range(2):
        x = _low32(_xor(tf.bitwise.right_shift(x, 16), x) * _MIX)
    return _xor(tf.bitwise.right_shift(x, 16), x)


def int64_seed(seed: int) -> int:
    """The int64 that holds the 64 bits of `seed` (taken modulo 2**64)."""
    seed %= 2**64
    return seed - 2**64 if seed >= 2**63 else seed


def row_uniform(ids: tf.Tensor, seed: int | tf.Tensor, step: tf.Tensor) -> tf.Tensor:
    """A uniform number in [0, 2**32) for each id, fixed by (seed, step, id).

    All 64 bits of the seed count: at any one step, two seeds that differ
    anywhere give different keys, so their masks are independent draws.

    Args:
        ids: integer tensor of row ids, any shape.
        seed: a Python int (taken modulo 2**64) or an integer scalar tensor
            (an int64 holds the 64 bits); selects the sequence of masks.
        step: scalar integer tensor; a new mask for every value.

    Returns:
        An int64 tensor shaped like `ids`. Equal ids give equal values.
    """
    if isinstance(seed, int):
        seed = int64_seed(seed)
    seed = tf.cast(seed, tf.int64)
    step = tf.cast(step, tf.int64)
    seed_high = _low32(tf.bitwise.right_shift(seed, 32))
    key0 = _mix32(_xor(_low32(seed), _mix32(_low32(step))))
    # The golden-ratio constant keeps key1 from equalling _mix32(key0), which
    # would cancel the last round for id 0. Each half of the seed enters one
    # key through a bijection, so (seed, step) -> (key0, key1) is one to one
    # for a given step; _mix32(0) == 0 keeps the keys of seeds below 2**32.
    step_high = _low32(tf.bitwise.right_shift(step, 32))
    key1 = _mix32(_xor(_xor(key0, _GOLDEN), _xor(step_high, _mix32(seed_high))))
    ids = tf.cast(ids, tf.int64)
    low = _low32(ids)
    high = _low32(tf.bitwise.right_shift(ids, 32))
    return _mix32(_xor(_mix32(_xor(low, key0)), _xor(high, key1)))


def row_keep_scale(
    ids: tf.Tensor, rate: float, seed: int | tf.Tensor, step: tf.Tensor
) -> tf.Tensor:
    """Keras 1 row-dropout multipliers for each id.

    Each vocabulary row is dropped with probability `rate`, independently of
    the other rows, and the decision is shared by every occurrence of the row.

    Args:
        ids: integer tensor of row ids.
        rate: drop probability, in (0, 1).
        seed: Python int or integer scalar tensor selecting the mask
            sequence (see `row_uniform`).
        step: scalar integer tensor, the training step.

    Returns:
        A float32 tensor shaped like `ids`: `1 / (1 - rate)` where the row is
        kept, 0 where it is dropped.
    """
    threshold = int(rate * 2**32)
    keep = row_uniform(ids, seed, step) >= threshold
    return tf.where(
        keep, tf.constant(1.0 / (1.0 - rate), tf.float32), tf.constant(0.0, tf.float32)
    )
