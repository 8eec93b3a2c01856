"""The overall projection of a decision: the date by which time alone would make the packet ready at
the current pace, or why no such date exists.

The engine has decided every status and the verdict; this only reads them with the dates the
explainer found for each shortfall that time closes (a figure that grows, such as months of reviews
or years of experience). A required criterion that fails for another reason, or lacks evidence,
leaves no date; so does a supporting quota that waiting alone cannot fill.
"""

from __future__ import annotations

import datetime
from typing import Optional, Sequence

from promoready.schemas.decision import Projection
from promoready.schemas.ladder import Criterion

from .words import plural


def _titles(criteria: Sequence[Criterion]) -> str:
    return ", ".join(c.title for c in criteria)


def _verb(criteria: Sequence[Criterion], one: str, many: str) -> str:
    return one if len(criteria) == 1 else many


def project(criteria: Sequence[Criterion], statuses: Sequence[str], dates: Sequence[Optional[datetime.date]],
            verdict: str, day: datetime.date, supporting_needed: int) -> Projection:
    """The projection for one decision. ``dates[i]``: when time alone makes criterion ``i`` pass
    (its failing comparisons all close with time), else None."""
    if verdict == "ready":
        return Projection(date=day.isoformat(), reason="ready now", waiting_on=[], blocked_by=[])
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
        elif status == "fail":
            no_time.append(c)
        else:
            no_evidence.append(c)
    reasons = []
    if no_time:
        reasons.append(f"{_titles(no_time)} {_verb(no_time, 'needs', 'need')} more than time")
    if no_evidence:
        reasons.append(f"{_titles(no_evidence)} {_verb(no_evidence, 'lacks', 'lack')} evidence")
    supporting = [(c, s, d) for c, s, d in zip(criteria, statuses, dates) if not c.required]
    short = max(0, supporting_needed - sum(s == "pass" for _, s, _ in supporting))
    quota_blocked: list[Criterion] = []
    if short:
        timed = sorted(((d, i) for i, (c, s, d) in enumerate(supporting) if s == "fail" and d is not None))
        if len(timed) >= short:
            chosen = timed[:short]
            waiting += [supporting[i][0] for _, i in chosen]
            when.append(chosen[-1][0])
        else:
            quota_blocked = [c for c, s, d in supporting if s != "pass" and not (s == "fail" and d is not None)]
            reasons.append(f"{plural(short, 'more supporting criterion')} must pass, and time alone passes "
                           f"{len(timed) or 'none'}")
    order = {c.id: i for i, c in enumerate(criteria)}
    waiting_on = sorted({c.id for c in waiting}, key=order.__getitem__)
    blocked_by = sorted({c.id for c in no_time + no_evidence + quota_blocked}, key=order.__getitem__)
    if reasons:
        return Projection(date=None, reason="time alone cannot make the packet ready: " + "; ".join(reasons),
                          waiting_on=waiting_on, blocked_by=blocked_by)
    if not when:  # not ready, yet nothing short: cannot happen with the engine's verdict rules
        return Projection(date=None, reason="no criterion that time can fix is short", waiting_on=[],
                          blocked_by=blocked_by)
    date = max(when)
    return Projection(date=date.isoformat(),
                      reason=f"at the current pace, time alone makes the packet ready by {date.isoformat()}",
                      waiting_on=waiting_on, blocked_by=[])
