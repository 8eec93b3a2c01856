"""The words every renderer shares, and the one markdown escape.

A verdict, a criterion's kind or a table cell reads the same in the table, the markdown, the
explanation, the what-if view and the batch summary because they all come from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from promoready.engine.words import plural

if TYPE_CHECKING:
    from promoready.schemas.decision import Decision

#: A verdict as people read it.
VERDICT_WORDS: Mapping[str, str] = {
    "ready": "ready",
    "not_ready": "not ready",
    "insufficient_evidence": "insufficient evidence",
}


def verdict_word(verdict: str) -> str:
    """``not_ready`` → ``not ready``; a value that is not a verdict is shown as it is."""
    return VERDICT_WORDS.get(verdict, verdict)


def criterion_kind(required: bool) -> str:
    """What a criterion is called by its ``required`` flag: ``required`` or ``supporting``."""
    return "required" if required else "supporting"


def counts(d: Decision) -> str:
    """A decision's criteria by status: ``6 pass, 5 fail, 1 unknown``."""
    s = d.summary
    return f"{s.pass_} pass, {s.fail} fail, {s.unknown} unknown"


def verdict_reason(d: Decision) -> str:
    """Why the verdict is what it is, in a few words, from what the decision says (nothing decided here).

    A ready verdict says so when supporting criteria fail or lack evidence (within the quota).
    """
    if d.verdict == "ready":
        shortfalls = []
        for status, verb in (("fail", ("fails", "fail")), ("unknown", ("lacks evidence", "lack evidence"))):
            n = sum(1 for c in d.criteria if not c.required and c.status == status)
            if n:
                shortfalls.append(f"{plural(n, 'supporting criterion')} {verb[0] if n == 1 else verb[1]}")
        if not shortfalls:
            return ""
        return "every required criterion passes; " + " and ".join(shortfalls) + ", within the quota"
    q = d.supporting
    if d.verdict == "not_ready":
        blocking = [c.title for c in d.criteria if c.required and c.status == "fail"]
        if blocking:
            return f"blocked by {', '.join(blocking)}"
        return f"too few supporting criteria pass: {_where(q.passed, q.needed)}"
    missing = [c.title for c in d.criteria if c.required and c.status == "unknown"]
    if missing:
        return f"evidence missing for {', '.join(missing)}"
    lack = "lacks" if q.unknown == 1 else "lack"
    return (f"supporting evidence missing: {plural(q.unknown, 'supporting criterion')} {lack} evidence "
            f"and {q.passed} {'passes' if q.passed == 1 else 'pass'} where {_needed(q.needed)}")


def _where(passed: int, needed: int) -> str:
    """``0 where 1 is needed``."""
    return f"{passed} where {_needed(needed)}"


def _needed(needed: int) -> str:
    return f"{needed} {'is' if needed == 1 else 'are'} needed"


def quota(d: Decision) -> str:
    """The supporting criteria in one sentence: how many pass, of how many, and how many are needed."""
    q = d.supporting
    total = sum(1 for c in d.criteria if not c.required)
    if total == 0:
        return "No supporting criteria."
    verb = "passes" if q.passed == 1 else "pass"
    unknown = f", {q.unknown} without evidence" if q.unknown else ""
    needed = "none needed" if q.needed == 0 else f"{q.needed} needed"
    return f"Supporting criteria: {q.passed} of {total} {verb}{unknown} ({needed})."


def when(d: Decision) -> str:
    """The decision's projection as one sentence (``When: …``), or "" for a ready decision or one without it."""
    p = d.projection
    if p is None or d.verdict == "ready":
        return ""
    return f"When: {p.reason}." if p.date is not None else f"When: no date yet; {p.reason}."


def escape_markdown(value: object) -> str:
    """``value`` as text that stays inside one markdown table cell or list item.

    A ``|`` would end the cell and a line break the row or item: pipes are escaped and line
    breaks become spaces. Packet and ladder text reaches every markdown renderer through here.
    """
    return str(value).replace("|", "\\|").replace("\n", " ")
