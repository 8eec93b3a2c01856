"""Counted nouns in English: ``1 mentee``, ``2 mentees``, ``1 criterion``, ``3 criteria``.

The one place plurals are made, for the engine's wording (expected, actual, next steps) and for every
renderer of the command line. It imports nothing from promoready but ``_wording`` (as light as it), so
any layer can use it.

Ladders write their units in the plural (``unit: mentees``), as a threshold of 2 or more reads;
``singular`` turns such a word back, so a unit reads right after 1 as well as after 3.

``printable`` is the one escape of control and bidirectional-control characters for text shown to
people (every human-facing rendering of the command line and the HTML report).

``shown`` (from ``_wording``, the engine's light wording module) is here for the front ends: a value
as a message quotes it, in the words of the file it came from (``true``, ``null``), never Python's.
"""

from __future__ import annotations

import re
from typing import Optional, Union

from ._wording import shown as shown  # re-exported, for the front ends

Number = Union[int, float]

#: Plurals that don't add -s or -es, by their singular (lower case).
IRREGULAR: dict[str, str] = {
    "criterion": "criteria",
    "person": "people",
    "child": "children",
    "analysis": "analyses",
    "hypothesis": "hypotheses",
    "index": "indices",
    "datum": "data",
    "man": "men",
    "woman": "women",
    "foot": "feet",
    "quiz": "quizzes",
}
_SINGULAR: dict[str, str] = {p: s for s, p in IRREGULAR.items()}
#: Words the same in both numbers.
_INVARIANT = frozenset({"evidence", "feedback", "staff", "series", "sheep", "information"})


def is_one(n: Number) -> bool:
    """Whether ``n`` takes the singular: exactly one (``1`` or ``1.0``; ``0``, ``0.5`` and ``1.5`` take the plural)."""
    return not isinstance(n, bool) and n == 1


def _match_case(model: str, word: str) -> str:
    return word.capitalize() if model[:1].isupper() and model[1:].islower() else word


def pluralise(word: str) -> str:
    """The plural of a singular noun (the last word of ``word`` when it is a phrase: ``product manager`` → ``product managers``)."""
    head, _, last = word.rpartition(" ")
    lower = last.lower()
    if lower in _INVARIANT or not lower:
        form = last
    elif lower in IRREGULAR:
        form = _match_case(last, IRREGULAR[lower])
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        form = last + "es"
    elif lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        form = last[:-1] + "ies"
    else:
        form = last + "s"
    return f"{head} {form}" if head else form


def singular(word: str) -> str:
    """The singular of a plural noun (the last word of ``word`` when it is a phrase); a word that is
    not a plural is returned as it is (``evidence``, ``process``)."""
    head, _, last = word.rpartition(" ")
    lower = last.lower()
    if lower in _SINGULAR:
        form = _match_case(last, _SINGULAR[lower])
    elif lower in _INVARIANT or len(lower) < 3 or not lower.endswith("s"):
        form = last
    elif lower.endswith("ies") and len(lower) > 4:
        form = last[:-3] + "y"
    elif lower.endswith(("sses", "xes", "zzes", "ches", "shes")):
        form = last[:-2]
    elif lower.endswith(("ss", "us", "is")):
        form = last  # already singular: process, status, analysis
    else:
        form = last[:-1]
    return f"{head} {form}" if head else form


def noun(n: Number, word: str, plural_form: Optional[str] = None) -> str:
    """``word`` (a singular noun) in the number ``n`` asks for: ``noun(1, "mentee")`` → ``mentee``."""
    if is_one(n):
        return word
    return plural_form if plural_form is not None else pluralise(word)


def plural(n: Number, word: str, plural_form: Optional[str] = None, *, number: Optional[str] = None) -> str:
    """``n`` and ``word`` (a singular noun) agreeing: ``plural(1, "mentee")`` → ``1 mentee``,
    ``plural(3, "criterion")`` → ``3 criteria``. ``number`` is how to write ``n`` (default ``str(n)``)."""
    return f"{number if number is not None else n} {noun(n, word, plural_form)}"


def counted(n: int, word: str) -> str:
    """A count for people, with thousands separated: ``1 packet``, ``2,000 packets``."""
    return plural(n, word, number=f"{n:,}")


def agree(n: Number, phrase: str, unit: str) -> str:
    """``phrase`` with its leading ``unit`` (a plural, as ladders write units) agreeing with ``n``:
    ``agree(1, "presentations to executives", "presentations")`` → ``presentation to executives``.

    A phrase that does not start with ``unit`` is returned as it is; ``phrase == unit`` is the unit alone.
    """
    if not unit or not phrase.startswith(unit) or not is_one(n):
        return phrase
    return singular(unit) + phrase[len(unit):]


#: Characters a person must see rather than have acted on, as ``printable`` writes them: the C0
#: controls but tab and newline, DEL, the C1 controls, and the bidirectional controls (embeddings,
#: overrides, isolates and marks: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) that can
#: reorder what a reader sees ("Trojan Source").
_SHOWN: dict[int, str] = {
    code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in [*(c for c in range(0x20) if c not in (0x09, 0x0A)), 0x7F, *range(0x80, 0xA0),
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
}


def _in_json() -> list[tuple[bytes, "re.Pattern[bytes]"]]:
    """What may stand for a character ``printable`` escapes in UTF-8 JSON as pydantic writes it (non-ASCII
    raw; C0 controls as ``\\u00XX`` or ``\\b``, ``\\f``, ``\\r``): by first byte, that byte and a pattern."""
    tails: dict[int, dict[bytes, list[int]]] = {}  # first byte → bytes before the last → last bytes
    for code in _SHOWN:
        if code >= 0x20:  # the C0 controls are escaped by JSON itself
            raw = chr(code).encode("utf-8")
            tails.setdefault(raw[0], {}).setdefault(raw[:-1], []).append(raw[-1])
    found = [(b"\\", re.compile(rb"\\(?:u00[01]|[bfr])"))]
    for lead, by_start in tails.items():  # by the bytes before the last: b"" for DEL, b"\xe2\x80" for U+202E…
        alternatives = [re.escape(start) + b"[" + b"".join(re.escape(bytes([last])) for last in lasts) + b"]"
                        for start, lasts in by_start.items()]
        found.append((bytes([lead]), re.compile(b"|".join(alternatives))))
    return found


#: ``may_need_printable``'s tests: a byte found by ``memchr`` first, a pattern only where it is.
_IN_JSON = _in_json()


def may_need_printable(json_bytes: bytes) -> bool:
    """Whether the UTF-8 JSON ``json_bytes`` may hold a character ``printable`` escapes. ``False`` is
    exact (no string in it changes when made printable); ``True`` may be wrong (an escaped backslash
    then ``b``, an object key), so it only says to look closer. A few microseconds on a decision."""
    return any(lead in json_bytes and pattern.search(json_bytes) is not None for lead, pattern in _IN_JSON)


#: ``_SHOWN`` and the line breaks it keeps, for text that must stay on one line: the newline, and the
#: Unicode line and paragraph separators (an editor, a browser and Python's ``splitlines`` break there).
_SHOWN_ON_ONE_LINE: dict[int, str] = {**_SHOWN, 0x0A: "\\x0a", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` as a person may be shown it: control and bidirectional-control characters written
    visibly as escapes (NUL as ``\\x00``, ESC as ``\\x1b``, U+202E as ``\\u202e``); every other
    character (accents, CJK, emoji, tab, newline) is left as it is.

    ``one_line``: the line breaks are escaped too (the newline as ``\\x0a``, U+2028 and U+2029 as
    ``\\u2028``, ``\\u2029``), for text placed where a line break would end it early or start a line of
    its own (a headline, a heading, a table's title: a candidate id there).

    Idempotent: an escape is plain ASCII, so text already made printable is returned unchanged.
    (A backslash is not escaped, so packet text spelling ``\\x00`` reads the same as a NUL.)
    """
    return text.translate(_SHOWN_ON_ONE_LINE if one_line else _SHOWN)
