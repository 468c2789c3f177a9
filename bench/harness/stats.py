"""Figures from repeated runs: median [min, max], grouping, markdown tables, bar plots."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

Stat = tuple[float, float, float]  # median, min, max


def stat(values: Sequence[float]) -> Stat | None:
    """(median, min, max) of ``values``; None when there are none."""
    return (statistics.median(values), min(values), max(values)) if values else None


def fmt(s: Stat | None, nd: int, n: int = 2) -> str:
    """``median [min, max]`` with ``nd`` decimals; the value alone when one run (n == 1)."""
    if s is None:
        return "-"
    med, lo, hi = s
    return f"{med:.{nd}f}" if n == 1 else f"{med:.{nd}f} [{lo:.{nd}f}, {hi:.{nd}f}]"


def summarise(
    runs: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]], metrics: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Group runs (dicts with a ``result``) by ``key(run)``: per group the number of good
    runs ``n``, of ``failed`` and ``skipped`` ones (a result with an ``error``; skipped when it
    starts with "skipped"), each metric's values and their ``stats`` (``stat``)."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in runs:
        g = groups.setdefault(key(r), {"n": 0, "failed": 0, "skipped": 0, "values": {m: [] for m in metrics}})
        if "error" in r["result"]:
            g["skipped" if r["result"]["error"].startswith("skipped") else "failed"] += 1
            continue
        g["n"] += 1
        for m in metrics:
            if r["result"].get(m) is not None:
                g["values"][m].append(r["result"][m])
    for g in groups.values():
        g["stats"] = {m: stat(v) for m, v in g["values"].items()}
    return groups


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table (cells as given, joined with `` | ``)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def grouped_bars(
    path: Path,
    categories: Sequence[str],
    series: Sequence[str],
    value: Callable[[int, str, str], Stat | None],
    panels: Sequence[tuple[str, str, dict[str, float]]],
    legend: str = "",
) -> None:
    """One panel per (metric, title, {label: target}) stacked vertically, one group of bars
    per category (x tick label), one bar per series: the median, whiskers min..max (from
    ``value(category index, series, metric)``), targets as dashed lines. Saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8, 1.3 * len(categories) + 2), 4 * len(panels)), sharex=True)
    axes = list(axes) if len(panels) > 1 else [axes]
    width = 0.8 / max(1, len(series))
    for ax, (metric, title, targets) in zip(axes, panels, strict=True):
        for j, name in enumerate(series):
            xs, ys, lo, hi = [], [], [], []
            for i in range(len(categories)):
                s = value(i, name, metric)
                if s:
                    xs.append(i + (j - (len(series) - 1) / 2) * width)
                    ys.append(s[0])
                    lo.append(s[0] - s[1])
                    hi.append(s[2] - s[0])
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=name)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        for label, target in targets.items():
            ax.axhline(target, ls="--", lw=0.8, color="grey")
            ax.text(len(categories) - 0.5, target, f" {label} target", va="bottom", ha="right", fontsize=8)
    axes[0].legend(title=legend)
    axes[-1].set_xticks(range(len(categories)), list(categories), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
