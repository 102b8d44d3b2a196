"""Benchmarks keras_embedding.Embedding against tf.gather, Keras and Keras 1.

Usage:
    python benchmarks/run.py [--quick] [--out results.json] [--plot [PNG]]
                             [--table MD] [--device /CPU:0|/GPU:0]

Runs, for every table size of the sweep, the groups of `bench_cases` (and
their XLA twins), then `model.fit` per optimizer (`bench_fit`), then copy and
lookup bandwidth; writes everything, with per-round samples and the verdict on
each of issue 3's targets, to one JSON file. `TF_USE_LEGACY_KERAS=1` runs it
against tf_keras. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_optimizers
import bench_report
import tensorflow as tf
from bench_cases import GROUPS, OVERHEAD, XLA_SUFFIX, LookupCase, Shape
from bench_fit import LAYERS, OPTIMIZERS, fit_benchmark
from bench_timing import interleave

from keras_embedding._compat import IS_KERAS3, keras

HERE = Path(__file__).resolve().parent
# Issue 3 wants (b) and (c) flat in V; tf.gather is timed alongside to show
# how much of any growth is the memory system's rather than the layer's.
FLAT_GROUPS = ("b_dropout_forward", "c_sgd_step")
FLAT_VARIANTS = ("gather", "keras_embedding_dropout")


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run measures, and how hard."""

    vocabs: tuple[int, ...]
    dims: tuple[int, ...]
    batch: int
    seq_len: int
    target_vocab: int
    target_dim: int
    fit_vocabs: tuple[int, ...]
    bandwidth_batch: int
    copy_bytes: int
    rounds: int
    min_sample_s: float
    fit_rounds: int
    fit_min_sample_s: float
    fit_max_steps: int

    def shapes(self) -> list[Shape]:
        """Every lookup shape: the sweep plus the target point."""
        points = {(v, d) for v in self.vocabs for d in self.dims}
        points.add((self.target_vocab, self.target_dim))
        return [Shape(v, d, self.batch, self.seq_len) for v, d in sorted(points)]


FULL = Plan(
    vocabs=(10**3, 10**4, 10**5, 10**6),
    dims=(64, 128, 256),
    batch=64,
    seq_len=50,
    target_vocab=10**6,
    target_dim=128,
    fit_vocabs=(10**3, 10**4, 10**5, 10**6),
    bandwidth_batch=1024,
    copy_bytes=2**28,
    rounds=21,
    min_sample_s=0.02,
    fit_rounds=15,
    fit_min_sample_s=0.3,
    fit_max_steps=40,
)
# Tiny, for the test suite: every variant and output, no meaningful numbers.
QUICK = Plan(
    vocabs=(100, 1000),
    dims=(8,),
    batch=4,
    seq_len=5,
    target_vocab=1000,
    target_dim=8,
    fit_vocabs=(1000,),
    bandwidth_batch=8,
    copy_bytes=2**20,
    rounds=3,
    min_sample_s=0.0,
    fit_rounds=1,
    fit_min_sample_s=0.0,
    fit_max_steps=3,
)
# On a GPU the sweep goes one decade further, and the bandwidth lookup is big
# enough to be bound by memory rather than kernel launches.
GPU_EXTRA_VOCAB = 10**7
GPU_BANDWIDTH_BATCH = 4096
GPU_COPY_BYTES = 2**31


def _log(message: str, start: float) -> None:
    print(
        f"[{time.perf_counter() - start:7.1f}s] {message}", file=sys.stderr, flush=True
    )


def _is_gpu(device: str) -> bool:
    return "GPU" in device.upper()


def _plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    if _is_gpu(args.device) and not args.quick:
        plan = dataclasses.replace(
            plan,
            vocabs=(*plan.vocabs, GPU_EXTRA_VOCAB),
            bandwidth_batch=GPU_BANDWIDTH_BATCH,
            copy_bytes=GPU_COPY_BYTES,
        )
    if args.vocabs:
        plan = dataclasses.replace(plan, vocabs=tuple(args.vocabs))
    if args.dims:
        plan = dataclasses.replace(plan, dims=tuple(args.dims))
    if args.rounds:
        plan = dataclasses.replace(plan, rounds=args.rounds, fit_rounds=args.rounds)
    return plan


def _machine(device: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    name = cpu
    if _is_gpu(device):
        gpus = tf.config.list_physical_devices("GPU")
        index = int(device.rsplit(":", 1)[-1]) if device[-1].isdigit() else 0
        details = tf.config.experimental.get_device_details(gpus[index]) if gpus else {}
        name = details.get("device_name", device)
    return {
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "device": device,
        "device_name": name,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _lookup_rows(
    group: str, shape: Shape, timings: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "group": group,
            "variant": variant,
            **dataclasses.asdict(shape),
            "median_s": t.median_s,
            "p25_s": t.quantile_s(0.25),
            "p75_s": t.quantile_s(0.75),
            "inner": t.inner,
            "per_call_s": t.per_call_s,
            "lookup_bytes_per_s": shape.lookup_bytes / t.median_s,
        }
        for variant, t in timings.items()
    ]


def _copy_bandwidth(plan: Plan, device: str) -> tuple[float, float]:
    """Seconds and bytes/s of `x * s` over `copy_bytes` (one read, one write).

    The scale is a function argument so that no optimizer can fold the
    multiply into an identity, which would move nothing.
    """
    with tf.device(device):
        x = tf.random.uniform((plan.copy_bytes // 4,))
        scale = tf.constant(1.0)
        copy = tf.function(lambda: x * scale, autograph=False)
        timing = interleave({"copy": lambda _: copy()}, plan.rounds, plan.min_sample_s)
    seconds = timing["copy"].median_s
    return seconds, 2 * plan.copy_bytes / seconds


def _flatness(
    plan: Plan, small: LookupCase, large: LookupCase, device: str
) -> list[dict[str, Any]]:
    """(b) and (c) at two vocabulary sizes, interleaved in the same rounds.

    Comparing two separately timed shapes would mix in any change of machine
    load between them; timing both in one interleaved set makes the V=1e6 /
    V=1e3 ratio as trustworthy as the within-group ratios.
    """
    rows = []
    for group in FLAT_GROUPS:
        calls = {}
        for case in (small, large):
            functions = case.functions(group, (*FLAT_VARIANTS, OVERHEAD))
            for variant, call in functions.items():
                calls[(variant, case.shape)] = call
        with tf.device(device):
            timings = interleave(calls, plan.rounds, plan.min_sample_s)
        for (variant, shape), t in timings.items():
            rows += _lookup_rows(group, shape, {variant: t})
        del calls
        gc.collect()  # frees this group's tables before the next group's
    return rows


# A log line, prefixed with the time since the run started.
Log = Callable[[str], None]


def _lookups(plan: Plan, device: str, results: dict[str, Any], log: Log) -> None:
    """Groups (a)-(c) and their XLA twins at every shape, and flatness."""
    target = Shape(**results["meta"]["target_shape"])
    groups = [g + suffix for suffix in ("", XLA_SUFFIX) for g in GROUPS]
    shapes = plan.shapes()
    flat_base = LookupCase(dataclasses.replace(target, vocab=min(plan.vocabs)), device)
    for n, shape in enumerate(shapes, 1):
        case = LookupCase(shape, device)
        if shape == target:
            results["flatness"] = _flatness(plan, flat_base, case, device)
            log(f"flatness: V={flat_base.shape.vocab:.0e} vs {shape.vocab:.0e}")
        for group in groups:
            calls = case.functions(group)
            with tf.device(device):
                timings = interleave(calls, plan.rounds, plan.min_sample_s)
            del calls
            gc.collect()  # frees this group's tables before the next group's
            results["lookup"] += _lookup_rows(group, shape, timings)
            summary = "  ".join(
                f"{v}={t.median_s * 1e3:.3g}ms" for v, t in timings.items()
            )
            log(
                f"[{n}/{len(shapes)}] V={shape.vocab:.0e} D={shape.dim} {group}: "
                f"{summary}"
            )


def _fits(plan: Plan, device: str, results: dict[str, Any], log: Log) -> None:
    """(d): `model.fit` steps/s per optimizer and vocabulary size."""
    target = Shape(**results["meta"]["target_shape"])
    for vocab in plan.fit_vocabs:
        shape = dataclasses.replace(target, vocab=vocab)
        for optimizer in OPTIMIZERS:
            keras.backend.clear_session()
            timings = fit_benchmark(
                shape,
                optimizer,
                device,
                plan.fit_rounds,
                plan.fit_min_sample_s,
                plan.fit_max_steps,
            )
            for layer, t in timings.items():
                results["fit"].append(
                    {
                        "optimizer": optimizer,
                        "layer": layer,
                        **dataclasses.asdict(shape),
                        "steps_per_s": t.median,
                        "steps_per_s_samples": t.steps_per_s,
                        "steps_per_sample": t.steps_per_sample,
                        "jit_compile": t.jit_compile,
                    }
                )
            summary = "  ".join(f"{k}={t.median:.1f}/s" for k, t in timings.items())
            log(f"fit V={vocab:.0e} D={shape.dim} {optimizer}: {summary}")
            gc.collect()


def _bandwidth(plan: Plan, device: str, results: dict[str, Any], log: Log) -> None:
    """Copy bandwidth, and a big (a) lookup's bytes/s against it."""
    copy_s, copy_rate = _copy_bandwidth(plan, device)
    big = Shape(**{**results["meta"]["target_shape"], "batch": plan.bandwidth_batch})
    calls = LookupCase(big, device).functions("a_forward")
    with tf.device(device):
        timings = interleave(calls, plan.rounds, plan.min_sample_s)
    del calls
    gc.collect()
    results["bandwidth"] = {
        "copy_bytes": plan.copy_bytes,
        "copy_s": copy_s,
        "copy_bytes_per_s": copy_rate,
        "lookups": _lookup_rows("a_forward", big, timings),
    }
    log(
        f"bandwidth: copy {copy_rate / 1e9:.1f} GB/s, gather "
        f"{big.lookup_bytes / timings['gather'].median_s / 1e9:.1f} GB/s"
    )


# The parts of a run, in order. Each adds its results to the results dict; a
# new benchmark group is one more function with this signature, listed here.
Stage = Callable[[Plan, str, dict[str, Any], Log], None]
STAGES: list[Stage] = [_lookups, _fits, _bandwidth]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Runs every stage and returns the results dict."""
    start = time.perf_counter()
    plan = _plan(args)
    target = Shape(plan.target_vocab, plan.target_dim, plan.batch, plan.seq_len)
    results: dict[str, Any] = {
        "meta": {
            "flavour": "Keras 3" if IS_KERAS3 else "tf_keras",
            "keras_version": keras.__version__,
            "tf_version": tf.__version__,
            **_machine(args.device),
            "quick": args.quick,
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "plan": dataclasses.asdict(plan),
            "target_shape": dataclasses.asdict(target),
            "groups": {g: list(v) for g, v in GROUPS.items()},
            "optimizers": list(OPTIMIZERS),
            "fit_layers": list(LAYERS),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "load_average_start": os.getloadavg(),
        },
        "lookup": [],
        "flatness": [],
        "fit": [],
    }
    for stage in STAGES:
        stage(plan, args.device, results, lambda message: _log(message, start))
    results["targets"] = bench_report.targets(results)
    results["meta"]["duration_s"] = time.perf_counter() - start
    results["meta"]["load_average_end"] = os.getloadavg()
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    group = argparse.ArgumentParser(add_help=False)
    group.add_argument(
        "--group",
        choices=("layer", "optimizers"),
        default="layer",
        help="layer: the groups above; optimizers: benchmark (f), training with "
        "Keras's and the lazy optimizers (bench_optimizers.py, own options)",
    )
    chosen, rest = group.parse_known_args(argv)
    if chosen.group == "optimizers":
        return bench_optimizers.main(rest)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], parents=[group]
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and few repeats (for tests)"
    )
    parser.add_argument(
        "--out",
        default=str(HERE / "results.json"),
        help="results JSON path (default: benchmarks/results.json)",
    )
    parser.add_argument(
        "--plot",
        nargs="?",
        const=str(HERE / "results.png"),
        help="write the log-log plot (default: benchmarks/results.png)",
    )
    parser.add_argument("--table", help="write the Markdown tables to this path")
    parser.add_argument("--device", default="/CPU:0", help="e.g. /CPU:0 or /GPU:0")
    parser.add_argument("--vocabs", type=int, nargs="+", help="override the V sweep")
    parser.add_argument("--dims", type=int, nargs="+", help="override the D sweep")
    parser.add_argument("--rounds", type=int, help="override the repeats per variant")
    args = parser.parse_args(argv)

    results = run(args)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    table = bench_report.markdown(results)
    if args.table:
        Path(args.table).write_text(table)
    if args.plot:
        bench_report.plot(results, args.plot)
    print(table)
    missed = [t["id"] for t in results["targets"] if t["met"] is False]
    print(f"targets missed: {', '.join(missed) or 'none'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
