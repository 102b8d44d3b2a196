"""Tests of keras_embedding.keras1, one module each."""
