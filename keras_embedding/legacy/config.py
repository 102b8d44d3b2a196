"""Maps an Embedding config from any Keras version to `Embedding` kwargs."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

from keras_embedding._compat import IS_KERAS3

# The modern name of each legacy argument. The output always uses the legacy
# name, so that the layer never sees both spellings of one setting.
_MODERN_TO_LEGACY = {
    "embeddings_initializer": "init",
    "embeddings_regularizer": "W_regularizer",
    "embeddings_constraint": "W_constraint",
}

# Keras 3 only: `Embedding` arguments that tf_keras has no counterpart for,
# with the values that mean "not used".
_KERAS3_ONLY = {"lora_rank": None, "lora_alpha": None, "quantization_config": None}

# Policy classes that carry nothing but a dtype name (Keras 3, tf_keras).
_PLAIN_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def _dtype(value: Any) -> Any:
    """Reduces a serialized plain dtype policy to its name.

    Keras 3 writes `{'class_name': 'DTypePolicy', 'config': {'name': ...}}`
    and tf_keras `{'class_name': 'Policy', ...}`; the name reads the same in
    either flavour, while the other flavour's dict may not.
    """
    if isinstance(value, dict) and value.get("class_name") in _PLAIN_POLICIES:
        return value["config"]["name"]
    return value


def _dropout(value: Any) -> Any:
    """Keras 1 ignored a dropout outside (0, 1); such a config still loads."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if math.isnan(value) or not 0 <= value < 1:
        warnings.warn(
            f"Embedding config: dropout={value!r} is outside [0, 1). Keras 1 "
            "ignored such a value and applied no dropout, so it loads as "
            "dropout=0.0.",
            stacklevel=3,
        )
        return 0.0
    return value


def normalize_config(config: dict[str, Any]) -> dict[str, Any]:
    """Returns `keras_embedding.Embedding` kwargs for an Embedding config.

    Accepts the config that `get_config()` returns in Keras 1, Keras 2 /
    tf_keras, Keras 3 or `keras_embedding`, or a `{'class_name': 'Embedding',
    'config': {...}}` entry of a model config. Initializers, regularizers and
    constraints stay serialized: the layer resolves every serialized form.

    Args:
        config: The config. It is not modified.

    Returns:
        A new dict of keyword arguments for `Embedding(**kwargs)`.

    Raises:
        ValueError: if `config` is not a dict, sets one thing under both its
            Keras 1 and its modern name, asks for a sparse gradient
            (`sparse=True`), or holds Keras 3 only settings under tf_keras.
    """
    if not isinstance(config, dict):
        raise ValueError(
            f"normalize_config expects an Embedding config dict. "
            f"Received: config={config!r}"
        )
    kwargs = copy.deepcopy(config)
    if "class_name" in kwargs and isinstance(kwargs.get("config"), dict):
        kwargs = kwargs["config"]

    for modern, legacy in _MODERN_TO_LEGACY.items():
        if modern not in kwargs:
            continue
        if legacy in kwargs:
            raise ValueError(
                f"The Embedding config sets both `{legacy}` and `{modern}`, "
                f"which mean the same thing. Received: {legacy}="
                f"{kwargs[legacy]!r}, {modern}={kwargs[modern]!r}"
            )
        kwargs[legacy] = kwargs.pop(modern)

    # Keras 1 always looked ids up as int32; `input_dtype` never described
    # the table, so it carries nothing to keep.
    kwargs.pop("input_dtype", None)
    if "batch_input_shape" in kwargs and kwargs["batch_input_shape"] is not None:
        kwargs["batch_input_shape"] = tuple(kwargs["batch_input_shape"])
    if "dtype" in kwargs:
        kwargs["dtype"] = _dtype(kwargs["dtype"])
    if "dropout" in kwargs:
        kwargs["dropout"] = _dropout(kwargs["dropout"])

    sparse = kwargs.pop("sparse", False)
    if sparse:
        raise ValueError(
            "The Embedding config asks for `sparse=True` (a tf_keras "
            "SparseTensor output), which keras_embedding.Embedding does not "
            f"support. Received: sparse={sparse!r}"
        )
    if not IS_KERAS3:
        for key, unused in _KERAS3_ONLY.items():
            if key not in kwargs:
                continue
            value = kwargs.pop(key)
            if value != unused:
                raise ValueError(
                    f"The Embedding config sets `{key}`, which only Keras 3 "
                    f"supports; this is tf_keras. Received: {key}={value!r}"
                )
    return kwargs
