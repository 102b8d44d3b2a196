"""Keras 1's `keras.initializations`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.initializations`.
"""

from keras_embedding.keras1.initializations import *  # noqa: F403
from keras_embedding.keras1.initializations import __all__  # noqa: F401
