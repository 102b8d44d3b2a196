"""Helpers shared by the legacy `get()` functions for serialized objects."""

from __future__ import annotations

import copy
from typing import Any

from keras_embedding._compat import IS_KERAS3, keras


def is_keras1_dict(identifier: Any) -> bool:
    """True for a Keras 1 serialized object: `{'name': ..., **kwargs}`."""
    return (
        isinstance(identifier, dict)
        and "name" in identifier
        and "class_name" not in identifier
    )


def for_running_keras(identifier: dict[str, Any]) -> dict[str, Any]:
    """Returns a copy of a Keras 2 or Keras 3 serialized object that the
    running Keras can deserialize.

    Keras 3 writes a registered class as `class_name='MaxNorm'` plus
    `registered_name='keras_embedding>MaxNorm'`; tf_keras writes the
    registered name in `class_name` and knows no `registered_name` key. Either
    flavour must read a config the other one wrote.
    """
    identifier = copy.deepcopy(identifier)
    registered_name = identifier.pop("registered_name", None)
    if IS_KERAS3:
        if registered_name is None and ">" in str(identifier.get("class_name")):
            identifier["registered_name"] = identifier["class_name"]
            identifier["class_name"] = identifier["class_name"].split(">", 1)[1]
            identifier.setdefault("module", None)
        elif registered_name is not None:
            identifier["registered_name"] = registered_name
    else:
        identifier.pop("module", None)
        if registered_name is not None and ">" in registered_name:
            identifier["class_name"] = registered_name
    return identifier


def find_registered(name: str) -> Any:
    """Looks `name` up among custom objects, as Keras 1 configs name them.

    Keras 1 saved a custom function by its bare `__name__`, while Keras
    registers it as `package>name`; a unique `*>name` match is accepted so a
    registered function loads from a Keras 1 config.
    """
    found = keras.saving.get_registered_object(name)
    if found is not None:
        return found
    matches = [
        obj
        for key, obj in keras.saving.get_custom_objects().items()
        if key.endswith(">" + name)
    ]
    return matches[0] if len(matches) == 1 else None
