"""The Keras 1.2.2 vocabulary on today's Keras.

What Keras 1 meant by its names, formulas and defaults: initializations,
regularizers, constraints, and one spec per Keras 1 layer describing its
arguments and weights. This package sits below the layers: it imports nothing
of `keras_embedding` but `_compat`, and the Embedding layer and the Keras 1
file porter (`keras_embedding.legacy`) both build on it.
"""
