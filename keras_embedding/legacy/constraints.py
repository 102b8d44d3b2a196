"""Keras 1's `keras.constraints`, for Keras 1 code that imports it by that path.

The definitions live in `keras_embedding.keras1.constraints`.
"""

from keras_embedding.keras1.constraints import *  # noqa: F403
from keras_embedding.keras1.constraints import __all__  # noqa: F401
