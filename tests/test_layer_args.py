"""Constructor arguments of `Embedding` (keras1-facts §1, §3, §4, §10)."""

import math
import warnings

import numpy as np
import pytest

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras


def test_doc_page_example_runs_verbatim():
    # The Keras 1 doc page's example, with only the import changed.
    Sequential = keras.Sequential  # noqa: N806 - the doc page's name

    model = Sequential()
    model.add(Embedding(1000, 64, input_length=10))
    # the model will take as input an integer matrix of size (batch, input_length).
    # the largest integer (i.e. word index) in the input should be no larger
    # than 999 (vocabulary size).
    # now model.output_shape == (None, 10, 64), where None is the batch dimension.
    input_array = np.random.randint(1000, size=(32, 10))
    model.compile("rmsprop", "mse")
    output_array = model.predict(input_array, verbose=0)
    assert output_array.shape == (32, 10, 64)
    assert model.output_shape == (None, 10, 64)


def test_positional_order_is_keras1():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = Embedding(4, 3, "zero", 2, None, None, None, True, [table], 0.25)
    assert layer.input_length == 2
    assert layer.mask_zero is True
    assert layer.dropout == 0.25
    layer.build()
    np.testing.assert_array_equal(layer.get_weights()[0], table)


@pytest.mark.parametrize(
    "value, expected",
    [
        (7, 7),
        (np.int64(7), 7),
        (np.int32(7), 7),
        (7.0, 7),
        (1e1, 10),
        (np.float32(7), 7),
    ],
)
def test_sizes_accept_integral_numbers(value, expected):
    layer = Embedding(value, value)
    assert (layer.input_dim, layer.output_dim) == (expected, expected)
    assert type(layer.input_dim) is int
    layer.build()
    assert layer.W.shape == (expected, expected)


@pytest.mark.parametrize(
    "arg, value",
    [
        ("input_dim", 0),
        ("input_dim", -3),
        ("input_dim", 2.5),
        ("input_dim", "10"),
        ("input_dim", True),
        ("input_dim", None),
        ("input_dim", math.nan),
        ("output_dim", -1),
        ("output_dim", 1.5),
        ("output_dim", [3]),
        ("input_length", -1),
        ("input_length", 2.2),
    ],
)
def test_bad_sizes_raise_naming_argument_and_value(arg, value):
    args = {"input_dim": 10, "output_dim": 3, "name": "emb"}
    args[arg] = value
    with pytest.raises(ValueError) as info:
        Embedding(**args)
    message = str(info.value)
    assert "'emb'" in message
    assert f"Received: {arg}={value!r}" in message


def test_output_dim_zero_works_as_in_keras1():
    model = keras.Sequential([Embedding(10, 0, input_length=3)])
    assert model.output_shape == (None, 3, 0)
    out = model.predict(np.array([[1, 2, 3]]), verbose=0)
    assert out.shape == (1, 3, 0)
    assert model.count_params() == 0


def test_weights_sets_table_and_casts_float64():
    table = np.random.RandomState(1).randn(6, 4)  # float64
    layer = Embedding(6, 4, weights=[table])
    out = layer(np.array([[5, 0, 3]]))
    assert layer.W.dtype == "float32"
    np.testing.assert_array_equal(out.numpy()[0], table.astype("float32")[[5, 0, 3]])


@pytest.mark.parametrize("shape", [(3, 4), (6, 5), (4, 6)])
def test_weights_with_wrong_shape_names_both_shapes(shape):
    with pytest.raises(ValueError) as info:
        Embedding(6, 4, weights=[np.zeros(shape)])
    assert str(shape) in str(info.value)
    assert "(6, 4)" in str(info.value)


@pytest.mark.parametrize(
    "weights",
    [[np.zeros((6, 4)), np.zeros((6, 4))], [], np.zeros((6, 4))],
    ids=["two arrays", "empty list", "bare array"],
)
def test_weights_list_of_wrong_length_raises(weights):
    with pytest.raises(ValueError, match="exactly 1 array"):
        Embedding(6, 4, weights=weights)


def test_from_pretrained_freezes_by_default():
    table = np.random.RandomState(2).rand(5, 2).astype("float32")
    frozen = Embedding.from_pretrained(table)
    frozen.build()
    assert frozen.trainable is False
    assert len(frozen.non_trainable_weights) == 1
    np.testing.assert_array_equal(frozen.get_weights()[0], table)
    trained = Embedding.from_pretrained(table, freeze=False, mask_zero=True)
    trained.build()
    assert trained.trainable and trained.mask_zero
    with pytest.raises(ValueError, match="Received: embeddings of shape"):
        Embedding.from_pretrained(np.zeros(4))


def test_trainable_false_moves_table_to_non_trainable():
    layer = Embedding(50, 8, trainable=False)
    layer.build()
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 1
    assert layer.count_params() == 400


def test_w_is_the_table_variable():
    layer = Embedding(7, 2)
    layer.build()
    assert layer.W is layer.embeddings
    assert [w.shape for w in layer.get_weights()] == [(7, 2)]


def test_unknown_kwargs_raise_type_error_naming_them():
    with pytest.raises(TypeError) as info:
        Embedding(10, 3, foo=1, bar="x")
    assert "['bar', 'foo']" in str(info.value)
    assert "Received: bar='x', foo=1" in str(info.value)


@pytest.mark.parametrize(
    "legacy, modern, value",
    [
        ("init", "embeddings_initializer", "zero"),
        ("W_regularizer", "embeddings_regularizer", "l2"),
        ("W_constraint", "embeddings_constraint", "nonneg"),
    ],
)
def test_legacy_and_modern_name_together_is_an_error(legacy, modern, value):
    with pytest.raises(TypeError, match=f"both `{legacy}` and `{modern}`"):
        Embedding(10, 3, **{legacy: value, modern: value})


def test_modern_aliases_are_accepted():
    layer = Embedding(
        4,
        3,
        embeddings_initializer="one",
        embeddings_regularizer="l1",
        embeddings_constraint="nonneg",
    )
    layer.build()
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((4, 3)))
    np.testing.assert_allclose(float(sum(layer.losses)), 0.01 * 12, rtol=1e-6)
    assert layer.embeddings_constraint is not None


def test_keras1_layer_kwargs_are_accepted():
    layer = Embedding(10, 3, name="my_emb", trainable=False, input_dtype="int32")
    assert layer.name == "my_emb" and layer.trainable is False


def test_input_shape_sets_sequential_input():
    model = keras.Sequential([Embedding(10, 3, input_shape=(7,))])
    assert model.output_shape == (None, 7, 3)


def test_input_shape_disagreeing_with_input_length_raises():
    with pytest.raises(ValueError, match="Received: input_shape=\\(7,\\)"):
        Embedding(10, 3, input_length=5, input_shape=(7,))


def test_batch_input_shape_wins():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = Embedding(10, 3, input_shape=(5,), batch_input_shape=(8, 7))
        model = keras.Sequential([layer])
    assert model.output_shape[1:] == (7, 3)
    messages = [str(w.message) for w in caught]
    if IS_KERAS3:
        # Keras 3's Sequential cannot keep the batch size: say so, and how.
        assert model.output_shape[0] is None
        assert any("keras.Input(batch_shape=(8, 7))" in m for m in messages)
    else:
        assert model.output_shape[0] == 8
        assert model.input_shape == (8, 7)


def test_batch_input_shape_without_batch_size_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = Embedding(10, 3, batch_input_shape=(None, 4))
    assert keras.Sequential([layer]).output_shape == (None, 4, 3)


@pytest.mark.skipif(IS_KERAS3, reason="tf_keras keeps the batch size")
def test_batch_input_shape_gives_stateful_rnn_its_batch_size():
    model = keras.Sequential(
        [
            Embedding(20, 4, batch_input_shape=(2, 5)),
            keras.layers.LSTM(3, stateful=True),
        ]
    )
    out = model.predict(np.ones((2, 5), "int32"), batch_size=2, verbose=0)
    assert out.shape == (2, 3)


@pytest.mark.parametrize(
    "rate", [-0.1, 1.0, 1.5, math.nan, math.inf, "0.2", None, True]
)
def test_dropout_outside_unit_interval_raises(rate):
    with pytest.raises(ValueError) as info:
        Embedding(10, 3, dropout=rate)
    assert f"Received: dropout={rate!r}" in str(info.value)


def test_dropout_accepts_numpy_and_int_zero():
    assert Embedding(10, 3, dropout=np.float32(0.25)).dropout == 0.25
    assert Embedding(10, 3, dropout=0).dropout == 0.0


@pytest.mark.parametrize("init", ["bogus", 3])
def test_unknown_init_raises(init):
    with pytest.raises((ValueError, TypeError)) as info:
        Embedding(10, 3, init=init)
    assert repr(init) in str(info.value)


def _uniform_limit(name, fan_in, fan_out):
    return {
        "uniform": 0.05,
        "lecun_uniform": math.sqrt(3 / fan_in),
        "glorot_uniform": math.sqrt(6 / (fan_in + fan_out)),
        "he_uniform": math.sqrt(6 / fan_in),
    }[name]


@pytest.mark.parametrize(
    "name", ["uniform", "lecun_uniform", "glorot_uniform", "he_uniform"]
)
def test_uniform_inits_use_fan_in_input_dim(name):
    # input_dim is fan_in and output_dim fan_out, as in Keras 1 (facts §4).
    fan_in, fan_out = 600, 200
    layer = Embedding(fan_in, fan_out, init=name)
    layer.build()
    table = layer.get_weights()[0]
    limit = _uniform_limit(name, fan_in, fan_out)
    assert np.abs(table).max() <= limit
    assert np.abs(table).max() > 0.99 * limit
    np.testing.assert_allclose(table.std(), limit / math.sqrt(3), rtol=0.02)


@pytest.mark.parametrize(
    "name, std",
    [
        ("normal", 0.05),
        ("glorot_normal", math.sqrt(2 / 800)),
        ("he_normal", math.sqrt(2 / 600)),
    ],
)
def test_normal_inits_are_untruncated(name, std):
    layer = Embedding(600, 200, init=name)
    layer.build()
    table = layer.get_weights()[0]
    np.testing.assert_allclose(table.std(), std, rtol=0.02)
    # A normal puts 0.27% of its mass beyond 3 sigma; a truncated one none.
    tail = np.mean(np.abs(table) > 3 * std)
    assert 0.0015 < tail < 0.004


def test_orthogonal_init_has_keras1_gain():
    layer = Embedding(30, 30, init="orthogonal")
    layer.build()
    table = layer.get_weights()[0]
    np.testing.assert_allclose(table @ table.T, 1.1**2 * np.eye(30), atol=1e-5)


def test_keras1_style_init_function():
    def init_const(shape, name=None):
        return np.full(shape, 0.5)

    layer = Embedding(4, 2, init=init_const)
    layer.build()
    np.testing.assert_array_equal(layer.get_weights()[0], np.full((4, 2), 0.5))


def test_modern_initializer_is_accepted():
    layer = Embedding(4, 2, init=keras.initializers.Constant(3.0))
    layer.build()
    np.testing.assert_array_equal(layer.get_weights()[0], np.full((4, 2), 3.0))


@pytest.mark.parametrize(
    "input_dim, output_dim, arg",
    [
        (1e30, 8, "input_dim"),
        (2**63, 1, "input_dim"),
        (10, 2**40, "output_dim"),
        (10, 2**31, "output_dim"),
        (2**40, 2**30, "input_dim x output_dim"),
    ],
)
def test_absurd_sizes_are_refused_at_construction(input_dim, output_dim, arg):
    with pytest.raises(ValueError) as info:
        Embedding(input_dim, output_dim, name="emb")
    message = str(info.value)
    assert "'emb'" in message and arg in message
    assert "2**63 - 1" in message or "2**31 - 1" in message


def test_largest_sizes_are_accepted():
    assert Embedding(2**63 - 1, 1).input_dim == 2**63 - 1
    assert Embedding(1, 2**31 - 1).output_dim == 2**31 - 1


@pytest.mark.parametrize(
    "arg, value",
    [
        ("input_shape", 5),
        ("input_shape", "abc"),
        ("input_shape", (5.5,)),
        ("input_shape", (-1,)),
        ("batch_input_shape", "abc"),
        ("batch_input_shape", 8),
        ("batch_input_shape", (None, "x")),
        ("batch_input_shape", ()),
    ],
)
def test_bad_input_shapes_are_refused_naming_layer_argument_and_value(arg, value):
    with pytest.raises((TypeError, ValueError)) as info:
        Embedding(10, 3, name="emb", **{arg: value})
    message = str(info.value)
    assert "'emb'" in message
    assert f"Received: {arg}={value!r}" in message


def test_input_shape_takes_lists_and_numpy_sizes():
    layer = Embedding(10, 3, input_shape=[np.int64(7)])
    assert keras.Sequential([layer]).output_shape == (None, 7, 3)


@pytest.mark.parametrize("seed", ["abc", 1.5, 1.0, True, None.__class__, [1]])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(TypeError) as info:
        Embedding(10, 3, dropout=0.5, seed=seed, name="emb")
    assert "'emb'" in str(info.value)
    assert f"Received: seed={seed!r}" in str(info.value)


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_seed_must_be_in_the_range_used(seed):
    with pytest.raises(ValueError, match=rf"Received: seed={seed}"):
        Embedding(10, 3, dropout=0.5, seed=seed)


def test_seed_accepts_numpy_integers_and_the_whole_64_bit_range():
    assert Embedding(10, 3, seed=np.uint64(2**64 - 1)).seed == 2**64 - 1
    assert Embedding(10, 3, seed=np.int32(7)).get_config()["seed"] == 7


def test_dropout_is_validated_when_set():
    layer = Embedding(10, 3, name="emb")
    layer.dropout = np.float32(0.5)
    assert layer.dropout == 0.5
    for value in (1.5, -0.1, "0.2", math.nan):
        with pytest.raises(ValueError) as info:
            layer.dropout = value
        assert "'emb'" in str(info.value)
        assert f"Received: dropout={value!r}" in str(info.value)
    assert layer.dropout == 0.5
