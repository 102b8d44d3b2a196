"""Helpers shared by the legacy `get()` functions for serialized objects."""

from __future__ import annotations

import copy
import inspect
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


def for_running_keras(identifier: dict[str, Any], module: Any) -> dict[str, Any]:
    """Returns a copy of a Keras 2 or Keras 3 serialized object that the
    running Keras can deserialize.

    Keras 3 writes a registered class as `class_name='MaxNorm'` plus
    `registered_name='keras_embedding>MaxNorm'`; tf_keras writes the
    registered name in `class_name` and knows no `registered_name` key. Either
    flavour must read a config the other one wrote, including settings that
    only one flavour has (Keras 3.15's `input_axes` of `GlorotNormal`, say)
    as long as they hold None, their "not used" value.

    Args:
        identifier: The serialized object.
        module: The running Keras's module for that kind of object
            (`keras.initializers`, ...), where its classes are looked up.
    """
    identifier = copy.deepcopy(identifier)
    _drop_unknown_nones(identifier, module)
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


def _drop_unknown_nones(identifier: dict[str, Any], module: Any) -> None:
    """Drops config entries the class does not take, where they hold None.

    An entry with another value stays, so that deserializing it fails and
    the caller's error shows it.
    """
    cls = getattr(module, str(identifier.get("class_name")), None)
    config = identifier.get("config")
    if not isinstance(cls, type) or not isinstance(config, dict):
        return
    parameters = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    for key in [key for key, value in config.items() if value is None]:
        if key not in parameters:
            del config[key]


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
    module: Any,
    invalid: Callable[[Any], Exception],
) -> Any:
    """The lookup shared by the legacy `get()` functions.

    Args:
        identifier: a name, a Keras 1 `{'name': ...}` dict, a Keras 2 or
            Keras 3 serialized dict, or a callable (returned as given).
        keras1_names: Keras 1 names, mapped to the class or factory to call
            with the dict's other entries; they win over modern names.
        module: the running Keras's module for the same kind of object
            (`keras.regularizers`, ...), whose `get()` reads modern values.
        invalid: builds the error for a value that resolves to nothing.
    """
    if isinstance(identifier, str):
        if identifier in keras1_names:
            return keras1_names[identifier]()
        try:
            found = module.get(identifier)
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
            return module.get(for_running_keras(identifier, module))
        except (ValueError, TypeError) as error:
            raise invalid(identifier) from error
    if callable(identifier):
        return identifier
    raise invalid(identifier)
