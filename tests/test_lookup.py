"""The duplicate-free lookup (`keras_embedding.lookup`) and what it fixes.

The truth is numpy: `table[ids]` forward, and `np.add.at` of the upstream
gradient at the ids for the table's gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorflow.python.framework.ops import _gradient_registry as gradient_registry

from keras_embedding import Embedding, _compat, lookup
from keras_embedding._compat import keras

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def numpy_gradient(vocab: int, ids: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    dim = upstream.shape[-1]
    dense = np.zeros((vocab, dim), upstream.dtype)
    np.add.at(dense, ids.reshape(-1), upstream.reshape(ids.size, dim))
    return dense


def expected_indices(ids: np.ndarray) -> np.ndarray:
    """Unique ids in Keras 3; tf_keras's optimizers sum repeats themselves."""
    if _compat.OPTIMIZERS_SUM_DUPLICATES:
        return ids.reshape(-1)
    return np.unique(ids)


def forward_backward(
    table: tf.Variable, ids: Any, upstream: Any, mode: str
) -> tuple[Any, tf.IndexedSlices]:
    def run(ids: Any) -> tuple[Any, tf.IndexedSlices]:
        with tf.GradientTape() as tape:
            rows = lookup.gather(table, ids)
            loss = tf.reduce_sum(rows * upstream)
        return rows, tape.gradient(loss, table)

    if mode == "eager":
        return run(ids)
    return tf.function(run, jit_compile=mode == "xla")(ids)


@PROPERTY
@given(
    vocab=st.integers(1, 40),
    dim=st.integers(0, 4),
    shape=st.lists(st.integers(0, 6), min_size=1, max_size=3),
    dtype=st.sampled_from(["int32", "int64"]),
    mode=st.sampled_from(["eager", "graph"]),
    data=st.data(),
)
def test_rows_and_gradient_are_numpy_with_unique_indices(
    vocab: int, dim: int, shape: list[int], dtype: str, mode: str, data: Any
) -> None:
    rng = np.random.RandomState(data.draw(st.integers(0, 2**16)))
    values = rng.randn(vocab, dim).astype("float32")
    table = tf.Variable(values)
    # Few distinct ids, so most batches repeat some.
    ids = rng.randint(0, min(vocab, 5), size=shape).astype(dtype)
    upstream = rng.randn(*shape, dim).astype("float32")
    rows, gradient = forward_backward(table, tf.constant(ids), upstream, mode)
    np.testing.assert_array_equal(rows.numpy(), values[ids])
    assert isinstance(gradient, tf.IndexedSlices)
    np.testing.assert_array_equal(gradient.indices.numpy(), expected_indices(ids))
    np.testing.assert_allclose(
        tf.convert_to_tensor(gradient).numpy(),
        numpy_gradient(vocab, ids, upstream),
        rtol=1e-6,
        atol=1e-6,
    )


def test_under_xla_each_id_keeps_its_slice_and_the_first_holds_the_sum() -> None:
    # XLA cannot give a tensor a data-dependent size, so there the indices
    # stay the ids (sorted, in Keras 3); the dense value is still numpy's.
    rng = np.random.RandomState(0)
    values = rng.randn(9, 3).astype("float32")
    ids = np.array([[4, 1, 4], [0, 4, 1]], "int32")
    upstream = rng.randn(2, 3, 3).astype("float32")
    rows, gradient = forward_backward(
        tf.Variable(values), tf.constant(ids), upstream, "xla"
    )
    np.testing.assert_array_equal(rows.numpy(), values[ids])
    if _compat.OPTIMIZERS_SUM_DUPLICATES:
        np.testing.assert_array_equal(gradient.indices.numpy(), ids.reshape(-1))
    else:
        # Sorted [0, 1, 1, 4, 4, 4]: the repeats are slots 2, 4 and 5.
        np.testing.assert_array_equal(gradient.indices.numpy(), np.sort(ids, None))
        np.testing.assert_array_equal(gradient.values.numpy()[[2, 4, 5]], 0.0)
    np.testing.assert_allclose(
        tf.convert_to_tensor(gradient).numpy(),
        numpy_gradient(9, ids, upstream),
        rtol=1e-6,
    )


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
def test_a_table_that_keeps_each_slice_gets_one_unsummed_slice_per_id(
    mode: str,
) -> None:
    # Keras 1's clipvalue clipped each id's slice before the update summed
    # them; its optimizer asks for the slices as they come.
    rng = np.random.RandomState(1)
    table = tf.Variable(rng.randn(6, 2).astype("float32"))
    lookup.keep_each_slice(table)
    ids = np.array([[3, 1, 3, 3]], "int32")
    upstream = rng.randn(1, 4, 2).astype("float32")
    _, gradient = forward_backward(table, tf.constant(ids), upstream, mode)
    np.testing.assert_array_equal(gradient.indices.numpy(), ids.reshape(-1))
    np.testing.assert_allclose(gradient.values.numpy(), upstream.reshape(4, 2))


def test_ragged_ids() -> None:
    values = np.arange(12, dtype="float32").reshape(6, 2)
    ids = tf.ragged.constant([[5, 1, 5], [1]])
    rows, gradient = forward_backward(tf.Variable(values), ids, 1.0, "eager")
    np.testing.assert_array_equal(rows.flat_values.numpy(), values[[5, 1, 5, 1]])
    np.testing.assert_array_equal(
        tf.convert_to_tensor(gradient).numpy()[[5, 1]], np.full((2, 2), 2.0)
    )
    np.testing.assert_array_equal(
        gradient.indices.numpy(), expected_indices(np.array([5, 1, 5, 1]))
    )


@PROPERTY
@given(
    indices=st.lists(st.integers(0, 7), max_size=12),
    data=st.data(),
)
def test_sum_duplicates_keeps_the_dense_value(indices: list[int], data: Any) -> None:
    rng = np.random.RandomState(data.draw(st.integers(0, 2**16)))
    values = rng.randn(len(indices), 2).astype("float32")
    ids = np.array(indices, "int32")
    slices = tf.IndexedSlices(tf.constant(values), tf.constant(ids), [8, 2])
    summed = lookup.sum_duplicates(slices)
    np.testing.assert_array_equal(summed.indices.numpy(), np.unique(ids))
    np.testing.assert_allclose(
        tf.convert_to_tensor(summed).numpy(),
        numpy_gradient(8, ids, values),
        rtol=1e-6,
        atol=1e-6,
    )


def traced_op_types(jit_compile: bool) -> set[str]:
    table = tf.Variable(tf.ones((5, 2)))

    @tf.function(jit_compile=jit_compile)
    def step(ids: tf.Tensor) -> tf.IndexedSlices:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(lookup.gather(table, ids))
        return tape.gradient(loss, table)

    graph = step.get_concrete_function(tf.TensorSpec([None], tf.int32)).graph
    return {op.type for op in graph.get_operations()}


def test_backward_releases_copy_on_read_except_under_xla() -> None:
    # The forward's ResourceGather puts the table in copy-on-read mode, where
    # a dense optimizer write copies the whole table; the backward lifts it.
    # XLA has no kernel for that op (and no such mode).
    ops = traced_op_types(jit_compile=False)
    assert {"ResourceGather", "DisableCopyOnRead"} <= ops
    assert ("Unique" in ops) != _compat.OPTIMIZERS_SUM_DUPLICATES
    # The table is read only through the gather, never densely.
    assert "ReadVariableOp" not in ops
    assert "DisableCopyOnRead" not in traced_op_types(jit_compile=True)


def dense_adam(table: np.ndarray, gradients: list[np.ndarray], lr: float) -> Any:
    """Adam (Keras's formula, epsilon 1e-7) on dense gradients, in numpy."""
    m, v, w = np.zeros_like(table), np.zeros_like(table), table.astype("float64")
    for step, g in enumerate(gradients, 1):
        m += (g - m) * 0.1
        v += (g * g - v) * 0.001
        alpha = lr * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        w -= alpha * m / (np.sqrt(v) + 1e-7)
    return w


@pytest.mark.parametrize("layer_class", [Embedding, keras.layers.Embedding])
def test_stock_adam_through_the_layer_is_adam_on_the_dense_gradient(
    layer_class: type,
) -> None:
    # A 12-row table, ids repeating within every batch. Keras 3's Adam squares
    # each slice of a gradient separately, so repeated rows drift from Adam
    # unless the layer's gradient already names each row once. tf_keras's
    # Adam sums duplicates itself.
    rng = np.random.RandomState(5)
    table = rng.uniform(-0.5, 0.5, (12, 3)).astype("float32")
    init = keras.initializers.Constant(table)
    layer = layer_class(12, 3, embeddings_initializer=init)
    layer.build((None, 6))
    optimizer = keras.optimizers.Adam(learning_rate=0.05)
    gradients = []
    for _ in range(5):
        ids = rng.randint(0, 4, size=(2, 6))
        upstream = rng.randn(2, 6, 3).astype("float32")
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids) * upstream)
        (gradient,) = tape.gradient(loss, layer.trainable_weights)
        assert isinstance(gradient, tf.IndexedSlices)
        optimizer.apply_gradients([(gradient, layer.embeddings)])
        gradients.append(numpy_gradient(12, ids, upstream))
    expected = dense_adam(table, gradients, 0.05)
    error = np.max(np.abs(layer.get_weights()[0] - expected))
    if layer_class is Embedding or not _compat.IS_KERAS3:
        assert error < 1e-5
    else:
        # Keras 3's own layer shows the drift this layer removes; if Keras
        # fixes its optimizers this branch will say so.
        assert error > 1e-2


def test_tracing_a_lookup_registers_no_gradient_function() -> None:
    # TF never forgets a registered gradient function; one registered per
    # trace (as `tf.custom_gradient` does in graphs) would keep each traced
    # graph, and the tables it captured, in memory for good.
    registered = len(gradient_registry.list())
    for _ in range(3):
        table = tf.Variable(np.ones((5, 2), "float32"))

        @tf.function
        def step(ids: tf.Tensor, table: tf.Variable = table) -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(lookup.gather(table, ids))
            return tf.convert_to_tensor(tape.gradient(loss, table))

        np.testing.assert_array_equal(step(tf.constant([1, 1, 3]))[1], [2.0, 2.0])
    assert len(gradient_registry.list()) == registered
