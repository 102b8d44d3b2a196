"""keras1.activations: Keras 1's names and formulas, hard_sigmoid above all."""

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import activations

X = np.linspace(-4.0, 4.0, 81).astype("float32")


def test_hard_sigmoid_is_keras1s_clip_of_a_fifth():
    np.testing.assert_allclose(
        activations.hard_sigmoid(X), np.clip(0.2 * X + 0.5, 0.0, 1.0), atol=1e-7
    )
    np.testing.assert_allclose(
        activations.get("hard_sigmoid")(X), np.clip(0.2 * X + 0.5, 0, 1)
    )


def test_keras3s_own_hard_sigmoid_differs_which_is_why_ours_exists():
    theirs = np.asarray(keras.activations.get("hard_sigmoid")(tf.constant(X)))
    ours = np.asarray(activations.hard_sigmoid(X))
    if IS_KERAS3:
        assert np.abs(theirs - ours).max() > 0.05
    else:
        np.testing.assert_allclose(theirs, ours, atol=1e-6)


@pytest.mark.parametrize(
    "name, formula",
    [
        ("linear", lambda x: x),
        (None, lambda x: x),
        ("relu", lambda x: np.maximum(x, 0)),
        ("tanh", np.tanh),
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
        ("softplus", lambda x: np.log1p(np.exp(x))),
        ("softsign", lambda x: x / (1 + np.abs(x))),
        ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ],
)
def test_the_other_keras1_names_compute_keras1s_formulas(name, formula):
    np.testing.assert_allclose(
        activations.get(name)(tf.constant(X)), formula(X), rtol=1e-5, atol=1e-6
    )


def test_softmax_is_over_the_last_axis():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(
        activations.get("softmax")(tf.constant(x)),
        e / e.sum(-1, keepdims=True),
        rtol=1e-6,
    )


def test_relu_takes_keras1s_alpha_and_max_value():
    np.testing.assert_allclose(
        activations.relu(X, alpha=0.1, max_value=2.0),
        np.where(X > 0, np.minimum(X, 2.0), 0.1 * X),
        atol=1e-6,
    )


def test_recurrent_gates_never_get_keras_own_sigmoid():
    assert activations.recurrent("sigmoid") is activations.sigmoid
    assert activations.recurrent(keras.activations.sigmoid) is activations.sigmoid
    assert activations.recurrent(tf.sigmoid) is activations.sigmoid
    assert activations.recurrent("hard_sigmoid") is activations.hard_sigmoid


def test_a_callable_passes_and_an_unknown_name_is_an_error():
    def mine(x):
        return x

    assert activations.get(mine) is mine
    with pytest.raises(ValueError, match="Received: activation='bogus'"):
        activations.get("bogus")
    with pytest.raises(ValueError, match="Invalid activation"):
        activations.get(3)


def test_the_keras1_functions_survive_saving(tmp_path):
    layer = keras.layers.Dense(2, activation=activations.hard_sigmoid)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[-1].activation is activations.hard_sigmoid
