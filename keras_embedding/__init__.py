"""keras-embedding: the Keras 1 `Embedding` layer on TensorFlow 2.

`keras_embedding.Embedding` accepts every Keras 1 argument with its Keras 1
meaning (including row dropout), and runs on whichever Keras `tf.keras` gives:
Keras 3 by default, tf_keras when `TF_USE_LEGACY_KERAS=1`.
"""

__version__ = "0.1.0"

from keras_embedding import _quiet

if _quiet.running_own_command():
    _quiet.import_tensorflow_quietly()

# Registers, with Keras, every class and function a ported Keras 1 model may
# hold, so that `keras.models.load_model` reads it after `import
# keras_embedding` alone.
from keras_embedding import optimizers  # noqa: E402
from keras_embedding.keras1 import activations as _activations  # noqa: E402, F401
from keras_embedding.keras1 import layers as _layers  # noqa: E402, F401
from keras_embedding.keras1 import objectives as _objectives  # noqa: E402, F401
from keras_embedding.keras1 import optimizers as _optimizers  # noqa: E402, F401
from keras_embedding.layer import Embedding  # noqa: E402

__all__ = ["Embedding", "__version__", "optimizers"]
