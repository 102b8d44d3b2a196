"""The Keras 1 layers, one `LayerSpec` each.

Each module mirrors the Keras 1.2.2 module of the same name and holds the
specs of its layers (see `keras_embedding.keras1.specs`), plus the few modern
layer classes that Keras 1 numerics need (`Merge`, `Highway`, channels-first
convolution and pooling that compute channels last). The Embedding's spec is
used by `keras_embedding.Embedding` itself, for its constructor and configs.

`SPECS` maps every supported Keras 1 class name to its spec;
`layer_from_config` builds the modern layer of a Keras 1 layer config, and
`convert_weights` turns a layer's Keras 1 weight arrays into its own.
"""

from keras_embedding.keras1.layers import (
    advanced_activations,
    convolutional,
    core,
    merge,
    noise,
    normalization,
    pooling,
    recurrent,
    wrappers,
)
from keras_embedding.keras1.layers._base import (
    SPECS,
    Keras1Origin,
    convert_weights,
    keras1_name,
    layer_from_config,
    make,
    origin,
    spec_of,
)
from keras_embedding.keras1.layers.convolutional import (
    ChannelsFirstConv2D,
    ConvKernelInitializer,
)
from keras_embedding.keras1.layers.core import Highway
from keras_embedding.keras1.layers.embeddings import EMBEDDING, normalize_config
from keras_embedding.keras1.layers.merge import Merge
from keras_embedding.keras1.layers.pooling import (
    ChannelsFirstAveragePooling2D,
    ChannelsFirstMaxPooling2D,
)
from keras_embedding.keras1.layers.recurrent import GateInitializer
from keras_embedding.keras1.layers.wrappers import Bidirectional

__all__ = [
    "EMBEDDING",
    "Bidirectional",
    "SPECS",
    "ChannelsFirstAveragePooling2D",
    "ChannelsFirstConv2D",
    "ChannelsFirstMaxPooling2D",
    "ConvKernelInitializer",
    "GateInitializer",
    "Highway",
    "Keras1Origin",
    "Merge",
    "advanced_activations",
    "convert_weights",
    "convolutional",
    "core",
    "keras1_name",
    "layer_from_config",
    "make",
    "merge",
    "noise",
    "normalization",
    "normalize_config",
    "origin",
    "pooling",
    "recurrent",
    "spec_of",
    "wrappers",
]
