"""keras1.backend: Keras 1's K functions against numpy."""

import numpy as np
import pytest

from keras_embedding.keras1 import backend as K  # noqa: N812 - the Keras 1 idiom

RNG = np.random.default_rng(1)
X = RNG.normal(size=(2, 3, 4)).astype("float32")


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: K.sum(X, axis=-1), X.sum(-1)),
        (lambda: K.mean(X, axis=[1, 2], keepdims=True), X.mean((1, 2), keepdims=True)),
        (lambda: K.max(X, axis=1), X.max(1)),
        (lambda: K.min(X), X.min()),
        (lambda: K.std(X, axis=0), X.std(0)),
        (lambda: K.var(X, axis=-2), X.var(-2)),
        (lambda: K.mean(X > 0, axis=1), (X > 0).mean(1)),
        (lambda: K.argmax(X), X.argmax(-1)),
        (lambda: K.expand_dims(X, dim=1), X[:, None]),
        (lambda: K.squeeze(X[:, :1], 1), X[:, 0]),
        (lambda: K.concatenate([X, X], axis=-1), np.concatenate([X, X], -1)),
        (lambda: K.permute_dimensions(X, (0, 2, 1)), X.transpose(0, 2, 1)),
        (lambda: K.repeat(X[:, 0], 2), np.repeat(X[:, None, 0], 2, 1)),
        (lambda: K.repeat_elements(X, 2, axis=1), np.repeat(X, 2, 1)),
        (lambda: K.batch_flatten(X), X.reshape(2, -1)),
        (lambda: K.dot(X, X[0].T), X @ X[0].T),
        (lambda: K.batch_dot(X, X, axes=[2, 2]), np.einsum("bik,bjk->bij", X, X)),
        (
            lambda: K.batch_dot(X[:, 0], X[:, 1], axes=1),
            (X[:, 0] * X[:, 1]).sum(-1, keepdims=True),
        ),
        (lambda: K.clip(X, -0.5, 0.5), np.clip(X, -0.5, 0.5)),
        (
            lambda: K.l2_normalize(X, axis=-1),
            X / np.linalg.norm(X, axis=-1, keepdims=True),
        ),
        (lambda: K.hard_sigmoid(X), np.clip(0.2 * X + 0.5, 0, 1)),
        (lambda: K.reverse(X, 1), X[:, ::-1]),
        (lambda: K.switch(True, X, -X), X),
    ],
)
def test_keras1_functions_match_numpy(call, expected):
    np.testing.assert_allclose(np.asarray(call()), expected, rtol=1e-5, atol=1e-6)


def test_constants():
    assert K.epsilon() == 1e-7
    assert K.floatx() == "float32"
    assert K.backend() == "tensorflow"
    assert K.int_shape(X) == (2, 3, 4) and K.ndim(X) == 3
