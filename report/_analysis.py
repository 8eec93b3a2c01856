"""The report as data: one JSON-ready dict built from aggregated cycles, which the HTML page and
``--format json`` both render. Nothing here reads files or draws.

Batch-summary figures are copied from ``Summary.to_dict()`` unchanged; the rest is arranged from the
``Cycle`` aggregates and the groups file.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

from ._cycle import Cycle, Person, Transition
from ._fairness import DEFAULT_MIN_GROUP, impact, suppressed_groups
from ._groups import Groups

REPORT_VERSION = 1
#: Criteria shown per transition in the blocking chart.
TOP_BLOCKING = 6


def build(cycle: Cycle, *, groups: Optional[Groups] = None, before: Optional[Cycle] = None,
          min_group: int = DEFAULT_MIN_GROUP) -> dict[str, Any]:
    """Everything the page shows, as data (see docs/report.md for each part)."""
    summary = cycle.summary.to_dict()
    order = [(t["from"], t["to"]) for t in summary["transitions"]]
    return {
        "report_version": REPORT_VERSION,
        "cycle": {"name": cycle.name, "as_of": _span(cycle.as_of), "ladders": sorted(cycle.ladders),
                  "candidates": len(cycle.people), "repeated_candidate_ids": cycle.duplicates,
                  "complete": cycle.complete, "log": cycle.log},
        "summary": summary,
        "tracks": _tracks(cycle),
        "blocking": [_blocking(cycle, t) for t in summary["transitions"]],
        "ready_by": _ready_by(cycle),
        "calibration": _calibration(cycle, summary),
        "compare": _compare(cycle, before) if before is not None else None,
        "fairness": _fairness(cycle, groups, order, min_group) if groups is not None else None,
    }


def _span(days: set[str]) -> list[str]:
    """The first and last as-of dates (one when all are the same)."""
    known = sorted(d for d in days if d)
    return known[:1] + known[-1:] if len(known) > 1 else known


def _tracks(cycle: Cycle) -> list[dict[str, Any]]:
    rows = [{"from": a, "to": b, "track": track, "count": sum(v.values()), "verdicts": dict(v)}
            for (a, b, track), v in cycle.by_track.items()]
    return sorted(rows, key=lambda r: (-r["count"], r["from"], r["to"], r["track"]))


def _blocking(cycle: Cycle, t: dict[str, Any]) -> dict[str, Any]:
    """One transition's blockers: the batch summary's required fails there, and the required unknowns."""
    key = (t["from"], t["to"])
    fails = {b["criterion"]: b for b in t["blockers"]}
    unknown = {cid: (title, n) for cid, title, n in cycle.required_unknown(key)}

    def weight(c: str) -> tuple[int, str]:
        return (-(fails[c]["candidates"] if c in fails else 0) - (unknown[c][1] if c in unknown else 0), c)

    ranked = sorted(set(fails) | set(unknown), key=weight)
    return {
        "from": t["from"], "to": t["to"], "count": t["count"],
        "required_fail": t["blockers"],
        "required_unknown": [{"criterion": c, "title": title, "candidates": n} for c, (title, n) in unknown.items()],
        "top": [{"criterion": c, "title": fails[c]["title"] if c in fails else unknown[c][0],
                 "fail": fails[c]["candidates"] if c in fails else 0, "unknown": unknown[c][1] if c in unknown else 0}
                for c in ranked[:TOP_BLOCKING]],
    }


def _ready_by(cycle: Cycle) -> dict[str, Any]:
    months: dict[str, int] = {}
    for r in cycle.ready_by:
        key = r.date.isoformat()[:7]
        months[key] = months.get(key, 0) + 1
    rows = sorted(cycle.ready_by, key=lambda r: (r.date, r.candidate_id))
    return {
        "candidates": len(rows),
        "by_month": [{"month": m, "candidates": n} for m, n in sorted(months.items())],
        "list": [{"candidate_id": r.candidate_id, "from": r.transition[0], "to": r.transition[1],
                  "date": r.date.isoformat()} for r in rows],
    }


def _calibration(cycle: Cycle, summary: dict[str, Any]) -> dict[str, Any]:
    matrix = [{"committee_outcome": co, "verdict": v, "decisions": n} for (co, v), n in sorted(cycle.calibration.items())]
    return {**summary["calibration"], "matrix": matrix}


def _compare(after: Cycle, before: Cycle) -> dict[str, Any]:
    became, regressed = [], []
    both = 0
    for cid, now in after.people.items():
        then = before.people.get(cid)
        if then is None:
            continue
        both += 1
        row = {"candidate_id": cid, "from": now.transition[0], "to": now.transition[1],
               "before": then.verdict, "after": now.verdict}
        if now.verdict == "ready" and then.verdict != "ready":
            became.append(row)
        elif then.verdict == "ready" and now.verdict != "ready":
            regressed.append(row)
    criteria: list[dict[str, Any]] = []
    for t, counts in after.criteria.items():
        for cid, late in counts.items():
            early = before.criteria.get(t, {}).get(cid)
            if early is None or not early.evaluated or not late.evaluated:
                continue
            rate_then, rate_now = early.passed / early.evaluated, late.passed / late.evaluated
            criteria.append({"from": t[0], "to": t[1], "criterion": cid, "title": late.title,
                             "before": {"evaluated": early.evaluated, "passed": early.passed, "rate": rate_then},
                             "after": {"evaluated": late.evaluated, "passed": late.passed, "rate": rate_now},
                             "change": rate_now - rate_then})
    criteria.sort(key=lambda r: (-abs(r["change"]), r["from"], r["to"], r["criterion"]))
    return {"before": before.name, "before_complete": before.complete, "before_log": before.log, "after": after.name,
            "in_both": both,
            "new": len(after.people) - both, "gone": sum(1 for c in before.people if c not in after.people),
            "became_ready": sorted(became, key=lambda r: r["candidate_id"]),
            "regressed": sorted(regressed, key=lambda r: r["candidate_id"]), "criteria": criteria}


def _fairness(cycle: Cycle, groups: Groups, order: list[Transition], min_group: int) -> dict[str, Any]:
    by_transition: dict[Transition, list[tuple[str, Person]]] = {}
    for cid, person in cycle.people.items():
        by_transition.setdefault(person.transition, []).append((cid, person))
    matched = sum(1 for cid in groups.values if cid in cycle.people)
    attributes = []
    for attribute in groups.attributes:
        tables = []
        for t in order:
            people = by_transition.get(t, [])
            if not people:
                continue
            # People with the same group, criteria and passes count alike: tally those first.
            kinds = Counter((groups.of(cid, attribute), p.evaluated, p.passed, p.verdict == "ready") for cid, p in people)
            counts: dict[str, list[int]] = {}
            for (group, _, _, ready), k in kinds.items():
                cell = counts.setdefault(group, [0, 0])
                cell[0] += k
                cell[1] += k * ready
            ordered = {g: (n, h) for g, (n, h) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))}
            hidden = suppressed_groups({g: n for g, (n, _) in ordered.items()}, min_group)
            tables.append({"from": t[0], "to": t[1], "candidates": len(people),
                           "ready": sum(h for _, h in ordered.values()),
                           "groups": [c.to_dict() for c in impact(ordered, hidden)],
                           "criteria": _criteria(cycle, t, kinds, list(ordered), hidden, min_group)})
        attributes.append({"attribute": attribute, "transitions": tables})
    return {"min_group": min_group, "groups_rows": len(groups.values), "matched": matched,
            "unmatched": len(groups.values) - matched, "attributes": attributes,
            "unmatched_example": _unmatched_example(groups, cycle) if groups.values and not matched else None}


#: A groups file that matches no decision has its first id compared with at most this many decision ids.
MAX_COMPARED = 10_000


def _unmatched_example(groups: Groups, cycle: Cycle) -> dict[str, Any]:
    """For a groups file none of whose rows matches a decision: its first candidate id, and the closest id
    a decision has (None if none is close), for the warning that says so."""
    from promoready.engine.errors import nearest

    example = next(iter(groups.values))  # the file's first row (a dict keeps the order it was read in)
    near = nearest(example, sorted(cycle.people)[:MAX_COMPARED], 1)
    return {"candidate_id": example, "closest_decision": near[0] if near else None}


def _criteria(cycle: Cycle, t: Transition, kinds: Counter, names: list[str], hidden: dict[str, str],
              min_group: int) -> list[dict[str, Any]]:
    """Each criterion's pass rate per group, hiding at least what the transition's table hides."""
    cells: dict[str, dict[str, list[int]]] = {cid: {g: [0, 0] for g in names} for cid in cycle.criteria.get(t, {})}
    for (group, evaluated, passed, _), k in kinds.items():
        for cid in evaluated:
            cell = cells[cid][group]
            cell[0] += k
            if cid in passed:
                cell[1] += k
    rows = []
    for cid, counts in cycle.criteria.get(t, {}).items():
        table = {g: (n, h) for g, (n, h) in cells[cid].items()}
        shown = impact(table, suppressed_groups({g: n for g, (n, _) in table.items()}, min_group, also=hidden))
        rows.append({"criterion": cid, "title": counts.title, "required": counts.required,
                     "groups": [c.to_dict() for c in shown]})
    return rows
