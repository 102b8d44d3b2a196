"""Compiling from a Keras 1 training_config and restoring optimizer state."""

import json
import pathlib
import shutil

import h5py
import numpy as np
import pytest
import tensorflow as tf

from keras_embedding._compat import keras
from keras_embedding.keras1 import objectives, optimizers
from keras_embedding.legacy import load_model, load_weights, model_from_json
from keras_embedding.legacy.hdf5 import read
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.training import (
    compile_from_training_config,
    restore_optimizer_state,
)

ROOT = pathlib.Path(__file__).parents[2]
DIR = ROOT / "tests" / "fixtures" / "keras1_models"
NCF = ROOT / "tests" / "fixtures" / "wild" / "ncf_ml-1m_GMF_8.h5"


def _model(name):
    return model_from_json((DIR / f"{name}.json").read_text())


def _training_config(name):
    return read(DIR / f"{name}.h5").training_config


def test_the_optimizer_comes_back_with_its_keras1_settings():
    model = load_model(DIR / "o04_sgd_momentum_decay.h5")
    optimizer = model.optimizer
    assert type(optimizer) is optimizers.SGD
    assert optimizer.momentum == pytest.approx(0.9)
    assert optimizer.decay == pytest.approx(0.1)
    # SGD saved `iterations` first: 5 steps with decay > 0.
    assert int(optimizer.iterations.numpy()) == 5


@pytest.mark.parametrize(
    ("name", "restarts"),
    [("o05_rmsprop_decay", True), ("o07_adam_decay", False)],
)
def test_decay_restarts_where_keras1_did_not_save_iterations(name, restarts):
    optimizer = load_model(DIR / f"{name}.h5").optimizer
    assert (int(optimizer.iterations.numpy()) == 0) == restarts


def test_slots_follow_keras1s_sort_of_the_weights_by_name():
    # o11: dense_10_* and dense_11_* sort before dense_1_*; one Adam step's
    # first moment then belongs to the weight of the same sorted position.
    saved = read(DIR / "o11_adam_eleven_dense_layers.h5")
    model = load_model(DIR / "o11_adam_eleven_dense_layers.h5")
    names = sorted(n for layer in saved.layers for n in layer.weight_names)
    assert names[:4] == [
        "dense_10_W:0",
        "dense_10_b:0",
        "dense_11_W:0",
        "dense_11_b:0",
    ]
    count = len(names)
    for position, name in enumerate(names):
        layer_name, kind = name.split(":")[0].rsplit("_", 1)
        layer = model.get_layer(layer_name)
        variable = layer.kernel if kind == "W" else layer.bias
        m, v = model.optimizer.keras1_slot_variables(variable)
        np.testing.assert_array_equal(m.numpy(), saved.optimizer_weights[1 + position])
        np.testing.assert_array_equal(
            v.numpy(), saved.optimizer_weights[1 + count + position]
        )


def test_recurrent_slots_are_reordered_like_the_weights():
    # r01: fused 'gpu' LSTM and GRU; p02: per-gate GRU (z, r, h -> fused).
    for name in ("p02_gru_mask_softmax", "r01_lstm_gru_gpu_mask"):
        model = load_model(DIR / f"{name}.h5")
        for layer in model.layers:
            for variable in layer.trainable_weights:
                for slot in model.optimizer.keras1_slot_variables(variable):
                    assert slot.shape == variable.shape
    # Converting the accumulators of p02's GRU as weights gives the slots.
    saved = read(DIR / "p02_gru_mask_softmax.h5")
    model = load_model(DIR / "p02_gru_mask_softmax.h5")
    gru = model.get_layer("gru_1")
    group = saved.layer("gru_1")
    sorted_names = sorted(n for layer in saved.layers for n in layer.weight_names)
    accumulators = [
        saved.optimizer_weights[sorted_names.index(n)] for n in group.weight_names
    ]
    for variable, value in zip(
        gru.trainable_weights, keras1_weights(gru, accumulators), strict=True
    ):
        (slot,) = model.optimizer.keras1_slot_variables(variable)
        np.testing.assert_array_equal(slot.numpy(), value)


def test_without_restoring_the_state_training_would_differ():
    # p08 (Adagrad): the restored accumulators change the next steps.
    data = np.load(DIR / "p08_fasttext_global_average.npz")
    fresh = _model("p08_fasttext_global_average")
    load_weights(fresh, DIR / "p08_fasttext_global_average.h5")
    compile_from_training_config(fresh, _training_config("p08_fasttext_global_average"))
    loss = float(np.ravel(fresh.train_on_batch(data["x"], data["y"]))[0])
    loss = float(np.ravel(fresh.train_on_batch(data["x"], data["y"]))[0])
    assert abs(loss / data["next_losses"][1] - 1) > 1e-2


def test_multi_output_losses_metrics_and_loss_weights():
    model = load_model(DIR / "l10_two_outputs_loss_weights.h5")
    data = np.load(DIR / "l10_two_outputs_loss_weights.npz")
    result = model.evaluate(
        data["x"], [data["y0"], data["y1"]], batch_size=16, verbose=0, return_dict=True
    )
    names = [str(name) for name in data["metrics_names"]]
    assert names == ["loss", "topic_loss", "score_loss", "topic_acc", "score_acc"]
    np.testing.assert_allclose(
        [result[name] for name in names], data["eval_loss"], rtol=1e-5
    )


def test_custom_losses_metrics_and_optimizers_from_custom_objects(tmp_path):
    path = tmp_path / "custom.h5"
    shutil.copy(DIR / "p12_ncf_gmf_mul.h5", path)
    config = read(path).training_config
    config["loss"] = "my_loss"
    config["metrics"] = ["my_metric", "accuracy"]
    config["optimizer_config"]["class_name"] = "MyAdam"
    with h5py.File(path, "r+") as file:
        file.attrs["training_config"] = np.bytes_(json.dumps(config).encode())

    def my_loss(y_true, y_pred):
        return 2.0 * objectives.binary_crossentropy(y_true, y_pred)

    def my_metric(y_true, y_pred):
        return tf.reduce_mean(y_pred, axis=-1)

    class MyAdam(keras.optimizers.Adam):
        @classmethod
        def from_config(cls, config, custom_objects=None):
            return cls(learning_rate=config["lr"])

    with pytest.raises(ValueError, match="Received: loss='my_loss'"):
        load_model(path)
    data = np.load(DIR / "p12_ncf_gmf_mul.npz")
    with pytest.warns(UserWarning, match="optimizer state was not restored"):
        model = load_model(
            path,
            custom_objects={
                "my_loss": my_loss,
                "my_metric": my_metric,
                "MyAdam": MyAdam,
            },
        )
    assert type(model.optimizer) is MyAdam
    loss, mean_prediction, accuracy = model.evaluate(
        [data["x0"], data["x1"]], data["y"], batch_size=16, verbose=0
    )
    assert loss == pytest.approx(2 * float(data["eval_loss"]), rel=1e-5)
    predictions = model.predict([data["x0"], data["x1"]], verbose=0)
    assert mean_prediction == pytest.approx(float(predictions.mean()), rel=1e-5)
    expected = np.mean(np.round(predictions) == data["y"])
    assert accuracy == pytest.approx(expected)


def test_a_state_that_does_not_fit_is_an_error(tmp_path):
    path = tmp_path / "short.h5"
    shutil.copy(DIR / "p02_gru_mask_softmax.h5", path)
    with h5py.File(path, "r+") as file:
        group = file["optimizer_weights"]
        names = group.attrs["weight_names"]
        del group[names[-1].decode()]
        group.attrs["weight_names"] = names[:-1]
    with pytest.raises(ValueError, match=r"holds 11 arrays.*12 trainable"):
        load_model(path)
    assert load_model(path, compile=False).get_layer("gru_1").built


def test_restoring_needs_nothing_when_the_file_has_no_state():
    model = _model("p02_gru_mask_softmax")
    saved = read(DIR / "p02_gru_mask_softmax_weights.h5")
    compile_from_training_config(model, _training_config("p02_gru_mask_softmax"))
    restore_optimizer_state(model, saved)  # no optimizer weights: nothing to do
    assert not getattr(model.optimizer, "_slots_built", False)


def test_the_keras1_ncf_code_and_its_theano_weights_file():
    # The NCF GMF model from its Keras 1 code, imports changed; the whole
    # model's weights from the Theano-era `save_weights` file in one call.
    from keras_embedding.legacy import initializations
    from keras_embedding.legacy.layers import Dense, Embedding, Flatten, Input, merge
    from keras_embedding.legacy.models import Model

    def init_normal(shape, name=None):
        return initializations.normal(shape, scale=0.01, name=name)

    user_input = Input(shape=(1,), dtype="int32", name="user_input")
    item_input = Input(shape=(1,), dtype="int32", name="item_input")
    user_embedding = Embedding(
        input_dim=6040,
        output_dim=8,
        name="user_embedding",
        init=init_normal,
        input_length=1,
    )
    item_embedding = Embedding(
        input_dim=3706,
        output_dim=8,
        name="item_embedding",
        init=init_normal,
        input_length=1,
    )
    user_latent = Flatten()(user_embedding(user_input))
    item_latent = Flatten()(item_embedding(item_input))
    vector = merge([user_latent, item_latent], mode="mul")
    prediction = Dense(1, activation="sigmoid", init="lecun_uniform", name="prediction")
    model = Model(input=[user_input, item_input], output=prediction(vector))
    load_weights(model, NCF)

    users = np.array([[0], [1], [6039]], dtype="int32")
    items = np.array([[0], [25], [3705]], dtype="int32")
    with h5py.File(NCF, "r") as file:
        p = file["user_embedding/user_embedding_W"][()]
        q = file["item_embedding/item_embedding_W"][()]
        h = file["prediction/prediction_W"][()]
        b = file["prediction/prediction_b"][()]
    expected = 1 / (1 + np.exp(-((p[users[:, 0]] * q[items[:, 0]]) @ h + b)))
    scores = model.predict([users, items], verbose=0)
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_one_recurrent_layer_loads_converted():
    whole = load_model(DIR / "p02_gru_mask_softmax.h5", compile=False)
    model = _model("p02_gru_mask_softmax")
    gru = model.get_layer("gru_1")
    load_weights(gru, DIR / "p02_gru_mask_softmax_weights.h5")
    for ours, theirs in zip(
        gru.get_weights(), whole.get_layer("gru_1").get_weights(), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)
    other = _model("p02_gru_mask_softmax").get_layer("dense_1")
    with pytest.raises(ValueError, match=r"dense_1.*\(10, 5\).*\(5, 3\)"):
        load_weights(other, DIR / "p08_fasttext_global_average_weights.h5")


def test_the_state_reaches_the_optimizer_inside_a_loss_scaler():
    saved = read(DIR / "p08_fasttext_global_average.h5")
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = load_model(DIR / "p08_fasttext_global_average.h5")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    inner = model.optimizer.inner_optimizer
    assert type(inner) is optimizers.Adagrad
    # Sorted: dense_1_W, dense_1_b, embedding_1_W.
    table = model.get_layer("embedding_1").embeddings
    (accumulator,) = inner.keras1_slot_variables(table)
    np.testing.assert_array_equal(accumulator.numpy(), saved.optimizer_weights[2])


def test_a_frozen_layer_has_no_slots(tmp_path):
    # Keras 1 left the weights of a `trainable=False` layer out of the
    # optimizer; here p08's Embedding (the last weight in sorted order).
    path = tmp_path / "frozen.h5"
    shutil.copy(DIR / "p08_fasttext_global_average.h5", path)
    saved = read(path)
    config = saved.model_config
    config["config"][0]["config"]["trainable"] = False
    with h5py.File(path, "r+") as file:
        file.attrs["model_config"] = np.bytes_(json.dumps(config).encode())
        group = file["optimizer_weights"]
        names = group.attrs["weight_names"]
        del group[names[-1].decode()]
        group.attrs["weight_names"] = names[:-1]
    model = load_model(path)
    assert not model.get_layer("embedding_1").trainable
    dense = model.get_layer("dense_1")
    kernel_slot, bias_slot = (
        model.optimizer.keras1_slot_variables(v)[0] for v in (dense.kernel, dense.bias)
    )
    np.testing.assert_array_equal(kernel_slot.numpy(), saved.optimizer_weights[0])
    np.testing.assert_array_equal(bias_slot.numpy(), saved.optimizer_weights[1])
