"""The overall projection of a decision: the date by which time alone would make the packet ready at
the current pace, or why no such date exists.

The engine has decided every status and the verdict; this only reads them with the dates the
explainer found for each shortfall that time closes (a figure that grows, such as months of reviews
or years of experience). A required criterion that fails for another reason, or lacks evidence,
leaves no date; so does a supporting quota that waiting alone cannot fill. Measured to a date after
the packet's own, months of reviews cannot be projected: the packet holds no reviews since its date,
so such a criterion leaves no date either, and the reason says to add them.
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


# Over 60 lines: one case analysis (ready, timed, blocked, supporting quota) over the same lists of criteria.
def project(criteria: Sequence[Criterion], statuses: Sequence[str], dates: Sequence[Optional[datetime.date]],
            verdict: str, day: datetime.date, supporting_needed: int, *,
            unreviewed: Sequence[bool] = (), packet_date: Optional[datetime.date] = None,
            groups: Optional[Mapping[str, SupportingGroup]] = None) -> Projection:
    """The projection for one decision. ``dates[i]``: when time alone makes criterion ``i`` pass
    (its failing comparisons all close with time), else None. ``unreviewed[i]``: criterion ``i``
    waits on months of reviews while the decision is measured past ``packet_date`` (the packet's own).
    ``groups``: the transition's named supporting groups (``supporting_needed`` is the quota of the
    supporting criteria in none)."""
    if unreviewed:
        dates = [None if stale else d for d, stale in zip(dates, unreviewed)]
    stale = [c for c, s, u in zip(criteria, statuses, unreviewed or [False] * len(criteria)) if s == "fail" and u]
    if verdict == "ready":
        return build(Projection, {"date": day.isoformat(), "reason": "ready now", "waiting_on": [], "blocked_by": []})
    waiting: list[Criterion] = []
    when: list[datetime.date] = []
    no_time: list[Criterion] = []  # fail, and not by time alone
    no_evidence: list[Criterion] = []
    for c, status, date in zip(criteria, statuses, dates):
        if not c.required or status == "pass":
            continue
        if status == "fail" and date is not None:
            waiting.append(c)
            when.append(date)
        elif status == "fail" and c in stale:
            continue  # said below, with the reason
        elif status == "fail":
            no_time.append(c)
        else:
            no_evidence.append(c)
    reasons = []
    stale_required = [c for c in stale if c.required]
    if stale_required and packet_date is not None:
        reasons.append(f"{_titles(stale_required)} {_verb(stale_required, 'waits', 'wait')} on reviews after the "
                       f"packet's date ({packet_date.isoformat()}), which it does not hold: add them, or measure "
                       f"to that date")
    if no_time:
        reasons.append(f"{_titles(no_time)} {_verb(no_time, 'needs', 'need')} more than time")
    if no_evidence:
        reasons.append(f"{_titles(no_evidence)} {_verb(no_evidence, 'lacks', 'lack')} evidence")
    quota_blocked: list[Criterion] = []
    # Each supporting quota in turn: the unnamed one (supporting_needed), then each named group.
    quotas: list[tuple[Optional[str], int, str]] = [(None, supporting_needed, "")]
    quotas += [(gid, g.needed, f" of {g.title or gid}") for gid, g in (groups or {}).items()]
    for gid, needed, of in quotas:
        supporting = [(c, s, d) for c, s, d in zip(criteria, statuses, dates)
                      if not c.required and getattr(c, "group", None) == gid]
        short = max(0, needed - sum(s == "pass" for _, s, _ in supporting))
        if not short:
            continue
        timed = sorted(((d, i) for i, (c, s, d) in enumerate(supporting) if s == "fail" and d is not None))
        if len(timed) >= short:
            chosen = timed[:short]
            waiting += [supporting[i][0] for _, i in chosen]
            when.append(chosen[-1][0])
        else:
            quota_blocked += [c for c, s, d in supporting if s != "pass" and not (s == "fail" and d is not None)]
            reasons.append(f"{plural(short, 'more supporting criterion')}{of} must pass, and time alone passes "
                           f"{len(timed) or 'none'}")
    order = {c.id: i for i, c in enumerate(criteria)}
    waiting_on = sorted({c.id for c in waiting}, key=order.__getitem__)
    blocked_by = sorted({c.id for c in no_time + no_evidence + quota_blocked + stale_required},
                        key=order.__getitem__)
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
