"""Keras 1 `keras.layers.recurrent`: SimpleRNN, GRU and LSTM.

Each becomes the modern layer of the same name, set to compute what Keras 1
computed:

- the gates use Keras 1's `inner_activation`, `hard_sigmoid` by default,
  which is `clip(0.2 x + 0.5, 0, 1)` (Keras 3's `'hard_sigmoid'` differs);
- a GRU applies its reset gate before the recurrent matmul
  (`reset_after=False`);
- the layer never runs on cuDNN, which writes zeros at masked steps where
  Keras 1 repeated the previous output: both flavours take the cuDNN path
  only for Keras's own `sigmoid` gates, which `activations.recurrent` never
  hands over (so a reloaded file stays off cuDNN too), and Keras 3 also gets
  `use_cudnn=False`;
- with `consume_less` 'cpu' or 'mem' (the default), Keras 1.2.2 initialised
  each gate's recurrent matrix with `init` rather than `inner_init` and
  penalised it with `W_regularizer`, ignoring `U_regularizer` (measured);
  both are kept, and each gate's block is drawn on its own as in Keras 1.

Keras 1 saved an LSTM with 'cpu' or 'mem' as 12 arrays, `(W, U, b)` for the
gates in the order i, c, f, o, and a GRU as 9, for z, r, h; with 'gpu' as 3
fused arrays already in the modern gate order (i, f, c, o and z, r, h).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding import _compat
from keras_embedding._compat import keras, register_serializable
from keras_embedding.keras1 import initializations
from keras_embedding.keras1.layers._args import (
    activation,
    ignored_rate,
    initializer,
    input_dim_arg,
    input_length_arg,
    recurrent_activation,
    regularizer,
    sequence_shape,
)
from keras_embedding.keras1.layers._base import expect_count, origin, register
from keras_embedding.keras1.specs import Arg, LayerSpec, boolean, choice, integer, rate


@register_serializable
class GateInitializer(keras.initializers.Initializer):
    """Draws each gate's block of a fused weight on its own, as Keras 1 did.

    Keras 1 kept one matrix per gate; the modern layer concatenates them
    along the last axis. A fan-based initialization of the fused matrix
    would see a fan-out several times too large.

    Args:
        inits: One initializer per gate, in the modern gate order; anything
            `keras_embedding.keras1.initializations.get` accepts.
    """

    def __init__(self, inits: Sequence[Any]) -> None:
        if not isinstance(inits, (list, tuple)) or not inits:
            raise ValueError(
                "GateInitializer needs a non-empty list of initializers. "
                f"Received: inits={inits!r}"
            )
        self.inits = [initializations.get(init) for init in inits]

    def __call__(self, shape: Sequence[int], dtype: Any = None, **kwargs: Any) -> Any:
        """Returns the fused weight: one block per gate along the last axis.

        Args:
            shape: The fused shape; its last dimension is divisible by the
                number of gates.
            dtype: Optional float dtype.
            **kwargs: Ignored (tf_keras partition information).

        Returns:
            A tensor of `shape`.
        """
        shape = tuple(int(dim) for dim in shape)
        gates = len(self.inits)
        if not shape or shape[-1] % gates:
            raise ValueError(
                f"GateInitializer: the last dimension of {shape} does not split "
                f"into {gates} gates. Received: shape={shape}"
            )
        block = (*shape[:-1], shape[-1] // gates)
        dtype = dtype or keras.backend.floatx()
        return tf.concat(
            [tf.cast(init(block, dtype=dtype), dtype) for init in self.inits], -1
        )

    def get_config(self) -> dict[str, Any]:
        return {"inits": [keras.initializers.serialize(init) for init in self.inits]}


def _is_keras1(init: Any, name: str) -> bool:
    return isinstance(init, initializations.Keras1Initializer) and init.init == name


def _recurrent_args(gated: bool, forget_bias: bool) -> tuple[Arg, ...]:
    """The arguments of a Keras 1 recurrent layer, in Keras 1 order."""
    layer_args = [
        Arg("output_dim", "units", convert=integer(1)),
        Arg("init", "kernel_initializer", "glorot_uniform", initializer),
        Arg("inner_init", "recurrent_initializer", "orthogonal", initializer),
    ]
    if forget_bias:
        layer_args.append(Arg("forget_bias_init", default="one", convert=initializer))
    layer_args.append(Arg("activation", default="tanh", convert=activation))
    if gated:
        layer_args.append(
            Arg(
                "inner_activation",
                "recurrent_activation",
                "hard_sigmoid",
                recurrent_activation,
            )
        )
    layer_args += [
        Arg("W_regularizer", "kernel_regularizer", None, regularizer),
        Arg("U_regularizer", "recurrent_regularizer", None, regularizer),
        Arg("b_regularizer", "bias_regularizer", None, regularizer),
        Arg("dropout_W", "dropout", 0.0, rate, ignored_rate("recurrent layer")),
        Arg(
            "dropout_U",
            "recurrent_dropout",
            0.0,
            rate,
            ignored_rate("recurrent layer"),
        ),
    ]
    # Keras 1's `Recurrent` base took these through **kwargs.
    base_args = [
        Arg("weights", default=None, keyword_only=True),
        Arg("return_sequences", default=False, convert=boolean, keyword_only=True),
        Arg("go_backwards", default=False, convert=boolean, keyword_only=True),
        Arg("stateful", default=False, convert=boolean, keyword_only=True),
        Arg("unroll", default=False, convert=boolean, keyword_only=True),
        Arg(
            "consume_less",
            default="cpu",
            convert=choice({"cpu": "cpu", "mem": "mem", "gpu": "gpu"}),
            keyword_only=True,
        ),
        input_dim_arg(keyword_only=True),
        input_length_arg(keyword_only=True),
    ]
    return (*layer_args, *base_args)


def _recurrent_builder(cls: type, gates: int) -> Any:
    def build(modern: dict[str, Any], base: dict[str, Any]) -> Any:
        modern = dict(modern)
        for key in ("input_dim", "input_length"):
            modern.pop(key)
        fused = modern.pop("consume_less") == "gpu"
        kwargs: dict[str, Any] = {}
        if gates > 1:
            init = modern.pop("kernel_initializer")
            inner = modern.pop("recurrent_initializer")
            if fused:
                kwargs["kernel_initializer"] = init
                kwargs["recurrent_initializer"] = inner
            else:
                kwargs["kernel_initializer"] = GateInitializer([init] * gates)
                kwargs["recurrent_initializer"] = GateInitializer([init] * gates)
                if modern["recurrent_regularizer"] is not None:
                    warnings.warn(
                        f"{base['name']}: Keras 1.2.2 ignored `U_regularizer` with "
                        "consume_less='cpu' or 'mem' and penalised the recurrent "
                        "weights with `W_regularizer` instead; the port does the "
                        "same. Use consume_less='gpu' for `U_regularizer` to apply.",
                        stacklevel=5,
                    )
                modern["recurrent_regularizer"] = modern["kernel_regularizer"]
            kwargs.update(_compat.NO_CUDNN)
        if "forget_bias_init" in modern:
            forget = modern.pop("forget_bias_init")
            if _is_keras1(forget, "one"):
                kwargs["unit_forget_bias"] = True
            else:
                zero = initializations.get("zero")
                kwargs["unit_forget_bias"] = False
                kwargs["bias_initializer"] = GateInitializer([zero, forget, zero, zero])
        if cls is keras.layers.GRU:
            kwargs["reset_after"] = False
        return cls(**modern, **kwargs, **base)

    return build


def _stack(arrays: Sequence[np.ndarray], order: Sequence[int]) -> list[np.ndarray]:
    """Fuses per-gate `(W, U, b)` triples, in Keras 1 order, into the modern
    `[kernel, recurrent_kernel, bias]`, taking the gates in `order`."""
    triples = [arrays[3 * gate : 3 * gate + 3] for gate in order]
    return [
        np.concatenate([triple[part] for triple in triples], axis=-1)
        for part in range(3)
    ]


def _gated_weights(per_gate_order: Sequence[int], what: str) -> Any:
    gates = len(per_gate_order)

    def convert(layer: Any, arrays: list[np.ndarray], backend: str) -> list[np.ndarray]:
        expect_count(arrays, (3, 3 * gates), what)
        if len(arrays) == 3:  # consume_less='gpu': already fused, modern order
            return list(arrays)
        return _stack(arrays, per_gate_order)

    return convert


def _gated_count(gates: int) -> Any:
    def count(layer: Any, trainable_only: bool) -> int:
        found = origin(layer)
        fused = found is not None and found.values["consume_less"] == "gpu"
        return 3 if fused else 3 * gates

    return count


def _simple_weights(
    layer: Any, arrays: list[np.ndarray], backend: str
) -> list[np.ndarray]:
    expect_count(arrays, (3,), "a SimpleRNN (W, U, b)")
    return list(arrays)


SIMPLE_RNN = register(
    LayerSpec(
        "SimpleRNN",
        args=_recurrent_args(gated=False, forget_bias=False),
        weights=_simple_weights,
        build=_recurrent_builder(keras.layers.SimpleRNN, gates=1),
        input_shape=sequence_shape,
        becomes="SimpleRNN",
    ),
    keras.layers.SimpleRNN,
)

GRU = register(
    LayerSpec(
        "GRU",
        args=_recurrent_args(gated=True, forget_bias=False),
        # Keras 1 saves z, r, h: the modern order.
        weights=_gated_weights((0, 1, 2), "a GRU (W, U, b per gate z, r, h, or fused)"),
        build=_recurrent_builder(keras.layers.GRU, gates=3),
        count=_gated_count(3),
        input_shape=sequence_shape,
        becomes="GRU(reset_after=False), Keras 1 gate activation, no cuDNN",
    ),
    keras.layers.GRU,
)

LSTM = register(
    LayerSpec(
        "LSTM",
        args=_recurrent_args(gated=True, forget_bias=True),
        # Keras 1 saves the gates i, c, f, o; the modern order is i, f, c, o.
        weights=_gated_weights(
            (0, 2, 1, 3), "an LSTM (W, U, b per gate i, c, f, o, or fused)"
        ),
        build=_recurrent_builder(keras.layers.LSTM, gates=4),
        count=_gated_count(4),
        input_shape=sequence_shape,
        becomes="LSTM, Keras 1 gate activation, no cuDNN",
    ),
    keras.layers.LSTM,
)
