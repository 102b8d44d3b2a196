"""legacy.layers: Keras 1 code runs with its imports changed, and keras1_weights.

The Keras 1 code of every fixture (its function in the generator that wrote
it, with only the `keras` imports changed to `keras_embedding.legacy`) builds
a model whose layers carry Keras 1's names; with the weights of its
`save_weights` file it predicts what Keras 1.2.2 recorded.
"""

import pathlib
import re
import warnings

import numpy as np
import pytest
from keras1_models import (
    NAMES,
    backend_of,
    build_from_code,
    max_difference,
    predict,
    recorded,
    weight_groups,
)
from test_models import REFUSED

from keras_embedding import Embedding as ModernEmbedding
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1.initializations import Keras1Initializer
from keras_embedding.keras1.layers import SPECS
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.layers import keras1_weights
from keras_embedding.legacy.models import Sequential, keras1_layers

TOLERANCE = 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_each_fixture_keras1_code_predicts_as_keras1_did(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's own retracing notes
        model = build_from_code(name)
    layers = keras1_layers(model)
    groups = [
        group for group in weight_groups(name) if group[0] in {x.name for x in layers}
    ]
    # Keras 1's default names, in Keras 1's order (functional input layers
    # have no weights group of their own in the model's layer list).
    assert [layer.name for layer in layers] == [group[0] for group in groups]
    converted = []
    try:
        for layer, (_, arrays, weight_names) in zip(layers, groups, strict=True):
            backend = backend_of(weight_names) if weight_names else "tensorflow"
            converted.append(keras1_weights(layer, arrays, backend=backend))
    except ValueError as error:
        assert name in REFUSED, error
        assert REFUSED[name] in str(error)
        return
    assert name not in REFUSED
    for layer, arrays in zip(layers, converted, strict=True):
        layer.set_weights(arrays)
    assert max_difference(predict(model, name), recorded(name)) < TOLERANCE


# ----------------------------------------------------------------------
# Constructors: Keras 1 positions, defaults, names


def test_positional_arguments_follow_keras1_order():
    layer = k1.Dense(3, "uniform", "relu")
    assert layer.units == 3
    assert isinstance(layer.kernel_initializer, Keras1Initializer)
    assert layer.kernel_initializer.init == "uniform"
    assert layer.activation is keras.activations.relu


def test_base_class_arguments_of_keras1_are_keyword_only():
    with pytest.raises(TypeError, match="at most 11 positional arguments"):
        k1.LSTM(4, "glorot_uniform", "orthogonal", "one", "tanh", "hard_sigmoid",
               None, None, None, 0.0, 0.0, None)  # fmt: skip
    assert k1.LSTM(4, return_sequences=True).return_sequences


def test_keras1_default_names_count_per_class_from_one():
    assert [k1.Dense(2).name, k1.Dense(2).name, k1.LSTM(2).name] == [
        "dense_1",
        "dense_2",
        "lstm_1",
    ]
    assert k1.TimeDistributedDense(2).name == "timedistributeddense_1"
    assert k1.Embedding(5, 2).name == "embedding_1"
    keras.backend.clear_session()
    assert k1.Dense(2).name == "dense_1"


def test_modern_names_are_taken_but_not_together_with_the_keras1_name():
    assert k1.Dense(units=3).units == 3
    with pytest.raises(TypeError, match="both `output_dim` and `units`"):
        k1.Dense(3, units=3)


def test_an_unknown_keyword_is_a_type_error_naming_the_layer():
    with pytest.raises(TypeError) as error:
        k1.Dense(3, name="d", bogus=1)
    assert "Dense layer 'd'" in str(error.value)
    assert str(error.value).endswith("Received: bogus=1")


def test_a_missing_argument_is_a_type_error():
    with pytest.raises(TypeError, match="needs the argument `output_dim`"):
        k1.Dense()


@pytest.mark.parametrize(
    "first, shape, dtype",
    [
        (lambda: k1.Dense(2, input_dim=5), (None, 5), "float32"),
        (lambda: k1.LSTM(2, input_dim=3, input_length=7), (None, 7, 3), "float32"),
        (lambda: k1.Dense(2, input_dim=5, input_shape=(9,)), (None, 5), "float32"),
        (lambda: k1.Dense(2, batch_input_shape=(4, 6)), (4, 6), "float32"),
        (
            lambda: k1.Dense(2, input_shape=(6,), input_dtype="float64"),
            (None, 6),
            "float64",
        ),
        (
            lambda: k1.Embedding(10, 3, input_length=4, input_dtype="float32"),
            (None, 4),
            "int32",
        ),
        (
            lambda: k1.Convolution1D(4, 3, input_dim=2, input_length=9),
            (None, 9, 2),
            "float32",
        ),
    ],
)
def test_the_first_layer_gives_the_sequential_its_input_as_in_keras1(
    first, shape, dtype
):
    model = Sequential([first()])
    assert tuple(model.inputs[0].shape) == shape
    assert dtype in str(model.inputs[0].dtype)


def test_weights_in_keras1_layout_are_set_when_the_layer_is_built():
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal(shape).astype("float32")
        for shape in [(3, 2), (2, 2), (2,)] * 4
    ]
    layer = k1.LSTM(2, weights=arrays, input_dim=3, input_length=5)
    Sequential([layer])
    kernel, recurrent, bias = layer.get_weights()
    # Keras 1's gates i, c, f, o become the modern i, f, c, o.
    np.testing.assert_array_equal(kernel[:, 2:4], arrays[6])
    np.testing.assert_array_equal(recurrent[:, 4:6], arrays[4])
    np.testing.assert_array_equal(bias[6:], arrays[11])


def test_weights_must_be_a_list_and_fit_when_built():
    with pytest.raises(ValueError, match=r"Dense layer 'd': `weights` must be a list"):
        k1.Dense(2, weights=np.zeros((3, 2)), name="d")
    layer = k1.Dense(2, weights=[np.zeros((4, 2)), np.zeros(2)], input_dim=3, name="e")
    with pytest.raises(
        ValueError, match=r"Dense layer 'e': weight 0 has shape \(4, 2\)"
    ):
        Sequential([layer])


def test_the_embedding_constructor_builds_the_package_embedding():
    layer = k1.Embedding(10, 3, mask_zero=True, dropout=0.2)
    assert isinstance(layer, ModernEmbedding)
    assert layer.dropout == 0.2 and layer.mask_zero


def test_input_has_keras1_names_and_dtypes():
    x = k1.Input(shape=(3,))
    ids = k1.Input(batch_shape=(None, 4), dtype="int32", name="ids")
    assert x.name.startswith("input_1") or "input_1" in str(x)
    assert "int32" in str(ids.dtype)
    with pytest.raises(ValueError, match="needs `shape`"):
        k1.Input()


def test_merge_function_merges_tensors():
    a, b = k1.Input(shape=(3,)), k1.Input(shape=(3,))
    model = keras.Model([a, b], k1.merge([a, b], mode="mul", name="product"))
    x, y = np.full((2, 3), 2.0, "float32"), np.full((2, 3), 3.0, "float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), x * y)
    assert model.layers[-1].name == "product"


# ----------------------------------------------------------------------
# keras1_weights


def _built(layer, shape):
    layer.build(shape)
    return layer


def test_a_plain_modern_layer_has_its_keras1_layout_inferred():
    lstm = _built(keras.layers.LSTM(2), (None, 5, 3))
    arrays = [
        np.full(shape, float(i), "float32")
        for i, shape in enumerate([(3, 2), (2, 2), (2,)] * 4)
    ]
    kernel, _, _ = keras1_weights(lstm, arrays)
    np.testing.assert_array_equal(
        kernel, np.concatenate([arrays[i] for i in (0, 6, 3, 9)], axis=1)
    )
    fused = [np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8)]
    assert [a.shape for a in keras1_weights(lstm, fused)] == [(3, 8), (2, 8), (8,)]


def test_a_mismatch_names_the_layer_and_both_shapes():
    dense = _built(k1.Dense(2, name="scores"), (None, 4))
    with pytest.raises(ValueError) as error:
        keras1_weights(dense, [np.zeros((3, 2)), np.zeros(2)])
    message = str(error.value)
    assert "Dense layer 'scores'" in message
    assert "(3, 2)" in message and "(4, 2)" in message


def test_a_wrong_number_of_recurrent_arrays_is_an_error():
    gru = _built(k1.GRU(2, name="g"), (None, 5, 3))
    with pytest.raises(ValueError, match=r"GRU layer 'g'.*3 or 9 array\(s\)"):
        keras1_weights(gru, [np.zeros((3, 2))] * 4)


def test_a_layer_of_unknown_layout_is_refused_clearly():
    class Custom(keras.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(2,), name="w")

    layer = _built(Custom(name="c"), (None, 2))
    with pytest.raises(
        ValueError, match=r"cannot tell how Keras 1 stored the weights of a Custom"
    ):
        keras1_weights(layer, [np.zeros(2)])


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="Received: backend='cntk'"):
        keras1_weights(
            _built(k1.Dense(2), (None, 3)),
            [np.zeros((3, 2)), np.zeros(2)],
            backend="cntk",
        )


def test_trainable_only_converts_the_trainable_subset():
    batch_norm = _built(k1.BatchNormalization(), (None, 3))
    gamma, beta = np.full(3, 2.0), np.full(3, 0.5)
    converted = keras1_weights(batch_norm, [gamma, beta], trainable_only=True)
    assert [a.shape for a in converted] == [(3,), (3,)]
    with pytest.raises(ValueError):
        keras1_weights(batch_norm, [gamma, beta])  # the full list has 4


def test_trainable_only_reaches_through_wrappers():
    layer = _built(k1.TimeDistributed(k1.BatchNormalization()), (None, 4, 3))
    converted = keras1_weights(layer, [np.ones(3), np.zeros(3)], trainable_only=True)
    assert [a.shape for a in converted] == [(3,), (3,)]
    with pytest.raises(ValueError, match="TimeDistributed layer"):
        keras1_weights(layer, [np.ones(3), np.zeros(3)])


def test_bidirectional_splits_forward_and_backward():
    layer = k1.Bidirectional(k1.LSTM(2), name="bi")
    _built(layer, (None, 5, 3))
    arrays = [
        np.full(shape, float(i), "float32")
        for i, shape in enumerate([(3, 2), (2, 2), (2,)] * 8)
    ]
    converted = keras1_weights(layer, arrays)
    assert len(converted) == 6
    np.testing.assert_array_equal(converted[3][:, :2], arrays[12])  # backward W_i
    with pytest.raises(ValueError, match="odd number"):
        keras1_weights(layer, arrays[:-1])


def test_time_distributed_converts_for_its_inner_layer():
    layer = k1.TimeDistributed(k1.Convolution1D(4, 3))
    _built(layer, (None, 2, 7, 5))
    kernel = np.arange(3 * 1 * 5 * 4, dtype="float32").reshape(3, 1, 5, 4)
    converted = keras1_weights(layer, [kernel, np.zeros(4)])
    np.testing.assert_array_equal(converted[0], kernel[:, 0])


# ----------------------------------------------------------------------
# Refusals of Keras 1 code


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: k1.BatchNormalization(mode=2),
            ValueError,
            r"`mode` must be one of 0\.",
        ),
        (lambda: k1.BatchNormalization(1e-3, 1), ValueError, r"Received: mode=1"),
        (lambda: k1.Convolution1D(4, 3, border_mode="full"), ValueError, "'full'"),
        (lambda: k1.Dropout(1.0), ValueError, r"\[0, 1\)"),
        (lambda: k1.LSTM(3, consume_less="fast"), ValueError, "consume_less"),
        (
            lambda: k1.Convolution2D(4, 3, 3, dim_ordering="nchw"),
            ValueError,
            "dim_ordering",
        ),
        (lambda: k1.Merge(mode="avg"), ValueError, "`mode` must be one of"),
        (
            lambda: k1.Merge([k1.Dense(2), k1.Dense(2)]),
            ValueError,
            "list of at least 2 models",
        ),
        (lambda: k1.Merge(mode="sum", node_indices=[0, 1]), ValueError, "node_indices"),
        (lambda: k1.Lambda("x * 2"), TypeError, "must be a Python function"),
        (lambda: k1.TimeDistributed("dense"), TypeError, "must be a layer"),
        (
            lambda: k1.Bidirectional(k1.LSTM(2), merge_mode="max"),
            ValueError,
            "merge_mode",
        ),
        (lambda: k1.Reshape("3,4"), ValueError, "tuple of integers"),
        (lambda: k1.Dense(0), ValueError, "output_dim"),
    ],
)
def test_each_refusal_is_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_theano_same_convolution_with_an_even_kernel_is_refused():
    layer = _built(k1.Convolution1D(2, 4, border_mode="same"), (None, 9, 3))
    kernel = np.zeros((4, 1, 3, 2), "float32")
    with pytest.raises(ValueError, match="even kernel size"):
        keras1_weights(layer, [kernel, np.zeros(2)], backend="theano")
    assert keras1_weights(layer, [kernel, np.zeros(2)])[0].shape == (4, 3, 2)


def test_the_embedding_takes_its_modern_settings():
    assert k1.Embedding(5, 2, seed=3, validate_indices=False).seed == 3


def test_a_keras3_only_embedding_setting_is_refused_under_tf_keras():
    if IS_KERAS3:
        assert k1.Embedding(5, 2, lora_rank=None).input_dim == 5
    else:
        with pytest.raises(ValueError, match="only Keras 3"):
            k1.Embedding(5, 2, lora_rank=2)


def test_the_porting_guide_lists_every_supported_layer():
    guide = (pathlib.Path(__file__).parents[2] / "docs" / "porting.md").read_text()
    table = guide.split("## Keras 1 layers: what each becomes", 1)[1].split(
        "Refused", 1
    )[0]
    listed = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`(\w+)`", line.split("|")[1])
    }
    assert set(SPECS) <= listed, sorted(set(SPECS) - listed)


def test_a_model_used_as_a_layer_splits_its_one_weight_group():
    from keras1_models import path

    from keras_embedding.legacy.models import model_from_json

    model = model_from_json(path("q11_nested_shared_encoder", ".json").read_text())
    encoder = model.get_layer("sequential_1")
    (_, arrays, _) = next(
        g for g in weight_groups("q11_nested_shared_encoder") if g[0] == "sequential_1"
    )
    assert len(arrays) == 1 + 12 + 4  # Embedding, LSTM per gate, BatchNormalization
    assert len(keras1_weights(encoder, arrays)) == len(encoder.weights)
    trainable = arrays[:13] + arrays[13:15]  # BatchNormalization's gamma, beta
    converted = keras1_weights(encoder, trainable, trainable_only=True)
    assert [a.shape for a in converted] == [
        tuple(w.shape) for w in encoder.trainable_weights
    ]
    with pytest.raises(
        ValueError,
        match=r"Sequential.*take 17 Keras 1 arrays \(embedding_1: 1, lstm_1: 12",
    ):
        keras1_weights(encoder, arrays[:-1])
