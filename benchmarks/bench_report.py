"""Turns the results JSON into target verdicts, Markdown tables and a plot."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from bench_cases import GROUPS, OVERHEAD, XLA_SUFFIX

# Issue 3's targets. (id, description, value kind, limit, comparison)
D_OPTIMIZER_FLOOR = 0.95
FLAT_LIMIT = 1.5


def _rows(results: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    return [
        row
        for row in results["lookup"]
        if all(row[key] == value for key, value in match.items())
    ]


def _one(results: dict[str, Any], **match: Any) -> dict[str, Any] | None:
    rows = _rows(results, **match)
    return rows[0] if rows else None


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median of per-round ratios of two variants timed in the same rounds."""
    return statistics.median(n / d for n, d in zip(numerator, denominator, strict=True))


def net_ratio(
    numerator: list[float], denominator: list[float], overhead: list[float]
) -> float | None:
    """`paired_ratio` after taking the same round's call overhead off both.

    Rounds where the denominator is not above the overhead (pure noise) are
    left out; None if that leaves none.
    """
    ratios = [
        (n - o) / (d - o)
        for n, d, o in zip(numerator, denominator, overhead, strict=True)
        if d > o
    ]
    return statistics.median(ratios) if ratios else None


def _ratio(
    results: dict[str, Any], group: str, num: str, den: str, shape: dict[str, int]
) -> tuple[float | None, float | None]:
    """(paired ratio, the same net of call overhead), None where not measured."""
    a = _one(results, group=group, variant=num, **shape)
    b = _one(results, group=group, variant=den, **shape)
    o = _one(results, group=group, variant=OVERHEAD, **shape)
    if a is None or b is None or o is None:
        return None, None
    return (
        paired_ratio(a["per_call_s"], b["per_call_s"]),
        net_ratio(a["per_call_s"], b["per_call_s"], o["per_call_s"]),
    )


def _flatness(
    results: dict[str, Any], group: str, variant: str
) -> tuple[tuple[float | None, float | None], int | None]:
    """(ratio, net ratio) of the largest to the smallest V, and that smallest V.

    Both sizes were timed in the same interleaved rounds (`flatness` rows).
    """
    rows = [r for r in results["flatness"] if r["group"] == group]
    vocabs = sorted({r["vocab"] for r in rows})
    if len(vocabs) < 2:
        return (None, None), None
    pick = {(r["variant"], r["vocab"]): r["per_call_s"] for r in rows}
    large, small = pick[(variant, vocabs[-1])], pick[(variant, vocabs[0])]
    overhead = pick[(OVERHEAD, vocabs[-1])]
    return (
        paired_ratio(large, small),
        net_ratio(large, small, overhead),
    ), vocabs[0]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluates issue 3's targets at the run's target shape.

    Lookup ratios are paired (same rounds), and also given net of the call
    overhead (`value_net`); the verdict `met` is on the plain ratio, `met_net`
    on the net one. Flatness compares medians of two shapes; fit ratios are
    keras_embedding steps/s over Keras's.
    """
    shape = results["meta"]["target_shape"]
    out: list[dict[str, Any]] = []

    def verdict(value: float | None, limit: float, op: str) -> bool | None:
        if value is None:
            return None
        return value <= limit if op == "<=" else value >= limit

    def add(
        name: str,
        text: str,
        values: tuple[float | None, float | None],
        limit: float,
        op: str,
    ) -> None:
        value, net = values
        out.append(
            {
                "id": name,
                "description": text,
                "value": value,
                "value_net": net,
                "limit": limit,
                "op": op,
                "met": verdict(value, limit, op),
                "met_net": verdict(net, limit, op),
            }
        )

    cases = (
        (
            "a_check",
            "(a) keras_embedding / tf.gather, index check on",
            "a_forward",
            "keras_embedding",
            "gather",
            1.10,
        ),
        (
            "a_nocheck",
            "(a) keras_embedding / tf.gather, index check off",
            "a_forward",
            "keras_embedding_nocheck",
            "gather",
            1.03,
        ),
        (
            "b",
            "(b) keras_embedding dropout forward / tf.gather",
            "b_dropout_forward",
            "keras_embedding_dropout",
            "gather",
            1.5,
        ),
        (
            "c",
            "(c) SGD step with dropout / without",
            "c_sgd_step",
            "keras_embedding_dropout",
            "keras_embedding",
            1.3,
        ),
    )
    for name, text, group, num, den, limit in cases:
        add(name, text, _ratio(results, group, num, den, shape), limit, "<=")
    for group, label in (("b_dropout_forward", "b"), ("c_sgd_step", "c")):
        values, base = _flatness(results, group, "keras_embedding_dropout")
        add(
            f"{label}_flat",
            f"({label}) flat in V: time at V={shape['vocab']} / at V={base}",
            values,
            FLAT_LIMIT,
            "<=",
        )
    for optimizer in results["meta"]["optimizers"]:
        add(
            f"d_{optimizer}",
            f"(d) fit steps/s keras_embedding / keras, {optimizer}",
            (_fit_ratio(results, optimizer, shape), None),
            D_OPTIMIZER_FLOOR,
            ">=",
        )
    return out


def _fit_ratio(
    results: dict[str, Any], optimizer: str, shape: dict[str, int]
) -> float | None:
    rows = {
        row["layer"]: row
        for row in results["fit"]
        if row["optimizer"] == optimizer
        and all(row[key] == value for key, value in shape.items())
    }
    if set(rows) != {"keras", "keras_embedding"}:
        return None
    return paired_ratio(
        rows["keras_embedding"]["steps_per_s_samples"],
        rows["keras"]["steps_per_s_samples"],
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g}"


def markdown(results: dict[str, Any]) -> str:
    """Markdown tables: targets, every lookup group, fit, and bandwidth."""
    lines = [
        "### Targets",
        "",
        "| target | value | met | net of call overhead | met | limit |",
        "|---|---|---|---|---|---|",
    ]
    for t in results["targets"]:
        cells = [t["description"]]
        for key in ("value", "value_net"):
            cells.append("-" if t[key] is None else f"{t[key]:.3f}")
            cells.append(
                {True: "yes", False: "**no**", None: "-"}[
                    t[key.replace("value", "met")]
                ]
            )
        cells.append(f"{t['op']} {t['limit']}")
        lines.append("| " + " | ".join(cells) + " |")
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
