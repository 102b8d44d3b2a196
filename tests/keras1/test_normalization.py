"""keras1.layers.normalization: BatchNormalization mode 0 with Keras 1's weights."""

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3
from keras_embedding.keras1.layers import layer_from_config
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential

RNG = np.random.default_rng(9)


@pytest.mark.parametrize(
    "epsilon, axis, shape", [(1e-3, -1, (5, 4)), (1e-6, 1, (5, 3, 4, 4))]
)
def test_running_std_is_the_variance_and_epsilon_comes_from_the_config(
    epsilon, axis, shape
):
    size = shape[axis]
    gamma, beta, mean = RNG.normal(size=(3, size)).astype("float32")
    variance = RNG.uniform(1e-4, 1e-3, size=size).astype(
        "float32"
    )  # small: epsilon shows
    layer = layer_from_config(
        {
            "class_name": "BatchNormalization",
            "config": {"name": "bn", "epsilon": epsilon, "mode": 0, "axis": axis},
        }
    )
    model = Sequential([k1.Activation("linear", input_shape=shape[1:]), layer])
    layer.set_weights(keras1_weights(layer, [gamma, beta, mean, variance]))
    x = RNG.normal(size=shape).astype("float32")
    view = [1] * len(shape)
    view[axis] = size
    g, b, m, v = (a.reshape(view) for a in (gamma, beta, mean, variance))
    expected = (x - m) / np.sqrt(v + epsilon) * g + b
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=2e-5, atol=1e-5
    )
    if not IS_KERAS3 and epsilon < 1e-5:
        assert layer.fused is False  # TensorFlow's fused kernel would raise epsilon


def test_keras1_defaults():
    layer = k1.BatchNormalization()
    assert (layer.epsilon, layer.momentum, layer.axis) == (
        1e-3,
        0.99,
        -1,
    ) or layer.axis == [-1]


@pytest.mark.parametrize("mode", [1, 2])
def test_modes_1_and_2_are_refused(mode):
    with pytest.raises(
        ValueError, match=f"Mode 1 normalised each sample.*Received: mode={mode}"
    ):
        k1.BatchNormalization(mode=mode)
