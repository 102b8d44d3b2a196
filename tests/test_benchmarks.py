"""`benchmarks/run.py --quick` runs and writes well-formed results.

Only the shape of the output is checked: every variant of issue 3 is present
and every number is finite. Timings are never asserted (they depend on the
machine and its load).
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from keras_embedding._compat import IS_KERAS3

# The quick run is a fresh process that imports TensorFlow and traces every
# variant: seconds, not milliseconds.
pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parent.parent
# What issue 3 asks each group to compare; "call_overhead" is the cost of
# calling an empty tf.function, against which ratios are also given net.
REQUIRED_VARIANTS = {
    "a_forward": {
        "gather",
        "keras",
        "keras_embedding",
        "keras_embedding_nocheck",
        "call_overhead",
    },
    "b_dropout_forward": {
        "gather",
        "keras_embedding_dropout",
        "keras1_dropout",
        "call_overhead",
    },
    "c_sgd_step": {
        "gather",
        "keras",
        "keras_embedding",
        "keras_embedding_dropout",
        "keras1_dropout",
        "call_overhead",
    },
}
OPTIMIZERS = {"sgd", "adagrad", "rmsprop", "adam"}
TARGETS = {
    "a_check",
    "a_nocheck",
    "b",
    "c",
    "b_flat",
    "c_flat",
    *(f"d_{name}" for name in OPTIMIZERS),
}


def _finite_positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the quick benchmark once, in a subprocess, in the current flavour."""
    out = tmp_path_factory.mktemp("bench")
    paths = {name: out / name for name in ("r.json", "r.png", "r.md")}
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--out",
            str(paths["r.json"]),
            "--plot",
            str(paths["r.png"]),
            "--table",
            str(paths["r.md"]),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return {
        "results": json.loads(paths["r.json"].read_text()),
        "png": paths["r.png"].read_bytes(),
        "table": paths["r.md"].read_text(),
        "stderr": proc.stderr,
    }


def test_runs_in_the_active_flavour(quick_run: dict[str, Any]) -> None:
    meta = quick_run["results"]["meta"]
    assert meta["flavour"] == ("Keras 3" if IS_KERAS3 else "tf_keras")
    assert meta["quick"] is True
    assert "[1/" in quick_run["stderr"]  # progress is shown as it goes


def test_every_lookup_variant_is_present_and_finite(
    quick_run: dict[str, Any],
) -> None:
    results = quick_run["results"]
    target = results["meta"]["target_shape"]
    shapes = {(row["vocab"], row["dim"]) for row in results["lookup"]}
    assert (target["vocab"], target["dim"]) in shapes
    assert len({vocab for vocab, _ in shapes}) >= 2  # a line, not a point
    for base, variants in REQUIRED_VARIANTS.items():
        for group in (base, base + "_xla"):
            for vocab, dim in shapes:
                rows = [
                    row
                    for row in results["lookup"]
                    if (row["group"], row["vocab"], row["dim"]) == (group, vocab, dim)
                ]
                assert {row["variant"] for row in rows} == variants, (group, vocab)
                for row in rows:
                    assert _finite_positive(row["median_s"]), row
                    assert row["per_call_s"], row
                    assert all(_finite_positive(t) for t in row["per_call_s"]), row


def test_flatness_times_both_vocab_sizes_together(
    quick_run: dict[str, Any],
) -> None:
    rows = quick_run["results"]["flatness"]
    expected = {"gather", "keras_embedding_dropout", "call_overhead"}
    for group in ("b_dropout_forward", "c_sgd_step"):
        group_rows = [row for row in rows if row["group"] == group]
        assert len({row["vocab"] for row in group_rows}) == 2, group
        assert {row["variant"] for row in group_rows} == expected, group
        for row in group_rows:
            assert all(_finite_positive(t) for t in row["per_call_s"]), row


def test_every_fit_pair_is_present_and_finite(quick_run: dict[str, Any]) -> None:
    fit = quick_run["results"]["fit"]
    pairs = {(row["optimizer"], row["layer"]) for row in fit}
    assert pairs == {
        (o, layer) for o in OPTIMIZERS for layer in ("keras", "keras_embedding")
    }
    for row in fit:
        assert _finite_positive(row["steps_per_s"]), row
        assert all(_finite_positive(s) for s in row["steps_per_s_samples"]), row


def test_targets_bandwidth_and_outputs_are_well_formed(
    quick_run: dict[str, Any],
) -> None:
    results = quick_run["results"]
    targets = {t["id"]: t for t in results["targets"]}
    assert set(targets) == TARGETS
    for name, target in targets.items():
        # Declared before the run: lookups net of call overhead, fit on steps/s.
        fit = name.startswith("d_")
        assert target["metric"] == ("steps_per_s_ratio" if fit else "net_ratio")
        assert all(math.isfinite(v) for v in target["values"].values()), target
        per_call = target["values"]["steps_per_s_ratio" if fit else "ratio"]
        assert _finite_positive(per_call), target
        # Net of overhead, a tiny quick-run time may leave no usable round.
        if target["value"] is None:
            assert target["met"] is None and not fit, target
            continue
        assert target["p25"] <= target["value"] <= target["p75"], target
        passes = (
            target["value"] <= target["limit"]
            if target["op"] == "<="
            else target["value"] >= target["limit"]
        )
        assert target["met"] is passes, target
    bandwidth = results["bandwidth"]
    assert _finite_positive(bandwidth["copy_bytes_per_s"])
    assert {row["variant"] for row in bandwidth["lookups"]} == REQUIRED_VARIANTS[
        "a_forward"
    ]
    assert all(_finite_positive(row["median_s"]) for row in bandwidth["lookups"])
    assert quick_run["png"].startswith(b"\x89PNG")
    assert "### Targets" in quick_run["table"]


def test_profile_script_measures_every_substep(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "profile.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "profile_layer.py")]
        + ["--rounds", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    profile = json.loads(out.read_text())
    substeps = profile["forward"]["substeps"]
    assert substeps and all(math.isfinite(value) for value in _numbers_in(substeps)), (
        substeps
    )
    copy = profile["copy_on_read"]
    assert copy["assign_sub_slowdown"] > 0 and copy["read_gather_slowdown"] > 0


def _numbers_in(node: Any) -> list[float]:
    if isinstance(node, dict):
        return [n for value in node.values() for n in _numbers_in(value)]
    if isinstance(node, list):
        return [n for value in node for n in _numbers_in(value)]
    return [float(node)] if isinstance(node, (int, float)) else []
