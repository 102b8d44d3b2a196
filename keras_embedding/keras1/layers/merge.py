"""Keras 1 `Merge` / `merge`: sum, mul, concat, ave, max, dot and cos.

Keras 2.2 removed `Merge`; its modes live on here in one registered layer,
`Merge`, with Keras 1's numerics:

- `ave` is the sum divided by the number of inputs; `max` is elementwise;
- `dot` is Keras 1's `batch_dot`: for two 2D inputs the sum of the product
  over the dot axis, as `(batch, 1)`; for two inputs of the same higher rank
  a batched matmul whose operands are transposed on their last two axes
  unless the dot axes are the last axis of the first and the second-last
  axis of the second;
- `cos` is that `dot` over `max(sqrt(dot(x, x) * dot(y, y)), 1e-7)` (Keras
  1's epsilon), with an extra axis: `(batch, 1, 1)` for vectors, although
  Keras 1's config claimed `(batch, 1)`;
- masks: sum, mul, ave and max keep a step where every masked input keeps
  it; concat concatenates the masks (an unmasked input counts as kept) and
  keeps a step where all are kept; dot and cos drop the mask.

In Keras 1 code, `Merge([model_a, model_b], mode=...)` as the first layer of a
`Sequential` merges branch models: the layer then holds the branches and
takes their inputs, in order. A `mode` may also be a function of the list of
inputs, as in Keras 1; from a saved config it comes from `custom_objects`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tensorflow as tf

from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1.backend import batch_dot
from keras_embedding.keras1.layers._base import expect_count, register
from keras_embedding.keras1.specs import Arg, LayerSpec, integer

MODES = ("sum", "mul", "concat", "ave", "cos", "dot", "max")
"""The Keras 1 merge modes given by name."""

# Keras 1's `K.epsilon()`.
_EPSILON = 1e-7


def _dot_axes(dot_axes: Any, rank_x: int, rank_y: int) -> list[int]:
    # As Keras 1's Merge resolved them from the input ranks.
    if isinstance(dot_axes, int):
        if dot_axes < 0:
            return [dot_axes % rank_x, dot_axes % rank_y]
        return [dot_axes, dot_axes]
    return [int(axis) for axis in dot_axes]


@register_serializable
class Merge(keras.layers.Layer):
    """Keras 1's Merge layer: one tensor from a list of tensors.

    Args:
        mode: One of `MODES`, or a function of the list of inputs (and of
            `mask=` if it takes one) returning one tensor.
        concat_axis: Axis of `concat`.
        dot_axes: Axes of `dot` and `cos`: an int for both inputs (negative
            counts from the end of each), or a pair.
        output_shape: For a function `mode`: the output shape without the
            batch size, or a function of the input shapes; None infers it.
        output_mask: For a function `mode`: the output mask, or a function of
            the input masks.
        arguments: Keyword arguments for a function `mode`.
        branches: Keras 1's `Merge([model_a, model_b])`: the branch models,
            each applied to its own inputs before merging.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for an unknown mode, fewer than two branches, or
            `dot`/`cos` on more than two inputs.
    """

    def __init__(
        self,
        mode: str | Callable[..., Any] = "sum",
        concat_axis: int = -1,
        dot_axes: int | Sequence[int] = -1,
        output_shape: Any = None,
        output_mask: Any = None,
        arguments: Mapping[str, Any] | None = None,
        branches: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(mode, str):
            if mode not in MODES:
                raise ValueError(
                    f"Merge layer {self.name!r}: invalid merge mode. Expected one of "
                    f"{', '.join(MODES)}, or a function. Received: mode={mode!r}"
                )
        elif isinstance(mode, dict) or not callable(mode):
            mode = _registered_function(mode, self.name)
        self.mode = mode
        self.concat_axis = int(concat_axis)
        self.dot_axes = (
            int(dot_axes) if isinstance(dot_axes, int) else [int(a) for a in dot_axes]
        )
        self.output_shape_arg = (
            tuple(output_shape)
            if isinstance(output_shape, (list, tuple))
            else output_shape
        )
        self.output_mask_arg = output_mask
        self.arguments = dict(arguments or {})
        if branches is not None:
            branches = [
                keras.saving.deserialize_keras_object(branch)
                if isinstance(branch, dict)
                else branch
                for branch in branches
            ]
            if len(branches) < 2:
                raise ValueError(
                    f"Merge layer {self.name!r} needs at least 2 branch models. "
                    f"Received: {len(branches)} branch(es)"
                )
        self.branches = branches
        self.supports_masking = True

    # ------------------------------------------------------------------

    def _branch_inputs(self, inputs: Any) -> list[Any]:
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        split, start = [], 0
        for branch in self.branches:
            count = len(branch.inputs)
            part = flat[start : start + count]
            split.append(part[0] if count == 1 else part)
            start += count
        if start != len(flat):
            raise ValueError(
                f"Merge layer {self.name!r}: its {len(self.branches)} branch "
                f"models take {start} inputs. Received: {len(flat)} inputs"
            )
        return split

    def _check(self, inputs: Any) -> list[tf.Tensor]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"Merge layer {self.name!r} must be called on a list of at least "
                f"2 tensors. Received: {inputs!r}"
            )
        if self.mode in ("dot", "cos") and len(inputs) != 2:
            raise ValueError(
                f"Merge layer {self.name!r}: mode {self.mode!r} takes exactly 2 "
                f"inputs. Received: {len(inputs)} inputs"
            )
        return [tf.convert_to_tensor(x) for x in inputs]

    def call(self, inputs: Any, mask: Any = None) -> tf.Tensor:
        if self.branches is not None:
            inputs = [
                branch(part)
                for branch, part in zip(
                    self.branches, self._branch_inputs(inputs), strict=True
                )
            ]
            mask = None
        if callable(self.mode):
            arguments = dict(self.arguments)
            if "mask" in inspect.signature(self.mode).parameters:
                arguments["mask"] = mask
            return self.mode(list(inputs), **arguments)
        xs = self._check(inputs)
        if self.mode in ("sum", "ave"):
            out = tf.add_n(xs)
            return out / len(xs) if self.mode == "ave" else out
        if self.mode == "mul":
            out = xs[0]
            for x in xs[1:]:
                out = out * x
            return out
        if self.mode == "max":
            out = xs[0]
            for x in xs[1:]:
                out = tf.maximum(out, x)
            return out
        if self.mode == "concat":
            return tf.concat(xs, axis=self.concat_axis)
        x, y = xs
        axes = _dot_axes(self.dot_axes, x.shape.rank, y.shape.rank)
        try:
            dot = batch_dot(x, y, axes)
            if self.mode == "dot":
                return dot
            norm = tf.sqrt(batch_dot(x, x, axes) * batch_dot(y, y, axes))
        except ValueError as error:
            raise ValueError(f"Merge layer {self.name!r}: {error}") from error
        cos = dot / tf.maximum(norm, tf.cast(_EPSILON, norm.dtype))
        return cos[:, tf.newaxis]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if self.branches is not None:
            mask = [
                _branch_mask(branch, part)
                for branch, part in zip(
                    self.branches, self._branch_inputs(inputs), strict=True
                )
            ]
            inputs = None
        if callable(self.mode):
            if callable(self.output_mask_arg):
                return self.output_mask_arg(mask)
            return self.output_mask_arg
        if mask is None or all(m is None for m in mask):
            return None
        if self.mode in ("dot", "cos"):
            return None
        if self.mode == "concat":
            if inputs is None:
                return None
            masks = []
            for x, m in zip(inputs, mask, strict=True):
                kept = tf.ones_like(x, dtype=tf.bool)
                if m is not None:
                    m = tf.cast(m, tf.bool)
                    while m.shape.rank < kept.shape.rank:
                        m = m[..., tf.newaxis]
                    kept = tf.logical_and(kept, m)
                masks.append(kept)
            return tf.reduce_all(tf.concat(masks, axis=self.concat_axis), axis=-1)
        return tf.reduce_all(
            tf.stack([tf.cast(m, tf.bool) for m in mask if m is not None]), axis=0
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.branches is not None:
            shapes = [tuple(branch.outputs[0].shape) for branch in self.branches]
        else:
            shapes = [tuple(shape) for shape in input_shape]
        if callable(self.mode):
            if callable(self.output_shape_arg):
                return tuple(self.output_shape_arg(shapes))
            if self.output_shape_arg is not None:
                return (shapes[0][0], *self.output_shape_arg)
            return self._traced_shape(shapes)
        if self.mode in ("sum", "mul", "ave", "max"):
            return shapes[0]
        if self.mode == "concat":
            out = list(shapes[0])
            axis = self.concat_axis % len(out)
            sizes = [shape[axis] for shape in shapes]
            out[axis] = None if None in sizes else sum(sizes)
            return tuple(out)
        first, second = list(shapes[0]), list(shapes[1])
        axes = _dot_axes(self.dot_axes, len(first), len(second))
        first.pop(axes[0])
        second.pop(axes[1])
        out = first + second[1:]
        if len(out) == 1:
            out.append(1)
        if self.mode == "cos":  # Keras 1 added an axis after the batch
            out.insert(1, 1)
        return tuple(out)

    def _traced_shape(self, shapes: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        """The output shape of a function `mode`, from tracing it."""

        def merged(*tensors: tf.Tensor) -> tf.Tensor:
            return self.call(list(tensors))

        specs = [tf.TensorSpec(shape, self.compute_dtype) for shape in shapes]
        traced = tf.function(merged).get_concrete_function(*specs)
        return tuple(traced.structured_outputs.shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        mode = self.mode
        if callable(mode):
            mode = _function_name(mode, self.name, "mode")
        config.update(
            {
                "mode": mode,
                "concat_axis": self.concat_axis,
                "dot_axes": self.dot_axes,
                "output_shape": self.output_shape_arg
                if not callable(self.output_shape_arg)
                else _function_name(self.output_shape_arg, self.name, "output_shape"),
                "output_mask": None
                if self.output_mask_arg is None
                else _function_name(self.output_mask_arg, self.name, "output_mask"),
                "arguments": self.arguments,
                "branches": None
                if self.branches is None
                else [
                    keras.saving.serialize_keras_object(branch)
                    for branch in self.branches
                ],
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Merge:
        config = dict(config)
        for key in ("output_shape", "output_mask"):
            if isinstance(config.get(key), str):
                config[key] = _registered_function(config[key], config.get("name"))
        return cls(**config)


def _branch_mask(branch: Any, inputs: Any) -> Any:
    try:
        return branch.compute_mask(inputs, None)
    except (NotImplementedError, AttributeError):
        return None


def _function_name(function: Any, layer: str, what: str) -> str:
    name = keras.saving.get_registered_name(function)
    if keras.saving.get_registered_object(name) is not function:
        raise ValueError(
            f"Merge layer {layer!r}: its `{what}` function cannot be saved. "
            "Register it with `@keras.saving.register_keras_serializable()` to "
            f"save the model. Received: {what}={function!r}"
        )
    return name


def _registered_function(name: Any, layer: Any) -> Callable[..., Any]:
    found = keras.saving.get_registered_object(name) if isinstance(name, str) else None
    if found is None:
        raise ValueError(
            f"Merge layer {layer!r}: {name!r} is neither a merge mode "
            f"({', '.join(MODES)}) nor a registered function. Received: {name!r}"
        )
    return found


# ----------------------------------------------------------------------
# The spec


def _mode(name: str, value: Any) -> Any:
    if (isinstance(value, str) and value in MODES) or (
        callable(value) and not isinstance(value, str)
    ):
        return value
    raise ValueError(
        f"`{name}` must be one of {', '.join(MODES)} or a function of the list "
        f"of inputs. Received: {name}={value!r}"
    )


def _axes(name: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(
                f"`{name}` must be an int or a pair of ints. Received: {name}={value!r}"
            )
        return [integer(-(2**31))(name, axis) for axis in value]
    return integer(-(2**31))(name, value)


def _branches(name: str, value: Any) -> Any:
    if value is None:
        return None
    if (
        not isinstance(value, (list, tuple))
        or len(value) < 2
        or not all(isinstance(item, keras.Model) for item in value)
    ):
        raise ValueError(
            f"`{name}` must be a list of at least 2 models (a Keras 1 Merge of "
            "branch models). To merge tensors, call `merge([x, y], mode=...)` "
            f"or `Merge(mode=...)([x, y])`. Received: {name}={value!r}"
        )
    return list(value)


def _no_indices(name: str, value: Any) -> None:
    if value is not None and any(index != 0 for index in value):
        raise ValueError(
            f"`{name}` other than the first node or tensor of each input cannot be "
            f"ported: merge the tensors themselves with `merge([...])`. "
            f"Received: {name}={value!r}"
        )


def _build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
    modern = dict(modern)
    for key in ("node_indices", "tensor_indices"):
        modern.pop(key)
    return Merge(branches=modern.pop("layers"), **modern, **base)


def _weights(layer: Any, arrays: list[Any], backend: str) -> list[Any]:
    if getattr(layer, "branches", None):
        raise ValueError(
            "Keras 1 saved the weights of a Merge's branch models layer by "
            "layer; set them on the branch layers. Received: "
            f"{len(arrays)} arrays for the Merge itself"
        )
    expect_count(arrays, (0,), "a Merge (no weights)")
    return []


def _read_config(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Reads a Merge config; a function never runs from its saved code."""
    config = dict(config)
    name = config.get("name")
    if config.pop("layers", None) is not None:
        raise ValueError(
            f"Merge layer {name!r} merges branch models: read the whole model "
            "config with keras_embedding.legacy.model_from_config. "
            "Received: a Merge config with `layers`"
        )
    mode_type = config.pop("mode_type", "raw")
    if mode_type != "raw":
        saved = config.get("mode")
        function = custom_objects.get(name)
        if function is None and mode_type == "function":
            function = custom_objects.get(saved) or keras.saving.get_registered_object(
                saved
            )
        if function is None:
            raise ValueError(
                f"Merge layer {name!r} merges with a Python function saved as "
                f"{'bytecode' if mode_type == 'lambda' else repr(saved)}, which "
                "is never executed. Supported modes: "
                f"{', '.join(MODES)}, or pass the function: "
                f'custom_objects={{"{name}": fn}}. Received: mode_type={mode_type!r}'
            )
        config["mode"] = function
    for key in ("output_shape", "output_mask"):
        kind = config.pop(f"{key}_type", "raw")
        if kind != "raw":
            config[key] = custom_objects.get(f"{name}.{key}")
    return MERGE.from_config(config)


MERGE = register(
    LayerSpec(
        "Merge",
        args=(
            Arg("layers", default=None, convert=_branches),
            Arg("mode", default="sum", convert=_mode),
            Arg("concat_axis", default=-1, convert=integer(-(2**31))),
            Arg("dot_axes", default=-1, convert=_axes),
            Arg("output_shape", default=None),
            Arg("output_mask", default=None),
            Arg("arguments", default=None),
            Arg("node_indices", default=None, convert=_no_indices),
            Arg("tensor_indices", default=None, convert=_no_indices),
        ),
        weights=_weights,
        build=_build,
        read_config=_read_config,
        becomes="keras_embedding Merge",
    ),
    Merge,
)
