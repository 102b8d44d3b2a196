"""keras1.layers.core: Dense, Highway, TimeDistributedDense and the shape layers
compute Keras 1's formulas; activity penalties are summed over the batch."""

import warnings

import numpy as np
import pytest

from keras_embedding._compat import keras
from keras_embedding.keras1.layers import Highway, layer_from_config
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential

RNG = np.random.default_rng(3)


def _run(layers, x):
    model = Sequential(layers)
    return model, model.predict(x, verbose=0)


def test_dense_with_keras1_weights_and_activation():
    w, b = (
        RNG.normal(size=(4, 3)).astype("float32"),
        RNG.normal(size=3).astype("float32"),
    )
    x = RNG.normal(size=(5, 4)).astype("float32")
    _, y = _run(
        [k1.Dense(3, activation="hard_sigmoid", weights=[w, b], input_dim=4)], x
    )
    np.testing.assert_allclose(y, np.clip(0.2 * (x @ w + b) + 0.5, 0, 1), atol=1e-6)


def test_dense_without_bias():
    layer = k1.Dense(3, bias=False, input_dim=4)
    Sequential([layer])
    assert len(layer.weights) == 1


def test_time_distributed_dense_maps_each_step():
    w, b = (
        RNG.normal(size=(4, 2)).astype("float32"),
        RNG.normal(size=2).astype("float32"),
    )
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    layer = k1.TimeDistributedDense(
        2, activation="tanh", weights=[w, b], input_dim=4, input_length=5
    )
    model, y = _run([layer], x)
    np.testing.assert_allclose(y, np.tanh(x @ w + b), atol=1e-6)
    assert tuple(model.inputs[0].shape) == (None, 5, 4)


def test_highway_is_keras1s_gated_sum():
    dim = 4
    w, wc = RNG.normal(size=(2, dim, dim)).astype("float32")
    b, bc = RNG.normal(size=(2, dim)).astype("float32")
    x = RNG.normal(size=(3, dim)).astype("float32")
    layer = k1.Highway(activation="relu", input_dim=dim)
    model = Sequential([layer])
    layer.set_weights(keras1_weights(layer, [w, wc, b, bc]))
    gate = 1 / (1 + np.exp(-(x @ wc + bc)))
    expected = np.maximum(x @ w + b, 0) * gate + (1 - gate) * x
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6
    )
    assert isinstance(layer, Highway)


def test_highway_carry_bias_starts_at_one_and_transform_bias_is_ignored():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = k1.Highway(transform_bias=-2, input_dim=3)
    Sequential([layer])
    _, _, bias, carry_bias = layer.get_weights()
    np.testing.assert_array_equal(bias, 0.0)
    np.testing.assert_array_equal(carry_bias, 1.0)


def test_highway_saves_and_loads(tmp_path):
    model = Sequential([k1.Highway(activation="tanh", W_regularizer="l2", input_dim=3)])
    x = RNG.normal(size=(2, 3)).astype("float32")
    model.save(tmp_path / "h.keras")
    loaded = keras.models.load_model(tmp_path / "h.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x), atol=1e-7
    )


def test_an_activity_penalty_is_summed_over_the_batch_as_in_keras1():
    w = RNG.normal(size=(3, 2)).astype("float32")
    layer = k1.Dense(
        2, activity_regularizer="activity_l2", weights=[w, np.zeros(2)], input_dim=3
    )
    model = Sequential([layer])
    x = RNG.normal(size=(6, 3)).astype("float32")
    model(x)
    np.testing.assert_allclose(
        float(sum(model.losses)), 0.01 * np.sum((x @ w) ** 2), rtol=1e-5
    )


def test_activity_regularization_layer_sums_too():
    model = Sequential([k1.ActivityRegularization(l1=0.5, input_shape=(3,))])
    x = RNG.normal(size=(4, 3)).astype("float32")
    y = model(x)
    np.testing.assert_allclose(y, x)
    np.testing.assert_allclose(
        float(sum(model.losses)), 0.5 * np.abs(x).sum(), rtol=1e-5
    )


def test_flatten_keeps_memory_order_whatever_the_image_data_format():
    previous = keras.backend.image_data_format()
    keras.backend.set_image_data_format("channels_first")
    try:
        x = np.arange(2 * 3 * 4 * 2, dtype="float32").reshape(2, 3, 4, 2)
        _, y = _run([k1.Flatten(input_shape=(3, 4, 2))], x)
    finally:
        keras.backend.set_image_data_format(previous)
    np.testing.assert_array_equal(y, x.reshape(2, -1))


def test_reshape_permute_repeat_vector_masking():
    x = np.arange(2 * 6, dtype="float32").reshape(2, 6)
    _, y = _run([k1.Reshape((3, 2), input_shape=(6,)), k1.Permute((2, 1))], x)
    np.testing.assert_array_equal(y, x.reshape(2, 3, 2).transpose(0, 2, 1))
    _, y = _run([k1.RepeatVector(3, input_shape=(6,))], x)
    np.testing.assert_array_equal(y, np.repeat(x[:, None], 3, axis=1))
    seq = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], "float32")
    masking = k1.Masking(0.0, input_shape=(3, 2))
    model = Sequential([masking])
    np.testing.assert_array_equal(
        masking.compute_mask(seq).numpy(), [[True, False, True]]
    )
    np.testing.assert_array_equal(model.predict(seq, verbose=0), seq)


def test_dropout_and_noise_are_the_identity_at_inference():
    x = RNG.normal(size=(4, 5, 3)).astype("float32")
    layers = [
        k1.Dropout(0.5, input_shape=(5, 3)),
        k1.SpatialDropout1D(0.3),
        k1.GaussianNoise(0.7),
        k1.GaussianDropout(0.4),
    ]
    _, y = _run(layers, x)
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize(
    "class_name", ["Dropout", "SpatialDropout1D", "GaussianDropout"]
)
def test_a_saved_rate_keras1_ignored_loads_as_no_dropout(class_name):
    with pytest.warns(UserWarning, match="applied no dropout"):
        layer = layer_from_config(
            {"class_name": class_name, "config": {"name": "d", "p": 1.5}}
        )
    assert layer.rate == 0.0


def test_lambda_in_code_takes_keras1_output_shape_and_arguments():
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    layer = k1.Lambda(
        lambda t, scale: scale * t[:, 0],
        output_shape=(4,),
        arguments={"scale": 2.0},
        input_shape=(3, 4),
    )
    model, y = _run([layer], x)
    np.testing.assert_allclose(y, 2.0 * x[:, 0])
    assert tuple(model.outputs[0].shape) == (None, 4)


def test_trainable_false_freezes_the_layer():
    layer = k1.Dense(2, trainable=False, input_dim=3)
    Sequential([layer])
    assert not layer.trainable_weights and len(layer.non_trainable_weights) == 2
