"""The cycle summary of ``batch`` in words: text for stderr, a markdown report for the committee, JSON.

Each renders the dict of ``engine.summary.Summary.to_dict``; no figure is computed here. The text and
markdown forms show control and bidirectional-control characters of its text escaped (``shown_values``);
the JSON form is exact.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from promoready.engine.words import counted

from .text import escape_markdown as _cell  # a table cell: the one markdown escape
from .text import shown_values, verdict_word

TOP = 10  # rows of each ranking in the text summary (the JSON summary has them all)
NAMED = 50  # candidates or packets named one by one in the text summary (the others are counted)
WIDTH = 100  # the text summary's lines wrap here, continuing under their own indent


def _wrap(line: str, more: int = 4) -> list[str]:
    """A long line as lines of at most ``WIDTH`` columns, continued ``more`` columns further in
    than it starts; words (ids, paths) are never split."""
    indent = " " * (len(line) - len(line.lstrip(" ")) + more)
    return textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [line]


def _arrow(t: dict[str, Any]) -> str:
    return f"{t['from']} → {t['to']}"


def _verdicts(counts: dict[str, int]) -> str:
    return ", ".join(f"{verdict_word(v)} {n:,}" for v, n in counts.items())


def render_json(s: dict[str, Any]) -> str:
    """The summary as indented JSON, for ``--summary FILE.json``."""
    return json.dumps(s, indent=2, ensure_ascii=False) + "\n"


def render_text(s: dict[str, Any]) -> str:
    """The summary for a person reading stderr: counts, then by transition who is ready and what
    blocks the others, the evidence most often missing, the packets that could not be evaluated,
    candidates seen twice and the calibration; long lines wrapped. Each line is one line of the summary:
    a line break in its text (a candidate id) is escaped, never wrapped away into a space."""
    s = shown_values(s, one_line=True)
    lines = [f"Summary: {counted(s['packets'], 'packet')}: {counted(s['decisions'], 'decision')}, "
             f"{counted(s['errors'], 'error')}",
             f"  verdicts: {_verdicts(s['verdicts'])}"]
    if s["transitions"]:
        lines.append("  transitions:")
        for t in s["transitions"]:
            lines.append(f"    {_arrow(t)}: {t['count']:,} ({_verdicts(t['verdicts'])})")
            ready = t.get("ready_candidates") or []
            if ready:
                named = ", ".join(r["candidate_id"] for r in ready[:NAMED])
                more = f", and {len(ready) - NAMED:,} more" if len(ready) > NAMED else ""
                lines.append(f"      ready: {named}{more}")
            if t.get("blockers"):
                lines.append("      blocking:")
                lines += [f"      {b['candidates']:>6,}  {b['criterion']} ({b['title']})" for b in t["blockers"][:TOP]]
            if t.get("blocking_groups"):
                lines.append("      too few supporting criteria pass in:")
                lines += [f"      {g['candidates']:>6,}  {_group(g)}" for g in t["blocking_groups"][:TOP]]
    if s["most_missing"]:
        lines.append("  evidence most often missing:")
        lines += [f"    {m['candidates']:>6,}  {m['path']}" for m in s["most_missing"][:TOP]]
    if s["errors_by_code"]:
        lines.append("  errors: " + ", ".join(f"{code} {n:,}" for code, n in s["errors_by_code"].items()))
        errored = s.get("errored") or []
        lines += [f"    {e['message'] or e['source'] or e['code']}" for e in errored[:NAMED]]
        if len(errored) > NAMED:
            lines.append(f"    … and {len(errored) - NAMED:,} more (see --summary FILE.json)")
    if s.get("warned"):
        warned = s["warned"]
        lines.append(f"  {counted(len(warned), 'packet')} with fields that look like typos (ignored; --strict refuses them):")
        lines += [f"    {w['source'] or w['candidate_id']}: {_located(w)}" for w in warned[:NAMED]]
        if len(warned) > NAMED:
            lines.append(f"    … and {len(warned) - NAMED:,} more (see --summary FILE.json)")
    if s.get("duplicate_candidates"):
        lines.append("  candidate ids seen more than once:")
        lines += [f"    {d['candidate_id']}: {', '.join(str(x) for x in d['sources'])}" for d in s["duplicate_candidates"]]
    lines += _calibration_text(s["calibration"])
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line)) + "\n"


def _group(g: dict[str, Any]) -> str:
    """A supporting quota that blocked: ``craft (Craft at level 2)``, or the criteria in no group."""
    return f"{g['group']} ({g['title']})" if g["group"] else g["title"]


def _located(warned: dict[str, Any]) -> str:
    """A packet's typo warnings, each after its line (``line 18: unknown field …``) where known."""
    lines = warned.get("lines") or [None] * len(warned["warnings"])
    return "; ".join(f"line {n}: {w}" if n else w for n, w in zip(lines, warned["warnings"]))


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
    s = shown_values(s)
    out = ["# Promotion cycle summary", "",
           f"{counted(s['packets'], 'packet')}: {counted(s['decisions'], 'decision')}, {counted(s['errors'], 'error')}.", "",
           "## Verdicts", "", "| verdict | packets |", "|---|---:|"]
    out += [f"| {verdict_word(v)} | {n:,} |" for v, n in s["verdicts"].items()]
    if s["transitions"]:
        out += ["", "## Transitions", "", "| from | to | packets | ready | not ready | insufficient evidence |",
                "|---|---|---:|---:|---:|---:|"]
        out += [f"| {_cell(t['from'])} | {_cell(t['to'])} | {t['count']:,} | {t['verdicts'].get('ready', 0):,} | "
                f"{t['verdicts'].get('not_ready', 0):,} | {t['verdicts'].get('insufficient_evidence', 0):,} |"
                for t in s["transitions"]]
    ready = [t for t in s["transitions"] if t.get("ready_candidates")]
    if ready:
        out += ["", "## Ready candidates"]
        for t in ready:
            out += ["", f"### {_cell(_arrow(t))}: {len(t['ready_candidates']):,} ready", "",
                    "| candidate | packet |", "|---|---|"]
            out += [f"| {_cell(r['candidate_id'])} | {_cell(r['source'] or '')} |" for r in t["ready_candidates"]]
    blocked = [t for t in s["transitions"] if t.get("blockers") or t.get("blocking_groups")]
    if blocked:
        out += ["", "## Criteria blocking the most candidates, by transition"]
        for t in blocked:
            out += ["", f"### {_cell(_arrow(t))}"]
            if t.get("blockers"):
                out += ["", "| criterion | title | candidates |", "|---|---|---:|"]
                out += [f"| {_cell(b['criterion'])} | {_cell(b['title'])} | {b['candidates']:,} |"
                        for b in t["blockers"][:2 * TOP]]
            if t.get("blocking_groups"):
                out += ["", "Too few supporting criteria pass in:", "",
                        "| supporting group | title | candidates |", "|---|---|---:|"]
                out += [f"| {_cell(g['group'] or '(none)')} | {_cell(g['title'])} | {g['candidates']:,} |"
                        for g in t["blocking_groups"][:2 * TOP]]
    if s["most_missing"]:
        out += ["", "## Evidence most often missing", "", "| packet field | candidates |", "|---|---:|"]
        out += [f"| `{_cell(m['path'])}` | {m['candidates']:,} |" for m in s["most_missing"][:2 * TOP]]
    if s["errors_by_code"]:
        out += ["", "## Errors", "", "| code | packets |", "|---|---:|"]
        out += [f"| {_cell(code)} | {n:,} |" for code, n in s["errors_by_code"].items()]
        if s.get("errored"):
            out += ["", "| packet | candidate | error |", "|---|---|---|"]
            out += [f"| {_cell(e['source'] or '')} | {_cell(e['candidate_id'] or '')} | {_cell(e['message'] or e['code'])} |"
                    for e in s["errored"]]
    if s.get("warned"):
        out += ["", "## Fields that look like typos", "",
                "Ignored in these packets (`--strict` refuses them); evidence under a misspelt key counts as missing.",
                "", "| packet | candidate | warning |", "|---|---|---|"]
        out += [f"| {_cell(w['source'] or '')} | {_cell(w['candidate_id'])} | {_cell(_located(w))} |"
                for w in s["warned"]]
    if s.get("duplicate_candidates"):
        out += ["", "## Candidate ids seen more than once", "", "| candidate | packets |", "|---|---|"]
        out += [f"| {_cell(d['candidate_id'])} | {_cell(', '.join(str(x) for x in d['sources']))} |"
                for d in s["duplicate_candidates"]]
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
