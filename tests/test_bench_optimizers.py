"""Benchmark (f) and the quality script run and write well-formed results.

Only the shape of the output is checked (every variant, every verdict field,
finite numbers); timings and losses are never asserted, they depend on the
machine and its load.
"""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_optimizers  # noqa: E402

# Generous: each script takes seconds, but CI shares 2 cores.
TIMEOUT_S = 600

# Each test runs a benchmark script in a Python process of its own.
pytestmark = pytest.mark.slow


def run_script(*args: str) -> None:
    completed = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench_optimizers")
    paths = {name: out / name for name in ("r.json", "r.png", "r.md")}
    run_script(
        str(BENCHMARKS / "run.py"),
        "--group",
        "optimizers",
        "--quick",
        "--out",
        str(paths["r.json"]),
        "--plot",
        str(paths["r.png"]),
        "--table",
        str(paths["r.md"]),
    )
    return {"results": json.loads(paths["r.json"].read_text()), **paths}


def test_every_optimizer_is_timed_against_its_lazy_twin_at_every_vocab(
    quick: dict[str, Any],
) -> None:
    results = quick["results"]
    vocabs = results["plan"]["vocabs"]
    found = {(r["optimizer"], r["variant"], r["vocab"]) for r in results["rows"]}
    torch = results["torch"] is not None
    for name in bench_optimizers.OPTIMIZERS:
        kinds = {"keras", "lazy"}
        if name == "adam":
            kinds |= {"lazy_xla", "lazy_loop"}
            kinds |= {"torch_sparse", "torch_dense"} if torch else set()
        for kind in kinds:
            for vocab in vocabs:
                assert (name, kind, vocab) in found
    for row in results["rows"]:
        assert len(row["ms_samples"]) == results["plan"]["rounds"]
        for key in ("ms_median", "ms_p25", "ms_p75"):
            assert finite(row[key]) and row[key] > 0, row


def test_every_verdict_has_its_metric_value_spread_and_outcome(
    quick: dict[str, Any],
) -> None:
    results = quick["results"]
    declared = {t["id"] for t in results["meta"]["targets_declared"]}
    assert {t.id for t in bench_optimizers.TARGETS} == declared
    assert {t["id"] for t in results["targets"]} == declared
    for target in results["targets"]:
        assert target["what"] and finite(target["limit"])
        if target["id"] == "torch_adam" and results["torch"] is None:
            assert target["met"] is None
            continue
        assert target["p25"] <= target["value"] <= target["p75"], target
        assert target["met"] in (True, False)


def test_plot_and_table_are_written(quick: dict[str, Any]) -> None:
    assert quick["r.png"].stat().st_size > 10_000
    table = quick["r.md"].read_text()
    assert "verdicts" in table and "ms/step" in table


def test_quality_script_compares_lazy_adam_with_adam(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "quality.json"
    run_script(str(BENCHMARKS / "quality_mf.py"), "--quick", "--out", str(out))
    results = json.loads(out.read_text())
    rates = results["task"]["learning_rates"]
    runs = {(r["optimizer"], r["learning_rate"]) for r in results["runs"]}
    assert runs == {(n, lr) for n in ("adam", "lazy_adam") for lr in rates}
    for run in results["runs"]:
        assert len(run["held_out_mse"]) == results["task"]["epochs"]
        assert all(finite(m) for m in run["held_out_mse"])
        assert finite(run["train_seconds"])
    assert len(results["targets"]) == len(rates) + 1
    for target in results["targets"]:
        assert finite(target["value"]) and target["met"] in (True, False)
