"""Saving and reloading models that hold `Embedding`, and Keras 3's LoRA and int8."""

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.legacy import MaxNorm, l1l2

FORMATS = [".keras", ".h5"] if IS_KERAS3 else [".h5", "savedmodel"]


def test_sequential_h5_with_mask_round_trips(tmp_path):
    model = keras.Sequential([Embedding(12, 3, input_length=4, mask_zero=True)])
    model.add(keras.layers.LSTM(2))
    path = str(tmp_path / "seq.h5")
    model.save(path)
    loaded = keras.models.load_model(path)
    ids = np.array([[3, 4, 0, 0], [1, 2, 3, 4]])
    np.testing.assert_array_equal(
        model.predict(ids, verbose=0), loaded.predict(ids, verbose=0)
    )


def _model(mask_zero=True):
    inp = keras.Input(shape=(5,), dtype="int32")
    emb = Embedding(
        30,
        4,
        init="glorot_normal",
        input_length=5,
        W_regularizer=l1l2(l1=0.01, l2=0.02),
        activity_regularizer="l2",
        W_constraint=MaxNorm(m=3, axis=1),
        mask_zero=mask_zero,
        dropout=0.25,
        seed=17,
        name="words",
    )
    hidden = keras.layers.GlobalAveragePooling1D()(emb(inp))
    model = keras.Model(inp, keras.layers.Dense(1)(hidden))
    model.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError())
    return model


def _losses(model, ids):
    model(ids)
    return sorted(float(x) for x in model.losses)


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_and_load_without_custom_objects(tmp_path, fmt):
    # Keras 3's legacy .h5 writer cannot reload the `not_equal` op that
    # carries any functional model's mask, `keras.layers.Embedding`'s too.
    model = _model(mask_zero=not (IS_KERAS3 and fmt == ".h5"))
    ids = np.random.RandomState(0).randint(30, size=(6, 5))
    model.fit(ids, np.ones((6, 1)), epochs=1, verbose=0)
    path = str(tmp_path / ("model" + fmt if fmt.startswith(".") else fmt))
    model.save(path)
    loaded = keras.models.load_model(path)
    before, after = model.get_layer("words"), loaded.get_layer("words")
    assert type(after) is Embedding
    assert after.get_config() == before.get_config()
    for mine, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(
        model.predict(ids, verbose=0), loaded.predict(ids, verbose=0)
    )
    np.testing.assert_allclose(_losses(loaded, ids), _losses(model, ids), rtol=1e-6)
    assert after.dropout == 0.25 and after.seed == 17 and after.input_length == 5


def test_config_round_trip_keeps_every_legacy_setting():
    layer = _model().get_layer("words")
    config = layer.get_config()
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    assert isinstance(clone.embeddings_constraint, MaxNorm)
    assert clone.embeddings_constraint.m == 3


@pytest.mark.skipif(not IS_KERAS3, reason="LoRA is a Keras 3 feature")
def test_lora_trains_only_the_adapters_and_keeps_row_dropout():
    layer = Embedding(20, 4, dropout=0.5, seed=1)
    layer.build()
    table = layer.get_weights()[0]
    layer.enable_lora(2)
    assert len(layer.trainable_weights) == 2
    ids = np.arange(20)[None]
    out = layer(ids, training=True).numpy()
    zero_rows = np.all(out == 0, axis=-1)
    assert 0 < zero_rows.sum() < 20
    # Adapter B starts at zero, so the kept rows are the scaled table.
    np.testing.assert_allclose(out[~zero_rows], 2 * table[ids][~zero_rows], rtol=1e-6)


@pytest.mark.skipif(not IS_KERAS3, reason="quantize() is a Keras 3 feature")
def test_int8_quantized_layer_keeps_legacy_behaviour():
    layer = Embedding(50, 8, dropout=0.5, seed=1, name="q")
    layer.build()
    table = layer.get_weights()[0]
    layer.quantize("int8")
    ids = np.arange(50)[None]
    np.testing.assert_allclose(layer(ids).numpy(), table[ids], atol=0.05 / 127 * 1.01)
    out = layer(ids, training=True).numpy()
    assert 0 < np.all(out == 0, axis=-1).sum() < 50
    with pytest.raises(tf.errors.InvalidArgumentError, match="'q'"):
        layer(np.array([[50]]))


# Where a model can be saved with its row-dropout state (seed and step).
RESUMABLE = (
    [".keras", ".weights.h5", "checkpoint"]
    if IS_KERAS3
    else [".keras", "savedmodel", "checkpoint"]
)


def _dropout_model(seed):
    inp = keras.Input(shape=(6,), dtype="int32")
    emb = Embedding(30, 4, dropout=0.5, seed=seed, name="words")
    hidden = keras.layers.GlobalAveragePooling1D()(emb(inp))
    model = keras.Model(inp, keras.layers.Dense(1, name="head")(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    return model


def _resumed(model, fmt, tmp_path, seed):
    """A copy of `model` made from what `fmt` saved, as a new process would."""
    if fmt == "checkpoint":
        path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
        copy = _dropout_model(seed)
        copy.build((None, 6))
        tf.train.Checkpoint(model=copy).restore(path).assert_existing_objects_matched()
        return copy
    if fmt == ".weights.h5":
        path = str(tmp_path / "model.weights.h5")
        model.save_weights(path)
        copy = _dropout_model(seed)
        copy.load_weights(path)
        return copy
    path = str(tmp_path / ("model.keras" if fmt == ".keras" else "model"))
    model.save(path)
    return keras.models.load_model(path)


@pytest.mark.parametrize("seed", [None, 5])
@pytest.mark.parametrize("fmt", RESUMABLE)
def test_resumed_training_draws_the_masks_of_uninterrupted_training(
    tmp_path, fmt, seed
):
    rng = np.random.RandomState(0)
    ids = rng.randint(30, size=(12, 6))
    targets = rng.randn(12, 1).astype("float32")
    model = _dropout_model(seed)
    model.fit(ids, targets, batch_size=4, shuffle=False, epochs=1, verbose=0)
    # A fresh layer draws another seed (seed=None) and starts at step 0: only
    # the saved state gives the masks of steps 4-6 below.
    resumed = _resumed(model, fmt, tmp_path, seed)
    for trained in (model, resumed):
        trained.fit(ids, targets, batch_size=4, shuffle=False, epochs=1, verbose=0)
    for mine, theirs in zip(model.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(theirs, mine, rtol=1e-6, atol=1e-7)
    assert len(resumed.get_layer("words").get_weights()) == 1


def test_a_file_without_dropout_state_loads_with_a_fresh_one(tmp_path):
    # A `.keras` file written before the state was saved has the table alone.
    model = _dropout_model(3)
    model.build((None, 6))
    layer = model.get_layer("words")
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "dropout_seed", "dropout_step"]
    fresh = Embedding(30, 4, dropout=0.5, seed=3)
    fresh.build()
    fresh.load_own_variables({"0": store["0"]})
    np.testing.assert_array_equal(fresh.get_weights()[0], layer.get_weights()[0])
