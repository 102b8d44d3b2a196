"""keras1.layers.advanced_activations: LeakyReLU, PReLU and ELU as in Keras 1."""

import numpy as np

from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential

X = np.linspace(-3, 3, 12, dtype="float32").reshape(2, 6)


def test_leaky_relu_default_alpha_is_keras1s_0_3():
    model = Sequential([k1.LeakyReLU(input_shape=(6,))])
    np.testing.assert_allclose(
        model.predict(X, verbose=0), np.where(X > 0, X, 0.3 * X), atol=1e-6
    )


def test_prelu_takes_keras1_alphas():
    layer = k1.PReLU(input_shape=(6,))
    model = Sequential([layer])
    alphas = np.linspace(0.1, 0.6, 6, dtype="float32")
    layer.set_weights(keras1_weights(layer, [alphas]))
    np.testing.assert_allclose(
        model.predict(X, verbose=0), np.where(X > 0, X, alphas * X), atol=1e-6
    )


def test_elu_alpha():
    model = Sequential([k1.ELU(alpha=0.5, input_shape=(6,))])
    np.testing.assert_allclose(
        model.predict(X, verbose=0),
        np.where(X > 0, X, 0.5 * (np.exp(X) - 1)),
        atol=1e-6,
    )
