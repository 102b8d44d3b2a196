"""The XLA path (what TPUs run): training with row dropout under jit_compile.

Tested on CPU. XLA cannot raise, so the index check turns the rows of bad ids
into NaN there; these tests check that this reaches training too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding import Embedding, _compat
from keras_embedding._compat import keras

VOCAB, DIM, LENGTH, BATCH, STEPS = 16, 3, 6, 4, 5
RATE = 0.5


@pytest.fixture
def xla_traces(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What the layer's XLA check answered, once per trace."""
    answers: list[bool] = []
    real = _compat.in_xla_context

    def recorded() -> bool:
        answers.append(real())
        return answers[-1]

    monkeypatch.setattr(_compat, "in_xla_context", recorded)
    return answers


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(3)
    ids = rng.randint(0, VOCAB, size=(STEPS * BATCH, LENGTH)).astype("int32")
    return ids, rng.randn(STEPS * BATCH, 1).astype("float32")


def fitted(jit_compile: bool, dropout: float, ids: np.ndarray) -> tuple[Any, Any]:
    """A small model trained with `fit`; returns (history, table)."""
    rng = np.random.RandomState(4)
    table = rng.uniform(-0.5, 0.5, (VOCAB, DIM)).astype("float32")
    inputs = keras.Input((LENGTH,), dtype="int32")
    layer = Embedding(
        VOCAB, DIM, weights=[table], mask_zero=True, dropout=dropout, seed=5
    )
    pooled = keras.layers.GlobalAveragePooling1D()(layer(inputs))
    dense = keras.layers.Dense(1, kernel_initializer="ones")
    model = keras.Model(inputs, dense(pooled))
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss=keras.losses.MeanSquaredError(),
        jit_compile=jit_compile,
    )
    history = model.fit(ids, data()[1], batch_size=BATCH, shuffle=False, verbose=0)
    return history, layer.get_weights()[0]


def test_fit_with_dropout_under_xla_matches_plain_fit(xla_traces: list[bool]) -> None:
    ids = data()[0]
    _, with_xla = fitted(jit_compile=True, dropout=RATE, ids=ids)
    assert any(xla_traces), "the training step was not compiled with XLA"
    xla_traces.clear()
    _, without_xla = fitted(jit_compile=False, dropout=RATE, ids=ids)
    assert not any(xla_traces)
    # The masks are a hash of (seed, step, id), so XLA drops the same rows.
    np.testing.assert_allclose(with_xla, without_xla, atol=1e-5)
    _, no_dropout = fitted(jit_compile=True, dropout=0.0, ids=ids)
    assert np.max(np.abs(no_dropout - with_xla)) > 1e-3, "dropout changed nothing"


def test_bad_id_under_xla_makes_the_loss_nan() -> None:
    ids = data()[0].copy()
    ids[2, 1] = VOCAB  # one out-of-range id; XLA would read the last row
    history, _ = fitted(jit_compile=True, dropout=RATE, ids=ids)
    assert np.isnan(history.history["loss"][-1])


def test_forward_and_backward_under_xla_against_numpy(
    xla_traces: list[bool],
) -> None:
    rng = np.random.RandomState(6)
    table = rng.uniform(-1, 1, (VOCAB, DIM)).astype("float32")
    ids = rng.randint(0, VOCAB, size=(BATCH, LENGTH)).astype("int32")
    ids[0, 0] = VOCAB  # out of range
    ids[1, 2] = -1  # out of range
    upstream = rng.randn(BATCH, LENGTH, DIM).astype("float32")
    layer = Embedding(VOCAB, DIM, weights=[table], dropout=RATE, seed=9)
    layer.build((None, LENGTH))

    @tf.function(jit_compile=True)
    def step(ids: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            outputs = layer(ids, training=True)
            loss = tf.reduce_sum(outputs * upstream)
        gradient = tape.gradient(loss, _compat.variable_tensor(layer.embeddings))
        return outputs, tf.convert_to_tensor(gradient)

    bad = (ids < 0) | (ids >= VOCAB)
    good_ids = np.where(bad, 0, ids)
    masks = []
    for _ in range(3):
        outputs, gradient = (x.numpy() for x in step(tf.constant(ids)))
        assert np.all(np.isnan(outputs[bad]))
        # Each good position reads its row, either dropped or scaled by 2,
        # with one decision per id shared by every position.
        rows = table[good_ids][~bad]
        kept = np.all(np.isclose(outputs[~bad], rows / (1 - RATE)), axis=-1)
        dropped = np.all(outputs[~bad] == 0, axis=-1)
        assert np.all(kept | dropped)
        decision: dict[int, bool] = {}
        for row, keep in zip(good_ids[~bad].tolist(), kept.tolist(), strict=True):
            assert decision.setdefault(row, keep) == keep, f"row {row} split"
        masks.append(sorted(row for row, keep in decision.items() if keep))
        # d loss / d table: each kept position adds upstream / (1 - rate) to
        # its row; bad positions add NaN to whatever row XLA clamped them to.
        expected = np.zeros_like(table)
        scale = np.where(kept, 1 / (1 - RATE), 0.0)[:, None]
        np.add.at(expected, good_ids[~bad], upstream[~bad] * scale)
        touched_by_bad = np.unique(np.clip(ids[bad], 0, VOCAB - 1))
        clean = np.setdiff1d(np.arange(VOCAB), touched_by_bad)
        np.testing.assert_allclose(gradient[clean], expected[clean], atol=1e-5)
    assert xla_traces and all(xla_traces)
    assert len({tuple(m) for m in masks}) > 1, "the mask did not change per step"
