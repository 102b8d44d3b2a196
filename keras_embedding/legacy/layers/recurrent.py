"""Keras 1's `keras.layers.recurrent`.

For Keras 1 code that imports it by that path.
"""

from keras_embedding.legacy.layers import (
    GRU,
    LSTM,
    SimpleRNN,
)

__all__ = [
    "GRU",
    "LSTM",
    "SimpleRNN",
]
