"""The cycle summary of ``batch`` in words: text for stderr, a markdown report for the committee, JSON.

Each renders the dict of ``engine.summary.Summary.to_dict``; no figure is computed here.
"""

from __future__ import annotations

import json
from typing import Any

from .text import escape_markdown as _cell  # a table cell: the one markdown escape
from .text import verdict_word

TOP = 10  # rows of each ranking in the text summary (the JSON summary has them all)


def _count(n: int, noun: str) -> str:
    """``1 packet``, ``2,000 packets``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _verdicts(counts: dict[str, int]) -> str:
    return ", ".join(f"{verdict_word(v)} {n:,}" for v, n in counts.items())


def render_json(s: dict[str, Any]) -> str:
    """The summary as indented JSON, for ``--summary FILE.json``."""
    return json.dumps(s, indent=2, ensure_ascii=False) + "\n"


def render_text(s: dict[str, Any]) -> str:
    """The summary for a person reading stderr."""
    lines = [f"Summary: {_count(s['packets'], 'packet')}: {_count(s['decisions'], 'decision')}, "
             f"{_count(s['errors'], 'error')}",
             f"  verdicts: {_verdicts(s['verdicts'])}"]
    if s["transitions"]:
        lines.append("  transitions:")
        lines += [f"    {t['from']} → {t['to']}: {t['count']:,} ({_verdicts(t['verdicts'])})" for t in s["transitions"]]
    if s["top_blockers"]:
        lines.append("  criteria blocking the most candidates:")
        lines += [f"    {b['candidates']:>6,}  {b['criterion']} ({b['title']})" for b in s["top_blockers"][:TOP]]
    if s["most_missing"]:
        lines.append("  evidence most often missing:")
        lines += [f"    {m['candidates']:>6,}  {m['path']}" for m in s["most_missing"][:TOP]]
    if s["errors_by_code"]:
        lines.append("  errors: " + ", ".join(f"{code} {n:,}" for code, n in s["errors_by_code"].items()))
    lines += _calibration_text(s["calibration"])
    return "\n".join(lines) + "\n"


def _calibration_text(cal: dict[str, Any]) -> list[str]:
    if not cal["with_committee_outcome"]:
        return []
    lines = [f"  calibration: {cal['with_committee_outcome']:,} packets with a committee outcome, "
             f"{cal['agree']:,} agree, {cal['disagree']:,} disagree"]
    for d in cal["disagreements"][:TOP]:
        lines.append(f"    {d['candidate_id']} ({d['source']}): committee {d['committee_outcome']}, "
                     f"verdict {d['verdict']}; failed: {', '.join(d['failed']) or '-'}; "
                     f"unknown: {', '.join(d['unknown']) or '-'}")
    if cal["disagree"] > TOP:
        lines.append(f"    … and {cal['disagree'] - TOP:,} more (see --summary FILE.json)")
    return lines


def render_markdown(s: dict[str, Any]) -> str:
    """The summary as a markdown report for the committee."""
    out = ["# Promotion cycle summary", "",
           f"{_count(s['packets'], 'packet')}: {_count(s['decisions'], 'decision')}, {_count(s['errors'], 'error')}.", "",
           "## Verdicts", "", "| verdict | packets |", "|---|---:|"]
    out += [f"| {verdict_word(v)} | {n:,} |" for v, n in s["verdicts"].items()]
    if s["transitions"]:
        out += ["", "## Transitions", "", "| from | to | packets | ready | not ready | insufficient evidence |",
                "|---|---|---:|---:|---:|---:|"]
        out += [f"| {_cell(t['from'])} | {_cell(t['to'])} | {t['count']:,} | {t['verdicts'].get('ready', 0):,} | "
                f"{t['verdicts'].get('not_ready', 0):,} | {t['verdicts'].get('insufficient_evidence', 0):,} |"
                for t in s["transitions"]]
    if s["top_blockers"]:
        out += ["", "## Criteria blocking the most candidates", "", "| criterion | title | candidates |",
                "|---|---|---:|"]
        out += [f"| {_cell(b['criterion'])} | {_cell(b['title'])} | {b['candidates']:,} |"
                for b in s["top_blockers"][:2 * TOP]]
    if s["most_missing"]:
        out += ["", "## Evidence most often missing", "", "| packet field | candidates |", "|---|---:|"]
        out += [f"| `{_cell(m['path'])}` | {m['candidates']:,} |" for m in s["most_missing"][:2 * TOP]]
    if s["errors_by_code"]:
        out += ["", "## Errors", "", "| code | packets |", "|---|---:|"]
        out += [f"| {_cell(code)} | {n:,} |" for code, n in s["errors_by_code"].items()]
    out += _calibration_markdown(s["calibration"])
    return "\n".join(out) + "\n"


def _calibration_markdown(cal: dict[str, Any]) -> list[str]:
    if not cal["with_committee_outcome"]:
        return []
    out = ["", "## Calibration", "",
           f"{cal['with_committee_outcome']:,} packets carry a committee outcome: {cal['agree']:,} agree with "
           f"the evaluator, {cal['disagree']:,} disagree."]
    if cal["disagreements"]:
        out += ["", "| candidate | source | committee | verdict | failed | unknown |", "|---|---|---|---|---|---|"]
        out += [f"| {_cell(d['candidate_id'])} | {_cell(d['source'])} | {d['committee_outcome']} | {d['verdict']} | "
                f"{_cell(', '.join(d['failed']))} | {_cell(', '.join(d['unknown']))} |" for d in cal["disagreements"]]
    return out
