"""The Keras 1 `Embedding` spec and `normalize_config`.

`keras_embedding.Embedding` uses this spec itself, for its constructor and
its configs, so Keras 1 code, Keras 1 files and modern code all read the
Embedding's arguments in one place.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from keras_embedding import _compat
from keras_embedding._compat import keras
from keras_embedding.keras1 import constraints, initializations, regularizers
from keras_embedding.keras1.layers._base import register
from keras_embedding.keras1.specs import (
    Arg,
    LayerSpec,
    Refused,
    boolean,
    integer,
    optional,
    rate,
)


def _initializer(name: str, value: Any) -> Any:
    return initializations.get(value)


def _regularizer(name: str, value: Any) -> Any:
    return regularizers.get(value)


def _constraint(name: str, value: Any) -> Any:
    return constraints.get(value)


def _ignored_dropout(value: Any) -> Any:
    """Keras 1 silently ignored a dropout outside (0, 1); a saved one loads."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if math.isnan(value) or not 0 <= value < 1:
        warnings.warn(
            f"Embedding config: dropout={value!r} is outside [0, 1). Keras 1 "
            "ignored such a value and applied no dropout, so it loads as "
            "dropout=0.0.",
            stacklevel=4,
        )
        return 0.0
    return value


# A vector of more features than an int32 counts (8 GiB of float32 per id) is
# taken for a mistake, as a table of more entries than TensorFlow's int64
# shapes hold cannot exist (the layer checks input_dim x output_dim).
MAX_OUTPUT_DIM = 2**31 - 1

_KERAS3_ONLY = {
    key: Refused(None, "only Keras 3 supports it, and this is tf_keras.")
    for key in ([] if _compat.IS_KERAS3 else _compat.KERAS3_ONLY_EMBEDDING_ARGS)
}


def _build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    # keras_embedding.Embedding sits above this package; Keras's registry
    # hands it over without an import cycle.
    cls = keras.saving.get_registered_object(f"{_compat.PACKAGE}>Embedding")
    if cls is None:
        raise RuntimeError(
            "keras_embedding.Embedding is not registered: import keras_embedding "
            "first. Received: no registered Embedding"
        )
    return cls(**modern, **base)


EMBEDDING = LayerSpec(
    "Embedding",
    args=(
        Arg("input_dim", convert=integer(1)),
        Arg("output_dim", convert=integer(0, MAX_OUTPUT_DIM)),
        Arg("init", "embeddings_initializer", "uniform", _initializer),
        Arg("input_length", default=None, convert=optional(integer(0))),
        Arg("W_regularizer", "embeddings_regularizer", None, _regularizer),
        Arg("activity_regularizer", default=None, convert=_regularizer),
        Arg("W_constraint", "embeddings_constraint", None, _constraint),
        Arg("mask_zero", default=False, convert=boolean),
        Arg("weights", default=None),
        Arg("dropout", default=0.0, convert=rate, from_config=_ignored_dropout),
    ),
    refused={
        "sparse": Refused(
            False,
            "it asks tf_keras for a SparseTensor output, and "
            "keras_embedding.Embedding returns dense vectors.",
        ),
        **_KERAS3_ONLY,
    },
    build=_build,
    # Keras 1 always replaced the input shape with (input_length,) and the
    # dtype with int32; only `batch_input_shape` could override the shape.
    input_shape=lambda values: (values["input_length"],),
    input_dtype="int32",
    passthrough=(
        "seed",
        "validate_indices",
        *(_compat.KERAS3_ONLY_EMBEDDING_ARGS if _compat.IS_KERAS3 else ()),
    ),
    becomes="keras_embedding.Embedding",
)
"""Keras 1's `Embedding(input_dim, output_dim, init='uniform', ...)`."""

register(EMBEDDING, keras.layers.Embedding)


def normalize_config(config: dict[str, Any]) -> dict[str, Any]:
    """Returns `keras_embedding.Embedding` kwargs for an Embedding config.

    Accepts the config that `get_config()` returns in Keras 1, Keras 2 /
    tf_keras, Keras 3 or `keras_embedding`, or a `{'class_name': 'Embedding',
    'config': {...}}` entry of a model config. Settings keep their Keras 1
    names; initializers, regularizers and constraints stay serialized, for
    the layer resolves every serialized form.

    Args:
        config: The config. It is not modified.

    Returns:
        A new dict of keyword arguments for `Embedding(**kwargs)`.

    Raises:
        ValueError: if `config` is not a dict, sets one thing under both its
            Keras 1 and its modern name, asks for a sparse output
            (`sparse=True`), or holds Keras 3 only settings under tf_keras.
    """
    values, rest = EMBEDDING.from_config(config)
    if "dtype" in rest:
        rest["dtype"] = _compat.plain_dtype(rest["dtype"])
    return {**rest, **values}
