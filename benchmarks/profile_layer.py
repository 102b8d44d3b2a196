"""Where the time of keras_embedding's lookup goes: op-level sub-step timings.

Usage:
    python benchmarks/profile_layer.py [--out benchmarks/profile.json]
                                       [--device /CPU:0] [--rounds 31]

Times, interleaved at the target shape (V=1e6, D=128, ids 64x50), the pieces
of the layer's call (index check, dropout hash, step counter, the scaling
multiply) next to the layer itself and `tf.gather`, counts the graph ops of
each, and measures the cost of one more tiny op in the TF executor. Two
proposals are timed alongside: a cheaper hash, and the gather and dropout
multiply fused by a nested XLA function (forward and SGD step). Then
shows TF's copy-on-read mode: once any sparse op (`ResourceGather`,
`scatter_*`) has touched a variable, every dense write to it and every full
read of it copies the whole table. That explains the Keras 3 `Embedding` +
sparse optimizer and keras_embedding + Adam results of `run.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorflow as tf
from bench_cases import DROPOUT, SEED
from bench_report import net_ratio, paired_ratio
from bench_timing import interleave

from keras_embedding import Embedding
from keras_embedding._compat import StepCounter
from keras_embedding.row_dropout import int64_seed, row_keep_scale

HERE = Path(__file__).resolve().parent
VOCAB, DIM, BATCH, SEQ_LEN = 10**6, 128, 64, 50
# Length of the chain of trivial ops whose per-op cost is measured.
CHAIN = 32


def _fn(body: Callable[..., Any]) -> Any:
    return tf.function(body, autograph=False)


def _op_count(fn: Any, *args: Any) -> int:
    """Graph ops of the traced function, placeholders and identities excluded."""
    graph = fn.get_concrete_function(*args).graph
    skip = {"Placeholder", "Identity", "NoOp", "Const"}
    return sum(op.type not in skip for op in graph.get_operations())


def splitmix64_keep_scale(ids: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
    """A cheaper row hash, timed here as a proposal for `row_dropout`.

    SplitMix64's finaliser on `id * golden + step * K + seed` in wrapping
    uint64 arithmetic: one keyed 64-bit mix per id in about half the ops of
    the current two 32-bit mixes plus per-step key derivation.
    """

    def u64(value: int) -> tf.Tensor:
        return tf.constant(value, tf.uint64)

    def xorshift(x: tf.Tensor, bits: int) -> tf.Tensor:
        return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, u64(bits)))

    key = tf.cast(step, tf.uint64) * u64(0xD1B54A32D192ED03) + u64(SEED)
    x = tf.cast(ids, tf.uint64) * u64(0x9E3779B97F4A7C15) + key
    x = xorshift(x, 30) * u64(0xBF58476D1CE4E5B9)
    x = xorshift(x, 27) * u64(0x94D049BB133111EB)
    keep = xorshift(x, 31) >= u64(int(DROPOUT * 2**64))
    return tf.where(keep, tf.constant(1.0 / (1.0 - DROPOUT)), tf.constant(0.0))


def substeps(device: str, rounds: int, min_sample_s: float) -> dict[str, Any]:
    """Sub-step timings of the forward pass at the target shape."""
    with tf.device(device):
        rng = tf.random.Generator.from_seed(SEED)
        ids = rng.uniform((BATCH, SEQ_LEN), 0, VOCAB, dtype=tf.int32)

        # One table per variant: a shared one would carry the copy-on-read
        # mode and the updates of one variant into the others' times.
        def new_table() -> tf.Variable:
            return tf.Variable(rng.uniform((VOCAB, DIM), -0.05, 0.05))

        def new_layer() -> Embedding:
            layer = Embedding(VOCAB, DIM, dropout=DROPOUT, seed=SEED)
            layer.build((BATCH, SEQ_LEN))
            return layer

        gather_table, fused_table, nested_table, plain_table = (
            new_table() for _ in range(4)
        )
        inference_layer, training_layer = new_layer(), new_layer()
        counter = StepCounter(int64_seed(SEED))
        rows = tf.gather(new_table(), ids)
        scale = row_keep_scale(ids, DROPOUT, SEED, tf.constant(0, tf.int64))
        step = tf.constant(7, tf.int64)

        # Proposal: fuse the dropout multiply into the gather with a nested
        # XLA function, so the output is written once instead of twice.
        fused = tf.function(
            lambda x, s: tf.gather(fused_table, x) * s[..., tf.newaxis],
            jit_compile=True,
            autograph=False,
        )

        def nested_xla_dropout(x: tf.Tensor, s: tf.Tensor) -> tf.Tensor:
            return fused(x, row_keep_scale(x, DROPOUT, SEED, s))

        nested_fused = tf.function(
            lambda x, s: tf.gather(nested_table, x) * s[..., tf.newaxis],
            jit_compile=True,
            autograph=False,
        )

        def nested_xla_step(x: tf.Tensor, s: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                scale_ = row_keep_scale(x, DROPOUT, SEED, s)
                loss = tf.reduce_sum(nested_fused(x, scale_))
            grad = tape.gradient(loss, nested_table)
            if not isinstance(grad, tf.IndexedSlices):
                raise AssertionError(f"dense gradient: {type(grad).__name__}")
            nested_table.scatter_sub(tf.IndexedSlices(0.01 * grad.values, grad.indices))
            return loss

        def plain_step(x: tf.Tensor, s: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                scale_ = row_keep_scale(x, DROPOUT, SEED, s)
                loss = tf.reduce_sum(
                    tf.gather(plain_table, x) * scale_[..., tf.newaxis]
                )
            grad = tape.gradient(loss, plain_table)
            plain_table.scatter_sub(tf.IndexedSlices(0.01 * grad.values, grad.indices))
            return loss

        def chain(x: tf.Tensor) -> tf.Tensor:
            # xor with a shift of itself: grappler cannot fold this chain into
            # one op, as it does with a chain of constant adds.
            for _ in range(CHAIN // 2):
                x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 1))
            return x

        fns = {
            "call_overhead": (_fn(lambda x: x[0, 0]), (ids,)),
            "gather": (_fn(lambda x: tf.gather(gather_table, x)), (ids,)),
            "layer_no_dropout": (
                _fn(lambda x: inference_layer(x, training=False)),
                (ids,),
            ),
            "layer_dropout": (
                _fn(lambda x: training_layer(x, training=True)),
                (ids,),
            ),
            "index_check_only": (_fn(inference_layer._assert_in_range), (ids,)),
            "dropout_hash_only": (
                _fn(lambda x, s: row_keep_scale(x, DROPOUT, SEED, s)),
                (ids, step),
            ),
            "proposed_splitmix64_hash": (_fn(splitmix64_keep_scale), (ids, step)),
            "step_counter_only": (_fn(counter.next), ()),
            "scale_multiply_only": (
                _fn(lambda r, s: r * s[..., tf.newaxis]),
                (rows, scale),
            ),
            f"chain_of_{CHAIN}_int_ops": (_fn(chain), (ids,)),
            "proposed_nested_xla_dropout": (_fn(nested_xla_dropout), (ids, step)),
            "sgd_step_dropout_as_layer": (_fn(plain_step), (ids, step)),
            "proposed_sgd_step_nested_xla": (_fn(nested_xla_step), (ids, step)),
        }
        calls = {
            name: (lambda _, fn=fn, args=args: fn(*args))
            for name, (fn, args) in fns.items()
        }
        timings = interleave(calls, rounds, min_sample_s)
    overhead = timings["call_overhead"].per_call_s
    gather = timings["gather"].per_call_s
    out: dict[str, Any] = {"shape": [VOCAB, DIM, BATCH, SEQ_LEN], "substeps": {}}
    for name, t in timings.items():
        fn, args = fns[name]
        out["substeps"][name] = {
            "median_ms": t.median_s * 1e3,
            "net_of_call_ms": (t.median_s - timings["call_overhead"].median_s) * 1e3,
            "ratio_to_gather": paired_ratio(t.per_call_s, gather),
            "net_ratio_to_gather": net_ratio(t.per_call_s, gather, overhead),
            "graph_ops": _op_count(fn, *args),
        }
    chain_net = out["substeps"][f"chain_of_{CHAIN}_int_ops"]["net_of_call_ms"]
    out["executor_us_per_small_op"] = chain_net * 1e3 / CHAIN
    return out


def copy_on_read(device: str, rounds: int, min_sample_s: float) -> dict[str, Any]:
    """Cost of TF's copy-on-read mode on a V x D table.

    `fresh` has never seen a sparse op; `sparse_touched` has had one
    `ResourceGather` (what `tf.gather(variable, ids)` and keras_embedding run),
    which permanently switches it to copy-on-read. Then:
    - a dense `assign_sub` (what Adam does to the table) copies the table first;
    - `ReadVariableOp` + `GatherV2` (what Keras 3's `ops.take` runs) copies it.
    """
    with tf.device(device):
        rng = tf.random.Generator.from_seed(SEED)
        ids = rng.uniform((BATCH, SEQ_LEN), 0, VOCAB, dtype=tf.int32)
        fresh = tf.Variable(tf.zeros((VOCAB, DIM)))
        touched = tf.Variable(tf.zeros((VOCAB, DIM)))
        tf.gather(touched, ids[:1, :1])
        delta = tf.fill((VOCAB, DIM), 1e-6)

        def dense_write(var: tf.Variable) -> Callable[[int], Any]:
            fn = _fn(lambda d: var.assign_sub(d).read_value()[:1, :1])
            return lambda _: fn(delta)

        def read_then_gather(var: tf.Variable) -> Callable[[int], Any]:
            fn = _fn(lambda x: tf.gather(tf.convert_to_tensor(var), x))
            return lambda _: fn(ids)

        calls = {
            "dense_assign_sub_fresh": dense_write(fresh),
            "dense_assign_sub_sparse_touched": dense_write(touched),
            "read_gather_fresh": read_then_gather(fresh),
            "read_gather_sparse_touched": read_then_gather(touched),
        }
        timings = interleave(calls, rounds, min_sample_s)
    copy = {name: t.median_s * 1e3 for name, t in timings.items()}
    return {
        "table_mb": VOCAB * DIM * 4 / 1e6,
        "median_ms": copy,
        "assign_sub_slowdown": paired_ratio(
            timings["dense_assign_sub_sparse_touched"].per_call_s,
            timings["dense_assign_sub_fresh"].per_call_s,
        ),
        "read_gather_slowdown": paired_ratio(
            timings["read_gather_sparse_touched"].per_call_s,
            timings["read_gather_fresh"].per_call_s,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(HERE / "profile.json"))
    parser.add_argument("--device", default="/CPU:0")
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args(argv)
    results = {
        "forward": substeps(args.device, args.rounds, 0.02),
        "copy_on_read": copy_on_read(args.device, max(5, args.rounds // 3), 0.0),
    }
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    json.dump(results, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
