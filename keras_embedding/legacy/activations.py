"""Keras 1's `keras.activations`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.activations`.
"""

from keras_embedding.keras1.activations import *  # noqa: F403
from keras_embedding.keras1.activations import __all__  # noqa: F401
