"""legacy.models: Keras 1 model configs become models that predict as Keras 1.2.2 did.

Every fixture in tests/fixtures/keras1_models is rebuilt from its JSON and its
`save_weights` file (read here with h5py, weights set through keras1_weights),
and its predictions are compared with the ones Keras 1.2.2 recorded.
"""

import copy
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from keras1_models import (
    NAMES,
    backend_of,
    keras1_code,
    max_difference,
    path,
    predict,
    recorded,
    weight_groups,
)

from keras_embedding._compat import keras
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import (
    Model,
    Sequential,
    keras1_layers,
    model_from_config,
    model_from_json,
)

TOLERANCE = 1e-5


def _json(name):
    return path(name, ".json").read_text()


# Theano-style files whose Theano 'same' padding no modern layer computes.
REFUSED = {"c05_conv1d_same_even_kernels_theano": "with an even kernel size"}


def custom_objects(name):
    """The functions of a fixture's Lambda layers, by layer name: the same
    code as in the generator (Keras 1 saved them as bytecode)."""
    if name != "l09_lambda":
        return None
    from keras_embedding.legacy import backend as K  # noqa: N812 - Keras 1 idiom

    return {
        "lambda_1": lambda x: K.max(x, axis=1),
        "lambda_2": keras1_code(name)["scaled_sum"],
    }


def set_keras1_weights(model, name):
    """Sets the fixture's `save_weights` arrays on the layers of the same name
    (a Theano-style file's with backend="theano")."""
    for layer_name, arrays, weight_names in weight_groups(name):
        if arrays:
            layer = model.get_layer(layer_name)
            backend = backend_of(weight_names)
            layer.set_weights(keras1_weights(layer, arrays, backend=backend))


def _ported(name):
    model = model_from_json(_json(name), custom_objects=custom_objects(name))
    set_keras1_weights(model, name)
    return model


PORTABLE = [name for name in NAMES if name not in REFUSED]


@pytest.mark.parametrize("name", PORTABLE)
def test_each_fixture_predicts_as_keras1_did(name):
    model = _ported(name)
    assert max_difference(predict(model, name), recorded(name)) < TOLERANCE


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_theano_files_that_cannot_be_ported_are_refused(name):
    with pytest.raises(
        ValueError, match=f"Theano's 'same' convolution {REFUSED[name]}"
    ):
        _ported(name)


@pytest.mark.parametrize("name", NAMES)
def test_each_fixture_keeps_the_keras1_layer_names(name):
    model = model_from_json(_json(name), custom_objects=custom_objects(name))
    saved = [group[0] for group in weight_groups(name)]
    with_weights = {group[0] for group in weight_groups(name) if group[1]}
    if isinstance(model, keras.Sequential):  # same layers, same order
        assert [layer.name for layer in keras1_layers(model)] == saved
    assert {layer.name for layer in model.layers if layer.weights} == with_weights


def test_a_sequential_without_merge_is_a_sequential_and_with_one_functional():
    assert isinstance(model_from_json(_json("p02_gru_mask_softmax")), keras.Sequential)
    merged = model_from_json(_json("p07_merge_layer_sum_branches"))
    assert not isinstance(merged, keras.Sequential)
    assert len(merged.inputs) == 2


def test_an_embedding_first_sequential_takes_int32_ids():
    model = model_from_json(_json("p01_imdb_lstm"))
    assert "int32" in str(model.inputs[0].dtype)


# ----------------------------------------------------------------------
# Config forms


def _reversed_keys(node):
    if isinstance(node, dict):
        return {key: _reversed_keys(node[key]) for key in reversed(list(node))}
    if isinstance(node, list):
        return [_reversed_keys(item) for item in node]
    return node


def _python_repr(node):
    """A py2-style repr: u'' strings, tuples for lists of numbers."""
    if isinstance(node, dict):
        items = ", ".join(
            f"{_python_repr(k)}: {_python_repr(v)}" for k, v in node.items()
        )
        return "{" + items + "}"
    if isinstance(node, list):
        if node and all(isinstance(item, (int, type(None))) for item in node):
            return "(" + ", ".join(repr(item) for item in node) + ",)"
        return "[" + ", ".join(_python_repr(item) for item in node) + "]"
    if isinstance(node, str):
        return "u" + repr(node)
    return repr(node)


@pytest.mark.parametrize(
    "form",
    ["cr_line_endings", "crlf_line_endings", "reversed_keys", "python_repr", "bytes"],
)
def test_py2_era_json_and_reprs_build_the_same_model(form):
    name = "p06_functional_shared_concat"
    text = _json(name)
    config = json.loads(text)
    if form == "cr_line_endings":
        text = json.dumps(config, indent=2).replace("\n", "\r")
    elif form == "crlf_line_endings":
        text = json.dumps(config, indent=2).replace("\n", "\r\n")
    elif form == "reversed_keys":
        text = json.dumps(_reversed_keys(config))
    elif form == "python_repr":
        text = _python_repr(config)
    else:
        text = text.encode("utf-8")
    model = model_from_json(text)
    set_keras1_weights(model, name)
    assert np.abs(predict(model, name) - recorded(name)).max() < TOLERANCE


def test_get_config_forms_build_the_model():
    sequential = json.loads(_json("p02_gru_mask_softmax"))["config"]  # a list
    functional = json.loads(_json("p12_ncf_gmf_mul"))["config"]  # {name, layers, ...}
    assert isinstance(model_from_config(sequential), keras.Sequential)
    model = model_from_config(functional)
    set_keras1_weights(model, "p12_ncf_gmf_mul")
    assert (
        np.abs(predict(model, "p12_ncf_gmf_mul") - recorded("p12_ncf_gmf_mul")).max()
        < TOLERANCE
    )


def test_the_config_passed_in_is_not_modified():
    config = json.loads(_json("p07_merge_layer_sum_branches"))
    original = copy.deepcopy(config)
    model_from_config(config)
    assert config == original


# ----------------------------------------------------------------------
# Refusals


def _sequential(*entries):
    return {"class_name": "Sequential", "config": list(entries)}


def _dense(name="dense_1", **config):
    return {
        "class_name": "Dense",
        "config": {
            "name": name,
            "output_dim": 2,
            "batch_input_shape": [None, 3],
            **config,
        },
    }


def test_an_unknown_class_names_the_layer_the_class_and_what_is_supported():
    config = _sequential(
        _dense(), {"class_name": "MaxoutDense", "config": {"name": "maxout_1"}}
    )
    with pytest.raises(ValueError) as error:
        model_from_config(config)
    message = str(error.value)
    assert "'maxout_1'" in message and "'MaxoutDense'" in message
    assert "Supported Keras 1 layers: " in message and "LSTM" in message
    assert message.endswith("Received: class_name='MaxoutDense'")


@pytest.mark.parametrize("mode", [1, 2])
def test_batch_normalization_modes_1_and_2_are_refused(mode):
    config = _sequential(
        _dense(),
        {
            "class_name": "BatchNormalization",
            "config": {"name": "batchnormalization_1", "mode": mode, "epsilon": 1e-3},
        },
    )
    with pytest.raises(
        ValueError, match=r"'batchnormalization_1'.*`mode` must be one of 0\. Mode 1"
    ):
        model_from_config(config)


def _lambda(function_type="lambda", function="4wEAAAAA"):
    return {
        "class_name": "Lambda",
        "config": {
            "name": "lambda_1",
            "trainable": True,
            "function": function,
            "function_type": function_type,
            "output_shape": None,
            "output_shape_type": "raw",
            "arguments": {},
        },
    }


def test_a_lambda_is_never_run_from_its_bytecode_and_says_how_to_pass_it():
    config = _sequential(_dense(), _lambda())
    with pytest.raises(ValueError) as error:
        model_from_config(config)
    message = str(error.value)
    assert "Lambda layer 'lambda_1'" in message
    assert 'custom_objects={"lambda_1": fn}' in message
    assert "never executed" in message


def test_a_lambda_function_from_custom_objects_builds_and_predicts():
    model = model_from_config(
        _sequential(_dense(), _lambda()), custom_objects={"lambda_1": lambda x: 2.0 * x}
    )
    kernel, bias = np.ones((3, 2), "float32"), np.array([0.5, -1.0], "float32")
    model.get_layer("dense_1").set_weights([kernel, bias])
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), 2.0 * (x @ kernel + bias))


def test_a_named_lambda_function_is_found_by_its_name():
    def double(x):
        return 2.0 * x

    model = model_from_config(
        _sequential(_dense(), _lambda("function", "double")),
        custom_objects={"double": double},
    )
    assert model.get_layer("lambda_1").function is double


def test_a_merge_with_a_function_says_how_to_pass_it_and_then_works():
    config = json.loads(_json("p06_functional_shared_concat"))
    merge = next(
        layer for layer in config["config"]["layers"] if layer["name"] == "merge_1"
    )
    merge["config"].update(mode="4wEAAAAA", mode_type="lambda")
    with pytest.raises(
        ValueError, match=r"Merge layer 'merge_1'.*custom_objects=\{\"merge_1\": fn\}"
    ):
        model_from_config(config)

    model = model_from_config(config, custom_objects={"merge_1": _concat})
    set_keras1_weights(model, "p06_functional_shared_concat")
    assert (
        np.abs(
            predict(model, "p06_functional_shared_concat")
            - recorded("p06_functional_shared_concat")
        ).max()
        < TOLERANCE
    )


def _concat(tensors):
    return tf.concat(tensors, axis=-1)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"class_name": "Graph", "config": {}}, "`Graph` container"),
        (
            {"class_name": "Foo", "config": {}},
            "expected class_name 'Sequential' or 'Model'",
        ),
        (42, "dict"),
        ({"class_name": "Model", "config": {"layers": "x"}}, "functional model config"),
    ],
)
def test_configs_of_another_shape_are_refused(config, message):
    with pytest.raises(ValueError, match=message):
        model_from_config(config)


def test_text_that_is_no_config_is_refused():
    with pytest.raises(ValueError, match="neither JSON nor a Python literal"):
        model_from_json("{not a config")


def test_a_node_from_a_missing_layer_is_an_error():
    config = json.loads(_json("p12_ncf_gmf_mul"))
    config["config"]["layers"][-1]["inbound_nodes"] = [[["nowhere", 0, 0]]]
    with pytest.raises(ValueError, match="nowhere"):
        model_from_config(config)


# ----------------------------------------------------------------------
# Keras 1 code API: Model(input=, output=) and the Sequential methods


def test_model_takes_keras1_and_modern_keywords_but_not_both():
    from keras_embedding.legacy.layers import Dense, Input

    x = Input(shape=(3,))
    y = Dense(2)(x)
    assert Model(input=x, output=y).inputs and Model(inputs=x, outputs=y).outputs
    with pytest.raises(TypeError, match="not both"):
        Model(input=x, inputs=x, output=y)
    with pytest.raises(TypeError, match="needs `output=`"):
        Model(input=x)


def test_sequential_fit_takes_nb_epoch_and_keras1_defaults():
    from keras_embedding.legacy.layers import Dense

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(loss="mse", optimizer="sgd")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    assert len(model.fit(x, y, nb_epoch=2, verbose=0).history["loss"]) == 2
    assert len(model.fit(x, y, verbose=0).history["loss"]) == 10  # Keras 1 default
    with pytest.raises(TypeError, match="not both"):
        model.fit(x, y, nb_epoch=1, epochs=1)


def test_sequential_predict_classes_and_proba():
    from keras_embedding.legacy.layers import Dense

    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    x = np.random.rand(5, 2).astype("float32")
    proba = model.predict_proba(x)
    np.testing.assert_array_equal(model.predict_classes(x), proba.argmax(-1))
    single = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    np.testing.assert_array_equal(
        single.predict_classes(x), (single.predict(x) > 0.5).astype("int32")
    )


# ----------------------------------------------------------------------
# Saving a ported model


# One fixture for each class or function a ported model registers: Merge,
# Highway, Bidirectional, channels-first convolution and pooling, the gate
# and kernel initializers, hard_sigmoid, summed activity penalties, the
# Embedding, and the Keras 1 constraints and regularizers.
RELOADED = [
    "p07_merge_layer_sum_branches",
    "l01_dense_first_highway",
    "b01_bidirectional_gru_sum_sequences_mask",
    "c03_conv2d_th",
    "l05_noise_dropout_hard_sigmoid",
    "l06_dense_regularizers_constraints",
    "m06_merge_cos_siamese",
    "r07_lstm_regularizers_cpu",
]


@pytest.fixture(scope="module")
def saved_ports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ported")
    expected = {}
    for name in RELOADED:
        keras.backend.clear_session()
        model = _ported(name)
        path = folder / f"{name}.keras"
        model.save(path)
        expected[name] = recorded(name)
    return folder, expected


@pytest.mark.slow  # a fresh Python process
def test_ported_models_reload_with_only_import_keras_embedding(saved_ports):
    folder, _ = saved_ports
    script = textwrap.dedent(
        f"""
        import json, pathlib, sys
        import numpy as np
        import keras_embedding  # noqa: F401  (registers what the files need)
        from keras_embedding._compat import keras
        assert "keras_embedding.legacy" not in sys.modules
        sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
        from keras1_models import max_difference, predict, recorded
        folder = pathlib.Path({str(folder)!r})
        diffs = {{}}
        for file in sorted(folder.glob("*.keras")):
            model = keras.models.load_model(file)
            name = file.stem
            diffs[name] = max_difference(predict(model, name), recorded(name))
        print(json.dumps(diffs))
        """
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    diffs = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(diffs) == set(RELOADED)
    assert max(diffs.values()) < TOLERANCE, diffs


def test_a_merge_first_sequential_from_code_summarises_saves_and_loads(tmp_path):
    from keras_embedding.legacy.layers import Dense, Embedding, Flatten, Merge

    left = Sequential([Embedding(30, 5, input_length=4), Flatten()])
    right = Sequential([Embedding(25, 5, input_length=4), Flatten()])
    model = Sequential([Merge([left, right], mode="concat"), Dense(2)])
    model.summary(print_fn=lambda *args, **kwargs: None)
    x = [np.random.randint(25, size=(3, 4)), np.random.randint(25, size=(3, 4))]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x), atol=1e-7
    )
    assert [layer.name for layer in keras1_layers(loaded)] == [
        "embedding_1",
        "flatten_1",
        "embedding_2",
        "flatten_2",
        "dense_1",
    ]
