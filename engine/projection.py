"""The overall projection of a decision: the date by which time alone would make the packet ready at
the current pace, or why no such date exists.

The engine has decided every status and the verdict; this only reads them with the dates the
explainer found for each shortfall that time closes (a figure that grows, such as months of reviews
or years of experience). A required criterion that fails for another reason, or lacks evidence,
leaves no date; so does a supporting quota that waiting alone cannot fill. Months of reviews have a
date only up to the end of a qualifying review period under way on as_of (the explainer's reach), so
measured past the packet's own date they are projected the same way: that period is in the packet.
"""

from __future__ import annotations

import datetime
from typing import Mapping, Optional, Sequence

from promoready.schemas.decision import Projection
from promoready.schemas.ladder import Criterion, SupportingGroup

from ._build import build
from .words import plural


def _titles(criteria: Sequence[Criterion]) -> str:
    return ", ".join(c.title for c in criteria)


def _verb(criteria: Sequence[Criterion], one: str, many: str) -> str:
    return one if len(criteria) == 1 else many


def members(criteria: Sequence[Criterion]) -> dict[Optional[str], list[int]]:
    """The supporting criteria of each quota, by index, in the transition's order (the key None: those in
    no named group). It depends only on the transition: an evaluator works it out once (``_Plan``)."""
    out: dict[Optional[str], list[int]] = {}
    for i, c in enumerate(criteria):
        if not c.required:
            out.setdefault(getattr(c, "group", None), []).append(i)
    return out


# Over 60 lines: one case analysis (ready, timed, blocked, supporting quota) over the same lists of criteria.
def project(criteria: Sequence[Criterion], statuses: Sequence[str], dates: Sequence[Optional[datetime.date]],
            verdict: str, day: datetime.date, supporting_needed: int, *,
            groups: Optional[Mapping[str, SupportingGroup]] = None,
            quotas_of: Mapping[Optional[str], Sequence[int]]) -> Projection:
    """The projection for one decision. ``dates[i]``: when time alone makes criterion ``i`` pass
    (its failing comparisons all close with time), else None, the same date its next step gives.
    ``groups``: the transition's named supporting groups (``supporting_needed`` is the quota of the
    supporting criteria in none). ``quotas_of``: ``members(criteria)``, which the transition's plan holds."""
    if verdict == "ready":
        return build(Projection, {"date": day.isoformat(), "reason": "ready now", "waiting_on": [], "blocked_by": []})
    # Criteria by their index (a transition's ids are unique: the ladder refuses two alike), so the
    # lists below come out in the transition's order without sorting by id.
    waiting: list[int] = []
    when: list[datetime.date] = []
    no_time: list[int] = []  # fail, and not by time alone
    no_evidence: list[int] = []
    for i, (c, status, date) in enumerate(zip(criteria, statuses, dates)):
        if not c.required or status == "pass":
            continue
        if status == "fail" and date is not None:
            waiting.append(i)
            when.append(date)
        elif status == "fail":
            no_time.append(i)
        else:
            no_evidence.append(i)
    reasons = []
    if no_time:
        needs = [criteria[i] for i in no_time]
        reasons.append(f"{_titles(needs)} {_verb(needs, 'needs', 'need')} more than time")
    if no_evidence:
        lacks = [criteria[i] for i in no_evidence]
        reasons.append(f"{_titles(lacks)} {_verb(lacks, 'lacks', 'lack')} evidence")
    quota_blocked: list[int] = []
    # Each supporting quota in turn: the unnamed one (supporting_needed), then each named group.
    quotas: list[tuple[Optional[str], int, str]] = [(None, supporting_needed, "")]
    quotas += [(gid, g.needed, f" of {g.title or gid}") for gid, g in (groups or {}).items()]
    for gid, needed, of in quotas:
        supporting = [(i, statuses[i], dates[i]) for i in quotas_of.get(gid, ())]
        short = max(0, needed - sum(s == "pass" for _, s, _ in supporting))
        if not short:
            continue
        timed = sorted(((d, k) for k, (_, s, d) in enumerate(supporting) if s == "fail" and d is not None))
        if len(timed) >= short:
            chosen = timed[:short]
            waiting += [supporting[k][0] for _, k in chosen]
            when.append(chosen[-1][0])
        else:
            quota_blocked += [i for i, s, d in supporting if s != "pass" and not (s == "fail" and d is not None)]
            reasons.append(f"{plural(short, 'more supporting criterion')}{of} must pass, and time alone passes "
                           f"{len(timed) or 'none'}")
    waiting_on = [criteria[i].id for i in sorted(set(waiting))]
    blocked_by = [criteria[i].id for i in sorted({*no_time, *no_evidence, *quota_blocked})]
    if reasons:
        return build(Projection, {"date": None,
                                  "reason": "time alone cannot make the packet ready: " + "; ".join(reasons),
                                  "waiting_on": waiting_on, "blocked_by": blocked_by})
    if not when:  # not ready, yet nothing short: cannot happen with the engine's verdict rules
        return build(Projection, {"date": None, "reason": "no criterion that time can fix is short",
                                  "waiting_on": [], "blocked_by": blocked_by})
    date = max(when)
    return build(Projection, {"date": date.isoformat(),
                              "reason": f"at the current pace, time alone makes the packet ready by {date.isoformat()}",
                              "waiting_on": waiting_on, "blocked_by": []})
