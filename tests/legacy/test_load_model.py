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
import tensorflow as tf

from keras_embedding._compat import keras
from keras_embedding.legacy import load_model, load_weights, model_from_json
from keras_embedding.legacy.__main__ import main
from keras_embedding.legacy.hdf5 import read
from keras_embedding.legacy.models import keras1_layers

DIR = pathlib.Path(__file__).parents[1] / "fixtures" / "keras1_models"
ALL = sorted(path.stem for path in DIR.glob("*.json"))  # NAME.json per model
PREDICTION_TOLERANCE = 1e-5
TRAINING_TOLERANCE = 1e-3  # relative, on the next 3 train_on_batch losses

# Files that cannot be ported, with the reason the error gives.
REFUSED = {
    # Theano padded 'same' convolutions with even kernels differently from
    # every modern layer (see the fixtures' README).
    "c05_conv1d_same_even_kernels_theano": "Theano's 'same'",
}
NAMES = [name for name in ALL if name not in REFUSED]


# The Python functions of Lambda layers, which a file holds only as bytecode.
# Registered, so that a `.keras` file names them instead of saving bytecode.
@keras.saving.register_keras_serializable(package="tests")
def max_over_time(x):
    return tf.reduce_max(x, axis=1)


@keras.saving.register_keras_serializable(package="tests")
def scaled_sum(x, scale):
    return scale * tf.reduce_sum(x, axis=1)


CUSTOM = {"l09_lambda": {"lambda_1": max_over_time, "lambda_2": scaled_sum}}


def _data(name: str) -> Any:
    return np.load(DIR / f"{name}.npz")


def _inputs(data: Any) -> Any:
    if "x" in data:
        return data["x"]
    return [data[f"x{i}"] for i in range(len([k for k in data if k[:1] == "x"]))]


def _outputs(data: Any, key: str) -> Any:
    """`y` / `y_pred`, or the list `y0`, `y1`, ... of a model with several
    outputs."""
    if key in data:
        return data[key]
    return [data[f"{key}{i}"] for i in range(len([k for k in data if k[:-1] == key]))]


def _close(actual: Any, expected: Any, **tolerance: float) -> None:
    actual = actual if isinstance(actual, list) else [actual]
    expected = expected if isinstance(expected, list) else [expected]
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(np.asarray(a), e, **tolerance)


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


def _load(name: str) -> Any:
    return load_model(DIR / f"{name}.h5", custom_objects=CUSTOM.get(name))


@pytest.fixture(scope="module")
def loaded():
    """One `load_model` per fixture for the tests that do not train."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _load(name)
        return _reset(cache[name])

    return get


def _reset(model: Any) -> Any:
    # The fixtures of stateful models start every call from zero states.
    for layer in keras1_layers(model):
        if getattr(layer, "stateful", False):
            layer.reset_states()
    return model


def _predict(model: Any, data: Any) -> Any:
    x = _inputs(data)
    _reset(model)
    batch = len(x[0]) if isinstance(x, list) else len(x)
    return model.predict(x, batch_size=batch, verbose=0)


@pytest.mark.parametrize("name", NAMES)
def test_predictions_match_keras1(name, loaded):
    data = _data(name)
    _close(
        _predict(loaded(name), data),
        _outputs(data, "y_pred"),
        rtol=0,
        atol=PREDICTION_TOLERANCE,
    )


@pytest.mark.parametrize("name", [n for n in NAMES if _compiled(n)])
def test_evaluate_gives_keras1_loss(name, loaded):
    data = _data(name)
    model = loaded(name)
    x, y = _inputs(data), _outputs(data, "y")
    result = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    # Keras 1's order of the values; modern Keras orders them otherwise.
    if "metrics_names" in data:
        names = [str(n) for n in data["metrics_names"]]
    else:
        metrics = read(DIR / f"{name}.h5").training_config["metrics"] or []
        names = ["loss"] + ["acc" if m in ("accuracy", "acc") else m for m in metrics]
    np.testing.assert_allclose(
        [result[n] for n in names], np.ravel(data["eval_loss"]), rtol=1e-5, atol=1e-6
    )


RESUMABLE = [n for n in NAMES if _compiled(n) and not _random_at_training(_config(n))]


@pytest.mark.parametrize("name", RESUMABLE)
def test_training_resumes_where_keras1_stopped(name):
    data = _data(name)
    model = _load(name)
    x, y = _inputs(data), _outputs(data, "y")
    losses = [float(np.ravel(model.train_on_batch(x, y))[0]) for _ in range(3)]
    np.testing.assert_allclose(losses, data["next_losses"], rtol=TRAINING_TOLERANCE)


def test_fixtures_without_resumed_training_are_only_those_with_dropout():
    skipped = [n for n in NAMES if _compiled(n) and n not in RESUMABLE]
    for name in skipped:
        assert _random_at_training(_config(name)), name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_files_that_cannot_be_ported_are_refused(name, tmp_path, capsys):
    with pytest.raises(ValueError, match=REFUSED[name]):
        _load(name)
    model_config = _config(name)
    with pytest.raises(ValueError, match=REFUSED[name]):
        model = model_from_json(json.dumps(model_config))
        load_weights(model, DIR / f"{name}_weights.h5")
    assert main(["convert", str(DIR / f"{name}.h5"), str(tmp_path / "x.keras")]) == 1
    assert REFUSED[name] in capsys.readouterr().err


def test_every_refused_file_is_a_fixture():
    assert set(REFUSED) <= set(ALL)


@pytest.mark.parametrize("name", NAMES)
def test_convert_command_and_keras_round_trip(name, tmp_path, capsys):
    # The command loads the file as load_model does and saves a .keras file,
    # which keras.models.load_model reads back: the .keras round trip.
    target = tmp_path / f"{name}.keras"
    status = main(["convert", str(DIR / f"{name}.h5"), str(target)])
    if name in CUSTOM:
        # The command has no way to take Python functions: it says which.
        assert status == 1
        assert "custom_objects={" in capsys.readouterr().err
        return
    assert status == 0
    printed = capsys.readouterr().out
    for layer in _keras1_layer_names(_config(name)):
        assert layer in printed
    assert f"wrote {target}" in printed
    data = _data(name)
    converted = keras.models.load_model(str(target))
    _close(
        _predict(converted, data),
        _outputs(data, "y_pred"),
        rtol=0,
        atol=PREDICTION_TOLERANCE,
    )
    saved = read(DIR / f"{name}.h5")
    if saved.training_config is not None:
        optimizer = converted.optimizer
        expected = saved.training_config["optimizer_config"]["class_name"]
        assert type(optimizer).__name__.lower() == expected.lower()
        # Keras 1's saved step count, where it saved one.
        steps = saved.optimizer_weights[0] if optimizer.keras1_saves_iterations else 0
        assert int(optimizer.iterations.numpy()) == int(steps)


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_keras_round_trip_with_python_functions(name, loaded, tmp_path):
    path = str(tmp_path / f"{name}.keras")
    loaded(name).save(path)
    # tf_keras saves any Lambda function as bytecode, which it loads only
    # when told to trust the file.
    again = keras.models.load_model(path, safe_mode=False)
    data = _data(name)
    _close(
        _predict(again, data),
        _outputs(data, "y_pred"),
        rtol=0,
        atol=PREDICTION_TOLERANCE,
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
    text = (DIR / f"{name}.json").read_text()
    model = model_from_json(text, custom_objects=CUSTOM.get(name))
    load_weights(model, DIR / f"{name}_weights.h5")
    _close(
        _predict(model, data),
        _outputs(data, "y_pred"),
        rtol=0,
        atol=PREDICTION_TOLERANCE,
    )
