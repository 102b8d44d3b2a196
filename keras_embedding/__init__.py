"""keras-embedding: the Keras 1 `Embedding` layer on TensorFlow 2.

`keras_embedding.Embedding` accepts every Keras 1 argument with its Keras 1
meaning (including row dropout), and runs on whichever Keras `tf.keras` gives:
Keras 3 by default, tf_keras when `TF_USE_LEGACY_KERAS=1`.
"""

__version__ = "0.1.0"

from keras_embedding import optimizers
from keras_embedding.layer import Embedding

__all__ = ["Embedding", "__version__", "optimizers"]
