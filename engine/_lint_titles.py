"""The ladder lint's check of ``{…}`` placeholders in the words a ladder shows people.

A measure's title may say ``{current}`` and ``{target}``: each transition shows it with its own level
ids ("months of reviews at senior-pm or above"). Nothing else is replaced, anywhere: a criterion's
title and texts, a condition's title, a transition's or a supporting group's title are shown as
written, so a ``{target}`` there would reach a candidate as "{target}". The lint refuses every
``{…}`` that would be shown as written (an unknown placeholder in a measure's title, with the closest
known one; in the other words, any), and a brace that opens or closes none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from promoready.schemas.ladder import Condition, LadderFile, TransitionFile

from ._wording import shown
from . import errors
from .errors import closest, nearest

if TYPE_CHECKING:
    from ._lint import Loc, Problems

#: What a measure's title may say, replaced by the transition's own level ids.
PLACEHOLDERS = ("current", "target")
_BRACED = tuple("{" + p + "}" for p in PLACEHOLDERS)
_TOKEN = re.compile(r"\{([^{}]*)\}")


def _tokens(text: str) -> tuple[list[str], bool]:
    """The names of the ``{…}`` in ``text``, and whether a brace is left that opens or closes none."""
    names = _TOKEN.findall(text)
    rest = _TOKEN.sub("", text)
    return names, "{" in rest or "}" in rest


def _listed(tokens: list[str]) -> str:
    return ", ".join(shown("{" + t + "}") for t in tokens)


def check_measure_titles(r: Problems, ladder_path: str, head: LadderFile) -> None:
    """A measure's title says only ``{current}`` and ``{target}``, each brace closed."""
    for name, measure in head.measures.items():
        if measure.title is None:
            continue
        names, stray = _tokens(measure.title)
        unknown = list(dict.fromkeys(n for n in names if n not in PLACEHOLDERS))
        if not unknown and not stray:
            continue
        said = f"unknown placeholder{'s' if len(unknown) > 1 else ''} {_listed(unknown)}" if unknown else ""
        if stray:
            said += (" and " if said else "") + "a brace that opens or closes no placeholder"
        near = next((c for c in (closest("{" + t.strip() + "}", _BRACED) for t in unknown) if c), None)
        r.problem(ladder_path, ("measures", name, "title"),
                  f"{said} in the title of measure '{name}': a measure's title may say {{current}} or {{target}} "
                  "(the transition's own levels); anything else in braces would be shown as written",
                  code=errors.LADDER_PLACEHOLDER, suggestion=near)


def check_transition_words(r: Problems, path: str, tfile: TransitionFile) -> None:
    """No title or text of a transition file holds a ``{…}``: none is replaced there."""
    t = tfile.transition
    levels = {"current": t.from_, "target": t.to}
    said: list[tuple[Loc, str, Optional[str]]] = [(("transition", "title"), "the transition's title", t.title)]
    said += [(("transition", "supporting_groups", gid, "title"), f"the title of group '{gid}'", g.title)
             for gid, g in t.supporting_groups.items()]
    for i, criterion in enumerate(tfile.criteria):
        here = f"criterion '{criterion.id}'"
        said.append((("criteria", i, "title"), f"the title of {here}", criterion.title))
        said += [(("criteria", i, "text", key), f"the {key} text of {here}", getattr(criterion.text, attr))
                 for key, attr in (("pass", "pass_"), ("fail", "fail"), ("unknown", "unknown"))]
        said += [(("criteria", i, "condition") + where + ("title",), f"a condition's title in {here}", title)
                 for where, title in _titles(criterion.condition, ())]
    for loc, what, text in said:
        if not isinstance(text, str):
            continue
        names, stray = _tokens(text)
        if not names and not stray:
            continue
        tokens = list(dict.fromkeys(names))
        meant = [levels[c] for t in tokens for c in nearest(t.strip(), PLACEHOLDERS)[:1]]
        instead = (f"write the level itself ({', '.join(shown(x) for x in dict.fromkeys(meant))})" if meant
                   else "remove the braces")
        found = _listed(tokens) if tokens else "a brace"
        r.problem(path, loc, f"{found} in {what} would be shown as written: only a measure's title replaces "
                             f"{{current}} and {{target}}; {instead}", code=errors.LADDER_PLACEHOLDER)


def _titles(c: Condition, loc: Loc) -> list[tuple[Loc, str]]:
    """Every ``title`` a condition and its parts carry, with where each part sits."""
    out = [(loc, c.title)] if c.title is not None else []
    for where, part in c.located_children():
        out += _titles(part, loc + where)
    return out
