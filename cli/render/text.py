"""The words every renderer shares, the one markdown escape, and what people may be shown.

A verdict, a criterion's kind or a table cell reads the same in the table, the markdown, the
explanation, the what-if view and the batch summary because they all come from here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Optional

from promoready.engine.words import may_need_printable, plural, printable

if TYPE_CHECKING:
    from promoready.schemas.decision import Decision

#: A verdict as people read it.
VERDICT_WORDS: Mapping[str, str] = {
    "ready": "ready",
    "not_ready": "not ready",
    "insufficient_evidence": "insufficient evidence",
}


def shown_values(value: Any, *, one_line: bool = False) -> Any:
    """``value`` (a string, or dicts, lists and tuples of them) with every string made ``printable``:
    control and bidirectional-control characters escaped visibly (with ``one_line``, line breaks too).
    Anything else is kept as it is."""
    if isinstance(value, str):
        return printable(value, one_line=one_line)
    if isinstance(value, dict):
        return {k: shown_values(v, one_line=one_line) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(shown_values(v, one_line=one_line) for v in value)
    return value


def shown(d: Decision) -> Decision:
    """The decision as people may be shown it: every text in it (candidate id, titles, evidence,
    explanations, warnings…) made ``printable``, and the candidate id kept to one line (a line break in
    it escaped as well: it names the decision in headlines, headings and titles, of every view). Every
    human-facing rendering of a decision starts here; JSON renders the decision itself, exact. The same
    decision when nothing needs escaping.

    The common case is cheap: the decision's full JSON (written by pydantic's serializer, every field)
    is searched once, and only a decision that may hold such a character is dumped, walked and rebuilt.
    """
    one_line = printable(d.candidate_id, one_line=True)
    if not may_need_printable(d.__pydantic_serializer__.to_json(d)):
        return d if one_line == d.candidate_id else d.model_copy(update={"candidate_id": one_line})
    fields = d.model_dump()
    escaped = shown_values(fields)
    escaped["candidate_id"] = one_line
    return d if escaped == fields else type(d).model_validate(escaped)


def verdict_word(verdict: str) -> str:
    """``not_ready`` → ``not ready``; a value that is not a verdict is shown as it is."""
    return VERDICT_WORDS.get(verdict, verdict)


def criterion_kind(required: bool, group: Optional[str] = None) -> str:
    """What a criterion is called by its ``required`` flag: ``required`` or ``supporting`` (with its
    named supporting group, where it counts towards one: ``supporting, craft``)."""
    if required:
        return "required"
    return f"supporting, {group}" if group else "supporting"


def counts(d: Decision) -> str:
    """A decision's criteria by status: ``6 pass, 5 fail, 1 unknown``."""
    s = d.summary
    return f"{s.pass_} pass, {s.fail} fail, {s.unknown} unknown"


class _Quota(NamedTuple):
    """One supporting quota of a decision: the unnamed one (``supporting``) or a named group."""

    name: str  # how a sentence names it: "supporting criteria", or the group's title (else its id)
    total: int  # criteria counting towards it
    needed: int
    passed: int
    unknown: int

    @property
    def short(self) -> bool:
        """Out of reach even if every criterion without evidence passed (the verdict is then not ready)."""
        return self.passed + self.unknown < self.needed

    @property
    def open(self) -> bool:
        """Reachable only through criteria without evidence."""
        return self.passed < self.needed <= self.passed + self.unknown


def _quotas(d: Decision) -> list[_Quota]:
    """The unnamed quota first, then each named group in the ladder's order, as the decision states them
    (``supporting`` counts the supporting criteria in no group; each of ``groups`` its own)."""
    groups = d.groups or []
    named = {g.id for g in groups}
    ungrouped = sum(1 for c in d.criteria if not c.required and c.group not in named)
    q = d.supporting
    quotas = [_Quota("supporting criteria", ungrouped, q.needed, q.passed, q.unknown)]
    for g in groups:
        total = sum(1 for c in d.criteria if not c.required and c.group == g.id)
        quotas.append(_Quota(g.title or g.id, total, g.needed, g.passed, g.unknown))
    return quotas


def verdict_reason(d: Decision) -> str:
    """Why the verdict is what it is, in a few words, from what the decision says (nothing decided here).

    A ready verdict says so when supporting criteria fail or lack evidence (within the quota). Where a
    supporting quota decides, the sentence names it: the unnamed one, or each named group that blocks.
    """
    if d.verdict == "ready":
        shortfalls = []
        for status, verb in (("fail", ("fails", "fail")), ("unknown", ("lacks evidence", "lack evidence"))):
            n = sum(1 for c in d.criteria if not c.required and c.status == status)
            if n:
                shortfalls.append(f"{plural(n, 'supporting criterion')} {verb[0] if n == 1 else verb[1]}")
        if not shortfalls:
            return ""
        within = "within the quotas" if d.groups else "within the quota"
        return "every required criterion passes; " + " and ".join(shortfalls) + ", " + within
    if d.verdict == "not_ready":
        blocking = [c.title for c in d.criteria if c.required and c.status == "fail"]
        if blocking:
            return f"blocked by {', '.join(blocking)}"
        short = [q for q in _quotas(d) if q.short] or _quotas(d)[:1]
        return "; ".join(f"too few {_of(q)} pass: {_where(q.passed, q.needed)}" for q in short)
    missing = [c.title for c in d.criteria if c.required and c.status == "unknown"]
    if missing:
        return f"evidence missing for {', '.join(missing)}"
    waiting = [q for q in _quotas(d) if q.open] or _quotas(d)[:1]
    return "; ".join(_lacking(q) for q in waiting)


def _of(q: _Quota) -> str:
    """``supporting criteria``, or ``criteria of <group>``."""
    return q.name if q.name == "supporting criteria" else f"criteria of {q.name}"


def _lacking(q: _Quota) -> str:
    lack = "lacks" if q.unknown == 1 else "lack"
    where = "" if q.name == "supporting criteria" else f" in {q.name}"
    return (f"supporting evidence missing{where}: {plural(q.unknown, 'supporting criterion')} {lack} evidence "
            f"and {q.passed} {'passes' if q.passed == 1 else 'pass'} where {_needed(q.needed)}")


def _where(passed: int, needed: int) -> str:
    """``0 where 1 is needed``."""
    return f"{passed} where {_needed(needed)}"


def _needed(needed: int) -> str:
    return f"{needed} {'is' if needed == 1 else 'are'} needed"


def quota_lines(d: Decision) -> list[str]:
    """The supporting quotas, one sentence each: how many pass, of how many, and how many are needed.

    One sentence for a transition without named groups; with them, one per group (``Craft: 1 of 3
    pass, 2 needed.``) after the criteria in no group, which are left out when there are none.
    """
    total = sum(1 for c in d.criteria if not c.required)
    if total == 0:
        return ["No supporting criteria."]
    quotas = _quotas(d)
    if not d.groups:
        q = quotas[0]
        return [f"Supporting criteria: {q.passed} of {total} {_verb(q)}{_unknown(q)} "
                f"({'none needed' if q.needed == 0 else f'{q.needed} needed'})."]
    lines = []
    if quotas[0].total or quotas[0].needed:
        q = quotas[0]
        lines.append(f"Supporting criteria in no group: {q.passed} of {q.total} {_verb(q)}{_unknown(q)}, "
                     f"{'none' if q.needed == 0 else q.needed} needed.")
    for q in quotas[1:]:
        lines.append(f"{q.name}: {q.passed} of {q.total} {_verb(q)}{_unknown(q)}, "
                     f"{'none' if q.needed == 0 else q.needed} needed.")
    return lines


def _verb(q: _Quota) -> str:
    return "passes" if q.passed == 1 else "pass"


def _unknown(q: _Quota) -> str:
    return f", {q.unknown} without evidence" if q.unknown else ""


def quota(d: Decision) -> str:
    """``quota_lines`` as one text, a line each."""
    return "\n".join(quota_lines(d))


def when(d: Decision) -> str:
    """The decision's projection as one sentence (``When: …``), or "" for a ready decision or one without it."""
    p = d.projection
    if p is None or d.verdict == "ready":
        return ""
    return f"When: {p.reason}." if p.date is not None else f"When: no date yet; {p.reason}."


#: A ``|`` with the backslashes before it: each doubled, then the pipe escaped, so that a backslash of
#: the text does not escape the escape (``a\\|b`` would end the cell after ``a\\``).
_PIPE = re.compile(r"(\\*)\|")
#: What ends a line in markdown (``\r\n``, ``\r``, ``\n``) and the Unicode line and paragraph separators.
_LINE_BREAK = re.compile("\r\n|[\r\n\u2028\u2029]")


def escape_markdown(value: object) -> str:
    """``value`` as text that stays inside one markdown table cell, heading or list item.

    A ``|`` would end the cell and a line break the row, heading or item: pipes are escaped (a
    backslash before one as well) and line breaks become spaces. Packet and ladder text reaches
    every markdown renderer through here.
    """
    text = str(value)
    if "|" in text:
        text = _PIPE.sub(lambda m: m.group(1) * 2 + "\\|", text)
    return _LINE_BREAK.sub(" ", text)
