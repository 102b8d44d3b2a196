"""One declarative spec per Keras 1 layer: its arguments and its weights.

A `LayerSpec` lists a Keras 1 layer's arguments in Keras 1 positional order,
each with its Keras 1 name, the modern keyword it becomes, its Keras 1
default and a converter; the arguments that cannot be ported and why; and how
its saved weights become the modern layer's. The same spec serves Keras 1
code, Keras 1 configs and Keras 1 weight files, so a renamed argument or a
changed default is written down once.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()
"""The default of an argument that Keras 1 required."""

INT64_MAX = 2**63 - 1
"""The largest size of a TensorFlow shape (its dimensions are int64)."""

Converter = Callable[[str, Any], Any]
"""`convert(name, value)`: the modern value of the Keras 1 argument `name`.

It validates too: a bad value raises `ValueError` (or `TypeError`) whose
message ends in `Received: name=value`.
"""

WeightConverter = Callable[[Any, list[np.ndarray], str], list[np.ndarray]]
"""`convert(layer, arrays, backend)`: the modern `layer`'s weights from its
Keras 1 arrays (in the order Keras 1 saved them), for a file written by the
Keras 1 `backend` ("tensorflow" or "theano").

A converter reads what it needs from the modern layer (and, where the layer
was built from Keras 1 arguments, from those); it maps lists of any length
position by position, so the same converter serves a layer's trainable
weights alone (optimizer slots)."""

Builder = Callable[[dict[str, Any], dict[str, Any]], Any]
"""`build(modern, base)`: the modern layer, from the converted arguments (by
modern keyword) and the base layer arguments (`name`, `trainable`, ...)."""


@dataclasses.dataclass(frozen=True)
class Arg:
    """One Keras 1 argument of a layer.

    Attributes:
        name: The Keras 1 keyword.
        modern: The modern layer's keyword, where it differs. A value may be
            given under either name, not under both.
        default: The Keras 1 default, or `REQUIRED`.
        convert: Validates a value and turns it into the modern one; None
            passes it through.
        from_config: How a value read from a saved Keras 1 config is read
            differently from one passed in code (for example a value Keras 1
            silently ignored); None reads it like code.
        keyword_only: Whether Keras 1 took it by keyword only (the
            arguments of a base class, which came through `**kwargs`).
    """

    name: str
    modern: str | None = None
    default: Any = REQUIRED
    convert: Converter | None = None
    from_config: Callable[[Any], Any] | None = None
    keyword_only: bool = False

    @property
    def key(self) -> str:
        """The keyword of the modern layer."""
        return self.modern or self.name


@dataclasses.dataclass(frozen=True)
class Refused:
    """An argument that cannot be ported unless it has its harmless value.

    Attributes:
        harmless: The value that means "not used"; it is accepted and dropped.
        why: Why any other value cannot be ported, and what to do instead.
    """

    harmless: Any
    why: str


def _owner_error(owner: str, error: Exception) -> Exception:
    kind = TypeError if isinstance(error, TypeError) else ValueError
    return kind(f"{owner}: {error}")


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """How a Keras 1 layer maps onto a modern one.

    Attributes:
        name: The Keras 1 class name.
        args: The Keras 1 arguments, in Keras 1 positional order.
        refused: Arguments (Keras 1 or modern) that cannot be ported, by name.
        weights: Turns the Keras 1 weight arrays into the modern layer's;
            None when they are the same list.
        build: Makes the modern layer; None where the modern class takes
            the Keras 1 arguments itself (the Embedding).
        input_shape: The per-sample input shape that the layer's own Keras 1
            arguments give it as a first layer (`input_dim`,
            `input_length`), from the values by Keras 1 name; None if none.
        input_dtype: The input dtype the layer forces as a first layer
            (Keras 1's Embedding: int32), or None.
        read_config: Reads a saved Keras 1 config where `from_config` cannot
            (a nested layer, a function supplied by the user):
            `read_config(config, custom_objects) -> (values, rest)`.
        passthrough: Modern keywords, beyond Keras 1's, that the built layer
            takes as they are (the Embedding's `seed`, say).
        count: How many arrays Keras 1 saved for a built layer (all of them,
            or with True only the trainable ones): `count(layer,
            trainable_only)`; None when it is the modern layer's number.
        becomes: What the layer becomes today, in words (for error messages
            and the porting guide).
    """

    name: str
    args: tuple[Arg, ...]
    refused: Mapping[str, Refused] = dataclasses.field(default_factory=dict)
    weights: WeightConverter | None = None
    build: Builder | None = None
    input_shape: Callable[[Mapping[str, Any]], tuple[Any, ...] | None] | None = None
    input_dtype: str | None = None
    read_config: (
        Callable[
            [Mapping[str, Any], Mapping[str, Any]],
            tuple[dict[str, Any], dict[str, Any]],
        ]
        | None
    ) = None
    passthrough: tuple[str, ...] = ()
    count: Callable[[Any, bool], int] | None = None
    becomes: str = ""

    def collect(
        self, args: Sequence[Any], kwargs: Mapping[str, Any], owner: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Assigns positional and keyword values to the Keras 1 arguments.

        Args:
            args: Positional values, in Keras 1 order.
            kwargs: Keyword values, under Keras 1 or modern names, and any
                other keywords (base layer arguments).
            owner: Names the layer in error messages.

        Returns:
            The values of the arguments given, by Keras 1 name, and the other
            keywords, unchanged.

        Raises:
            TypeError: for more positional values than arguments, or one
                argument given twice (by position and keyword, or under its
                Keras 1 and its modern name).
            ValueError: for a refused argument with a value other than its
                harmless one.
        """
        positional = [arg for arg in self.args if not arg.keyword_only]
        if len(args) > len(positional):
            raise TypeError(
                f"{owner}: {self.name} takes at most {len(positional)} positional "
                f"arguments ({', '.join(arg.name for arg in positional)}). "
                f"Received: {len(args)} positional arguments"
            )
        values = {arg.name: value for arg, value in zip(positional, args, strict=False)}
        by_key = {arg.name: arg for arg in self.args}
        by_key.update({arg.modern: arg for arg in self.args if arg.modern})
        rest = {}
        for key, value in kwargs.items():
            arg = by_key.get(key)
            if arg is None:
                refusal = self.refused.get(key)
                if refusal is None:
                    rest[key] = value
                elif not _same(value, refusal.harmless):
                    raise ValueError(
                        f"{owner}: `{key}` cannot be ported: {refusal.why} "
                        f"Received: {key}={value!r}"
                    )
                continue
            if arg.name in values:
                twice = (
                    f"both `{arg.name}` and `{key}`, which set the same thing"
                    if key != arg.name
                    else f"`{key}` both by position and by keyword"
                )
                raise TypeError(
                    f"{owner}: received {twice}; pass only one. Received: "
                    f"{arg.name}={values[arg.name]!r}, {key}={value!r}"
                )
            values[arg.name] = value
        return values, rest

    def convert(self, values: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """Fills in Keras 1 defaults and converts every argument.

        Args:
            values: Values by Keras 1 name, as `collect` returns them.
            owner: Names the layer in error messages.

        Returns:
            Every argument's modern value, by modern keyword.

        Raises:
            TypeError: for a missing required argument, or a value of the
                wrong type.
            ValueError: for a value the converter rejects.
        """
        modern = {}
        for arg in self.args:
            value = values.get(arg.name, arg.default)
            if value is REQUIRED:
                raise TypeError(
                    f"{owner}: {self.name} needs the argument `{arg.name}`. "
                    f"Received: no {arg.name}"
                )
            if arg.convert is not None:
                try:
                    value = arg.convert(arg.name, value)
                except (TypeError, ValueError) as error:
                    raise _owner_error(owner, error) from error
            modern[arg.key] = value
        return modern

    def convert_value(self, name: str, value: Any, owner: str) -> Any:
        """Converts one argument's value, as `convert` would.

        For an attribute set after construction (`layer.dropout = 0.5`).

        Args:
            name: The Keras 1 name of the argument.
            value: Its new value.
            owner: Names the layer in error messages.

        Returns:
            The modern value.

        Raises:
            TypeError, ValueError: as `convert`.
        """
        (arg,) = [arg for arg in self.args if arg.name == name]
        if arg.convert is None:
            return value
        try:
            return arg.convert(arg.name, value)
        except (TypeError, ValueError) as error:
            raise _owner_error(owner, error) from error

    def from_config(
        self, config: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Reads a saved layer config: Keras 1, Keras 2 / tf_keras or Keras 3.

        Args:
            config: The layer's config, or a model config entry
                `{'class_name': ..., 'config': {...}}`. It is not modified.

        Returns:
            As `collect`: the argument values by Keras 1 name (read as Keras 1
            read them), and the other keys (base layer settings).

        Raises:
            ValueError: if `config` is not a dict, or as `collect`.
        """
        if not isinstance(config, Mapping):
            raise ValueError(
                f"A {self.name} config must be a dict. Received: config={config!r}"
            )
        config = copy.deepcopy(dict(config))
        if "class_name" in config and isinstance(config.get("config"), Mapping):
            config = dict(config["config"])
        name = config.get("name")
        owner = f"{self.name} config" + (f" {name!r}" if name else "")
        try:
            values, rest = self.collect((), config, owner)
        except TypeError as error:
            raise ValueError(str(error)) from error
        for arg in self.args:
            if arg.from_config is not None and arg.name in values:
                values[arg.name] = arg.from_config(values[arg.name])
        return values, rest


def _same(value: Any, harmless: Any) -> bool:
    try:
        return bool(value == harmless)
    except (TypeError, ValueError):
        return False


def integer(minimum: int, maximum: int = INT64_MAX) -> Converter:
    """A converter for a size: an integer in [`minimum`, `maximum`].

    Keras 1 took Python ints, numpy integers and integral floats (`4.0`,
    `1e4`) alike; booleans, fractions, NaN and infinities are refused. The
    default `maximum` is the largest size a TensorFlow shape can hold.
    """

    def convert(name: str, value: Any) -> int:
        integral = None
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            number = float(value)
            if np.isfinite(number) and number.is_integer():
                integral = int(value)
        if integral is None or not minimum <= integral <= maximum:
            raise ValueError(
                f"`{name}` must be an integer in [{minimum}, {_power(maximum)}]. "
                f"Received: {name}={value!r}"
            )
        return integral

    return convert


def optional(convert: Converter) -> Converter:
    """`convert`, letting None through."""

    def optional_convert(name: str, value: Any) -> Any:
        return None if value is None else convert(name, value)

    return optional_convert


def rate(name: str, value: Any) -> float:
    """A converter for a dropout rate: a fraction in [0, 1)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    ):
        fraction = float(value)
        if 0.0 <= fraction < 1.0:
            return fraction
    raise ValueError(
        f"`{name}` must be a fraction in [0, 1). Received: {name}={value!r}"
    )


def boolean(name: str, value: Any) -> bool:
    """A converter for a flag: a Python or numpy bool (or 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        return bool(value)
    raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")


def seed(name: str, value: Any) -> int:
    """A converter for a random seed: an int in [0, 2**64).

    Only true integers (Python or numpy) are seeds: a float, a string or a
    bool is more likely a mistake than a seed. The range is the 64 bits a
    seed is hashed from, so no two accepted seeds mean the same thing.
    """
    integral = isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )
    if integral and 0 <= int(value) < 2**64:
        return int(value)
    raise (ValueError if integral else TypeError)(
        f"`{name}` must be an integer in [0, 2**64 - 1]. Received: {name}={value!r}"
    )


def shape(name: str, value: Any) -> tuple[int | None, ...]:
    """A converter for a shape: a tuple or list of sizes (ints >= 0) or None."""
    if isinstance(value, (tuple, list)):
        dims = []
        for dim in value:
            if dim is None:
                dims.append(None)
            elif isinstance(dim, (int, np.integer)) and not isinstance(
                dim, (bool, np.bool_)
            ):
                if not 0 <= int(dim) <= INT64_MAX:
                    break
                dims.append(int(dim))
            else:
                break
        else:
            return tuple(dims)
    raise TypeError(
        f"`{name}` must be a tuple of sizes (non-negative ints, or None for "
        f"any size), such as (10,). Received: {name}={value!r}"
    )


def choice(options: Mapping[Any, Any], why: str = "") -> Converter:
    """A converter for a setting with a few allowed values.

    Args:
        options: Each allowed Keras 1 value, mapped to its modern value.
        why: Said after the list of allowed values when another is given
            (for example why a Keras 1 value that existed cannot be ported).
    """

    def convert(name: str, value: Any) -> Any:
        for option, modern in options.items():
            if _same(value, option) and type(value) is not bool:
                return modern
        allowed = ", ".join(repr(option) for option in options)
        raise ValueError(
            f"`{name}` must be one of {allowed}.{' ' + why if why else ''} "
            f"Received: {name}={value!r}"
        )

    return convert


def number(minimum: float | None = None) -> Converter:
    """A converter for a real number (>= `minimum` if given), as a float."""

    def convert(name: str, value: Any) -> float:
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            real = float(value)
            if np.isfinite(real) and (minimum is None or real >= minimum):
                return real
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(
            f"`{name}` must be a finite number{bound}. Received: {name}={value!r}"
        )

    return convert


def integers(length: int, minimum: int) -> Converter:
    """A converter for a tuple of `length` integers >= `minimum`; a single
    integer stands for all of them."""
    single = integer(minimum)

    def convert(name: str, value: Any) -> tuple[int, ...]:
        try:
            if not isinstance(value, (list, tuple)):
                return (single(name, value),) * length
            if len(value) == length:
                return tuple(single(name, item) for item in value)
        except ValueError:
            pass
        raise ValueError(
            f"`{name}` must be an integer >= {minimum} or {length} of them. "
            f"Received: {name}={value!r}"
        )

    return convert


def check_weights(
    owner: str, weights: Any, shapes: Sequence[tuple[int, ...]], dtype: Any = None
) -> list[np.ndarray]:
    """Validates a list of weight arrays against the shapes a layer expects.

    Args:
        owner: Names the layer in error messages.
        weights: A list or tuple with one array-like per weight.
        shapes: The expected shape of each weight.
        dtype: The dtype to cast to (the layer's variable dtype); None keeps
            the arrays' own.

    Returns:
        The arrays, as numpy arrays.

    Raises:
        ValueError: for anything but a list or tuple of as many real numeric
            arrays (no strings, objects, NaN-producing `None`s or complex
            values) of exactly the expected shapes. The message shows both
            the expected and the received shapes.
    """
    expected = [tuple(int(dim) for dim in shape) for shape in shapes]
    if not isinstance(weights, (list, tuple)) or len(weights) != len(expected):
        length = len(weights) if hasattr(weights, "__len__") else "no length"
        raise ValueError(
            f"{owner}: `weights` must be a list of exactly {len(expected)} "
            f"array(s), of shape(s) {_shapes(expected)}; got a "
            f"{type(weights).__name__} of length {length}. "
            f"Received: weights={_short(weights)}"
        )
    arrays = []
    for index, (value, shape) in enumerate(zip(weights, expected, strict=True)):
        try:
            array = np.asarray(value)
        except ValueError as error:  # a ragged nested list
            raise ValueError(
                f"{owner}: weight {index} is not a rectangular array ({error}). "
                f"Received: weights[{index}]={_short(value)}"
            ) from error
        if array.dtype.kind not in "biuf":
            raise ValueError(
                f"{owner}: weight {index} must hold real numbers; its dtype is "
                f"{array.dtype}. Received: weights[{index}]={_short(value)}"
            )
        if array.shape != shape:
            raise ValueError(
                f"{owner}: weight {index} has shape {array.shape}, but the layer "
                f"expects {shape}. Received: weights[{index}] of shape {array.shape}"
            )
        arrays.append(array if dtype is None else array.astype(dtype))
    return arrays


def _power(number: int) -> str:
    """`2**k - 1` for such a bound, else the number (errors stay readable)."""
    if number > 2**16 and (number + 1) & number == 0:
        return f"2**{(number + 1).bit_length() - 1} - 1"
    return str(number)


def _shapes(shapes: Sequence[tuple[int, ...]]) -> str:
    return ", ".join(str(tuple(shape)) for shape in shapes) or "none"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
