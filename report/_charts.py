"""The report's charts, drawn by matplotlib and written as inline SVG.

Each function takes the aggregates of ``_analysis.build`` (never the decisions) and returns one
``<svg>`` element as text. Every bar drawn carries an id ``<chart>-bar-<n>`` so a browser test can
count what rendered. Text stays text (``svg.fonttype: none``): small, selectable, and no glyph ids
repeated between charts on one page. Only the object-oriented API is used (no pyplot state).
"""

from __future__ import annotations

import io
import re
from typing import Any, Optional, Sequence

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from promoready.engine.words import printable

#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
COLOURS = {"ready": "#009E73", "not_ready": "#D55E00", "insufficient_evidence": "#56B4E9",
           "fail": "#D55E00", "unknown": "#56B4E9", "neutral": "#0072B2", "up": "#009E73", "down": "#D55E00"}
VERDICT_WORDS = {"ready": "ready", "not_ready": "not ready", "insufficient_evidence": "insufficient evidence"}
_STYLE: Any = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 9,
          "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"], "axes.spines.top": False,
          "axes.spines.right": False, "axes.edgecolor": "#888888", "axes.labelcolor": "#333333",
          "xtick.color": "#444444", "ytick.color": "#444444", "svg.hashsalt": "promoready"}
WIDTH = 7.5  # inches: the page's column at 96 dpi is about 720 px


def _figure(rows: int, *, per_row: float = 0.32, base: float = 0.9, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, base + per_row * max(rows, 1)), layout="constrained")


def _svg(fig: Figure, name: str) -> str:
    """The figure as one ``<svg>`` element that scales with its container."""
    buffer = io.StringIO()
    style: Any = {**_STYLE, "svg.hashsalt": f"promoready-{name}"}  # rc_context's keys are typed as literals
    with rc_context(style):
        FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # Fixed sizes in pt would overflow a narrow screen; the viewBox keeps the proportions.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf'<svg\1 class="chart" data-chart="{name}"', text, count=1)
    return _own_ids(text, name)


def _own_ids(svg: str, name: str) -> str:
    """Prefix matplotlib's own ids (``figure_1``, clip paths) with the chart's name: one page holds many charts."""
    ours = f"{name}-bar-"

    def rename(m: re.Match) -> str:
        key = m.group(2)
        return m.group(0) if key.startswith(ours) else f"{m.group(1)}{name}--{key}{m.group(3)}"

    return re.sub(r'(\bid="|url\(#|href="#)([^")]+)([")])', rename, svg)


def _hbars(ax: Any, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], name: str,
           width: Optional[int] = None) -> int:
    """Horizontal stacked bars, first label at the top (each as ``_x`` shows it, cut at ``width``); returns
    how many bars were drawn."""
    drawn = 0
    left = [0] * len(labels)
    ys = list(range(len(labels)))[::-1]
    for key, word, values in series:
        for y, x0, v in zip(ys, list(left), values):
            if v <= 0:
                continue  # a zero segment is not drawn, so it is not counted either
            (bar,) = ax.barh([y], [v], left=[x0], color=COLOURS[key], height=0.7, label=word)
            bar.set_gid(f"{name}-bar-{drawn}")
            drawn += 1
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(ys, [_x(label, width) for label in labels])
    ax.margins(y=0.02)
    ax.xaxis.grid(True, color="#e5e5e5")
    ax.set_axisbelow(True)
    handles, words = ax.get_legend_handles_labels()
    unique = dict(zip(words, handles))
    if unique:
        ax.legend(unique.values(), unique.keys(), loc="lower right", frameon=False, ncols=len(unique),
                  bbox_to_anchor=(1, 1.0))
    return drawn


def _x(label: str, width: Optional[int] = None) -> str:
    """A label as a chart shows it: control characters escaped (``printable``), cut at ``width`` (if given).
    Every label of every chart is shown through here, once."""
    label = printable(label)
    return label if width is None or len(label) <= width else label[:width - 1] + "…"


def verdicts(tracks: list[dict[str, Any]]) -> str:
    """Verdicts per transition and track, one stacked bar each."""
    with rc_context(_STYLE):
        fig = _figure(len(tracks))
        ax = fig.add_subplot()
        labels = [f"{t['from']} → {t['to']}" + (f"  ({t['track']})" if t["track"] else "") for t in tracks]
        _hbars(ax, labels, [(v, VERDICT_WORDS[v], [t["verdicts"].get(v, 0) for t in tracks])
                            for v in ("ready", "not_ready", "insufficient_evidence")], "verdicts")
        ax.set_xlabel("decisions")
        return _svg(fig, "verdicts")


def blocking(block: dict[str, Any], name: str) -> str:
    """The criteria that block most in one transition: required fails and required unknowns."""
    rows = block["top"]
    with rc_context(_STYLE):
        fig = _figure(len(rows), per_row=0.3, width=6.2)
        ax = fig.add_subplot()
        _hbars(ax, [r["title"] for r in rows],
               [("fail", "required, failed", [r["fail"] for r in rows]),
                ("unknown", "required, no evidence", [r["unknown"] for r in rows])], name, width=40)
        ax.set_xlabel(f"candidates (of {block['count']:,})")
        return _svg(fig, name)


def missing(rows: list[dict[str, Any]]) -> str:
    """The packet fields most often missing."""
    with rc_context(_STYLE):
        fig = _figure(len(rows))
        ax = fig.add_subplot()
        _hbars(ax, [r["path"] for r in rows], [("neutral", "candidates", [r["candidates"] for r in rows])],
               "missing", width=52)
        legend = ax.get_legend()
        if legend is not None:  # one series: the axis label says what it counts
            legend.remove()
        ax.set_xlabel("candidates whose packet lacks it")
        return _svg(fig, "missing")


def ready_by(months: list[dict[str, Any]]) -> str:
    """How many candidates time alone makes ready, by projected month."""
    with rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH, 2.6), layout="constrained")
        ax = fig.add_subplot()
        xs = list(range(len(months)))
        for i, m in enumerate(months):  # a month is listed only when someone falls in it: never an empty bar
            (bar,) = ax.bar([i], [m["candidates"]], color=COLOURS["ready"], width=0.8)
            bar.set_gid(f"ready-by-bar-{i}")
        step = max(1, len(months) // 12)
        ax.set_xticks(xs[::step], [_x(m["month"]) for m in months][::step], rotation=45, ha="right")
        ax.yaxis.grid(True, color="#e5e5e5")
        ax.set_axisbelow(True)
        ax.set_ylabel("candidates")
        return _svg(fig, "ready-by")


def calibration(matrix: list[dict[str, Any]]) -> str:
    """The committee's outcome against the verdict: one stacked bar per outcome."""
    outcomes = [o for o in ("promoted", "not_promoted") if any(m["committee_outcome"] == o for m in matrix)]
    with rc_context(_STYLE):
        fig = _figure(len(outcomes), per_row=0.45)
        ax = fig.add_subplot()
        counts = {(m["committee_outcome"], m["verdict"]): m["decisions"] for m in matrix}
        _hbars(ax, [f"committee: {o.replace('_', ' ')}" for o in outcomes],
               [(v, VERDICT_WORDS[v], [counts.get((o, v), 0) for o in outcomes])
                for v in ("ready", "not_ready", "insufficient_evidence")], "calibration")
        ax.set_xlabel("decisions")
        return _svg(fig, "calibration")


def pass_rate_change(rows: list[dict[str, Any]]) -> str:
    """How each criterion's pass rate moved since the other cycle, in percentage points."""
    with rc_context(_STYLE):
        fig = _figure(len(rows))
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        drawn = 0
        for y, r in zip(ys, rows):
            change = 100 * r["change"]
            if change == 0:
                continue  # nothing to draw, and nothing for a test to count
            (bar,) = ax.barh([y], [change], color=COLOURS["up" if change > 0 else "down"], height=0.7)
            bar.set_gid(f"compare-bar-{drawn}")
            drawn += 1
        ax.set_yticks(ys, [_x(f"{r['from']} → {r['to']}: {r['title']}", 60) for r in rows])
        ax.axvline(0, color="#888888", linewidth=0.8)
        ax.xaxis.grid(True, color="#e5e5e5")
        ax.set_axisbelow(True)
        ax.set_xlabel("change in pass rate (percentage points)")
        return _svg(fig, "compare")
