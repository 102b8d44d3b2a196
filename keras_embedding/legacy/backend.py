"""Keras 1's `keras.backend`, for Keras 1 code that imports it by that path.

`from keras_embedding.legacy import backend as K` gives a Keras 1 `Lambda` or
loss its `K.sum`, `K.batch_dot`, ...; the definitions live in
`keras_embedding.keras1.backend`.
"""

from keras_embedding.keras1.backend import *  # noqa: F403
from keras_embedding.keras1.backend import __all__  # noqa: F401
