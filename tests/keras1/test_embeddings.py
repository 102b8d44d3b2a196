"""The Embedding spec: normalize_config on Keras 1, Keras 2 / tf_keras and
Keras 3 configs, and saving the Keras 1 objects inside a model."""

import ast
import copy
import json
import math
import re
import warnings

import numpy as np
import pytest

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1.constraints import MaxNorm, maxnorm
from keras_embedding.keras1.initializations import Keras1Initializer
from keras_embedding.keras1.layers import normalize_config
from keras_embedding.keras1.regularizers import L1L2Regularizer, activity_l2, l1l2

KERAS1_FIXTURES = sorted(
    path.name.split(".")[0]
    for path in (
        __import__("pathlib").Path(__file__).parents[1] / "fixtures" / "keras1"
    ).glob("*.embedding_get_config.repr.txt")
)


def _repr_config(fixtures_dir, model):
    path = fixtures_dir / "keras1" / f"{model}.embedding_get_config.repr.txt"
    return ast.literal_eval(path.read_text())


def _embedding_in(node):
    """The Embedding config inside a Keras 1 model config or layer list."""
    if isinstance(node, dict):
        if node.get("class_name") == "Embedding":
            return node["config"]
        node = list(node.values())
    for value in node if isinstance(node, list) else []:
        found = _embedding_in(value)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("model", KERAS1_FIXTURES)
def test_keras1_fixture_configs_map_to_layer_kwargs(fixtures_dir, model):
    config = _repr_config(fixtures_dir, model)
    original = copy.deepcopy(config)
    kwargs = normalize_config(config)
    assert config == original

    # Every Keras 1 argument keeps its Keras 1 name and value (the layer
    # ignores `input_dtype`: Keras 1 always looked ids up as int32).
    assert kwargs == original

    layer = Embedding(**kwargs)
    assert layer.name == config["name"]
    assert (layer.input_dim, layer.output_dim) == (
        config["input_dim"],
        config["output_dim"],
    )
    assert layer.input_length == config["input_length"]
    assert layer.mask_zero == config["mask_zero"]
    assert layer.dropout == config["dropout"]
    init = layer.embeddings_initializer
    assert isinstance(init, Keras1Initializer) and init.init == config["init"]
    if config["W_regularizer"] is not None:
        assert isinstance(layer.embeddings_regularizer, L1L2Regularizer)
        assert layer.embeddings_regularizer.keras1_config() == config["W_regularizer"]
    if config["W_constraint"] is not None:
        constraint = layer.embeddings_constraint
        assert isinstance(constraint, MaxNorm)
        assert {"name": "MaxNorm", **constraint.get_config()} == (
            config["W_constraint"]
        )


@pytest.mark.parametrize("model", KERAS1_FIXTURES)
@pytest.mark.parametrize("source", ["get_config.json", "to_json.json"])
def test_keras1_json_configs_map_like_the_python_config(fixtures_dir, model, source):
    tree = json.loads((fixtures_dir / "keras1" / f"{model}.{source}").read_text())
    config = _embedding_in(tree)
    # JSON turns the batch_input_shape tuple into a list; the layers agree.
    from_json = Embedding(**normalize_config(config)).get_config()
    from_repr = Embedding(**normalize_config(_repr_config(fixtures_dir, model)))
    assert from_json == from_repr.get_config()


def test_a_model_config_entry_is_unwrapped():
    entry = {"class_name": "Embedding", "config": {"input_dim": 4, "output_dim": 2}}
    assert normalize_config(entry) == {"input_dim": 4, "output_dim": 2}


KERAS2_CONFIG = {
    "name": "embedding_1",
    "trainable": True,
    "batch_input_shape": [None, 4],
    "dtype": "float32",
    "input_dim": 10,
    "output_dim": 3,
    "embeddings_initializer": {
        "class_name": "RandomUniform",
        "config": {"minval": -0.2, "maxval": 0.2, "seed": None},
    },
    "embeddings_regularizer": {
        "class_name": "L1L2",
        "config": {"l1": 0.0, "l2": 0.009999999776482582},
    },
    "activity_regularizer": None,
    "embeddings_constraint": {
        "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0},
    },
    "mask_zero": True,
    "input_length": 4,
    "sparse": False,
}

KERAS3_CONFIG = {
    "name": "embedding",
    "trainable": True,
    "dtype": {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    },
    "input_dim": 10,
    "output_dim": 3,
    "embeddings_initializer": {
        "module": "keras.initializers",
        "class_name": "RandomUniform",
        "config": {"seed": None, "minval": -0.2, "maxval": 0.2},
        "registered_name": None,
    },
    "embeddings_regularizer": {
        "module": "keras.regularizers",
        "class_name": "L2",
        "config": {"l2": 0.01},
        "registered_name": None,
    },
    "activity_regularizer": None,
    "embeddings_constraint": {
        "module": "keras.constraints",
        "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0},
        "registered_name": None,
    },
    "mask_zero": True,
    "quantization_config": None,
}


@pytest.mark.parametrize(
    "class_name, std",
    [
        ("GlorotNormal", np.sqrt(2 / (400 + 300))),
        ("HeNormal", np.sqrt(2 / 400)),
        ("LecunNormal", np.sqrt(1 / 400)),
    ],
)
def test_keras3_variance_scaling_configs_load_in_either_flavour(class_name, std):
    # Keras 3.15 writes `input_axes`/`output_axes` (None: not used), which
    # tf_keras's classes do not take.
    config = {
        "input_dim": 400,
        "output_dim": 300,
        "embeddings_initializer": {
            "module": "keras.initializers",
            "class_name": class_name,
            "config": {"seed": 3, "input_axes": None, "output_axes": None},
            "registered_name": None,
        },
    }
    layer = Embedding.from_config(config)
    layer.build((None, 2))
    table = layer.get_weights()[0]
    # Keras widens its truncated normal so that the std is the scale.
    assert abs(table.std() / std - 1) < 0.02


def test_a_setting_the_running_keras_lacks_is_refused_when_it_is_used():
    config = {
        "input_dim": 4,
        "output_dim": 2,
        "embeddings_initializer": {
            "module": "keras.initializers",
            "class_name": "Zeros",
            "config": {"not_a_setting": 1},
            "registered_name": None,
        },
    }
    with pytest.raises(ValueError, match="not_a_setting"):
        Embedding.from_config(config)


@pytest.mark.parametrize("config", [KERAS2_CONFIG, KERAS3_CONFIG], ids=["k2", "k3"])
def test_keras2_and_keras3_configs_build_the_layer(config):
    original = copy.deepcopy(config)
    kwargs = normalize_config(config)
    assert config == original
    assert kwargs["dtype"] == "float32"
    assert "sparse" not in kwargs and "embeddings_initializer" not in kwargs
    layer = Embedding.from_config(config)
    assert config == original
    assert (layer.input_dim, layer.output_dim, layer.mask_zero) == (10, 3, True)
    init = layer.embeddings_initializer
    assert type(init).__name__ == "RandomUniform" and init.maxval == 0.2
    reg = layer.embeddings_regularizer
    assert float(reg(np.ones((2, 2), np.float32))) == pytest.approx(0.04)
    assert layer.embeddings_constraint.get_config()["max_value"] == 2
    if "input_length" in config:
        assert layer.input_length == 4


def test_the_running_keras_own_embedding_config_builds_the_layer():
    modern = keras.layers.Embedding(7, 2, mask_zero=True, name="modern")
    layer = Embedding.from_config(modern.get_config())
    assert (layer.name, layer.input_dim, layer.output_dim) == ("modern", 7, 2)
    assert layer.mask_zero


def test_get_config_round_trips_through_normalize_config():
    layer = Embedding(
        12,
        3,
        init="orthogonal",
        input_length=4,
        W_regularizer=l1l2(0.001, 0.3),
        activity_regularizer=activity_l2(0.02),
        W_constraint=maxnorm(3, axis=1),
        mask_zero=True,
        dropout=0.25,
        seed=7,
        name="full",
    )
    config = layer.get_config()
    original = copy.deepcopy(config)
    restored = Embedding(**normalize_config(config))
    assert config == original
    assert restored.get_config() == config


@pytest.mark.parametrize("dropout", [1.0, 1.5, -0.1, float("nan")])
def test_a_keras1_config_with_ignored_dropout_loads_with_a_warning(dropout):
    config = {"input_dim": 5, "output_dim": 2, "dropout": dropout}
    with pytest.warns(UserWarning, match=r"dropout=.*outside \[0, 1\)"):
        kwargs = normalize_config(config)
    assert kwargs["dropout"] == 0.0
    assert Embedding(**kwargs).dropout == 0.0
    assert config["dropout"] is dropout or math.isnan(config["dropout"])


def test_a_valid_dropout_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert normalize_config({"dropout": 0.5})["dropout"] == 0.5


def test_sparse_true_is_an_error():
    with pytest.raises(ValueError, match=r"Received: sparse=True$"):
        normalize_config({"input_dim": 5, "output_dim": 2, "sparse": True})


def test_a_legacy_and_a_modern_name_together_is_an_error():
    config = {"init": "uniform", "embeddings_initializer": "zeros"}
    with pytest.raises(ValueError, match="both `init` and `embeddings_initializer`"):
        normalize_config(config)


@pytest.mark.parametrize("config", [None, [("input_dim", 3)], "embedding"])
def test_a_non_dict_config_is_an_error(config):
    with pytest.raises(
        ValueError, match=re.escape(f"Received: config={config!r}") + "$"
    ):
        normalize_config(config)


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 supports LoRA")
def test_keras3_only_settings_are_an_error_under_tf_keras():
    assert "lora_rank" not in normalize_config({"lora_rank": None})
    with pytest.raises(ValueError, match=r"Received: lora_rank=4$"):
        normalize_config({"input_dim": 5, "output_dim": 2, "lora_rank": 4})


@pytest.mark.skipif(not IS_KERAS3, reason="LoRA is Keras 3 only")
def test_keras3_lora_settings_pass_through():
    kwargs = normalize_config({"input_dim": 5, "output_dim": 2, "lora_rank": 2})
    assert kwargs["lora_rank"] == 2


def _model():
    ids = keras.Input((5,), dtype="int32")
    embedding = Embedding(
        20,
        4,
        init="glorot_normal",
        W_regularizer=l1l2(0.01, 0.02),
        activity_regularizer=activity_l2(0.01),
        W_constraint=maxnorm(2, axis=1),
        name="emb",
    )
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(embedding(ids)))
    model = keras.Model(ids, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.MeanSquaredError()
    )
    return model


SAVE_FORMATS = ["model.keras", "model.h5"] if IS_KERAS3 else ["model.h5", "saved"]


@pytest.mark.parametrize("filename", SAVE_FORMATS)
def test_legacy_objects_survive_save_and_load_without_custom_objects(
    tmp_path, filename
):
    model = _model()
    x = np.random.default_rng(0).integers(0, 20, size=(3, 5)).astype("int32")
    model.train_on_batch(x, np.ones((3, 1), np.float32))
    path = str(tmp_path / filename)
    model.save(path)
    loaded = keras.models.load_model(path)

    before, after = model.get_layer("emb"), loaded.get_layer("emb")
    assert type(after) is Embedding
    assert after.get_config() == before.get_config()
    assert isinstance(after.embeddings_regularizer, L1L2Regularizer)
    assert isinstance(after.embeddings_constraint, MaxNorm)
    assert after.embeddings_constraint.get_config() == {"m": 2, "axis": 1}
    assert isinstance(after.embeddings_initializer, Keras1Initializer)
    np.testing.assert_array_equal(after.get_weights()[0], before.get_weights()[0])
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    model(x), loaded(x)
    np.testing.assert_allclose(
        sorted(float(v) for v in loaded.losses),
        sorted(float(v) for v in model.losses),
        rtol=1e-6,
    )
