"""Loading Embeddings and weights from the Keras 1 fixtures and other files."""

import json
import pathlib

import h5py
import numpy as np
import pytest

from keras_embedding import Embedding
from keras_embedding._compat import keras
from keras_embedding.legacy import (
    load_embedding,
    load_weights,
    read_layer_weights,
)

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
MODELS = sorted(
    path.stem
    for path in (FIXTURES / "keras1").glob("m*.h5")
    if not path.stem.endswith("_weights")
)
NCF = FIXTURES / "wild" / "ncf_ml-1m_GMF_8.h5"


def _npz(model):
    return np.load(FIXTURES / "keras1" / f"{model}.npz")


@pytest.mark.parametrize("model", MODELS)
def test_load_embedding_reproduces_weights_and_outputs(model):
    data = _npz(model)
    layer = load_embedding(FIXTURES / "keras1" / f"{model}.h5")
    assert type(layer) is Embedding and layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], data["W"])
    output = np.asarray(layer(data["x"], training=False))
    np.testing.assert_array_equal(output, data["embedding_output_test_phase"])


@pytest.mark.parametrize("model", MODELS)
def test_load_weights_from_save_weights_files(model):
    data = _npz(model)
    layer = Embedding(*data["W"].shape, name="embedding_1")
    load_weights(layer, FIXTURES / "keras1" / f"{model}_weights.h5")
    np.testing.assert_array_equal(layer.get_weights()[0], data["W"])


def test_the_mask_of_m10_equals_keras1():
    data = _npz("m10_mask_zero_lstm")
    layer = load_embedding(FIXTURES / "keras1" / "m10_mask_zero_lstm.h5")
    mask = np.asarray(layer.compute_mask(data["x"]))
    np.testing.assert_array_equal(mask, data["mask"])


def test_the_l2_penalty_of_m04_equals_keras1():
    data = _npz("m04_W_reg_l2")
    layer = load_embedding(FIXTURES / "keras1" / "m04_W_reg_l2.h5")
    layer(data["x"])
    np.testing.assert_allclose(
        [float(loss) for loss in layer.losses], data["model_losses"], rtol=1e-6
    )


def test_the_m07_maxnorm_step_is_reproduced_by_a_keras_sgd_step():
    data = _npz("m07_maxnorm2")
    config = json.loads(
        h5py.File(FIXTURES / "keras1" / "m07_maxnorm2.h5", "r").attrs["model_config"]
    )
    # The model is a Sequential holding only the Embedding, trained on mse.
    assert [layer["class_name"] for layer in config["config"]] == ["Embedding"]
    embedding_config = dict(config["config"][0]["config"])
    embedding = Embedding.from_config(embedding_config)
    model = keras.Sequential([embedding])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=float(data["sgd_lr"])),
        loss=keras.losses.MeanSquaredError(),
    )
    embedding.set_weights([data["W_before_train"]])
    loss = model.train_on_batch(data["train_x"], data["train_y"])
    np.testing.assert_allclose(np.ravel(loss)[0], data["train_loss"], rtol=1e-6)
    np.testing.assert_allclose(embedding.get_weights()[0], data["W"], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(data["W"], axis=0), 2.0, rtol=1e-6)


def test_the_ncf_gmf_tables_load_into_keras1_style_layers():
    with h5py.File(NCF, "r") as file:
        users = np.asarray(file["user_embedding/user_embedding_W"])
        items = np.asarray(file["item_embedding/item_embedding_W"])
    user_embedding = Embedding(6040, 8, name="user_embedding")
    item_embedding = Embedding(3706, 8, name="item_embedding")
    load_weights(user_embedding, NCF)
    load_weights(item_embedding, NCF)
    np.testing.assert_array_equal(user_embedding.get_weights()[0], users)
    np.testing.assert_array_equal(item_embedding.get_weights()[0], items)


def test_read_layer_weights_returns_the_saved_order():
    weights = read_layer_weights(NCF, "prediction")
    assert [w.shape for w in weights] == [(8, 1), (1,)]
    assert read_layer_weights(NCF, "flatten_1") == []


def test_read_layer_weights_of_a_missing_layer_lists_the_layers():
    with pytest.raises(ValueError, match="user_embedding") as info:
        read_layer_weights(NCF, "dense_1")
    assert str(info.value).endswith("Received: name='dense_1'")


def test_load_weights_takes_another_name_from_the_file():
    layer = Embedding(3706, 8, name="items")
    load_weights(layer, NCF, name="item_embedding")
    np.testing.assert_array_equal(
        layer.get_weights()[0], read_layer_weights(NCF, "item_embedding")[0]
    )


def test_load_weights_shape_mismatch_shows_both_shapes():
    layer = Embedding(6041, 8, name="user_embedding")
    with pytest.raises(ValueError, match=r"\(6040, 8\).*\(6041, 8\)") as info:
        load_weights(layer, NCF)
    assert str(info.value).endswith("Received: weights[0] of shape (6040, 8)")


def test_load_weights_not_found_lists_what_is_there():
    layer = Embedding(10, 8, name="movie_embedding")
    with pytest.raises(ValueError, match="item_embedding, user_embedding, prediction"):
        load_weights(layer, NCF)


def test_load_weights_from_a_file_the_running_keras_wrote(tmp_path):
    ids = keras.Input((3,), dtype="int32")
    modern = keras.layers.Embedding(9, 2, name="words")
    model = keras.Model(ids, modern(ids))
    path = tmp_path / "modern.h5"
    model.save(path)
    layer = Embedding(9, 2, name="words")
    load_weights(layer, path)
    np.testing.assert_array_equal(layer.get_weights()[0], modern.get_weights()[0])


def _embedding_config(name, input_dim, output_dim):
    return {
        "class_name": "Embedding",
        "config": {
            "name": name,
            "trainable": True,
            "batch_input_shape": [None, 3],
            "input_dtype": "int32",
            "input_dim": input_dim,
            "output_dim": output_dim,
            "init": "uniform",
            "input_length": 3,
            "mask_zero": False,
            "activity_regularizer": None,
            "W_regularizer": None,
            "W_constraint": None,
            "dropout": 0.0,
        },
    }


def _write_keras1_file(path, model_config, tables):
    """Writes a file in the Keras 1 `model.save` layout (keras1-facts §3)."""
    with h5py.File(path, "w") as file:
        file.attrs["keras_version"] = np.bytes_(b"1.2.2")
        file.attrs["model_config"] = np.bytes_(json.dumps(model_config).encode())
        group = file.create_group("model_weights")
        group.attrs["layer_names"] = np.array([n.encode() for n in tables], "S")
        for name, table in tables.items():
            layer_group = group.create_group(name)
            if table is None:
                layer_group.attrs["weight_names"] = np.array([], np.float64)
                continue
            layer_group.attrs["weight_names"] = np.array([f"{name}_W:0".encode()])
            layer_group.create_dataset(f"{name}_W:0", data=table)


@pytest.fixture
def merge_file(tmp_path):
    """A Keras 1 Sequential whose first layer Merges two Embedding branches."""
    rng = np.random.default_rng(0)
    tables = {
        "left_emb": rng.normal(size=(6, 2)).astype(np.float32),
        "right_emb": rng.normal(size=(7, 2)).astype(np.float32),
        "merge_1": None,
    }
    branch = [
        {"class_name": "Sequential", "config": [_embedding_config("left_emb", 6, 2)]},
        {"class_name": "Sequential", "config": [_embedding_config("right_emb", 7, 2)]},
    ]
    model_config = {
        "class_name": "Sequential",
        "config": [
            {"class_name": "Merge", "config": {"name": "merge_1", "layers": branch}}
        ],
    }
    path = tmp_path / "merge.h5"
    _write_keras1_file(path, model_config, tables)
    return path, tables


@pytest.mark.parametrize("name", ["left_emb", "right_emb"])
def test_load_embedding_finds_embeddings_in_merge_branches(merge_file, name):
    path, tables = merge_file
    layer = load_embedding(path, name=name)
    assert layer.name == name
    np.testing.assert_array_equal(layer.get_weights()[0], tables[name])


def test_several_embeddings_and_no_name_is_an_error_listing_them(merge_file):
    path, _ = merge_file
    with pytest.raises(ValueError, match="2 Embedding layers.*left_emb, right_emb"):
        load_embedding(path)


def test_a_missing_embedding_name_is_an_error_listing_them(merge_file):
    path, _ = merge_file
    with pytest.raises(ValueError, match="left_emb, right_emb") as info:
        load_embedding(path, name="words")
    assert str(info.value).endswith("Received: name='words'")


def test_load_embedding_reads_a_functional_model_config(tmp_path):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    layer_entry = dict(_embedding_config("words", 4, 3), name="words")
    layer_entry["inbound_nodes"] = [[["ids", 0, 0]]]
    model_config = {
        "class_name": "Model",
        "config": {
            "name": "model_1",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "ids",
                    "config": {"batch_input_shape": [None, 3], "name": "ids"},
                    "inbound_nodes": [],
                },
                layer_entry,
            ],
            "input_layers": [["ids", 0, 0]],
            "output_layers": [["words", 0, 0]],
        },
    }
    path = tmp_path / "functional.h5"
    _write_keras1_file(path, model_config, {"ids": None, "words": table})
    layer = load_embedding(path)
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    assert layer.input_length == 3


def test_load_embedding_of_a_weights_only_file_is_an_error():
    with pytest.raises(ValueError, match="save_weights.*load_weights"):
        load_embedding(NCF)


def test_load_embedding_of_a_model_without_embedding_is_an_error(tmp_path):
    path = tmp_path / "none.h5"
    _write_keras1_file(path, {"class_name": "Sequential", "config": []}, {})
    with pytest.raises(ValueError, match="0 Embedding layers"):
        load_embedding(path)


@pytest.mark.parametrize("mask_zero", [False, True])
def test_load_embedding_reads_a_file_this_package_wrote(tmp_path, mask_zero):
    model = keras.Sequential(
        [
            keras.Input((4,), dtype="int32"),
            Embedding(12, 3, mask_zero=mask_zero, dropout=0.25, name="words"),
        ]
    )
    path = tmp_path / "ours.h5"
    model.save(path)
    layer = load_embedding(path)
    assert type(layer) is Embedding
    assert (layer.mask_zero, layer.dropout) == (mask_zero, 0.25)
    np.testing.assert_array_equal(
        layer.get_weights()[0], model.layers[-1].get_weights()[0]
    )
