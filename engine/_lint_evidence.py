"""The ladder lint's checks of what ladder.yaml declares as evidence: scales whose steps are distinct and
rise in value, and declared fields with plain names, declared scales, and no name that says who a
person is rather than what they did.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from promoready.schemas.ladder import LadderFile

from ._levels import normalise, same_word
from ._wording import shown
from . import errors
from .errors import closest

if TYPE_CHECKING:
    from ._lint import Loc, Problems

#: A declared evidence field's or record field's name: as a measure's.
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Words of a declared field's name that say it is about who a person is, not about their work: no rule
# may read a name or a demographic attribute (fairness is checked in reports, from data kept outside
# packets). Matched against the name's words, so `average_age` is refused and `page_views` is not.
_PROTECTED_WORDS = frozenset("""
    name names surname firstname lastname forename nickname photo picture
    gender sex sexual orientation age aged birth birthday birthdate born dob
    race racial ethnicity ethnic religion religious faith belief nationality citizenship immigration
    disability disabled pregnancy pregnant maternity paternity marital married caste veteran
    fullname givenname familyname maidenname pronoun pronouns sexuality ancestry birthplace spouse marriage
    children
""".split())
#: Two words in a row that say the same where each alone need not (`origin` alone may be a metric's).
_PROTECTED_PAIRS = frozenset({("national", "origin"), ("of", "origin"), ("skin", "color"), ("skin", "colour"),
                              ("skin", "tone"), ("years", "old"), ("parental", "leave"), ("family", "status"),
                              ("first", "language"), ("native", "language"), ("mother", "tongue")})


def _protected(name: str) -> list[str]:
    """The words (and pairs of words) of a declared field's name that say who a person is; a plural is
    read as its singular (`nationalities`, `genders`)."""
    words = [w for w in re.split(r"[_-]+", name) if w]
    found = [w for w in words if w in _PROTECTED_WORDS or (w.endswith("ies") and w[:-3] + "y" in _PROTECTED_WORDS)
             or (w.endswith("s") and w[:-1] in _PROTECTED_WORDS) or (w.endswith("es") and w[:-2] in _PROTECTED_WORDS)]
    return found + [f"{a} {b}" for a, b in zip(words, words[1:]) if (a, b) in _PROTECTED_PAIRS]


def check_evidence(r: Problems, ladder_path: str, head: LadderFile) -> None:
    """Scales have distinct steps; declared fields have plain names and name declared scales."""
    for name, steps in head.scales.items():
        if not _FIELD_NAME.match(name.replace("-", "_")):
            r.problem(ladder_path, ("scales", name), f"'{name}' is not a scale name: lowercase words joined by - or _",
                      code=errors.LADDER_BAD_NAME)
        seen: set[str] = set()
        for i, step in enumerate(steps):
            if step.id in seen:
                r.problem(ladder_path, ("scales", name, i, "id"), f"scale '{name}' lists '{step.id}' twice",
                          code=errors.LADDER_DUPLICATE_ID)
            seen.add(step.id)
        # arithmetic reads a step by its value: values that do not rise would invert the order
        valued = [(i, step.id, step.value) for i, step in enumerate(steps) if step.value is not None]
        for (_, low, below), (i, high, value) in zip(valued, valued[1:]):
            if value <= below:
                r.problem(ladder_path, ("scales", name, i, "value"),
                          f"scale '{name}' is ordered lowest first, but '{high}' ({value:g}) is not "
                          f"above '{low}' ({below:g}) before it: each step's value must be higher "
                          "than the one before", code=errors.LADDER_BAD_OPERAND)
    for name, spec in head.evidence.items():
        loc: Loc = ("evidence", name)
        _declared(r, ladder_path, head, loc, name, spec)
        for field, inner in (spec.fields or {}).items():
            _declared(r, ladder_path, head, loc + ("fields", field), field, inner)


def _declared(r: Problems, ladder_path: str, head: LadderFile, loc: Loc, name: str, spec: Any) -> None:
    if not _FIELD_NAME.match(name):
        r.problem(ladder_path, loc, f"'{name}' is not a field name: lowercase letters, digits and _, "
                                  "starting with a letter", code=errors.LADDER_BAD_NAME)
    protected = _protected(name)
    if protected:
        r.problem(ladder_path, loc, f"'{name}' names who a person is ({', '.join(protected)}), not their work: "
                                  "no rule may read a name or a demographic attribute; fairness is "
                                  "checked by `promoready report --groups`, from data kept outside packets",
                  code=errors.LADDER_PROTECTED_ATTRIBUTE)
    if spec.scale is not None and spec.scale not in head.scales:
        declared = "declares no `scales:`" if not head.scales else "declares no such scale"
        r.problem(ladder_path, loc + ("scale",), f"unknown scale '{spec.scale}': ladder.yaml {declared}",
                  code=errors.LADDER_UNKNOWN_SCALE, suggestion=closest(spec.scale, head.scales))
    seen: dict[str, int] = {}  # a word as lists of words compare it → where it first is
    values: tuple[str, ...] = spec.values or ()
    for i, word in enumerate(values):
        key = same_word(word)  # as `contains` and `size` read a word (case, spacing, width, invisible characters aside)
        first = values[seen.setdefault(key, i)]
        if seen[key] == i:
            continue
        # `strings` words compare ignoring case and spacing (contains), `string` words exactly (eq, in):
        # two words that differ only so would be one word to one and two to the other
        r.problem(ladder_path, loc + ("values", i),
                  f"`values` lists {shown(word)} twice" if first == word else
                  f"`values` lists {shown(first)} and {shown(word)}, which differ only in case or in spaces, "
                  "_ and -" + ("" if normalise(first) == normalise(word) else " (or in width or invisible characters)")
                  + ": a field's words must differ in more (a list of words is matched ignoring those, a single "
                  "word exactly); keep one", code=errors.LADDER_DUPLICATE_ID)
