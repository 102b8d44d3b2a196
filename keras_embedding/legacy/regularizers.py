"""Keras 1's `keras.regularizers`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.regularizers`.
"""

from keras_embedding.keras1.regularizers import *  # noqa: F403
from keras_embedding.keras1.regularizers import __all__  # noqa: F401
