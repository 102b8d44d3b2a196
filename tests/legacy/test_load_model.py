"""Every Keras 1.2.2 model fixture, ported whole: the per-fixture matrix.

For each `tests/fixtures/keras1_models/NAME.h5` (written by the real Keras
1.2.2, see its README): `load_model` predictions, `evaluate`, resumed
training, a `.keras` round trip, the `convert` command, and `model_from_json`
followed by `load_weights` of `NAME_weights.h5`. New fixtures are picked up
from disk.
"""

import json
import pathlib
from typing import Any

import numpy as np
import pytest

from keras_embedding._compat import keras
from keras_embedding.legacy import load_model, load_weights, model_from_json
from keras_embedding.legacy.__main__ import main

DIR = pathlib.Path(__file__).parents[1] / "fixtures" / "keras1_models"
NAMES = sorted(
    path.stem for path in DIR.glob("*.h5") if not path.stem.endswith("_weights")
)
PREDICTION_TOLERANCE = 1e-5
TRAINING_TOLERANCE = 1e-3  # relative, on the next 3 train_on_batch losses


def _data(name: str) -> Any:
    return np.load(DIR / f"{name}.npz")


def _inputs(data: Any) -> Any:
    if "x" in data:
        return data["x"]
    return [data[f"x{i}"] for i in range(len([k for k in data if k[:1] == "x"]))]


def _config(name: str) -> Any:
    return json.loads((DIR / f"{name}.json").read_text())


def _random_at_training(node: Any) -> list[str]:
    """The layers of a Keras 1 config that draw random numbers in training
    (dropout of any kind, noise): their training losses cannot be matched."""
    found = []
    if isinstance(node, dict):
        config = node.get("config")
        if isinstance(config, dict):
            rates = [config.get(key) for key in ("dropout", "dropout_W", "dropout_U")]
            if node.get("class_name") in ("Dropout", "SpatialDropout1D"):
                rates.append(config.get("p"))
            if node.get("class_name") in ("GaussianNoise",):
                rates.append(config.get("sigma"))
            if node.get("class_name") in ("GaussianDropout",):
                rates.append(config.get("p"))
            if any(isinstance(rate, (int, float)) and rate > 0 for rate in rates):
                found.append(str(config.get("name")))
        for value in node.values():
            found.extend(_random_at_training(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_random_at_training(value))
    return found


def _compiled(name: str) -> bool:
    return "next_losses" in _data(name)


@pytest.fixture(scope="module")
def loaded():
    """One `load_model` per fixture for the tests that do not train."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = load_model(DIR / f"{name}.h5")
        return cache[name]

    return get


def _predict(model: Any, data: Any) -> np.ndarray:
    x = _inputs(data)
    return np.asarray(model.predict(x, batch_size=len(data["y_pred"]), verbose=0))


@pytest.mark.parametrize("name", NAMES)
def test_predictions_match_keras1(name, loaded):
    data = _data(name)
    np.testing.assert_allclose(
        _predict(loaded(name), data), data["y_pred"], rtol=0, atol=PREDICTION_TOLERANCE
    )


@pytest.mark.parametrize("name", [n for n in NAMES if _compiled(n)])
def test_evaluate_gives_keras1_loss(name, loaded):
    data = _data(name)
    model = loaded(name)
    result = model.evaluate(
        _inputs(data), data["y"], batch_size=len(data["y"]), verbose=0
    )
    np.testing.assert_allclose(
        np.ravel(result), np.ravel(data["eval_loss"]), rtol=1e-5, atol=1e-6
    )


RESUMABLE = [n for n in NAMES if _compiled(n) and not _random_at_training(_config(n))]


@pytest.mark.parametrize("name", RESUMABLE)
def test_training_resumes_where_keras1_stopped(name):
    data = _data(name)
    model = load_model(DIR / f"{name}.h5")
    losses = [
        float(np.ravel(model.train_on_batch(_inputs(data), data["y"]))[0])
        for _ in range(3)
    ]
    np.testing.assert_allclose(losses, data["next_losses"], rtol=TRAINING_TOLERANCE)


def test_fixtures_without_resumed_training_are_only_those_with_dropout():
    skipped = [n for n in NAMES if _compiled(n) and n not in RESUMABLE]
    for name in skipped:
        assert _random_at_training(_config(name)), name


@pytest.mark.parametrize("name", NAMES)
def test_keras_round_trip(name, loaded, tmp_path):
    data = _data(name)
    model = loaded(name)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(
        _predict(again, data), data["y_pred"], rtol=0, atol=PREDICTION_TOLERANCE
    )
    if _compiled(name):
        assert type(again.optimizer) is type(model.optimizer)
        assert int(again.optimizer.iterations.numpy()) == int(
            model.optimizer.iterations.numpy()
        )


@pytest.mark.parametrize("name", NAMES)
def test_convert_command(name, tmp_path, capsys):
    target = tmp_path / f"{name}.keras"
    assert main(["convert", str(DIR / f"{name}.h5"), str(target)]) == 0
    printed = capsys.readouterr().out
    for layer in _keras1_layer_names(_config(name)):
        assert layer in printed
    assert f"wrote {target}" in printed
    data = _data(name)
    converted = keras.models.load_model(str(target))
    np.testing.assert_allclose(
        _predict(converted, data), data["y_pred"], rtol=0, atol=PREDICTION_TOLERANCE
    )


def _keras1_layer_names(node: Any) -> list[str]:
    names = []
    if isinstance(node, dict):
        config = node.get("config")
        kind = node.get("class_name")
        if isinstance(config, dict) and "name" in config and kind:
            names += [] if kind in ("Sequential", "Model") else [config["name"]]
        for value in node.values():
            names.extend(_keras1_layer_names(value))
    elif isinstance(node, list):
        for value in node:
            names.extend(_keras1_layer_names(value))
    return names


@pytest.mark.parametrize("name", NAMES)
def test_model_from_json_then_load_weights(name):
    data = _data(name)
    model = model_from_json((DIR / f"{name}.json").read_text())
    load_weights(model, DIR / f"{name}_weights.h5")
    np.testing.assert_allclose(
        _predict(model, data), data["y_pred"], rtol=0, atol=PREDICTION_TOLERANCE
    )
