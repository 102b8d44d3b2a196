"""The row-dropout op: a per-(seed, step, id) hash with Bernoulli statistics."""

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding.row_dropout import int64_seed, row_keep_scale, row_uniform


def _keep_matrix(vocab, rate, steps, seed=7):
    ids = tf.range(vocab)
    return np.stack(
        [
            row_keep_scale(ids, rate, seed, tf.constant(s)).numpy() > 0
            for s in range(steps)
        ]
    )


def test_same_id_same_decision_anywhere_in_the_batch():
    ids = tf.constant([[3, 1, 3], [1, 3, 8]])
    values = row_uniform(ids, 11, tf.constant(5)).numpy()
    assert values[0, 0] == values[0, 2] == values[1, 1]
    assert values[0, 1] == values[1, 0]


def test_values_are_fixed_by_seed_and_step():
    ids = tf.range(1000)
    first = row_uniform(ids, 3, tf.constant(9)).numpy()
    np.testing.assert_array_equal(first, row_uniform(ids, 3, tf.constant(9)).numpy())
    assert (first != row_uniform(ids, 3, tf.constant(10)).numpy()).mean() > 0.99
    assert (first != row_uniform(ids, 4, tf.constant(9)).numpy()).mean() > 0.99


def test_values_are_uniform_over_32_bits():
    values = row_uniform(tf.range(200_000), 1, tf.constant(0)).numpy()
    assert values.min() >= 0 and values.max() < 2**32
    counts = np.bincount((values >> 28).astype(int), minlength=16)
    expected = len(values) / 16
    chi2 = np.sum((counts - expected) ** 2 / expected)
    # 15 degrees of freedom: P(chi2 > 37.7) = 0.001.
    assert chi2 < 37.7


def test_large_and_negative_ids_are_hashed_not_truncated():
    ids = tf.constant([5, 5 + 2**32, -5], tf.int64)
    values = row_uniform(ids, 1, tf.constant(0)).numpy()
    assert len(set(values.tolist())) == 3


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_each_row_is_dropped_with_probability_rate(rate):
    steps, vocab = 400, 200
    dropped = ~_keep_matrix(vocab, rate, steps)
    # Mean over all decisions: binomial with n = 80000, 5 sigma bound.
    n = steps * vocab
    assert abs(dropped.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    # Every row, over 400 steps: 5 sigma of a binomial with n = 400.
    per_row = dropped.mean(axis=0)
    assert np.abs(per_row - rate).max() < 5 * np.sqrt(rate * (1 - rate) / steps)


def test_decisions_are_independent_across_rows_and_steps():
    dropped = (~_keep_matrix(100, 0.5, 400)).astype(float)
    rows = np.corrcoef(dropped.T)
    steps = np.corrcoef(dropped)
    off_rows = rows[~np.eye(len(rows), dtype=bool)]
    off_steps = steps[~np.eye(len(steps), dtype=bool)]
    # Correlations of independent Bernoulli sequences: sd 1/sqrt(n).
    assert np.abs(off_rows).max() < 5.5 / np.sqrt(400)
    assert np.abs(off_rows.mean()) < 0.01
    assert np.abs(off_steps).max() < 6 / np.sqrt(100)


def test_kept_rows_are_scaled_by_inverse_keep_probability():
    scale = row_keep_scale(tf.range(1000), 0.2, 1, tf.constant(0)).numpy()
    assert scale.dtype == np.float32
    assert set(np.unique(scale).tolist()) == {0.0, np.float32(1 / 0.8)}


def test_same_values_under_xla():
    ids = tf.constant(np.random.RandomState(0).randint(0, 10**6, size=(64, 50)))
    step = tf.constant(12)
    eager = row_keep_scale(ids, 0.3, 5, step)
    compiled = tf.function(lambda i, s: row_keep_scale(i, 0.3, 5, s), jit_compile=True)
    np.testing.assert_array_equal(eager.numpy(), compiled(ids, step).numpy())


def test_every_bit_of_a_64_bit_seed_counts():
    ids = tf.range(1000)
    base = 0x0123456789ABCDEF
    first = row_uniform(ids, base, tf.constant(3)).numpy()
    for bit in range(64):
        other = row_uniform(ids, base ^ (1 << bit), tf.constant(3)).numpy()
        assert (first != other).mean() > 0.99, bit


def test_a_seed_tensor_holds_the_same_64_bits_as_a_python_seed():
    ids = tf.range(100)
    for seed in (0, 7, 2**32 + 7, 2**63 + 7, 2**64 - 1):
        from_int = row_uniform(ids, seed, tf.constant(2)).numpy()
        held = tf.constant(int64_seed(seed), tf.int64)
        np.testing.assert_array_equal(
            row_uniform(ids, held, tf.constant(2)).numpy(), from_int
        )
