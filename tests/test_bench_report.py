"""Verdicts of `benchmarks/bench_report.py` on made-up timings.

The expected values are worked out here by hand from the timings, not by the
report's own helpers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

SHAPE = {"vocab": 1000, "dim": 8, "batch": 4, "seq_len": 5}


def _results(lookup: dict[str, list[float]], fit: dict[str, list[float]]) -> dict:
    """Results holding `a_forward` variants at the target shape and sgd fits."""
    return {
        "meta": {"target_shape": SHAPE},
        "lookup": [
            {"group": "a_forward", "variant": variant, **SHAPE, "per_call_s": times}
            for variant, times in lookup.items()
        ],
        "flatness": [],
        "fit": [
            {"optimizer": "sgd", "layer": layer, **SHAPE, "steps_per_s_samples": s}
            for layer, s in fit.items()
        ],
    }


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def test_lookup_verdict_is_net_of_call_overhead(bench_report) -> None:
    # Per call 0.32 / 0.30 = 1.067 would meet <= 1.10; net of the 0.20
    # overhead it is 0.12 / 0.10 = 1.2, a miss.
    rounds = 5
    results = _results(
        {
            "gather": [0.30] * rounds,
            "keras_embedding": [0.32] * rounds,
            "call_overhead": [0.20] * rounds,
        },
        {},
    )
    a_check = _by_id(bench_report.targets(results))["a_check"]
    assert a_check["metric"] == "net_ratio"
    assert a_check["values"]["ratio"] == pytest.approx(0.32 / 0.30)
    assert a_check["value"] == pytest.approx(1.2)
    assert a_check["met"] is False
    assert a_check["close"] is False
    assert a_check["rounds"] == rounds


def test_unmeasured_targets_have_no_verdict(bench_report) -> None:
    rows = _by_id(bench_report.targets(_results({}, {})))
    assert rows["a_nocheck"]["met"] is None
    assert rows["b_flat"]["met"] is None
    assert rows["d_adam"]["met"] is None


def test_fit_verdict_is_the_median_round_ratio_with_quartiles(bench_report) -> None:
    keras = [100.0, 100.0, 100.0, 100.0, 100.0]
    ours = [90.0, 94.0, 96.0, 99.0, 104.0]
    d_sgd = _by_id(
        bench_report.targets(_results({}, {"keras": keras, "keras_embedding": ours}))
    )["d_sgd"]
    ratios = np.array(ours) / np.array(keras)
    assert d_sgd["metric"] == "steps_per_s_ratio"
    assert d_sgd["value"] == pytest.approx(0.96)
    assert d_sgd["p25"] == pytest.approx(np.percentile(ratios, 25))
    assert d_sgd["p75"] == pytest.approx(np.percentile(ratios, 75))
    # 0.96 meets >= 0.95, but p25 (0.94) is below the limit: a close verdict.
    assert d_sgd["met"] is True
    assert d_sgd["close"] is True


def test_target_table_calls_a_miss_a_miss(bench_report) -> None:
    rows = bench_report.targets(
        _results(
            {
                "gather": [0.30] * 3,
                "keras_embedding": [0.32] * 3,
                "call_overhead": [0.20] * 3,
            },
            {},
        )
    )
    line = next(x for x in bench_report.target_table(rows) if "index check on" in x)
    assert "| 1.200 |" in line and "**missed**" in line
