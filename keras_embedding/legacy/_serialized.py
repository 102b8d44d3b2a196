"""Helpers shared by the legacy `get()` functions for serialized objects."""

from __future__ import annotations

import copy
from collections.abc import Callable
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


def resolve(
    identifier: Any,
    keras1_names: dict[str, Callable[..., Any]],
    keras_get: Callable[[Any], Any],
    invalid: Callable[[Any], Exception],
) -> Any:
    """The lookup shared by the legacy `get()` functions.

    Args:
        identifier: a name, a Keras 1 `{'name': ...}` dict, a Keras 2 or
            Keras 3 serialized dict, or a callable (returned as given).
        keras1_names: Keras 1 names, mapped to the class or factory to call
            with the dict's other entries; they win over modern names.
        keras_get: the running Keras's `get()` for the same kind of object.
        invalid: builds the error for a value that resolves to nothing.
    """
    if isinstance(identifier, str):
        if identifier in keras1_names:
            return keras1_names[identifier]()
        try:
            found = keras_get(identifier)
        except (ValueError, TypeError):
            found = None
        # tf_keras hands an unknown name back unchanged instead of raising.
        if not callable(found):
            raise invalid(identifier)
        return found
    if is_keras1_dict(identifier):
        kwargs = dict(identifier)
        factory = keras1_names.get(kwargs.pop("name"))
        if factory is None:
            raise invalid(identifier)
        try:
            return factory(**kwargs)
        except TypeError as error:
            raise invalid(identifier) from error
    if isinstance(identifier, dict):
        try:
            return keras_get(for_running_keras(identifier))
        except (ValueError, TypeError) as error:
            raise invalid(identifier) from error
    if callable(identifier):
        return identifier
    raise invalid(identifier)
