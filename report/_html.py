"""The report as one self-contained HTML page: a Jinja2 template, its stylesheet inlined, the charts inline.

The page loads nothing: its Content-Security-Policy is ``default-src 'none'`` with inline styles
(and ``data:`` images) allowed, and it has no script. Numbers are formatted here, by filters; the
template only places them. Every value placed is HTML-escaped (autoescape) and, text, made
``printable`` first (control and bidirectional-control characters shown as escapes, ``_shown``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from promoready.engine.words import counted, printable

from . import _charts
from ._notices import Code, notices

#: Rows of a long list shown on the page (the JSON form has them all).
LIST_LIMIT = 25
#: Fields and criteria shown in the "missing" and "compare" charts.
CHART_ROWS = 15
#: Content-Security-Policy of the page: nothing may be fetched, no script may run.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _env() -> Environment:
    env = Environment(loader=PackageLoader("promoready.report", "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_shown)
    env.filters.update(n=_n, pct=_pct, ratio=_ratio, p=_p, signed=_signed, verdict=_verdict, counted=counted,
                       sentence=_sentence)
    return env


def _shown(value: Any) -> Any:
    """What a ``{{ … }}`` places, before autoescape: text made ``printable``; the page's own markup
    (``| safe``: the stylesheet, the charts) and anything not text as it is."""
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _sentence(parts: tuple[str, ...]) -> Markup:
    """A notice's sentence (``_notices``) on the page: a capital, names and commands as ``<code>``, a full stop;
    every part made ``printable`` and escaped."""
    html = Markup("").join(Markup("<code>{}</code>").format(printable(p)) if isinstance(p, Code)
                           else Markup.escape(printable(p)) for p in parts)
    return Markup(html[:1].upper()) + html[1:] + Markup(".")


def _n(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ratio(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}"


def _p(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


def _signed(value: float) -> str:
    return f"{100 * value:+.1f} pp"


def _verdict(value: str) -> str:
    return _charts.VERDICT_WORDS.get(value, value)


def render(data: dict[str, Any]) -> str:
    """The page for ``_analysis.build``'s data."""
    env = _env()
    template = env.get_template("report.html.j2")
    css = (resources.files("promoready.report") / "templates" / "report.css").read_text(encoding="utf-8")
    summary = data["summary"]
    charts: dict[str, Any] = dict.fromkeys(("verdicts", "missing", "ready_by", "calibration", "compare"))
    if data["tracks"]:
        charts["verdicts"] = _charts.verdicts(data["tracks"])
    charts["blocking"] = [_charts.blocking(b, f"blocking-{i}") if b["top"] else None
                          for i, b in enumerate(data["blocking"])]
    if summary["most_missing"]:
        charts["missing"] = _charts.missing(summary["most_missing"][:CHART_ROWS])
    if data["ready_by"]["by_month"]:
        charts["ready_by"] = _charts.ready_by(data["ready_by"]["by_month"])
    if data["calibration"]["matrix"]:
        charts["calibration"] = _charts.calibration(data["calibration"]["matrix"])
    if data["compare"] and data["compare"]["criteria"]:
        charts["compare"] = _charts.pass_rate_change(data["compare"]["criteria"][:CHART_ROWS])
    return template.render(d=data, s=summary, charts=charts, css=css, csp=CSP, limit=LIST_LIMIT,
                           chart_rows=CHART_ROWS, flagged=_flagged(data.get("fairness")), notices=notices(data))


def _flagged(fairness: Optional[dict[str, Any]]) -> list[dict[str, Any]]:
    """The criterion cells that fail one group disproportionately: under four-fifths, or below the
    common rate with p < 0.05 (the group doing better than the rest is not listed)."""
    rows: list[dict[str, Any]] = []
    if not fairness:
        return rows
    for a in fairness["attributes"]:
        for t in a["transitions"]:
            for c in t["criteria"]:
                for g in c["groups"]:
                    below = g["shortfall"] is not None and g["shortfall"] > 0  # fewer passed than at the common rate
                    if g["suppressed"] is None and (g["flag"] or (below and g["p_value"] < 0.05)):
                        rows.append({"attribute": a["attribute"], "from": t["from"], "to": t["to"],
                                     "criterion": c["criterion"], "title": c["title"], **g})
    return sorted(rows, key=lambda r: (r["p_value"], r["ratio"] if r["ratio"] is not None else 1.0))
