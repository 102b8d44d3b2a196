"""keras1.layers.pooling: Keras 1's arguments; 'th' pooling computed channels last."""

import numpy as np
import pytest

from keras_embedding.keras1.layers import (
    ChannelsFirstAveragePooling2D,
    ChannelsFirstMaxPooling2D,
)
from keras_embedding.legacy import layers as k1
from keras_embedding.legacy.models import Sequential

RNG = np.random.default_rng(5)


def test_pooling1d_stride_defaults_to_the_pool_length():
    layer = k1.MaxPooling1D(3)
    assert layer.pool_size == (3,) and layer.strides == (3,)
    assert (
        k1.AveragePooling1D(pool_length=2, stride=1, border_mode="same").padding
        == "same"
    )


@pytest.mark.parametrize(
    "make, reduce",
    [(k1.MaxPooling2D, np.max), (k1.AveragePooling2D, np.mean)],
)
def test_th_pooling_matches_numpy(make, reduce):
    x = RNG.normal(size=(2, 3, 4, 6)).astype("float32")
    layer = make((2, 3), dim_ordering="th", input_shape=(3, 4, 6))
    model = Sequential([layer])
    expected = reduce(x.reshape(2, 3, 2, 2, 2, 3), axis=(3, 5))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    assert isinstance(layer, (ChannelsFirstMaxPooling2D, ChannelsFirstAveragePooling2D))


def test_global_pooling_over_the_right_axes():
    x = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    th = Sequential(
        [k1.GlobalAveragePooling2D(dim_ordering="th", input_shape=(3, 4, 5))]
    )
    tf_ = Sequential([k1.GlobalMaxPooling2D(dim_ordering="tf", input_shape=(3, 4, 5))])
    np.testing.assert_allclose(th.predict(x, verbose=0), x.mean(axis=(2, 3)), rtol=1e-6)
    np.testing.assert_allclose(tf_.predict(x, verbose=0), x.max(axis=(1, 2)), rtol=1e-6)
    seq = Sequential([k1.GlobalMaxPooling1D(input_shape=(3, 4))])
    np.testing.assert_allclose(
        seq.predict(x[:, :, :, 0], verbose=0), x[:, :, :, 0].max(1)
    )
