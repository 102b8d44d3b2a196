"""What `Embedding` computes: ids, index checks, masks, shapes, losses (facts §5-§9)."""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras


def _property(examples):
    """Hypothesis settings for tests that build Keras layers (slow examples)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
        ],
    )


def _built(input_dim=10, output_dim=3, **kwargs):
    layer = Embedding(input_dim, output_dim, **kwargs)
    layer.build()
    return layer, layer.get_weights()[0]


@_property(25)
@given(
    input_dim=st.integers(1, 300),
    output_dim=st.integers(0, 9),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    data=st.data(),
)
def test_output_is_numpy_gather(input_dim, output_dim, shape, data):
    layer, table = _built(input_dim, output_dim)
    size = int(np.prod(shape))
    flat = data.draw(
        st.lists(st.integers(0, input_dim - 1), min_size=size, max_size=size)
    )
    ids = np.array(flat, dtype="int32").reshape(shape)
    out = layer(ids).numpy()
    np.testing.assert_array_equal(out, table[ids])


@_property(20)
@given(
    input_dim=st.integers(1, 50),
    bad=st.one_of(st.integers(-(2**31), -1), st.integers(0, 2**31 - 1)),
    position=st.integers(0, 5),
)
def test_invalid_id_raises_naming_layer_id_and_input_dim(input_dim, bad, position):
    bad = bad if bad < 0 else input_dim + bad % 1000
    layer, _ = _built(input_dim, 2, name="words")
    ids = np.zeros((1, 6), dtype="int64")
    ids[0, position] = bad
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer(ids)
    message = str(info.value)
    assert "'words'" in message
    assert f"input_dim={input_dim}" in message
    assert str(bad) in message


def test_invalid_id_raises_inside_tf_function():
    layer, _ = _built(10, 2, name="words")
    lookup = tf.function(lambda ids: layer(ids))
    lookup(tf.constant([[1, 2]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_dim=10"):
        lookup(tf.constant([[1, 10]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="-1"):
        lookup(tf.constant([[-1, 3]]))


def test_invalid_id_gives_nan_row_under_xla():
    # XLA drops asserts and clamps the gather: a bad id must not read a real
    # row (or zeros), it must poison its output row with NaN.
    layer, table = _built(10, 3)
    lookup = tf.function(lambda ids: layer(ids), jit_compile=True)
    out = lookup(tf.constant([[1, 10, -1, 9, 12345]])).numpy()[0]
    np.testing.assert_array_equal(out[[0, 3]], table[[1, 9]])
    assert np.isnan(out[[1, 2, 4]]).all()


def test_invalid_id_under_xla_makes_the_loss_nan():
    layer, _ = _built(10, 3, dropout=0.3, seed=1)

    @tf.function(jit_compile=True)
    def loss(ids):
        return tf.reduce_sum(layer(ids, training=True))

    assert np.isfinite(loss(tf.constant([[1, 2, 3]])).numpy())
    assert np.isnan(loss(tf.constant([[1, 2, 30]])).numpy())


def test_validate_indices_false_skips_the_check():
    layer, _ = _built(10, 3, validate_indices=False)
    graph = tf.function(lambda ids: layer(ids)).get_concrete_function(
        tf.TensorSpec([None, None], tf.int32)
    )
    assert not [op for op in graph.graph.get_operations() if op.type == "Assert"]


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"]
)
def test_integer_id_dtypes(dtype):
    layer, table = _built(100, 2)
    ids = np.array([[0, 5, 99]], dtype=dtype)
    np.testing.assert_array_equal(layer(ids).numpy()[0], table[[0, 5, 99]])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_ids_are_truncated_toward_zero(dtype):
    layer, table = _built(10, 2)
    ids = np.array([[1.7, 2.2, -0.7, 9.9]], dtype=dtype)
    np.testing.assert_array_equal(layer(ids).numpy()[0], table[[1, 2, 0, 9]])


@pytest.mark.parametrize(
    "dtype, exact", [("float16", 11), ("bfloat16", 8), ("float32", 24), ("float64", 53)]
)
def test_float_ids_are_refused_beyond_what_their_dtype_holds(dtype, exact):
    # Above 2**exact a float dtype skips integers (float16 reads 3001 as 3000).
    layer = Embedding(2**exact + 1, 0, name="huge")
    with pytest.raises(ValueError, match="keras.Input") as info:
        layer(tf.constant([[3.0]], dtype))
    message = str(info.value)
    assert "'huge'" in message and dtype in message
    assert f"2**{exact}" in message
    assert layer(np.array([[2**exact]], "int64")).shape == (1, 1, 0)


@pytest.mark.parametrize("dtype, exact", [("float16", 11), ("bfloat16", 8)])
def test_float_ids_at_their_dtype_limit_read_their_own_rows(dtype, exact):
    layer, table = _built(2**exact, 1, init="uniform")
    ids = np.array([[2**exact - 1, 2**exact - 2, 3]])
    out = layer(tf.constant(ids, dtype)).numpy()
    np.testing.assert_array_equal(out, table[ids])


def test_float16_sequential_refuses_a_vocabulary_it_cannot_address():
    # Keras 3's Sequential gives its input layer the float dtype.
    keras.backend.set_floatx("float16")
    try:
        with pytest.raises(ValueError, match="float16"):
            model = keras.Sequential([Embedding(5000, 2, input_length=3)])
            model.predict(np.array([[3001, 4097, 2049]]), verbose=0)
    finally:
        keras.backend.set_floatx("float32")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e10, -1.0, 10.0])
@pytest.mark.parametrize("traced", [False, True])
def test_bad_float_ids_are_reported_as_what_they_are(bad, traced):
    layer, _ = _built(10, 2, name="words")
    call = tf.function(lambda ids: layer(ids)) if traced else layer
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        call(tf.constant([[1.0, bad, 2.0]], tf.float32))
    message = str(info.value)
    assert "words" in message and "input_dim=10" in message
    expected = {1e10: ("1e+10", "10000000000")}.get(bad, (str(bad).rstrip(".0"),))
    assert any(text in message for text in expected), message
    assert "-2147483648" not in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e10, -1.0, 10.0])
def test_bad_float_ids_give_nan_rows_under_xla_never_row_zero(bad):
    layer, table = _built(10, 3)
    lookup = tf.function(lambda ids: layer(ids), jit_compile=True)
    out = lookup(tf.constant([[1.0, bad, 0.5]], tf.float32)).numpy()[0]
    assert np.isnan(out[1]).all()
    np.testing.assert_array_equal(out[[0, 2]], table[[1, 0]])


def test_eager_error_has_no_assert_wrapper():
    layer, _ = _built(10, 2, name="words")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer(np.array([[1, 12]]))
    message = info.value.message
    assert (
        "Embedding layer 'words': ids must be in [0, input_dim=10). Received: id=12"
    ) in message
    assert "to be true" not in message and "Summarized data" not in message


@pytest.mark.parametrize(
    "dtype, bad",
    [
        ("uint64", 2**63 + 1),
        ("uint64", 2**64 - 1),
        ("uint32", 2**32 - 1),
        ("int64", -(2**63)),
        ("int64", 2**62),
        ("int8", -128),
        ("int16", -1),
    ],
)
@pytest.mark.parametrize("traced", [False, True])
def test_bad_integer_ids_are_reported_as_what_they_are(dtype, bad, traced):
    layer, _ = _built(100, 2, name="words")
    call = tf.function(lambda ids: layer(ids)) if traced else layer
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        call(tf.constant([[1, bad, 2]], dtype))
    assert f"{bad}" in str(info.value)


def test_unsigned_reinterpretation_reports_the_negative_id_first():
    layer, _ = _built(10, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="id=-3"):
        layer(np.array([[10**6, -3, 5]], "int32"))


def test_small_id_types_check_only_what_they_can_hold():
    # int8 ids cannot exceed 127, so with input_dim=300 only negatives are bad;
    # every uint8 is below 300.
    layer, table = _built(300, 1)
    np.testing.assert_array_equal(
        layer(np.array([[127, 0]], "int8")).numpy(), table[[[127, 0]]]
    )
    np.testing.assert_array_equal(
        layer(np.array([[255, 1]], "uint8")).numpy(), table[[[255, 1]]]
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="id=-1"):
        layer(np.array([[-1]], "int8"))


def test_int32_ids_with_a_vocabulary_beyond_int32():
    layer = Embedding(2**31 + 10, 0)
    assert layer(np.array([[2**31 - 1, 0]], "int32")).shape == (1, 2, 0)
    assert layer(np.array([[2**31 + 9]], "int64")).shape == (1, 1, 0)
    for ids in (np.array([[-1]], "int32"), np.array([[2**31 + 10]], "int64")):
        with pytest.raises(tf.errors.InvalidArgumentError):
            layer(ids)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64", "int8"])
def test_index_check_is_one_reduction(dtype):
    layer, _ = _built(10, 2)
    graph = (
        tf.function(lambda ids: layer(ids))
        .get_concrete_function(tf.TensorSpec([None, None], dtype))
        .graph
    )
    reductions = [
        op.type
        for op in graph.get_operations()
        if op.type in ("Max", "Min", "All", "Any", "ArgMax", "ArgMin", "Sum")
    ]
    assert reductions == ["Max"]
    assert [op.type for op in graph.get_operations()].count("Assert") == 1


def test_empty_ids_pass_the_check():
    layer, _ = _built(10, 2)
    for dtype in ("int32", "float32"):
        assert layer(np.zeros((2, 0), dtype)).shape == (2, 0, 2)


@pytest.mark.parametrize("ids", [np.array([["a", "b"]]), np.array([[True, False]])])
def test_non_numeric_ids_raise_clear_error(ids):
    layer, _ = _built(10, 2, name="words")
    with pytest.raises(TypeError, match="'words'.*Received: ids of dtype"):
        layer(ids)


def test_mask_is_ids_not_zero_and_row_zero_stays_a_row():
    layer, table = _built(10, 3, mask_zero=True)
    ids = np.array([[0, 4, 0, 7], [3, 0, 0, 0]])
    out = layer(ids).numpy()
    np.testing.assert_array_equal(layer.compute_mask(ids).numpy(), ids != 0)
    np.testing.assert_array_equal(out[0, 0], table[0])
    assert Embedding(10, 3).compute_mask(ids) is None


def test_mask_reaches_following_lstm():
    # Keras 1 (facts §8): at a masked step the LSTM repeats its last output,
    # so a padded sequence ends with the output of the unpadded one.
    embedding = Embedding(20, 5, mask_zero=True)
    lstm = keras.layers.LSTM(4)

    def model_for(length):
        ids = keras.Input(shape=(length,), dtype="int32")
        return keras.Model(ids, lstm(embedding(ids)))

    padded = np.array([[3, 9, 4, 0, 0, 0]])
    np.testing.assert_allclose(
        model_for(6).predict(padded, verbose=0),
        model_for(3).predict(padded[:, :3], verbose=0),
        atol=1e-6,
    )
    unmasked = model_for(6).predict(np.array([[3, 9, 4, 1, 1, 1]]), verbose=0)
    assert not np.allclose(unmasked, model_for(3).predict(padded[:, :3], verbose=0))


def test_input_length_builds_flatten_dense():
    model = keras.Sequential(
        [
            Embedding(50, 8, input_length=10),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    assert model.output_shape == (None, 1)
    assert model.layers[1].output.shape[1] == 80
    out = model.predict(np.random.randint(50, size=(4, 10)), verbose=0)
    assert out.shape == (4, 1)


def test_input_length_mismatch_with_functional_input_raises():
    with pytest.raises(ValueError) as info:
        Embedding(10, 3, input_length=5)(keras.Input(shape=(7,)))
    assert "input_length=5" in str(info.value)
    assert "length 7" in str(info.value)


def test_input_length_mismatch_in_sequential_predict_raises():
    model = keras.Sequential([Embedding(10, 3, input_length=5)])
    with pytest.raises(ValueError, match="5"):
        model.predict(np.ones((2, 7), "int32"), verbose=0)


def _length_graph(layer, shape):
    return (
        tf.function(lambda ids: layer(ids))
        .get_concrete_function(tf.TensorSpec(shape, tf.int32))
        .graph
    )


def test_input_length_is_checked_at_run_time_when_unknown():
    layer = Embedding(10, 3, input_length=5, name="words")
    spec = tf.TensorSpec([None, None], tf.int32)
    call = tf.function(lambda ids: layer(ids), input_signature=[spec])
    assert call(np.ones((2, 5), "int32")).shape == (2, 5, 3)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        call(np.ones((2, 6), "int32"))
    message = str(info.value)
    assert "words" in message and "input_length=5" in message
    assert "has length] [6]" in message


def test_input_length_of_unknown_length_under_xla_is_still_an_error():
    # XLA drops the check's assert; the static length it gives the ids fails
    # the compilation of a step with another length instead.
    layer = Embedding(10, 3, input_length=5)
    spec = tf.TensorSpec([None, None], tf.int32)
    call = tf.function(lambda ids: layer(ids), input_signature=[spec], jit_compile=True)
    assert call(np.ones((2, 5), "int32")).shape == (2, 5, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[\?,5\]"):
        call(np.ones((2, 6), "int32"))


@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 layers refuse inputs of unknown rank")
def test_input_length_is_checked_at_run_time_when_the_rank_is_unknown():
    layer = Embedding(10, 3, input_length=5)
    layer.build((None, 5))
    spec = tf.TensorSpec(None, tf.int32)
    call = tf.function(lambda ids: layer(ids), input_signature=[spec])
    assert call(np.ones((2, 5), "int32")).shape == (2, 5, 3)
    for ids in (np.ones((2, 6), "int32"), np.ones((2,), "int32")):
        with pytest.raises(tf.errors.InvalidArgumentError, match="input_length=5"):
            call(ids)


def test_input_length_is_checked_in_a_tf_data_fit():
    # Batches of unknown length: the step checks what the model cannot.
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            Embedding(10, 3, input_length=5),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )
    model.compile("sgd", "mse")
    data = tf.data.Dataset.from_generator(
        lambda: iter([(np.ones((2, 6), "int32"), np.zeros((2, 3), "float32"))]),
        output_signature=(
            tf.TensorSpec((None, None), tf.int32),
            tf.TensorSpec((None, 3), tf.float32),
        ),
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="input_length=5"):
        model.fit(data, epochs=1, verbose=0)


def test_a_static_length_adds_nothing_to_the_step():
    static = Embedding(10, 3, input_length=5, validate_indices=False)
    dynamic = Embedding(10, 3, input_length=5, validate_indices=False)
    free = Embedding(10, 3, validate_indices=False)
    ops = lambda graph: sorted(op.type for op in graph.get_operations())  # noqa: E731
    assert ops(_length_graph(static, [None, 5])) == ops(_length_graph(free, [None, 5]))
    assert "Assert" in ops(_length_graph(dynamic, [None, None]))


def test_ragged_ids_are_checked_against_input_length():
    layer = Embedding(10, 3, input_length=2)
    assert layer(tf.ragged.constant([[1, 2], [3, 4]])).shape[0] == 2
    with pytest.raises(tf.errors.InvalidArgumentError, match="length 3"):
        layer(tf.ragged.constant([[1, 2], [3, 4, 5]]))


def test_functional_input_of_unknown_length_takes_input_length():
    # tf_keras used to leave the length unknown: Flatten -> Dense failed.
    inp = keras.Input((None,), dtype="int32")
    hidden = Embedding(10, 3, input_length=5)(inp)
    assert tuple(hidden.shape) == (None, 5, 3)
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Flatten()(hidden)))
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 5), "int32"), np.zeros((4, 1)), epochs=1, verbose=0)
    assert model.predict(np.ones((2, 5), "int32"), verbose=0).shape == (2, 1)


def test_input_length_none_takes_length_from_input():
    layer = Embedding(10, 3)
    assert layer.compute_output_shape((None, 9)) == (None, 9, 3)
    assert layer(np.ones((2, 4), "int32")).shape == (2, 4, 3)


def test_higher_rank_ids_work():
    layer, table = _built(10, 2)
    ids = np.random.randint(10, size=(2, 3, 4))
    np.testing.assert_array_equal(layer(ids).numpy(), table[ids])


def test_gradient_of_table_is_indexed_slices_and_accumulates():
    layer, _ = _built(10, 2)
    with tf.GradientTape() as tape:
        out = layer(np.array([[1, 1, 4]]))
        loss = tf.reduce_sum(out)
    grad = tape.gradient(loss, layer.trainable_weights)[0]
    assert isinstance(grad, tf.IndexedSlices)
    dense = tf.convert_to_tensor(grad).numpy()
    expected = np.zeros((10, 2))
    np.add.at(expected, [1, 1, 4], 1.0)
    np.testing.assert_array_equal(dense, expected)


def test_mixed_precision_keeps_float32_table_and_float16_output():
    layer = Embedding(10, 3, dtype="mixed_float16", dropout=0.5)
    out = layer(np.array([[1, 2]]), training=True)
    assert layer.W.dtype == "float32"
    assert out.dtype == tf.float16


def test_w_regularizer_is_sum_over_table():
    layer, table = _built(6, 4, W_regularizer="l2")
    expected = 0.01 * np.sum(table.astype("float64") ** 2)
    np.testing.assert_allclose(float(sum(layer.losses)), expected, rtol=1e-5)


def test_activity_regularizer_is_summed_not_batch_averaged():
    # Keras 1 (facts §5): sum over batch x time x features; doubling the
    # batch doubles the penalty. Modern Keras would divide by the batch size.
    inp = keras.Input(shape=(3,), dtype="int32")
    model = keras.Model(inp, Embedding(10, 4, activity_regularizer="l2")(inp))
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    out = model(ids)
    penalty = float(sum(model.losses))
    np.testing.assert_allclose(penalty, 0.01 * np.sum(out.numpy() ** 2), rtol=1e-5)
    model(np.concatenate([ids, ids]))
    np.testing.assert_allclose(float(sum(model.losses)), 2 * penalty, rtol=1e-5)


def test_activity_regularizer_attribute_is_the_configured_one():
    layer = Embedding(10, 4, activity_regularizer="l2")
    assert layer.activity_regularizer is not None
    assert (
        keras.regularizers.serialize(layer.activity_regularizer)
        == (layer.get_config()["activity_regularizer"])
    )
    assert Embedding(10, 4).activity_regularizer is None
    # Set afterwards, with Keras 1 names, it still gives Keras 1's sum.
    layer = Embedding(10, 4, init="one")
    layer.activity_regularizer = "l1"
    layer(np.array([[1, 2]]))
    np.testing.assert_allclose(float(sum(layer.losses)), 0.01 * 8, rtol=1e-6)
    with pytest.raises(ValueError, match="bogus"):
        layer.activity_regularizer = "bogus"


def test_activity_penalty_enters_the_training_loss():
    inp = keras.Input(shape=(3,), dtype="int32")
    model = keras.Model(
        inp, Embedding(10, 2, activity_regularizer="l1", init="one")(inp)
    )
    model.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError())
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    target = np.zeros((2, 3, 2))
    # mse of ones vs zeros is 1; the activity penalty is 0.01 * 12 ones.
    loss = model.evaluate(ids, target, verbose=0)
    np.testing.assert_allclose(loss, 1.0 + 0.12, rtol=1e-5)


def test_constraint_applies_after_update_only():
    # Keras 1 (facts §6): maxnorm(2) on axis 0 renormalises columns, after the
    # optimizer step, over the whole table; never at init or on weights=.
    table = np.random.RandomState(3).uniform(-2, 2, size=(8, 3)).astype("float32")
    layer = Embedding(8, 3, weights=[table], W_constraint="maxnorm")
    layer.build()
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    inp = keras.Input(shape=(2,), dtype="int32")
    model = keras.Model(inp, layer(inp))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.MeanSquaredError()
    )
    ids = np.array([[0, 5]])
    target = np.zeros((1, 2, 3), "float32")
    model.train_on_batch(ids, target)
    stepped = table.copy()
    stepped[[0, 5]] -= 0.1 * 2 * table[[0, 5]] / 6
    norms = np.sqrt(np.sum(stepped**2, axis=0, keepdims=True))
    expected = stepped * np.clip(norms, 0, 2) / (1e-7 + norms)
    np.testing.assert_allclose(layer.get_weights()[0], expected, rtol=1e-5, atol=1e-6)


def test_lookup_does_no_vocabulary_sized_work():
    # No op in the traced step may produce a tensor with input_dim elements
    # along any axis (no dense read of the table, no per-row random draw).
    vocab = 1_000_003
    layer = Embedding(vocab, 4, dropout=0.3, W_regularizer=None)
    layer.build()

    @tf.function
    def step(ids):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids, training=True))
        return tape.gradient(loss, layer.trainable_weights)[0]

    graph = step.get_concrete_function(tf.TensorSpec([None, None], tf.int32)).graph
    for op in graph.get_operations():
        for out in op.outputs:
            if out.shape.rank:
                assert vocab not in out.shape.as_list(), (op.type, op.name)


def test_ragged_ids_give_ragged_rows_with_dropout():
    layer, table = _built(10, 2, dropout=0.5, seed=4)
    ids = tf.ragged.constant([[1, 2, 3], [4]])
    out = layer(ids)
    assert isinstance(out, tf.RaggedTensor)
    np.testing.assert_array_equal(out.flat_values.numpy(), table[[1, 2, 3, 4]])
    dropped = layer(ids, training=True).flat_values.numpy()
    kept = ~np.all(dropped == 0, axis=-1)
    np.testing.assert_array_equal(dropped[kept], 2 * table[[1, 2, 3, 4]][kept])


def test_sparse_ids_raise_clear_error():
    layer, _ = _built(10, 2, name="words")
    ids = tf.sparse.from_dense(tf.constant([[1, 0, 3]]))
    with pytest.raises(TypeError, match="'words'.*SparseTensor"):
        layer(ids)
