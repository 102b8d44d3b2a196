"""Turns the results JSON into target verdicts, Markdown tables and a plot."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_cases import GROUPS, OVERHEAD, XLA_SUFFIX
from bench_fit import OPTIMIZERS
from bench_timing import quantile


def _rows(results: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    return [
        row
        for row in results["lookup"]
        if all(row[key] == value for key, value in match.items())
    ]


def _one(results: dict[str, Any], **match: Any) -> dict[str, Any] | None:
    rows = _rows(results, **match)
    return rows[0] if rows else None


def round_ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Per-round ratios of two variants timed in the same rounds."""
    return [n / d for n, d in zip(numerator, denominator, strict=True)]


def net_round_ratios(
    numerator: list[float], denominator: list[float], overhead: list[float]
) -> list[float]:
    """`round_ratios` after taking the same round's call overhead off both.

    Rounds where the denominator is not above the overhead (pure noise) are
    left out.
    """
    return [
        (n - o) / (d - o)
        for n, d, o in zip(numerator, denominator, overhead, strict=True)
        if d > o
    ]


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median of per-round ratios of two variants timed in the same rounds."""
    return statistics.median(round_ratios(numerator, denominator))


def net_ratio(
    numerator: list[float], denominator: list[float], overhead: list[float]
) -> float | None:
    """`paired_ratio` net of call overhead; None if no round qualifies."""
    ratios = net_round_ratios(numerator, denominator, overhead)
    return statistics.median(ratios) if ratios else None


# The metrics a verdict can be taken on. Each is the median over rounds of a
# per-round ratio, so its p25 and p75 come from the same rounds.
RATIO = "ratio"  # per call, call overhead included
NET = "net_ratio"  # per call, the same round's call overhead taken off both
STEPS = "steps_per_s_ratio"  # model.fit steps/s, keras_embedding over Keras


@dataclass(frozen=True)
class Lookup:
    """`numerator` over `denominator` in one lookup group, at the target shape."""

    group: str
    numerator: str
    denominator: str

    def ratios(self, results: dict[str, Any]) -> dict[str, list[float]]:
        """Per-round ratios by metric; empty where not measured."""
        shape = results["meta"]["target_shape"]
        num, den, over = (
            _one(results, group=self.group, variant=v, **shape)
            for v in (self.numerator, self.denominator, OVERHEAD)
        )
        if num is None or den is None or over is None:
            return {}
        a, b, o = num["per_call_s"], den["per_call_s"], over["per_call_s"]
        return {RATIO: round_ratios(a, b), NET: net_round_ratios(a, b, o)}


@dataclass(frozen=True)
class Flat:
    """One variant at the largest V over the same variant at the smallest V.

    Both sizes are timed in the same interleaved rounds (`flatness` rows).
    """

    group: str
    variant: str

    def ratios(self, results: dict[str, Any]) -> dict[str, list[float]]:
        """Per-round ratios by metric; empty where not measured."""
        rows = [r for r in results["flatness"] if r["group"] == self.group]
        vocabs = sorted({r["vocab"] for r in rows})
        if len(vocabs) < 2:
            return {}
        pick = {(r["variant"], r["vocab"]): r["per_call_s"] for r in rows}
        large, small = pick[(self.variant, vocabs[-1])], pick[(self.variant, vocabs[0])]
        overhead = pick[(OVERHEAD, vocabs[-1])]
        return {
            RATIO: round_ratios(large, small),
            NET: net_round_ratios(large, small, overhead),
        }


@dataclass(frozen=True)
class Fit:
    """keras_embedding's `model.fit` steps/s over Keras's, per round."""

    optimizer: str

    def ratios(self, results: dict[str, Any]) -> dict[str, list[float]]:
        """Per-round ratios by metric; empty where not measured."""
        shape = results["meta"]["target_shape"]
        rows = {
            row["layer"]: row["steps_per_s_samples"]
            for row in results["fit"]
            if row["optimizer"] == self.optimizer
            and all(row[key] == value for key, value in shape.items())
        }
        if set(rows) != {"keras", "keras_embedding"}:
            return {}
        return {STEPS: round_ratios(rows["keras_embedding"], rows["keras"])}


@dataclass(frozen=True)
class Target:
    """One of issue 3's targets, with the metric its verdict is taken on.

    The metric is fixed here, before any run, so a verdict cannot be read off
    whichever metric happens to pass. Lookup targets are judged net of call
    overhead: that compares only the work in the graph, where a layer inside
    a model pays no call overhead of its own, and it is the stricter reading.
    `model.fit` targets are judged on steps/s, which has no call overhead to
    take off. The verdict is on the median; p25 and p75 say how close it is.
    """

    id: str
    description: str
    measure: Lookup | Flat | Fit
    metric: str
    op: str  # "<=" or ">="
    limit: float

    def passes(self, value: float) -> bool:
        """Whether `value` of the declared metric meets the limit."""
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def evaluate(self, results: dict[str, Any]) -> dict[str, Any]:
        """The verdict, and every metric measured, for the JSON results.

        `met` is None when the declared metric was not measured (or no round
        qualified). `close` says the limit lies between p25 and p75.
        """
        ratios = self.measure.ratios(results)
        values = {m: statistics.median(r) for m, r in ratios.items() if r}
        declared = ratios.get(self.metric) or []
        row: dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "metric": self.metric,
            "op": self.op,
            "limit": self.limit,
            "value": values.get(self.metric),
            "p25": quantile(declared, 0.25) if declared else None,
            "p75": quantile(declared, 0.75) if declared else None,
            "rounds": len(declared),
            "met": None,
            "close": None,
            "values": values,
        }
        if declared:
            row["met"] = self.passes(row["value"])
            row["close"] = row["p25"] <= self.limit <= row["p75"]
        return row


FLAT_LIMIT = 1.5
D_OPTIMIZER_FLOOR = 0.95
# Issue 3's targets, at V=1e6, D=128, 64x50 ids.
TARGETS: tuple[Target, ...] = (
    Target(
        "a_check",
        "(a) lookup, index check on / tf.gather",
        Lookup("a_forward", "keras_embedding", "gather"),
        NET,
        "<=",
        1.10,
    ),
    Target(
        "a_nocheck",
        "(a) lookup, index check off / tf.gather",
        Lookup("a_forward", "keras_embedding_nocheck", "gather"),
        NET,
        "<=",
        1.03,
    ),
    Target(
        "b",
        "(b) dropout forward / tf.gather",
        Lookup("b_dropout_forward", "keras_embedding_dropout", "gather"),
        NET,
        "<=",
        1.5,
    ),
    Target(
        "c",
        "(c) SGD step, dropout / no dropout",
        Lookup("c_sgd_step", "keras_embedding_dropout", "keras_embedding"),
        NET,
        "<=",
        1.3,
    ),
    Target(
        "b_flat",
        "(b) flat in V: dropout forward, V=1e6 / V=1e3",
        Flat("b_dropout_forward", "keras_embedding_dropout"),
        NET,
        "<=",
        FLAT_LIMIT,
    ),
    Target(
        "c_flat",
        "(c) flat in V: SGD step with dropout, V=1e6 / V=1e3",
        Flat("c_sgd_step", "keras_embedding_dropout"),
        NET,
        "<=",
        FLAT_LIMIT,
    ),
    *(
        Target(
            f"d_{optimizer}",
            f"(d) fit steps/s, {optimizer}: keras_embedding / Keras",
            Fit(optimizer),
            STEPS,
            ">=",
            D_OPTIMIZER_FLOOR,
        )
        for optimizer in OPTIMIZERS
    ),
)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of `TARGETS`, evaluated on `results` (see `Target`)."""
    return [target.evaluate(results) for target in TARGETS]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def target_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: each target's verdict on its declared metric.

    The per-call ratio is shown for reference next to net ones; it decides
    nothing.
    """
    lines = [
        "| target | declared metric | limit | median | p25-p75 | verdict "
        "| per-call ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in rows:
        verdict = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        if t["close"]:
            verdict += " (limit within p25-p75)"
        spread = "-" if t["p25"] is None else f"{_number(t['p25'])}-{_number(t['p75'])}"
        reference = "-" if t["metric"] == RATIO else _number(t["values"].get(RATIO))
        lines.append(
            f"| {t['description']} | {t['metric']} | {t['op']} {t['limit']} "
            f"| {_number(t['value'])} | {spread} | {verdict} | {reference} |"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    """Markdown tables: targets, every lookup group, fit, and bandwidth."""
    lines = ["### Targets", "", *target_table(results["targets"])]
    lines += keras1_table(results)
    lines += _flatness_lines(results)
    for group in _groups(results):
        variants = GROUPS[group.removesuffix(XLA_SUFFIX)]
        lines += ["", f"### {group}: ms per call (ratio to tf.gather, paired)", ""]
        lines.append("| V | D | " + " | ".join(variants) + " |")
        lines.append("|---|---|" + "---|" * len(variants))
        for vocab, dim in _shapes(results, group):
            cells = []
            for variant in variants:
                row = _one(results, group=group, variant=variant, vocab=vocab, dim=dim)
                floor = _one(
                    results, group=group, variant="gather", vocab=vocab, dim=dim
                )
                if row is None or floor is None:
                    cells.append("n/a")
                    continue
                ratio = paired_ratio(row["per_call_s"], floor["per_call_s"])
                cells.append(f"{_ms(row['median_s'])} ({ratio:.2f}x)")
            lines.append(f"| {vocab:.0e} | {dim} | " + " | ".join(cells) + " |")
    if results["fit"]:
        lines += [
            "",
            "### (d) model.fit steps/s",
            "",
            "| V | D | optimizer | keras | keras_embedding | ratio (paired) |",
            "|---|---|---|---|---|---|",
        ]
        keys = sorted(
            {(r["vocab"], r["dim"], r["optimizer"]) for r in results["fit"]},
            key=lambda k: (k[0], k[1], results["meta"]["optimizers"].index(k[2])),
        )
        for vocab, dim, optimizer in keys:
            pair = {
                r["layer"]: r
                for r in results["fit"]
                if (r["vocab"], r["dim"], r["optimizer"]) == (vocab, dim, optimizer)
            }
            ratio = paired_ratio(
                pair["keras_embedding"]["steps_per_s_samples"],
                pair["keras"]["steps_per_s_samples"],
            )
            keras_rate = pair["keras"]["steps_per_s"]
            ke_rate = pair["keras_embedding"]["steps_per_s"]
            lines.append(
                f"| {vocab:.0e} | {dim} | {optimizer} | {keras_rate:.1f}"
                f" | {ke_rate:.1f} | {ratio:.3f} |"
            )
    lines += _bandwidth_lines(results["bandwidth"])
    return "\n".join(lines) + "\n"


def keras1_table(results: dict[str, Any]) -> list[str]:
    """Keras 1's whole-table dropout against `tf.gather` at the target shape."""
    shape = results["meta"]["target_shape"]
    lines = [
        "",
        "### Keras 1's whole-table dropout against tf.gather, at the target shape",
        "",
        "| group | Keras 1 ms | tf.gather ms | ratio | net of call overhead |",
        "|---|---|---|---|---|",
    ]
    for group in ("b_dropout_forward", "c_sgd_step"):
        ratios = Lookup(group, "keras1_dropout", "gather").ratios(results)
        if not ratios:
            continue
        keras1, gather = (
            _one(results, group=group, variant=v, **shape)
            for v in ("keras1_dropout", "gather")
        )
        net = f"{statistics.median(ratios[NET]):.1f}x" if ratios[NET] else "-"
        lines.append(
            f"| {group} | {_ms(keras1['median_s'])} | {_ms(gather['median_s'])} "
            f"| {statistics.median(ratios[RATIO]):.1f}x | {net} |"
        )
    return lines


def _flatness_lines(results: dict[str, Any]) -> list[str]:
    rows = results["flatness"]
    vocabs = sorted({r["vocab"] for r in rows})
    if len(vocabs) < 2:
        return []
    small, large = vocabs[0], vocabs[-1]
    lines = [
        "",
        f"### Flatness: V={large:.0e} against V={small:.0e}, timed interleaved",
        "",
        f"| group | variant | ms at V={small:.0e} | ms at V={large:.0e} "
        "| ratio (paired) |",
        "|---|---|---|---|---|",
    ]
    pick = {(r["group"], r["variant"], r["vocab"]): r for r in rows}
    for group, variant, _ in sorted(k for k in pick if k[2] == small):
        a, b = pick[(group, variant, small)], pick[(group, variant, large)]
        ratio = paired_ratio(b["per_call_s"], a["per_call_s"])
        lines.append(
            f"| {group} | {variant} | {_ms(a['median_s'])} | {_ms(b['median_s'])}"
            f" | {ratio:.2f} |"
        )
    return lines


def _bandwidth_lines(bw: dict[str, Any]) -> list[str]:
    copy_rate = bw["copy_bytes_per_s"]
    lines = [
        "",
        "### Bandwidth",
        "",
        f"Copy (`x * s`, read + write) bandwidth: {copy_rate / 1e9:.1f} GB/s "
        f"on {bw['copy_bytes'] / 1e6:.0f} MB.",
        "",
        "| variant | ids | ms | GB/s (rows read + output written) | of copy "
        "| GB/s net of call overhead | of copy |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = {row["variant"]: row for row in bw["lookups"]}
    overhead = rows.pop(OVERHEAD)["median_s"]
    for variant, row in rows.items():
        moved = row["lookup_bytes_per_s"] * row["median_s"]
        rate = row["lookup_bytes_per_s"]
        net = moved / max(row["median_s"] - overhead, 1e-12)
        lines.append(
            f"| {variant} | {row['batch']}x{row['seq_len']} | {_ms(row['median_s'])}"
            f" | {rate / 1e9:.2f} | {rate / copy_rate:.0%} | {net / 1e9:.2f}"
            f" | {net / copy_rate:.0%} |"
        )
    return lines


def _groups(results: dict[str, Any]) -> list[str]:
    seen = dict.fromkeys(row["group"] for row in results["lookup"])
    return list(seen)


def _shapes(results: dict[str, Any], group: str) -> list[tuple[int, int]]:
    return sorted({(r["vocab"], r["dim"]) for r in _rows(results, group=group)})


def plot(results: dict[str, Any], path: str) -> None:
    """Log-log time vs V: one panel per (group, D), one line per variant.

    Solid lines are graph mode, dashed lines the same variant under XLA. The
    last row shows `model.fit` time per step, one line per (optimizer, layer).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base_groups = list(GROUPS)
    dims = sorted({row["dim"] for row in results["lookup"]})
    nrows = len(base_groups) + (1 if results["fit"] else 0)
    fig, axes = plt.subplots(
        nrows, len(dims), figsize=(4.2 * len(dims), 3.4 * nrows), squeeze=False
    )
    colors = _colors(v for g in base_groups for v in GROUPS[g])
    for i, group in enumerate(base_groups):
        for j, dim in enumerate(dims):
            ax = axes[i][j]
            for suffix, style in (("", "-"), (XLA_SUFFIX, "--")):
                for variant in GROUPS[group]:
                    rows = sorted(
                        _rows(results, group=group + suffix, variant=variant, dim=dim),
                        key=lambda r: r["vocab"],
                    )
                    if rows:
                        ax.plot(
                            [r["vocab"] for r in rows],
                            [r["median_s"] * 1e3 for r in rows],
                            style,
                            marker="o",
                            ms=3,
                            color=colors[variant],
                            label=variant + (" (XLA)" if suffix else ""),
                        )
            ax.set(
                xscale="log",
                yscale="log",
                title=f"{group}, D={dim}",
                xlabel="V (rows)",
                ylabel="ms per call",
            )
            ax.grid(True, which="both", alpha=0.3)
            if j == 0:  # the same variants in every column of a row
                ax.legend(fontsize=6)
    if results["fit"]:
        ax = axes[-1][0]
        fit_colors = _colors(results["meta"]["optimizers"])
        for optimizer in results["meta"]["optimizers"]:
            for layer, style in (("keras", "--"), ("keras_embedding", "-")):
                rows = sorted(
                    (
                        r
                        for r in results["fit"]
                        if r["optimizer"] == optimizer and r["layer"] == layer
                    ),
                    key=lambda r: r["vocab"],
                )
                ax.plot(
                    [r["vocab"] for r in rows],
                    [1e3 / r["steps_per_s"] for r in rows],
                    style,
                    marker="o",
                    ms=3,
                    color=fit_colors[optimizer],
                    label=f"{optimizer} {layer}",
                )
        dim = results["fit"][0]["dim"]
        ax.set(
            xscale="log",
            yscale="log",
            title=f"(d) model.fit, D={dim}",
            xlabel="V (rows)",
            ylabel="ms per step",
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
        for ax in axes[-1][1:]:
            ax.axis("off")
    meta = results["meta"]
    fig.suptitle(
        f"{meta['flavour']} {meta['keras_version']}, TF {meta['tf_version']},"
        f" {meta['device_name']}; ids {meta['target_shape']['batch']}x"
        f"{meta['target_shape']['seq_len']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _colors(names: Iterable[str]) -> dict[str, str]:
    palette = [f"C{i}" for i in range(10)]
    unique = list(dict.fromkeys(names))
    return {name: palette[i % len(palette)] for i, name in enumerate(unique)}


def main(argv: list[str] | None = None) -> int:
    """Prints the Markdown tables of a results file, without re-running it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", help="a JSON file written by benchmarks/run.py")
    args = parser.parse_args(argv)
    print(markdown(json.loads(Path(args.results).read_text())), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
