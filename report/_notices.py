"""What a report says of a stored cycle that is not a whole batch's: one its batch left incomplete, or the
HTTP service's decision log (never closed), for the cycle reported on and for the one compared with.

One wording for the page's notes and for the warnings ``promoready report`` writes on stderr: a notice's
sentence is a tuple of parts, plain text and ``Code`` (a cycle's name, a command), which stderr quotes
(``'2026-H2'``) and the page sets as ``<code>``. Only an incomplete cycle is warned about on stderr; a log
is never complete, and saying so on every report would be noise.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from promoready.engine.words import counted


class Code(str):
    """A cycle's name or a command within a notice's sentence."""


class Notice(NamedTuple):
    """A note atop the page (``where``: ``cycle``) or atop its comparison (``compare``)."""

    where: str  # "cycle" or "compare"
    kind: str  # "incomplete" or "log": the note's class on the page
    heading: str  # the page's lead-in: "Incomplete cycle."
    sentence: tuple[str, ...]  # plain text and Code parts
    warn: bool  # also a warning on stderr

    def text(self) -> str:
        """The sentence as stderr writes it: names and commands quoted, no capital, no full stop."""
        return "".join(repr(str(p)) if isinstance(p, Code) else p for p in self.sentence)


def _incomplete(name: str, what: str) -> tuple[str, ...]:
    return ("cycle ", Code(name), f"{what} is incomplete in the store (its batch stopped before the end): ")


def _log(name: str, what: str) -> tuple[str, ...]:
    return ("cycle ", Code(name), f"{what} is the decision log of the HTTP service (",
            Code(f"promoready serve --cycle {name}"), "), which is never closed: ")


def notices(data: dict[str, Any]) -> list[Notice]:
    """The notices of a report's data (``_analysis.build``): none for decisions files, whose state is not known."""
    found = []
    cycle, compare = data["cycle"], data["compare"]
    if cycle.get("complete") is False:
        name, packets = cycle["name"], data["summary"]["packets"]
        if cycle.get("log"):
            found.append(Notice("cycle", "log", "Decision log, still open.", _log(name, "") + (
                f"the report covers the {counted(packets, 'decision')} logged when it was made",), False))
        else:
            found.append(Notice("cycle", "incomplete", "Incomplete cycle.", _incomplete(name, "") + (
                f"the report covers only the {counted(packets, 'packet')} recorded so far; the same ",
                Code(f"promoready batch … --cycle {name} --resume"), " completes it"), True))
    if compare is not None and compare.get("before_complete") is False:
        name = compare["before"]
        if compare.get("before_log"):  # never complete, never to be completed: no warning, no --resume
            found.append(Notice("compare", "log", "Decision log, still open.", _log(name, ", compared with,") + (
                "the comparison is with the decisions logged when the report was made",), False))
        else:
            found.append(Notice("compare", "incomplete", "Incomplete cycle.", _incomplete(name, ", compared with,") + (
                "only the decisions recorded so far are compared, so candidates missing from it count as new",),
                True))
    return found
