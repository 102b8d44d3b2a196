"""keras1.layers.convolutional: Keras 1 kernels, orderings and Theano files.

The references are numpy cross-correlations on Keras 1's kernel layouts:
Conv1D `(length, 1, in, out)`, Conv2D 'th' `(out, in, rows, cols)` and 'tf'
`(rows, cols, in, out)`; a Theano kernel is the flipped one (Theano ran a true
convolution).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_embedding._compat import keras
from keras_embedding.keras1 import backend as keras1_backend
from keras_embedding.keras1.layers import ChannelsFirstConv2D, ConvKernelInitializer
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential

RNG = np.random.default_rng(11)


def correlate1d(x, kernel, stride=1):
    """Valid cross-correlation; x (batch, n, in), kernel (k, in, out)."""
    k = kernel.shape[0]
    steps = range(0, x.shape[1] - k + 1, stride)
    return np.stack(
        [np.einsum("bki,kio->bo", x[:, t : t + k], kernel) for t in steps], 1
    )


def correlate2d(x, kernel):
    """Valid cross-correlation; x (batch, rows, cols, in), kernel (r, c, in, out)."""
    r, c = kernel.shape[:2]
    rows, cols = x.shape[1] - r + 1, x.shape[2] - c + 1
    out = np.zeros((x.shape[0], rows, cols, kernel.shape[3]), "float32")
    for i in range(rows):
        for j in range(cols):
            out[:, i, j] = np.einsum(
                "brci,rcio->bo", x[:, i : i + r, j : j + c], kernel
            )
    return out


def test_conv1d_drops_keras1s_dummy_axis():
    w = RNG.normal(size=(3, 1, 4, 5)).astype("float32")
    b = RNG.normal(size=5).astype("float32")
    x = RNG.normal(size=(2, 9, 4)).astype("float32")
    layer = k1.Convolution1D(5, 3, subsample_length=2, input_dim=4, input_length=9)
    model = Sequential([layer])
    layer.set_weights(keras1_weights(layer, [w, b]))
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        correlate1d(x, w[:, 0], 2) + b,
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_conv2d_kernel_layouts(ordering):
    kernel = RNG.normal(size=(3, 2, 4, 5)).astype("float32")  # rows, cols, in, out
    b = RNG.normal(size=5).astype("float32")
    x = RNG.normal(size=(2, 6, 7, 4)).astype("float32")  # channels last
    expected = correlate2d(x, kernel) + b
    if ordering == "th":
        saved = kernel.transpose(3, 2, 0, 1)
        x, expected = x.transpose(0, 3, 1, 2), expected.transpose(0, 3, 1, 2)
    else:
        saved = kernel
    layer = k1.Convolution2D(5, 3, 2, dim_ordering=ordering, input_shape=x.shape[1:])
    model = Sequential([layer])
    layer.set_weights(keras1_weights(layer, [saved, b]))
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5
    )
    assert isinstance(layer, ChannelsFirstConv2D) == (ordering == "th")


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_theano_kernels_are_flipped(ordering):
    kernel = RNG.normal(size=(3, 3, 2, 4)).astype("float32")
    x = RNG.normal(size=(1, 5, 5, 2)).astype("float32")
    expected = correlate2d(x, kernel)
    # Theano convolved: it stored the kernel that, flipped, correlates.
    theano = kernel[::-1, ::-1]
    if ordering == "th":
        theano, x = theano.transpose(3, 2, 0, 1), x.transpose(0, 3, 1, 2)
        expected = expected.transpose(0, 3, 1, 2)
    layer = k1.Convolution2D(
        4, 3, 3, dim_ordering=ordering, bias=False, input_shape=x.shape[1:]
    )
    model = Sequential([layer])
    layer.set_weights(keras1_weights(layer, [theano], backend="theano"))
    np.testing.assert_allclose(
        model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5
    )


def test_theano_conv1d_kernels_are_flipped_in_time():
    kernel = RNG.normal(size=(3, 1, 2, 4)).astype("float32")
    layer = k1.Convolution1D(4, 3, input_dim=2, input_length=7)
    Sequential([layer])
    converted = keras1_weights(layer, [kernel[::-1], np.zeros(4)], backend="theano")[0]
    np.testing.assert_array_equal(converted, kernel[:, 0])


@pytest.mark.parametrize(
    "kernel, stride, length, refused",
    [
        (3, 1, 9, False),
        (4, 1, 9, True),
        (3, 2, 11, False),
        (3, 2, 10, True),
        (3, 2, None, True),
    ],
)
def test_theano_same_is_refused_where_its_padding_differs(
    kernel, stride, length, refused
):
    layer = k1.Convolution1D(2, kernel, border_mode="same", subsample_length=stride)
    layer.build((None, length, 3))
    arrays = [np.zeros((kernel, 1, 3, 2), "float32"), np.zeros(2, "float32")]
    if refused:
        with pytest.raises(ValueError, match="Theano's 'same' convolution"):
            keras1_weights(layer, arrays, backend="theano")
    else:
        assert keras1_weights(layer, arrays, backend="theano")[0].shape == (
            kernel,
            3,
            2,
        )
    assert keras1_weights(layer, arrays)[0].shape == (kernel, 3, 2)  # TensorFlow files


def test_kernel_initializer_uses_keras1s_fans():
    # Keras 1 drew a Conv1D kernel as (length, 1, in, out) with Theano-style
    # fans: fan_in = in * out, fan_out = length * in * out.
    values = np.asarray(ConvKernelInitializer("glorot_uniform", 1)((5, 8, 6)))
    limit = np.sqrt(6.0 / (8 * 6 + 5 * 8 * 6))
    assert values.shape == (5, 8, 6) and limit * 0.9 < np.abs(values).max() <= limit
    values = np.asarray(ConvKernelInitializer("he_uniform", 2)((3, 3, 4, 16)))
    assert np.abs(values).max() <= np.sqrt(6.0 / (4 * 9))


@pytest.mark.parametrize(
    "padding, expected",
    [
        (1, ((1, 1), (1, 1))),
        ((1, 2), ((1, 1), (2, 2))),
        ((1, 2, 3, 4), ((1, 2), (3, 4))),
        ({"top_pad": 2, "right_pad": 1}, ((2, 0), (0, 1))),
    ],
)
def test_zero_padding_2d_forms(padding, expected):
    assert k1.ZeroPadding2D(padding, dim_ordering="tf").padding == expected


def test_zero_padding_1d_and_upsampling():
    x = np.arange(6, dtype="float32").reshape(1, 3, 2)
    model = Sequential(
        [
            k1.ZeroPadding1D({"left_pad": 1, "right_pad": 2}, input_shape=(3, 2)),
            k1.UpSampling1D(2),
        ]
    )
    padded = np.pad(x, ((0, 0), (1, 2), (0, 0)))
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), np.repeat(padded, 2, axis=1)
    )


def test_default_dim_ordering_follows_keras_json_then_set(tmp_path, monkeypatch):
    monkeypatch.setattr(keras1_backend, "_image_dim_ordering", None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras1_backend.image_dim_ordering() == "tf"  # Keras 1.2.2's default
    (tmp_path / "keras.json").write_text(json.dumps({"image_dim_ordering": "th"}))
    assert keras1_backend.image_dim_ordering() == "th"
    assert k1.Convolution2D(2, 3, 3).data_format == "channels_first"
    keras1_backend.set_image_dim_ordering("tf")
    assert k1.Convolution2D(2, 3, 3).data_format == "channels_last"
    with pytest.raises(ValueError, match="Received: dim_ordering='nchw'"):
        keras1_backend.set_image_dim_ordering("nchw")


@pytest.mark.slow  # a fresh Python process
def test_channels_first_models_run_and_train_without_onednn():
    # TensorFlow's plain CPU kernels have no channels-first convolution or
    # pooling; the 'th' layers compute channels last, so this must work.
    script = textwrap.dedent(
        """
        import numpy as np
        from keras_embedding.legacy import layers as k1
        from keras_embedding.legacy.models import Sequential
        model = Sequential([
            k1.Convolution2D(3, 3, 3, dim_ordering="th", border_mode="same",
                             input_shape=(2, 6, 6)),
            k1.MaxPooling2D(dim_ordering="th"),
            k1.AveragePooling2D((1, 2), dim_ordering="th"),
            k1.BatchNormalization(axis=1),
            k1.Flatten(),
            k1.Dense(1),
        ])
        model.compile(loss="mse", optimizer="sgd")
        x = np.random.rand(4, 2, 6, 6).astype("float32")
        model.fit(x, np.zeros((4, 1)), nb_epoch=1, verbose=0)
        print(model.predict(x).shape)
        """
    )
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("(4, 1)")


def test_channels_first_conv_saves_and_loads(tmp_path):
    model = Sequential(
        [k1.Convolution2D(2, 3, 3, dim_ordering="th", input_shape=(1, 5, 5))]
    )
    x = RNG.normal(size=(2, 1, 5, 5)).astype("float32")
    model.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x), atol=1e-6
    )
