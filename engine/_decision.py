"""Building a decision from what the engine decided: each criterion's result, the summary, the next
steps and the projection (``decision``), and what a criterion's result says whatever the packet,
worked out once per transition (``criterion_rows``).

Nothing here decides a status or the verdict: the engine has, and these only word it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Optional

from promoready.schemas.decision import CriterionResult, Decision, Group, LadderRef, Summary, Supporting
from promoready.schemas.ladder import Criterion, Ladder, Transition
from promoready.schemas.packet import Packet

from . import _packet
from ._build import build
from ._compile import keyed_leaves, uses_org_size
from ._explain import leaves, texts_for
from ._gaps import leaf_status
from ._measures import Measured
from .projection import project

if TYPE_CHECKING:
    from .evaluator import _Plan


#: The paths a next step names one by one at most; ``missing`` keeps them all.
NAMED = 5


def in_doubt(tree: Any, names: list[str], measured: dict[str, Measured], encoded: dict[str, Any],
             size: Optional[int], missing: list[str]) -> list[str]:
    """The fields whose absence leaves items of a count in doubt, of each count a comparison of the
    criterion reads as unknown (not of one whose comparison holds whatever those items turn out to be)."""
    unsure = {n for leaf in leaves(tree) if leaf_status(leaf, encoded, size) == "unknown"
              for n in (leaf.measure, leaf.other) if n is not None and encoded[n] is not None}
    return list(dict.fromkeys(p for n in names if n in unsure for p in measured[n].unsure if p not in missing))


def calibrated(criterion: Criterion) -> bool:
    """Whether the criterion's threshold is the ladder's own calibration rather than its source's."""
    return criterion.threshold is not None and criterion.threshold.basis == "calibration"


#: Per criterion, what its result says whatever the packet, worked out once per transition: the measures it
#: reads, its compiled tree, its words per status, its id, title, required flag, source,
#: source title, threshold basis, supporting group and the " (calibrated)" suffix of its expectation.
Row = tuple[list[str], Any, dict[str, str], str, str, bool, str, str, Optional[str], Optional[str], str]


def criterion_rows(ladder: Ladder, transition: Transition, names: list[list[str]], trees: list,
                   groups: list[Optional[str]]) -> list[Row]:
    """Each criterion's ``Row``: one tuple unpacked per criterion and packet instead of a dozen lookups."""
    return [(names[i], trees[i], {status: texts_for(c, status) for status in ("pass", "fail", "unknown")},
             c.id, c.title, c.required, str(c.source), ladder.citation(c.source),
             c.threshold.basis if c.threshold else None, groups[i], " (calibrated)" if calibrated(c) else "")
            for i, c in enumerate(transition.criteria)]


# Over 60 lines: one pass fills each result and the parallel lists (steps, dates, reviews) the projection reads.
def decision(ladder_ref: LadderRef, packet: Packet, plan: _Plan, day: datetime.date, statuses: list[str],
             verdict: str, measured: dict[str, Measured], encoded: dict[str, Any], size: Optional[int],
             plain: bool = False) -> Decision:
    """The ``Decision`` for a packet the engine has decided (``statuses``, ``verdict``): each criterion's
    result with its words, gaps and evidence, the summary, the next steps and the projection. Python
    words what the engine decided; it decides nothing. ``plain``: the packet is known to have no extra
    fields, so it has no typo warnings (the walk that would find none is skipped)."""
    explainer = plan.explainer
    t = plan.transition
    results: list[CriterionResult] = []
    steps: list[tuple[float, int, str]] = []
    dates: list[Optional[datetime.date]] = []  # when time alone makes each criterion pass, if it does
    expected_words = plan.expected[size]  # None where the expectation is worded per packet (keyed)
    for i, (row, status) in enumerate(zip(plan.rows, statuses)):
        names, tree, texts, cid, title, required, source, source_title, basis, group, suffix = row
        words = texts[status]
        if len(names) == 1:
            evidence = measured[names[0]].evidence
            evidence = list(dict.fromkeys(evidence)) if len(evidence) > 1 else evidence[:]
        else:
            evidence = list(dict.fromkeys(p for n in names for p in measured[n].evidence))
        missing: list[str] = []
        next_step = None
        closes: Optional[datetime.date] = None
        if status == "unknown":
            missing = list(dict.fromkeys(p for n in names if encoded[n] is None for p in measured[n].missing))
            if not missing:  # every measure known: the field a threshold is keyed by is not
                missing = list(dict.fromkeys(p for leaf in keyed_leaves(tree) if leaf.keyed is not None
                                             and encoded.get(leaf.keyed.figure) is None
                                             for p in measured[leaf.keyed.figure].missing))
            if plan.needs_size and size is None and not missing and uses_org_size(tree):
                missing = ["organization.size"]
            if any(measured[n].unsure for n in names):  # a count in doubt: what its items lack, where it tells
                missing += in_doubt(tree, names, measured, encoded, size, missing)
            # A list that is there but has nothing in a window: what to add names the window.
            windows = {p: w for n in names for p, w in measured[n].windows_of().items()}
            named = missing[:NAMED + (len(missing) == NAMED + 1)]  # "and 1 more" would name no fewer
            wanted = [f"{p} ({windows[p]})" if windows.get(p) else p for p in named]
            if len(missing) > len(wanted):  # thousands of items in doubt: the first few, and how many more
                wanted[-1] += f" and {len(missing) - len(wanted):,} more (see missing)"
            next_step = f"add {', '.join(wanted)} to the packet" if missing else words
            steps.append((0.0, i, f"{title}: {next_step}"))
        elif status == "fail":
            gaps = explainer.gaps(tree, encoded, size, day, measured=measured)
            if gaps:
                next_step = "; ".join(g.words for g in gaps)
                size_of = sum(g.size for g in gaps)
                timed = [g.date for g in gaps if g.date is not None]
                closes = max(timed) if len(timed) == len(gaps) else None
            else:
                next_step, size_of = words, 1.0
            steps.append((size_of, i, f"{title}: {next_step}"))
        dates.append(closes)
        expected = expected_words[i]
        results.append(build(CriterionResult, {
            "id": cid,
            "title": title,
            "required": required,
            "status": status,
            "expected": expected if expected is not None else explainer.expected(tree, size, encoded) + suffix,
            "actual": explainer.actual(names, measured, encoded),
            "explanation": words,
            "evidence": evidence,
            "missing": missing,
            "next_step": next_step,
            "source": source,
            "source_title": source_title,
            "threshold_basis": basis,
            "group": group,
        }))
    counts = {s: statuses.count(s) for s in ("pass", "fail", "unknown")}
    supporting = [statuses[i] for i in plan.quotas.get(None, ())]
    groups = None
    if t.supporting_groups:
        groups = []
        for gid, quota in t.supporting_groups.items():
            mine = [statuses[i] for i in plan.quotas.get(gid, ())]
            groups.append(build(Group, {"id": gid, "title": quota.title, "needed": quota.needed,
                                        "passed": mine.count("pass"), "unknown": mine.count("unknown")}))
    return build(Decision, {
        "decision_version": 1,
        "candidate_id": packet.candidate.id,
        "ladder": ladder_ref,
        "packet_digest": _packet.packet_digest(packet),
        "transition": plan.ref,
        "as_of": day.isoformat(),
        "verdict": verdict,
        "criteria": results,
        "summary": build(Summary, {"pass_": counts["pass"], "fail": counts["fail"], "unknown": counts["unknown"]}),
        "supporting": build(Supporting, {"needed": t.supporting_needed, "passed": supporting.count("pass"),
                                         "unknown": supporting.count("unknown")}),
        "next_steps": [text for _, _, text in sorted(steps)],
        "warnings": [] if plain else _packet.typo_warnings(packet),
        "committee_outcome": packet.committee_outcome,
        "projection": project(t.criteria, statuses, dates, verdict, day, t.supporting_needed,
                              groups=t.supporting_groups, quotas_of=plan.quotas),
        "groups": groups,
    })
