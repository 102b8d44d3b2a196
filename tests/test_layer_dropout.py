"""Keras 1 row dropout as the layer applies it (keras1-facts §7 and §12)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding import Embedding
from keras_embedding._compat import keras


def _positive_layer(vocab=40, dim=4, rate=0.2, **kwargs):
    # Entries in [0.5, 1.5], so a zero in the output can only come from dropout.
    table = np.random.RandomState(0).uniform(0.5, 1.5, (vocab, dim)).astype("float32")
    return Embedding(vocab, dim, weights=[table], dropout=rate, **kwargs), table


def _dropped_rows(out, ids):
    """The set of vocabulary rows zeroed in one draw, checking it is whole rows."""
    zero = np.all(out == 0, axis=-1)
    assert np.array_equal(zero, np.any(out == 0, axis=-1)), "partial row dropped"
    dropped = set(ids[zero].tolist())
    # Every occurrence of a dropped row is dropped, in every sample.
    assert set(ids[~zero].tolist()).isdisjoint(dropped)
    return dropped


def test_inference_output_is_the_table():
    layer, table = _positive_layer()
    ids = np.random.RandomState(1).randint(40, size=(3, 40))
    np.testing.assert_array_equal(layer(ids).numpy(), table[ids])
    np.testing.assert_array_equal(layer(ids, training=False).numpy(), table[ids])


def test_training_drops_whole_rows_shared_by_the_batch():
    layer, table = _positive_layer()
    rng = np.random.RandomState(2)
    ids = np.stack([rng.permutation(40) for _ in range(3)])
    fractions = []
    for _ in range(200):
        out = layer(ids, training=True).numpy()
        dropped = _dropped_rows(out, ids)
        fractions.append(len(dropped) / 40)
        kept = ~np.all(out == 0, axis=-1)
        np.testing.assert_array_equal(out[kept], table[ids][kept] * np.float32(1 / 0.8))
    # facts §12: 0.2002 mean fraction, 0.062 sd across draws.
    assert abs(np.mean(fractions) - 0.2) < 5 * np.sqrt(0.2 * 0.8 / 40 / 200)
    assert 0.04 < np.std(fractions) < 0.09


def test_keras1_fixture_draws_have_the_same_structure(fixtures_dir):
    # The 5 Keras 1.2.2 train-phase draws zero exactly the occurrences of a
    # set of ids; ours do the same on the same input.
    data = np.load(fixtures_dir / "keras1" / "m12_dropout02.npz")
    ids = data["x"]
    for draw in data["embedding_output_train_phase_5draws"]:
        _dropped_rows(draw, ids)
    layer = Embedding(20, 4, weights=[data["W"]], dropout=0.2)
    for _ in range(5):
        out = layer(ids, training=True).numpy()
        dropped = _dropped_rows(out, ids)
        kept = ~np.isin(ids, list(dropped))
        np.testing.assert_array_equal(
            out[kept], data["W"][ids][kept] * np.float32(1.25)
        )


def _masks(call, ids, steps=6):
    return [frozenset(_dropped_rows(call(ids).numpy(), ids)) for _ in range(steps)]


@pytest.mark.parametrize("jit", [False, True])
def test_mask_changes_every_step_in_tf_function(jit):
    layer, _ = _positive_layer(rate=0.5)
    call = tf.function(lambda ids: layer(ids, training=True), jit_compile=jit)
    masks = _masks(call, np.arange(40)[None])
    assert len(set(masks)) == len(masks)


@pytest.mark.parametrize("jit", [False, True])
def test_mask_changes_every_step_in_fit(jit):
    # With a zero learning rate the loss of each one-step epoch is the mean
    # absolute output, which only changes if the dropped rows change.
    layer = Embedding(40, 1, init="one", dropout=0.5, seed=3)
    inp = keras.Input(shape=(40,), dtype="int32")
    model = keras.Model(inp, layer(inp))
    model.compile(
        optimizer=keras.optimizers.SGD(0.0),
        loss=keras.losses.MeanAbsoluteError(),
        jit_compile=jit,
    )
    ids = np.arange(40)[None]
    history = model.fit(ids, np.zeros((1, 40, 1)), epochs=8, verbose=0)
    losses = history.history["loss"]
    assert len(set(np.round(losses, 6))) >= 6
    # Each loss is (rows kept / 40) * 2, with about half the rows kept.
    assert all(0.5 < loss < 1.5 for loss in losses)


def test_seed_makes_masks_reproducible():
    ids = np.arange(40)[None]
    first, _ = _positive_layer(rate=0.5, seed=123)
    second, _ = _positive_layer(rate=0.5, seed=123)
    other, _ = _positive_layer(rate=0.5, seed=124)
    call = lambda layer: lambda x: layer(x, training=True)  # noqa: E731
    assert _masks(call(first), ids) == _masks(call(second), ids)
    assert _masks(call(first), ids) != _masks(call(other), ids)


def test_global_random_seed_makes_default_seed_reproducible():
    keras.utils.set_random_seed(5)
    first = Embedding(10, 2, dropout=0.5).get_config()["seed"]
    assert first is None  # the config keeps what the user passed
    keras.utils.set_random_seed(5)
    a, _ = _positive_layer(rate=0.5)
    keras.utils.set_random_seed(5)
    b, _ = _positive_layer(rate=0.5)
    ids = np.arange(40)[None]
    assert _masks(lambda x: a(x, training=True), ids) == _masks(
        lambda x: b(x, training=True), ids
    )


def test_gradient_stays_indexed_slices_and_is_scaled():
    layer, _ = _positive_layer(rate=0.5, seed=9)
    ids = np.array([[1, 2, 3, 1]])
    with tf.GradientTape() as tape:
        out = layer(ids, training=True)
        loss = tf.reduce_sum(out)
    grad = tape.gradient(loss, layer.trainable_weights)[0]
    assert isinstance(grad, tf.IndexedSlices)
    dropped = _dropped_rows(out.numpy(), ids)
    dense = tf.convert_to_tensor(grad).numpy()
    for row, count in [(1, 2), (2, 1), (3, 1)]:
        expected = 0.0 if row in dropped else count * 2.0
        np.testing.assert_array_equal(dense[row], np.full(4, expected))


def test_dropout_changes_no_weights_and_adds_none():
    layer, table = _positive_layer(rate=0.3)
    layer(np.array([[1, 2]]), training=True)
    assert len(layer.get_weights()) == 1
    np.testing.assert_array_equal(layer.get_weights()[0], table)


def test_symbolic_training_flag_is_honoured():
    layer, table = _positive_layer(rate=0.5, seed=2)
    ids = np.arange(40)[None]
    call = tf.function(lambda x, t: layer(x, training=t))
    np.testing.assert_array_equal(call(ids, tf.constant(False)).numpy(), table[ids])
    assert _dropped_rows(call(ids, tf.constant(True)).numpy(), ids)


def test_seeds_differing_above_32_bits_give_different_masks():
    ids = np.arange(40)[None]
    masks = []
    for seed in (0, 2**32, 2**63, 2**64 - 1):
        layer, _ = _positive_layer(rate=0.5, seed=seed)
        masks.append(_masks(lambda x, layer=layer: layer(x, training=True), ids))
    assert len({tuple(m) for m in masks}) == len(masks)


def test_false_training_tensor_does_not_advance_the_masks():
    ids = np.arange(40)[None]
    call = tf.function(lambda layer, x, t: layer(x, training=t))
    plain, _ = _positive_layer(rate=0.5, seed=6)
    interrupted, table = _positive_layer(rate=0.5, seed=6)
    plain.build(), interrupted.build()
    expected = _masks(lambda x: call(plain, x, tf.constant(True)), ids, steps=2)
    first = _masks(lambda x: call(interrupted, x, tf.constant(True)), ids, steps=1)
    for _ in range(3):
        out = call(interrupted, ids, tf.constant(False)).numpy()
        np.testing.assert_array_equal(out, table[ids])
    second = _masks(lambda x: call(interrupted, x, tf.constant(True)), ids, steps=1)
    assert first + second == expected


def test_dropout_set_after_building_without_it():
    layer, table = _positive_layer(rate=0.0, seed=2)
    ids = np.arange(40)[None]
    np.testing.assert_array_equal(layer(ids, training=True).numpy(), table[ids])
    layer.dropout = 0.5
    assert 0 < len(_dropped_rows(layer(ids, training=True).numpy(), ids)) < 40
    layer.dropout = 0.0
    np.testing.assert_array_equal(layer(ids, training=True).numpy(), table[ids])


def _time_distributed_pair(seed=8):
    """A TimeDistributed(Embedding) and a twin layer applied to all ids at once."""
    wrapped, table = _positive_layer(rate=0.5, seed=seed)
    twin, _ = _positive_layer(rate=0.5, seed=seed)
    return keras.layers.TimeDistributed(wrapped), twin, table


def _time_distributed_ids():
    # 4 samples of 4 timesteps: Keras 3's TimeDistributed over an unknown
    # number of timesteps maps over the batch size instead (a Keras bug that
    # has nothing to do with this layer); equal sizes keep the test to ours.
    rng = np.random.RandomState(3)
    return np.stack([rng.permutation(40).reshape(4, 10) for _ in range(4)])


@pytest.mark.parametrize("mode", ["eager", "tf.function", "unknown timesteps"])
def test_time_distributed_draws_one_mask_per_step(mode):
    # One decision per row for the whole (batch, time) input, as Keras 1's
    # TimeDistributed gave (one call on all timesteps); Keras 3 calls the
    # layer once per timestep. The twin sees the same ids in one call.
    wrapper, twin, _ = _time_distributed_pair()
    ids = _time_distributed_ids()
    if mode == "eager":
        call = lambda layer, x: layer(x, training=True)  # noqa: E731
    else:
        shape = (None, None, 10) if mode == "unknown timesteps" else (None, 4, 10)
        spec = tf.TensorSpec(shape, tf.int64)
        wrapped_call = tf.function(
            lambda x: wrapper(x, training=True), input_signature=[spec]
        )
        twin_call = tf.function(
            lambda x: twin(x, training=True), input_signature=[spec]
        )
        call = lambda layer, x: (wrapped_call if layer is wrapper else twin_call)(x)  # noqa: E731
    masks = []
    for _ in range(4):
        out = call(wrapper, ids).numpy()
        np.testing.assert_array_equal(out, call(twin, ids).numpy())
        masks.append(frozenset(_dropped_rows(out, ids)))
    assert len(set(masks)) == len(masks)


def test_time_distributed_in_fit_advances_once_per_step():
    # With a zero learning rate, the masks of 3 fit steps are those of 3
    # training calls of the twin.
    wrapper, twin, _ = _time_distributed_pair(seed=11)
    inp = keras.Input((4, 10), dtype="int32")
    model = keras.Model(inp, wrapper(inp))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mae")
    ids = _time_distributed_ids()
    target = np.zeros((4, 4, 10, 4), "float32")
    model.fit(ids, target, epochs=3, batch_size=4, verbose=0)
    for _ in range(3):
        twin(ids, training=True)
    np.testing.assert_array_equal(
        wrapper(ids, training=True).numpy(), twin(ids, training=True).numpy()
    )
