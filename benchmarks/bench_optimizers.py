"""Benchmark (f): training ms/step against V, Keras optimizers vs lazy ones.

    python benchmarks/run.py --group optimizers [--quick] [--device /GPU:0]

The model is benchmark (d)'s: int32 ids (64x50) -> keras_embedding.Embedding
(V x 128) -> GlobalAveragePooling1D -> Dense(1), MSE, trained by `model.fit`
on a cached, repeated set of 8 uniform-id batches, `jit_compile=False`. Per
optimizer, one interleaved set times, at every V of the sweep:

- `keras`: the active Keras's optimizer (default arguments, but SGD with
  momentum 0.9);
- `lazy`: its `keras_embedding.optimizers` twin;

and for Adam also:

- `lazy_xla`: `LazyAdam` with `jit_compile=True`;
- `lazy_loop`: `LazyAdam` in a bare `tf.function` training loop (no `fit`),
  which shows how much of a step is `fit`'s own;
- `torch_sparse`: PyTorch `nn.Embedding(sparse=True)` + `SparseAdam` (and
  `Adam` for the head) in a bare loop, 2 threads, same batches;
- `torch_dense`: PyTorch `nn.Embedding` + `Adam`,

when torch can be imported. A sample is the ms/step over a short run of steps
(fit: from the end of the first step to the end of the last, as in (d));
each round takes one sample of every variant, in a rotated order; 2 warm-up
runs first. Times are medians over the rounds, with p25 and p75.

The verdicts and their metrics are fixed here, before any timing (`TARGETS`):
each compares two variants of the same set by the median over rounds of the
ratio of their ms/step within a round (a paired ratio), so a load change
during the run cancels out; p25 and p75 of that ratio are reported with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

# PyTorch is optional. When installed it must load before TensorFlow: its
# optimizers load Triton, and loading Triton's LLVM into a process that
# already holds TensorFlow's crashes it (segfault, torch 2.14 / TF 2.21).
try:
    import torch
    import torch._dynamo  # noqa: F401 - loads Triton now, before TensorFlow
except ImportError:
    torch = None

import numpy as np
import tensorflow as tf

from keras_embedding import Embedding, _compat, optimizers
from keras_embedding._compat import IS_KERAS3, keras

HERE = Path(__file__).resolve().parent

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
KERAS_CLASSES = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
# Default arguments, except SGD's momentum: plain SGD is already sparse in
# Keras 3 (and LazySGD() is exactly SGD); momentum is what makes it dense.
OPTIMIZER_ARGS: dict[str, dict[str, Any]] = {"sgd": {"momentum": 0.9}}
# Adam's main set adds PyTorch (when it imports); a second set times LazyAdam
# under XLA, in a bare loop and wrapped in loss scaling (ours, and on Keras 3
# Keras's own, whose finiteness check densifies the gradient).
ADAM_TORCH = ("torch_sparse", "torch_dense")
ADAM_VARIANTS = ("lazy_xla", "lazy_loop", "lazy_lso", "lazy_lso_keras")
DATA_BATCHES = 8
TORCH_THREADS = 2


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run measures, and how hard."""

    vocabs: tuple[int, ...]
    dim: int
    batch: int
    seq_len: int
    # The V = 1e7 point, at a smaller D, where memory allows.
    extra_vocab: int | None
    extra_dim: int
    rounds: int
    min_sample_s: float
    max_steps: int
    # Whether each set runs in a process of its own (see `run`).
    isolate: bool


FULL = Plan(
    vocabs=(10**3, 10**5, 10**6),
    dim=128,
    batch=64,
    seq_len=50,
    extra_vocab=10**7,
    extra_dim=32,
    rounds=11,
    min_sample_s=0.3,
    max_steps=40,
    isolate=True,
)
QUICK = Plan(
    vocabs=(100, 1000),
    dim=8,
    batch=4,
    seq_len=5,
    extra_vocab=None,
    extra_dim=8,
    rounds=2,
    min_sample_s=0.0,
    max_steps=3,
    isolate=False,
)


@dataclasses.dataclass(frozen=True)
class Target:
    """One verdict: `numerator / denominator` ms/step (paired) against a limit."""

    id: str
    what: str
    optimizer: str
    numerator: str
    denominator: str
    num_vocab: str  # "large" or "small": the plan's largest / smallest V
    den_vocab: str
    limit: float
    at_most: bool  # True: ratio <= limit; False: speedup >= limit


def _targets() -> list[Target]:
    targets = []
    for name in OPTIMIZERS:
        targets.append(
            Target(
                f"flat_{name}",
                f"lazy {name}: ms/step at the largest V / at the smallest V",
                name,
                "lazy",
                "lazy",
                "large",
                "small",
                2.0,
                True,
            )
        )
        targets.append(
            Target(
                f"speedup_{name}",
                f"Keras {name} ms/step / lazy {name} ms/step, largest V",
                name,
                "keras",
                "lazy",
                "large",
                "large",
                30.0 if name == "adam" else 10.0,
                False,
            )
        )
    targets.append(
        Target(
            "torch_adam",
            "LazyAdam in fit ms/step / torch SparseAdam loop ms/step, largest V",
            "adam",
            "lazy",
            "torch_sparse",
            "large",
            "large",
            1.0,
            True,
        )
    )
    return targets


TARGETS = _targets()


def torch_module(threads: int = TORCH_THREADS) -> Any:
    """PyTorch set to `threads` threads, or None where it is not installed."""
    if torch is not None:
        torch.set_num_threads(threads)
    return torch


def _batches(vocab: int, plan: Plan) -> tuple[Any, Any]:
    rng = np.random.RandomState(1234)
    rows = plan.batch * DATA_BATCHES
    ids = rng.randint(0, vocab, size=(rows, plan.seq_len)).astype("int32")
    return ids, rng.randn(rows, 1).astype("float32")


class _StepClock(keras.callbacks.Callback):
    """Wall time at the end of each training step (hooks run synchronously)."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[float] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.stamps = []

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        self.stamps.append(time.perf_counter())


def _optimizer(name: str, lazy: bool) -> Any:
    cls = KERAS_CLASSES[name]
    parent = (
        getattr(optimizers, "Lazy" + cls) if lazy else getattr(keras.optimizers, cls)
    )
    return parent(**OPTIMIZER_ARGS.get(name, {}))


def _model(vocab: int, dim: int, seq_len: int) -> Any:
    inputs = keras.Input((seq_len,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(Embedding(vocab, dim)(inputs))
    return keras.Model(inputs, keras.layers.Dense(1)(pooled))


class _Variant:
    """One thing to time: `run(steps)` returns ms/step of that many steps."""

    def run(self, steps: int) -> float:
        raise NotImplementedError


class _FitVariant(_Variant):
    def __init__(
        self, optimizer: Any, jit: bool, vocab: int, dim: int, plan: Plan
    ) -> None:
        ids, targets = _batches(vocab, plan)
        self.data = (
            tf.data.Dataset.from_tensor_slices((ids, targets))
            .batch(plan.batch, drop_remainder=True)
            .cache()
            .repeat()
        )
        self.model = _model(vocab, dim, plan.seq_len)
        self.model.compile(
            optimizer=optimizer,
            loss=keras.losses.MeanSquaredError(),
            jit_compile=jit,
        )
        self.clock = _StepClock()

    def run(self, steps: int) -> float:
        self.model.fit(
            self.data,
            epochs=1,
            steps_per_epoch=steps,
            verbose=0,
            shuffle=False,
            callbacks=[self.clock],
        )
        stamps = self.clock.stamps
        return 1e3 * (stamps[-1] - stamps[0]) / (len(stamps) - 1)


class _LoopVariant(_Variant):
    """LazyAdam in a bare `tf.function` loop: what `fit` adds, by difference."""

    def __init__(self, vocab: int, dim: int, plan: Plan) -> None:
        ids, targets = _batches(vocab, plan)
        self.batches = [
            (tf.constant(ids[i::DATA_BATCHES]), tf.constant(targets[i::DATA_BATCHES]))
            for i in range(DATA_BATCHES)
        ]
        model = _model(vocab, dim, plan.seq_len)
        optimizer = optimizers.LazyAdam()
        variables = model.trainable_variables

        @tf.function
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
            optimizer.apply_gradients(
                zip(tape.gradient(loss, variables), variables, strict=True)
            )
            return loss

        self.step = step
        self.count = 0

    def _one(self) -> tf.Tensor:
        x, y = self.batches[self.count % DATA_BATCHES]
        self.count += 1
        return self.step(x, y)

    def run(self, steps: int) -> float:
        self._one().numpy()
        start = time.perf_counter()
        for _ in range(steps - 1):
            loss = self._one()
        loss.numpy()
        return 1e3 * (time.perf_counter() - start) / (steps - 1)


class _TorchVariant(_Variant):
    """The same model in PyTorch: sparse embedding + SparseAdam, or dense Adam."""

    def __init__(
        self, torch: Any, sparse: bool, vocab: int, dim: int, plan: Plan, device: str
    ) -> None:
        self.torch = torch
        self.device = device
        ids, targets = _batches(vocab, plan)
        self.batches = [
            (
                torch.from_numpy(ids[i::DATA_BATCHES].astype("int64")).to(device),
                torch.from_numpy(targets[i::DATA_BATCHES]).to(device),
            )
            for i in range(DATA_BATCHES)
        ]
        self.embedding = torch.nn.Embedding(vocab, dim, sparse=sparse).to(device)
        self.head = torch.nn.Linear(dim, 1).to(device)
        if sparse:
            self.optimizers = [
                torch.optim.SparseAdam(self.embedding.parameters()),
                torch.optim.Adam(self.head.parameters()),
            ]
        else:
            self.optimizers = [
                torch.optim.Adam(
                    [*self.embedding.parameters(), *self.head.parameters()]
                )
            ]
        self.count = 0

    def _one(self) -> Any:
        x, y = self.batches[self.count % DATA_BATCHES]
        self.count += 1
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)
        loss = ((self.head(self.embedding(x).mean(dim=1)) - y) ** 2).mean()
        loss.backward()
        for optimizer in self.optimizers:
            optimizer.step()
        return loss

    def _sync(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def run(self, steps: int) -> float:
        self._one()
        self._sync()
        start = time.perf_counter()
        for _ in range(steps - 1):
            self._one()
        self._sync()
        return 1e3 * (time.perf_counter() - start) / (steps - 1)


def _build(
    kind: str, name: str, vocab: int, dim: int, plan: Plan, device: str, torch: Any
) -> _Variant:
    if kind.startswith("torch"):
        torch_device = "cuda" if "GPU" in device.upper() else "cpu"
        return _TorchVariant(
            torch, kind == "torch_sparse", vocab, dim, plan, torch_device
        )
    if kind == "lazy_loop":
        return _LoopVariant(vocab, dim, plan)
    optimizer = _optimizer(name, lazy=kind != "keras")
    if kind == "lazy_lso":
        optimizer = optimizers.LossScaleOptimizer(optimizer)
    elif kind == "lazy_lso_keras":
        optimizer = _compat.LossScaleOptimizer(optimizer)
    return _FitVariant(optimizer, kind == "lazy_xla", vocab, dim, plan)


def _sets(plan: Plan, torch: Any) -> list[tuple[str, str, list[str], tuple, int]]:
    """(set, optimizer, variant kinds, vocabs, dim) of each interleaved set."""
    sets = []
    for name in OPTIMIZERS:
        kinds = ["keras", "lazy"]
        if name == "adam" and torch is not None:
            kinds += ADAM_TORCH
        sets.append((name, name, kinds, plan.vocabs, plan.dim))
    variants = [
        k
        for k in ADAM_VARIANTS
        if k != "lazy_lso_keras" or _compat.LOSS_SCALE_CHECK_DENSIFIES
    ]
    sets.append(("adam_variants", "adam", ["lazy", *variants], plan.vocabs, plan.dim))
    return sets


def _table_bytes(kind: str, name: str, vocab: int, dim: int) -> int:
    """Rough peak bytes of one variant: table, slots and dense temporaries."""
    tables = {"sgd": 2, "adagrad": 2, "rmsprop": 2, "adam": 3}[name]
    # The initial value exists twice while the table is created; Keras's
    # dense updates hold a few whole-table temporaries.
    tables += 4 if kind in ("keras", "torch_dense") else 1
    return tables * vocab * dim * 4


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _steps(variant: _Variant, plan: Plan) -> int:
    """Steps per sample: enough for `min_sample_s`, within [3, max_steps]."""
    variant.run(3)
    ms = variant.run(3)
    wanted = math.ceil(plan.min_sample_s * 1e3 / max(ms, 1e-3)) + 1
    return min(plan.max_steps, max(3, wanted))


def time_set(
    variants: dict[Any, Callable[[], _Variant]],
    plan: Plan,
    log: Callable[[str], None],
) -> dict[Any, dict[str, Any]]:
    """Builds every variant, then samples them all in rotated rounds."""
    built = {key: make() for key, make in variants.items()}
    steps = {key: _steps(v, plan) for key, v in built.items()}
    samples: dict[Any, list[float]] = {key: [] for key in built}
    keys = list(built)
    for r in range(plan.rounds):
        shift = r % len(keys)
        for key in [*keys[shift:], *keys[:shift]]:
            samples[key].append(built[key].run(steps[key]))
        log(f"  round {r + 1}/{plan.rounds}")
    return {key: {"ms": samples[key], "steps": steps[key]} for key in built}


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(p: float) -> float:
        position = p * (len(ordered) - 1)
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return {"median": statistics.median(ordered), "p25": q(0.25), "p75": q(0.75)}


def _time_set_in_child(
    set_name: str,
    name: str,
    kinds: list[str],
    vocabs: tuple[int, ...],
    dim: int,
    plan: Plan,
    device: str,
    torch_threads: int,
) -> list[dict[str, Any]]:
    """One interleaved set, timed in this process; its result rows."""
    torch = torch_module(torch_threads)
    variants = {
        (kind, vocab): (
            lambda kind=kind, vocab=vocab: _build(
                kind, name, vocab, dim, plan, device, torch
            )
        )
        for vocab in vocabs
        for kind in kinds
    }
    with tf.device(device):
        timed = time_set(variants, plan, _log_to_stderr)
    return [
        {
            "set": set_name,
            "optimizer": name,
            "variant": kind,
            "vocab": vocab,
            "dim": dim,
            "steps_per_sample": t["steps"],
            "ms_samples": t["ms"],
            **{f"ms_{k}": v for k, v in _quantiles(t["ms"]).items()},
        }
        for (kind, vocab), t in timed.items()
    ]


def _log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    plan: Plan,
    device: str,
    log: Callable[[str], None],
    torch_threads: int = TORCH_THREADS,
) -> dict[str, Any]:
    """Times every optimizer set; returns rows of ms/step and the verdicts."""
    torch = torch_module(torch_threads)
    rows: list[dict[str, Any]] = []
    sets = _sets(plan, torch)
    skipped = []
    if plan.extra_vocab:
        vocab, dim = plan.extra_vocab, plan.extra_dim
        budget = 0.7 * _available_bytes()
        for name in OPTIMIZERS:
            # In order of interest; the least interesting go first when the
            # whole set would not fit in memory.
            kinds = ["lazy", "keras", "torch_sparse" if name == "adam" else ""]
            kinds = [k for k in kinds if k and (torch is not None or "torch" not in k)]
            while (
                kinds and sum(_table_bytes(k, name, vocab, dim) for k in kinds) > budget
            ):
                skipped.append(
                    {"optimizer": name, "variant": kinds.pop(), "vocab": vocab}
                )
            if kinds:
                sets.append((f"{name}_V{vocab:.0e}", name, kinds, (vocab,), dim))
    failed = []
    # Each set runs in a fresh process: memory a set's tables leave behind
    # (the allocator keeps much of it) cannot crowd the next set, and a set
    # that dies (out of memory) costs only its own rows.
    spawn = multiprocessing.get_context("spawn")
    for set_name, name, kinds, vocabs, dim in sets:
        log(f"set {set_name}, D={dim}: {kinds} at V={vocabs}")
        if not plan.isolate:
            rows += _time_set_in_child(
                set_name, name, kinds, vocabs, dim, plan, device, torch_threads
            )
            continue
        try:
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                job = pool.submit(
                    _time_set_in_child,
                    set_name,
                    name,
                    kinds,
                    vocabs,
                    dim,
                    plan,
                    device,
                    torch_threads,
                )
                rows += job.result()
        except BrokenProcessPool:
            log(f"set {set_name} died (out of memory?); its rows are missing")
            failed.append(set_name)
    results = {
        "plan": dataclasses.asdict(plan),
        "torch": getattr(torch, "__version__", None),
        "torch_threads": torch_threads if torch is not None else None,
        "skipped_for_memory": skipped,
        "failed_sets": failed,
        "rows": rows,
    }
    results["targets"] = verdicts(results)
    results["ratios"] = ratios(results)
    return results


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target's paired ratio (median, p25, p75) and whether it is met."""
    plan = results["plan"]
    dim = plan["dim"]
    vocab = {"large": max(plan["vocabs"]), "small": min(plan["vocabs"])}
    index = {
        (r["set"], r["variant"], r["vocab"], r["dim"]): r["ms_samples"]
        for r in results["rows"]
    }
    out = []
    for t in TARGETS:
        # Each target compares variants of its optimizer's main set.
        top = index.get((t.optimizer, t.numerator, vocab[t.num_vocab], dim))
        bottom = index.get((t.optimizer, t.denominator, vocab[t.den_vocab], dim))
        entry = {**dataclasses.asdict(t), "value": None, "p25": None, "p75": None}
        entry["met"] = None
        if top and bottom:
            stats = _paired(top, bottom)
            entry.update(value=stats["median"], p25=stats["p25"], p75=stats["p75"])
            value = stats["median"]
            entry["met"] = value <= t.limit if t.at_most else value >= t.limit
        out.append(entry)
    return out


def _paired(top: list[float], bottom: list[float]) -> dict[str, float]:
    """Quantiles over rounds of the within-round ratio `top / bottom`."""
    return _quantiles([a / b for a, b in zip(top, bottom, strict=True)])


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every variant's ms/step over the lazy one's, same set and point (paired)."""
    lazy = {
        (r["set"], r["vocab"]): r["ms_samples"]
        for r in results["rows"]
        if r["variant"] == "lazy"
    }
    out = []
    for r in results["rows"]:
        base = lazy.get((r["set"], r["vocab"]))
        if r["variant"] != "lazy" and base:
            out.append(
                {
                    "set": r["set"],
                    "variant": r["variant"],
                    "vocab": r["vocab"],
                    "dim": r["dim"],
                    **_paired(r["ms_samples"], base),
                }
            )
    return out


def markdown(results: dict[str, Any], flavour: str) -> str:
    """The verdicts, the ms/step table and the ratios to lazy, as Markdown."""
    lines = [f"#### Optimizers ({flavour}): verdicts", ""]
    lines += ["| target | limit | value (p25–p75) | met |", "|---|---|---|---|"]
    for t in results["targets"]:
        limit = ("<= " if t["at_most"] else ">= ") + f"{t['limit']:g}"
        if t["value"] is None:
            lines.append(f"| {t['what']} | {limit} | - | - |")
            continue
        met = "yes" if t["met"] else "**no**"
        lines.append(
            f"| {t['what']} | {limit} | {t['value']:.3g} "
            f"({t['p25']:.3g}–{t['p75']:.3g}) | {met} |"
        )
    lines += ["", f"#### Optimizers ({flavour}): ms/step, median (p25–p75)", ""]
    kinds = sorted({r["variant"] for r in results["rows"]}, key=_kind_order)
    lines += ["| set | V | D | " + " | ".join(kinds) + " |"]
    lines += ["|---|---|---|" + "---|" * len(kinds)]
    by_point: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = {}
    for r in results["rows"]:
        by_point.setdefault((r["set"], r["vocab"], r["dim"]), {})[r["variant"]] = r
    for (set_name, vocab, dim), found in by_point.items():
        cells = [
            "-"
            if (r := found.get(kind)) is None
            else f"{r['ms_median']:.3g} ({r['ms_p25']:.3g}–{r['ms_p75']:.3g})"
            for kind in kinds
        ]
        lines.append(f"| {set_name} | {vocab:.0e} | {dim} | {' | '.join(cells)} |")
    lines += [
        "",
        f"#### Optimizers ({flavour}): ms/step over lazy's, same set and V, "
        "paired median (p25–p75)",
        "",
        "| set | variant | " + " | ".join(f"V={v:.0e}" for v in _vocabs(results)),
        "|---|---|" + "---|" * len(_vocabs(results)),
    ]
    table: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for r in results["ratios"]:
        table.setdefault((r["set"], r["variant"]), {})[r["vocab"]] = r
    for (set_name, kind), found in table.items():
        cells = [
            "-"
            if (r := found.get(v)) is None
            else f"{r['median']:.3g} ({r['p25']:.3g}–{r['p75']:.3g})"
            for v in _vocabs(results)
        ]
        lines.append(f"| {set_name} | {kind} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def _vocabs(results: dict[str, Any]) -> list[int]:
    return sorted({r["vocab"] for r in results["rows"]})


def _kind_order(kind: str) -> int:
    order = ["keras", "lazy", *ADAM_TORCH, *ADAM_VARIANTS]
    return order.index(kind) if kind in order else len(order)


def plot(results: dict[str, Any], path: str, flavour: str) -> None:
    """Log-log ms/step against V, one panel per optimizer, p25–p75 as bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(OPTIMIZERS), figsize=(4 * len(OPTIMIZERS), 3.8))
    dim = results["plan"]["dim"]
    for ax, name in zip(axes, OPTIMIZERS, strict=True):
        # The variants set repeats `lazy`; its own line comes from the main set.
        rows = [
            r
            for r in results["rows"]
            if r["optimizer"] == name
            and not (r["set"] == "adam_variants" and r["variant"] == "lazy")
        ]
        lines = sorted({(r["variant"], r["dim"]) for r in rows})
        for kind, d in sorted(lines, key=lambda k: (k[1] != dim, _kind_order(k[0]))):
            points = sorted(
                (r["vocab"], r["ms_median"], r["ms_p25"], r["ms_p75"])
                for r in rows
                if (r["variant"], r["dim"]) == (kind, d)
            )
            v, m, lo, hi = (np.array(x) for x in zip(*points, strict=True))
            ax.errorbar(
                v,
                m,
                yerr=[m - lo, hi - m],
                fmt="-o" if d == dim else "s",
                label=kind if d == dim else f"{kind}, D={d}",
                ms=4,
                capsize=2,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{name} (D={dim})")
        ax.set_xlabel("V (rows)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("ms / training step")
    fig.suptitle(
        f"Training ms/step against vocabulary size, {flavour} (median, p25–p75)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """`run.py --group optimizers`: runs, writes JSON (+ plot, table), prints."""
    suffix = "" if IS_KERAS3 else "_tf_keras"
    parser = argparse.ArgumentParser(
        prog="run.py --group optimizers", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny, for tests")
    parser.add_argument(
        "--out",
        default=str(HERE / f"optimizers{suffix}.json"),
        help=f"results JSON (default: benchmarks/optimizers{suffix}.json)",
    )
    parser.add_argument(
        "--plot",
        nargs="?",
        const=str(HERE / f"optimizers{suffix}.png"),
        help=f"write the plot (default: benchmarks/optimizers{suffix}.png)",
    )
    parser.add_argument("--table", help="write the Markdown tables to this path")
    parser.add_argument("--device", default="/CPU:0", help="e.g. /CPU:0 or /GPU:0")
    parser.add_argument("--vocabs", type=int, nargs="+", help="override the V sweep")
    parser.add_argument("--rounds", type=int, help="override the rounds")
    parser.add_argument(
        "--no-extra", action="store_true", help="skip the V=1e7, D=32 point"
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=TORCH_THREADS,
        help=f"PyTorch intra-op threads (default {TORCH_THREADS})",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.vocabs:
        plan = dataclasses.replace(plan, vocabs=tuple(args.vocabs))
    if args.rounds:
        plan = dataclasses.replace(plan, rounds=args.rounds)
    if args.no_extra:
        plan = dataclasses.replace(plan, extra_vocab=None)
    start = time.perf_counter()

    def log(message: str) -> None:
        print(
            f"[{time.perf_counter() - start:7.1f}s] {message}",
            file=sys.stderr,
            flush=True,
        )

    flavour = "Keras 3" if IS_KERAS3 else "tf_keras"
    meta = {
        "flavour": flavour,
        "keras_version": keras.__version__,
        "tf_version": tf.__version__,
        "device": args.device,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_start": os.getloadavg(),
        "memory_available_bytes": _available_bytes(),
        "targets_declared": [dataclasses.asdict(t) for t in TARGETS],
    }
    log("verdicts, declared before timing: " + "; ".join(t.what for t in TARGETS))
    results = {"meta": meta, **run(plan, args.device, log, args.torch_threads)}
    meta["load_average_end"] = os.getloadavg()
    meta["duration_s"] = time.perf_counter() - start
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    table = markdown(results, flavour)
    if args.table:
        Path(args.table).write_text(table)
    if args.plot:
        plot(results, args.plot, flavour)
    print(table)
    missed = [t["id"] for t in results["targets"] if t["met"] is False]
    print(f"targets missed: {', '.join(missed) or 'none'}", file=sys.stderr)
    return 0
