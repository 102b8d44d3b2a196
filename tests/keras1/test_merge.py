"""keras1.layers.merge: every Keras 1 merge mode, its shapes and masks."""

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding._compat import keras
from keras_embedding.keras1.layers import Merge
from keras_embedding.legacy import layers as k1

RNG = np.random.default_rng(2)
A, B, C = (RNG.normal(size=(4, 3)).astype("float32") for _ in range(3))


def _merged(mode, *arrays, **kwargs):
    inputs = [k1.Input(shape=a.shape[1:]) for a in arrays]
    model = keras.Model(inputs, k1.merge(inputs, mode=mode, **kwargs))
    return model.predict(list(arrays), verbose=0), model


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("sum", A + B + C),
        ("mul", A * B * C),
        ("ave", (A + B + C) / 3),
        ("max", np.maximum(np.maximum(A, B), C)),
        ("concat", np.concatenate([A, B, C], -1)),
    ],
)
def test_elementwise_modes(mode, expected):
    np.testing.assert_allclose(_merged(mode, A, B, C)[0], expected, rtol=1e-6)


def test_dot_of_vectors_is_batch_by_one():
    y, model = _merged("dot", A, B)
    np.testing.assert_allclose(y, (A * B).sum(-1, keepdims=True), rtol=1e-6)
    assert tuple(model.outputs[0].shape) == (None, 1)


def test_cos_is_batch_by_one_by_one_with_keras1_epsilon():
    zero = np.zeros_like(A)
    y, model = _merged("cos", A, B)
    cos = (A * B).sum(-1) / np.sqrt((A * A).sum(-1) * (B * B).sum(-1))
    np.testing.assert_allclose(y, cos[:, None, None], rtol=1e-5)
    assert tuple(model.outputs[0].shape) == (None, 1, 1)
    # A zero vector: the denominator is clipped at 1e-7, so the result is 0.
    np.testing.assert_array_equal(_merged("cos", A, zero)[0], 0.0)


def test_dot_of_sequences_follows_keras1_axes():
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    y = RNG.normal(size=(2, 5, 4)).astype("float32")
    z = RNG.normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(
        _merged("dot", x, y, dot_axes=2)[0], np.einsum("bik,bjk->bij", x, y), rtol=1e-5
    )
    np.testing.assert_allclose(
        _merged("dot", x, z, dot_axes=1)[0], np.einsum("bki,bkj->bij", x, z), rtol=1e-5
    )
    np.testing.assert_allclose(
        _merged("dot", x, y, dot_axes=[2, 2])[0],
        np.einsum("bik,bjk->bij", x, y),
        rtol=1e-5,
    )


def test_concat_along_another_axis():
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    y = RNG.normal(size=(2, 2, 4)).astype("float32")
    np.testing.assert_allclose(
        _merged("concat", x, y, concat_axis=1)[0], np.concatenate([x, y], 1)
    )


def test_masks_combine_as_in_keras1():
    layer = Merge(mode="sum")
    m1 = tf.constant([[True, False, True]])
    m2 = tf.constant([[True, True, False]])
    x = tf.zeros((1, 3, 2))
    np.testing.assert_array_equal(
        layer.compute_mask([x, x], [m1, m2]), [[True, False, False]]
    )
    np.testing.assert_array_equal(layer.compute_mask([x, x], [m1, None]), m1)
    concat = Merge(mode="concat", concat_axis=1)
    np.testing.assert_array_equal(
        concat.compute_mask([x, x], [m1, None]), [[True, False, True, True, True, True]]
    )
    assert Merge(mode="dot").compute_mask([x, x], [m1, m2]) is None
    assert layer.compute_mask([x, x], [None, None]) is None


def test_a_function_mode_gets_its_inputs_arguments_and_mask():
    def weighted(tensors, weight):
        return weight * tensors[0] + tensors[1]

    y, _ = _merged(weighted, A, B, arguments={"weight": 3.0}, output_shape=(3,))
    np.testing.assert_allclose(y, 3 * A + B, rtol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: _merged("dot", A, B, C), "takes exactly 2 inputs"),
        (
            lambda: _merged("dot", A, RNG.normal(size=(4, 2, 3)).astype("float32")),
            "same rank",
        ),
        (lambda: _merged("dot", A, B, dot_axes=[0, 1]), "same axis on both"),
        (lambda: Merge(mode="bogus"), "invalid merge mode"),
    ],
)
def test_bad_merges_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_merge_saves_and_loads(tmp_path):
    _, model = _merged("cos", A, B)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict([A, B], verbose=0), model.predict([A, B], verbose=0)
    )
