"""Keras 1 losses and metrics: Keras 1.2.2's values, names and `accuracy`."""

import pathlib

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import objectives

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
# Recorded from the real Keras 1.2.2 by make_objectives.py.
VALUES = np.load(FIXTURES / "keras1_training" / "objectives.npz")
OBJECTIVE_KEYS = sorted(key for key in VALUES if key.startswith("objective/"))
METRIC_KEYS = sorted(key for key in VALUES if key.startswith("metric/"))
BATCH_WISE = {"precision", "recall", "fmeasure", "matthews_correlation"}


def _inputs(kind):
    return VALUES[f"{kind}/y_true"], VALUES[f"{kind}/y_pred"]


@pytest.mark.parametrize("key", OBJECTIVE_KEYS)
def test_losses_match_keras1_per_sample(key):
    _, kind, name = key.split("/")
    y_true, y_pred = _inputs(kind)
    value = objectives.get(name)(y_true, y_pred).numpy()
    np.testing.assert_allclose(value, VALUES[key], rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("key", METRIC_KEYS)
def test_metrics_match_keras1(key):
    _, kind, name = key.split("/")
    y_true, y_pred = _inputs(kind)
    metric = objectives.get_metric(name)
    metric.update_state(y_true, y_pred)
    # Per-sample metrics average to Keras 1's batch value; the batch-wise
    # ones are that value.
    assert float(metric.result()) == pytest.approx(float(VALUES[key]), abs=1e-6)
    if name in BATCH_WISE:
        assert np.ndim(metric._fn(y_true, y_pred)) == 0


def test_keras1_formulas_differ_from_modern_namesakes():
    # The recorded values pin ours; these show the modern functions of the
    # same names would not do.
    y_true, y_pred = _inputs("binary")
    ours = objectives.hinge(y_true, y_pred).numpy()
    theirs = keras.losses.hinge(y_true, y_pred).numpy()
    assert np.abs(ours - theirs).max() > 0.1
    y_true, y_pred = _inputs("real")
    ours = objectives.cosine_proximity(y_true, y_pred).numpy()
    theirs = keras.losses.cosine_similarity(y_true, y_pred).numpy()
    np.testing.assert_allclose(theirs, 3 * ours, rtol=1e-5)


@pytest.mark.parametrize(
    ("loss", "shape", "expected"),
    [
        ("binary_crossentropy", (None, 3), "binary_accuracy"),
        ("mse", (None, 1), "binary_accuracy"),
        ("categorical_crossentropy", (None, 1), "binary_accuracy"),
        ("sparse_categorical_crossentropy", (None, 5), "sparse_categorical_accuracy"),
        ("categorical_crossentropy", (None, 5), "categorical_accuracy"),
        ("mse", (None, 7, 5), "categorical_accuracy"),
    ],
)
def test_accuracy_meant_what_the_loss_and_shape_said(loss, shape, expected):
    assert objectives.accuracy_for(loss, shape).__name__ == expected
    metric = objectives.get_metric("accuracy", loss=loss, output_shape=shape)
    assert metric.name == "acc"
    assert objectives.get_metric("acc", loss=loss, output_shape=shape).name == "acc"


def test_names_and_aliases():
    assert objectives.get("mse") is objectives.mean_squared_error
    assert objectives.get("MAPE") is objectives.mean_absolute_percentage_error
    assert objectives.get("kld") is objectives.kullback_leibler_divergence
    assert objectives.get("cosine") is objectives.cosine_proximity
    assert objectives.get_metric("mse").name == "mean_squared_error"
    assert objectives.get_metric("f1score").name == "fmeasure"
    assert objectives.get(len) is len


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: objectives.get("huber"), "Received: loss='huber'"),
        (lambda: objectives.get(None), "Received: loss=None"),
        (lambda: objectives.get_metric("auc"), "Received: metric='auc'"),
        (lambda: objectives.get_metric("accuracy"), "Received: loss=None"),
    ],
)
def test_unknown_names_are_refused(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_a_model_compiled_with_keras1_losses_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(
        loss=objectives.get("hinge"),
        metrics=[objectives.get_metric("acc", loss="hinge", output_shape=(None, 2))],
    )
    x = np.ones((4, 3), np.float32)
    y = np.array([[1, -1]] * 4, np.float32)
    model.train_on_batch(x, y)  # builds the optimizer, which is saved too
    before = model.evaluate(x, y, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), before, rtol=1e-6)


def test_keras1_loss_takes_the_targets_as_they_are():
    # A Keras 1 `cos` merge outputs (batch, 1, 1) against (batch, 1) targets:
    # Keras 1's mse broadcast to all pairs of samples; the modern wrapper
    # would reshape the targets first.
    rng = np.random.default_rng(0)
    y_pred = rng.normal(size=(5, 1, 1)).astype(np.float32)
    y_true = rng.normal(size=(5, 1)).astype(np.float32)
    pairs = np.mean((y_pred[:, :, 0] - y_true[:, 0][None, :]) ** 2)
    loss = objectives.Keras1Loss("mse")
    assert float(loss(y_true, y_pred)) == pytest.approx(pairs, rel=1e-6)
    if IS_KERAS3:  # tf_keras's own wrapper happens to broadcast here too
        modern = keras.losses.MeanSquaredError()(y_true, y_pred)
        assert abs(float(modern) - pairs) > 1e-3


def test_keras1_loss_masks_as_keras1():
    # sum(loss * mask) / sum(mask) over the timesteps.
    y_true = np.zeros((2, 3, 1), np.float32)
    y_pred = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    mask = np.array([[True, True, False], [True, False, False]])
    model_input = keras.Input((3, 1))
    masked = keras.layers.Masking(mask_value=-1.0)(model_input)
    model = keras.Model(model_input, masked)
    model.compile(loss=objectives.Keras1Loss("mae"))
    x = np.where(mask[..., None], y_pred, -1.0).astype(np.float32)
    expected = (0 + 1 + 3) / 3
    assert model.evaluate(x, y_true, verbose=0) == pytest.approx(expected, rel=1e-6)


def test_keras1_loss_config_round_trip():
    loss = objectives.Keras1Loss("categorical_crossentropy", name="topic_loss")
    again = objectives.Keras1Loss.from_config(loss.get_config())
    assert again.fn is objectives.categorical_crossentropy
    assert again.name == "topic_loss"
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is objectives.Keras1Loss
    with pytest.raises(ValueError, match="Received: fn="):
        objectives.Keras1Loss(lambda y_true, y_pred: y_pred).get_config()
