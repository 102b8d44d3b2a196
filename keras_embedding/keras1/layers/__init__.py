"""The Keras 1 layers, one `LayerSpec` each.

Each module mirrors the Keras 1.2.2 module of the same name and holds the
specs of its layers (see `keras_embedding.keras1.specs`), plus the few modern
layer classes that Keras 1 numerics need. The Embedding's spec is used by
`keras_embedding.Embedding` itself, for its constructor and its configs.
"""

from keras_embedding.keras1.layers.embeddings import EMBEDDING, normalize_config

__all__ = ["EMBEDDING", "normalize_config"]
