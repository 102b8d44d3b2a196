"""Keras 1's `keras.objectives`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.objectives`.
"""

from keras_embedding.keras1.objectives import *  # noqa: F403
from keras_embedding.keras1.objectives import __all__  # noqa: F401
