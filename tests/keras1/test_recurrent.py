"""keras1.layers.recurrent: LSTM, GRU and SimpleRNN compute Keras 1's formulas.

The references are numpy transcriptions of Keras 1.2.2's step functions, on
Keras 1's weight layouts: gates i, c, f, o (LSTM) and z, r, h (GRU), each
`(W, U, b)`, with `hard_sigmoid = clip(0.2 x + 0.5, 0, 1)`; at a masked step
the previous output and state are kept.
"""

import importlib
import warnings

import numpy as np
import pytest

from keras_embedding import _compat
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import activations
from keras_embedding.keras1.layers.recurrent import GateInitializer
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential

UNITS, DIM, STEPS, BATCH = 3, 4, 5, 2


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def _arrays(rng, gates):
    """Keras 1 per-gate arrays: (W, U, b) for each gate, in Keras 1 order."""
    arrays = []
    for _ in range(gates):
        arrays += [
            rng.normal(size=(DIM, UNITS)).astype("float32"),
            rng.normal(size=(UNITS, UNITS)).astype("float32"),
            rng.normal(size=UNITS).astype("float32"),
        ]
    return arrays


def _run(steps_fn, x, mask, go_backwards=False):
    """Keras 1's K.rnn: outputs per step; a masked step keeps everything."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    h = np.zeros((x.shape[0], UNITS), "float32")
    c = np.zeros_like(h)
    outputs = []
    for t in order:
        new_h, new_c = steps_fn(x[:, t], h, c)
        keep = (
            mask[:, t : t + 1] if mask is not None else np.ones((x.shape[0], 1), bool)
        )
        h, c = np.where(keep, new_h, h), np.where(keep, new_c, c)
        outputs.append(h)
    return np.stack(outputs, 1), h


def lstm_reference(arrays, x, mask=None, go_backwards=False, inner=hard_sigmoid):
    (wi_, ui_, bi, wc_, uc_, bc, wf_, uf_, bf, wo_, uo_, bo) = arrays

    def step(xt, h, c):
        i = inner(xt @ wi_ + bi + h @ ui_)
        f = inner(xt @ wf_ + bf + h @ uf_)
        c = f * c + i * np.tanh(xt @ wc_ + bc + h @ uc_)
        o = inner(xt @ wo_ + bo + h @ uo_)
        return o * np.tanh(c), c

    return _run(step, x, mask, go_backwards)


def gru_reference(arrays, x, mask=None, inner=hard_sigmoid):
    (wz_, uz_, bz, wr_, ur_, br, wh_, uh_, bh) = arrays

    def step(xt, h, c):
        z = inner(xt @ wz_ + bz + h @ uz_)
        r = inner(xt @ wr_ + br + h @ ur_)
        hh = np.tanh(xt @ wh_ + bh + (r * h) @ uh_)  # reset before the matmul
        return z * h + (1 - z) * hh, c

    return _run(step, x, mask)


def simple_reference(arrays, x, mask=None):
    w, u, b = arrays

    def step(xt, h, c):
        return np.tanh(xt @ w + b + h @ u), c

    return _run(step, x, mask)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(BATCH, STEPS, DIM)).astype("float32")
    # Left padding in one row, a hole in the other: masked steps repeat.
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 0, 1, 1]], bool)
    return rng, x, mask


def _predict(layer, arrays, x, mask):
    inputs = (
        np.where(mask[..., None], x, 0.0).astype("float32") if mask is not None else x
    )
    model = Sequential([k1.Masking(0.0, input_shape=(STEPS, DIM)), layer])
    layer.set_weights(keras1_weights(layer, arrays))
    return model.predict(inputs, verbose=0)


@pytest.mark.parametrize("consume_less", ["cpu", "mem"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_matches_keras1_step_with_masks(data, consume_less, go_backwards):
    rng, x, mask = data
    arrays = _arrays(rng, 4)
    layer = k1.LSTM(
        UNITS,
        return_sequences=True,
        consume_less=consume_less,
        go_backwards=go_backwards,
    )
    expected, _ = lstm_reference(
        arrays, np.where(mask[..., None], x, 0), mask, go_backwards
    )
    np.testing.assert_allclose(_predict(layer, arrays, x, mask), expected, atol=1e-5)


def test_lstm_fused_gpu_arrays_are_in_modern_gate_order(data):
    rng, x, mask = data
    arrays = _arrays(rng, 4)
    wi_, ui_, bi, wc_, uc_, bc, wf_, uf_, bf, wo_, uo_, bo = arrays
    fused = [
        np.concatenate([wi_, wf_, wc_, wo_], 1),
        np.concatenate([ui_, uf_, uc_, uo_], 1),
        np.concatenate([bi, bf, bc, bo]),
    ]
    layer = k1.LSTM(UNITS, consume_less="gpu")
    _, expected = lstm_reference(arrays, np.where(mask[..., None], x, 0), mask)
    np.testing.assert_allclose(_predict(layer, fused, x, mask), expected, atol=1e-5)


@pytest.mark.parametrize("consume_less", ["cpu", "gpu"])
def test_gru_applies_the_reset_gate_before_the_matmul(data, consume_less):
    rng, x, mask = data
    arrays = _arrays(rng, 3)
    if consume_less == "gpu":
        given = [np.concatenate(arrays[part::3], axis=-1) for part in range(3)]
    else:
        given = arrays
    layer = k1.GRU(UNITS, return_sequences=True, consume_less=consume_less)
    expected, _ = gru_reference(arrays, np.where(mask[..., None], x, 0), mask)
    np.testing.assert_allclose(_predict(layer, given, x, mask), expected, atol=1e-5)
    assert layer.reset_after is False


def test_simple_rnn_matches_keras1(data):
    rng, x, mask = data
    arrays = _arrays(rng, 1)
    layer = k1.SimpleRNN(UNITS, return_sequences=True)
    expected, _ = simple_reference(arrays, np.where(mask[..., None], x, 0), mask)
    np.testing.assert_allclose(_predict(layer, arrays, x, mask), expected, atol=1e-5)


def test_a_sigmoid_inner_activation_is_the_logistic_function(data):
    rng, x, _ = data
    arrays = _arrays(rng, 4)
    layer = k1.LSTM(UNITS, inner_activation="sigmoid")
    _, expected = lstm_reference(arrays, x, inner=lambda v: 1 / (1 + np.exp(-v)))
    model = Sequential([k1.Masking(0.0, input_shape=(STEPS, DIM)), layer])
    layer.set_weights(keras1_weights(layer, arrays))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_bidirectional_lstm_reverses_the_backward_sequence(data):
    rng, x, mask = data
    forward, backward = _arrays(rng, 4), _arrays(rng, 4)
    layer = k1.Bidirectional(k1.LSTM(UNITS, return_sequences=True), merge_mode="concat")
    masked = np.where(mask[..., None], x, 0)
    ahead, _ = lstm_reference(forward, masked, mask)
    behind, _ = lstm_reference(backward, masked, mask, go_backwards=True)
    expected = np.concatenate([ahead, behind[:, ::-1]], -1)
    np.testing.assert_allclose(
        _predict(layer, forward + backward, x, mask), expected, atol=1e-5
    )


def test_a_stateful_lstm_carries_its_state_across_batches(data):
    rng, x, _ = data
    arrays = _arrays(rng, 4)
    layer = k1.LSTM(UNITS, stateful=True, batch_input_shape=(BATCH, STEPS, DIM))
    model = Sequential([layer])
    layer.set_weights(keras1_weights(layer, arrays))
    first = model.predict(x, batch_size=BATCH, verbose=0)
    second = model.predict(x, batch_size=BATCH, verbose=0)
    _, expected = lstm_reference(arrays, np.concatenate([x, x], 1))
    np.testing.assert_allclose(second, expected, atol=1e-5)
    assert not np.allclose(first, second)


# ----------------------------------------------------------------------
# Construction: no cuDNN, Keras 1 initializers and regularizers


@pytest.mark.parametrize("inner", ["hard_sigmoid", "sigmoid"])
@pytest.mark.parametrize("make", [k1.LSTM, k1.GRU])
def test_no_cudnn_path_by_construction(make, inner):
    layer = make(UNITS, activation="tanh", inner_activation=inner)
    layer.build((None, STEPS, DIM))
    assert layer.recurrent_activation in (activations.sigmoid, activations.hard_sigmoid)
    if IS_KERAS3:
        assert layer.use_cudnn is False
    else:
        assert layer._could_use_gpu_kernel is False


def _no_cudnn(layer):
    """Neither flavour would run `layer` on cuDNN, even on a GPU.

    Keras 3 drops `use_cudnn` from saved configs; what keeps a reloaded layer
    off cuDNN in both flavours is that its gates are never Keras's own
    sigmoid, which their cuDNN checks require.
    """
    if layer.recurrent_activation not in (
        activations.sigmoid,
        activations.hard_sigmoid,
    ):
        return False
    if IS_KERAS3:
        rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

        check = (
            rnn._do_gru_arguments_support_cudnn
            if isinstance(layer, keras.layers.GRU)
            else rnn._do_lstm_arguments_support_cudnn
        )
        kwargs = (
            {"reset_after": layer.reset_after}
            if isinstance(layer, keras.layers.GRU)
            else {}
        )
        return not check(
            layer.activation,
            layer.recurrent_activation,
            layer.unroll,
            layer.use_bias,
            **kwargs,
        )
    return layer._could_use_gpu_kernel is False


def test_no_cudnn_inside_bidirectional_and_after_reloading(tmp_path):
    inner = k1.LSTM(UNITS, inner_activation="sigmoid", return_sequences=True)
    model = Sequential([k1.Bidirectional(inner, input_shape=(STEPS, DIM)), k1.GRU(2)])
    bidirectional = model.layers[0]
    assert _no_cudnn(bidirectional.forward_layer)
    assert _no_cudnn(bidirectional.backward_layer)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert _no_cudnn(loaded.layers[0].backward_layer) and _no_cudnn(loaded.layers[1])


def test_without_the_guards_tf_keras_would_pick_cudnn():
    # What the construction above prevents: Keras's own sigmoid and tanh
    # make tf_keras eligible for cuDNN (Keras 3 is when use_cudnn="auto").
    if IS_KERAS3:
        assert keras.layers.LSTM(UNITS).use_cudnn == "auto"
    else:
        assert keras.layers.LSTM(UNITS)._could_use_gpu_kernel is True


def test_cpu_mode_penalises_u_with_w_regularizer_as_keras1_did(data):
    rng, _, _ = data
    with pytest.warns(UserWarning, match="ignored `U_regularizer`"):
        layer = k1.LSTM(
            UNITS,
            W_regularizer="l2",
            U_regularizer={"name": "L1L2Regularizer", "l1": 5.0, "l2": 0.0},
        )
    model = Sequential([k1.Masking(input_shape=(STEPS, DIM)), layer])
    arrays = _arrays(rng, 4)
    layer.set_weights(keras1_weights(layer, arrays))
    model(np.zeros((1, STEPS, DIM), "float32"))
    kernel, recurrent, _ = layer.get_weights()
    expected = 0.01 * (np.sum(kernel**2) + np.sum(recurrent**2))
    np.testing.assert_allclose(float(sum(model.losses)), expected, rtol=1e-5)


def test_gpu_mode_uses_u_regularizer():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = k1.LSTM(UNITS, consume_less="gpu", U_regularizer="l1")
    assert layer.recurrent_regularizer.l1 == pytest.approx(0.01)
    assert layer.kernel_regularizer is None


def test_cpu_mode_draws_each_gates_blocks_with_init_as_keras1_did():
    layer = k1.LSTM(UNITS, init="uniform")
    assert isinstance(layer.kernel_initializer, GateInitializer)
    # Keras 1 initialised U with `init`, not `inner_init`, in cpu/mem mode.
    assert [init.init for init in layer.recurrent_initializer.inits] == ["uniform"] * 4
    fused = k1.LSTM(UNITS, consume_less="gpu")
    assert fused.recurrent_initializer.init == "orthogonal"


def test_gate_initializer_uses_each_gates_fans():
    init = GateInitializer(["glorot_uniform"] * 4)
    values = np.asarray(init((200, 4 * 50)))
    limit = np.sqrt(6.0 / (200 + 50))  # one gate's fans, not the fused ones
    assert values.max() <= limit and values.max() > 0.95 * limit


@pytest.mark.parametrize(
    "forget, expected", [("one", [0, 1, 0, 0]), ("zero", [0, 0, 0, 0])]
)
def test_forget_bias_init(forget, expected):
    layer = k1.LSTM(2, forget_bias_init=forget)
    layer.build((None, STEPS, DIM))
    bias = layer.get_weights()[2].reshape(4, 2)
    np.testing.assert_array_equal(bias, np.repeat(np.array(expected)[:, None], 2, 1))


def test_gate_initializers_survive_saving(tmp_path):
    model = Sequential(
        [k1.LSTM(UNITS, input_dim=DIM, input_length=STEPS, forget_bias_init="zero")]
    )
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[-1].kernel_initializer, GateInitializer)


def test_dropout_rates_outside_keras1s_range_load_as_no_dropout():
    from keras_embedding.keras1.layers import layer_from_config

    entry = {
        "class_name": "GRU",
        "config": {"name": "gru_9", "output_dim": 2, "dropout_W": 1.0},
    }
    with pytest.warns(UserWarning, match="applied no dropout"):
        layer = layer_from_config(entry)
    assert layer.dropout == 0.0


def test_compat_guard_is_what_the_layers_get():
    layer = k1.GRU(UNITS)
    for key, value in _compat.NO_CUDNN.items():
        assert getattr(layer, key) == value
