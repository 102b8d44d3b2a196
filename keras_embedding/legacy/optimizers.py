"""Keras 1's `keras.optimizers`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.optimizers`.
"""

from keras_embedding.keras1.optimizers import *  # noqa: F403
from keras_embedding.keras1.optimizers import __all__  # noqa: F401
