"""Level and title names: normalising, resolving aliases, suggesting the closest known name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from promoready.schemas.ladder import Ladder, LadderFile

from .errors import nearest, suggestion

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise(name: str) -> str:
    """``Senior PM`` / ``senior_pm`` / ``senior-pm`` → ``senior-pm``."""
    return _SEPARATORS.sub("-", name.strip().lower()).strip("-")


def same_word(text: str) -> str:
    """A word of a packet's list, or of a ladder's ``contains``, as ``contains`` and ``size`` tell words apart:
    ``normalise``d after NFKC (a full-width ``ＥＮＧ`` is ``eng``) and without invisible format characters (a
    zero-width space, a soft hyphen); "" for a word of nothing else.

    Packets list the same few words (functions, partner teams) again and again: short ones are remembered
    (a bounded cache; a long text is worked out each time, so that no cache holds a packet's large texts)."""
    return _short_word(text) if len(text) <= _REMEMBERED else _word(text)


#: The longest word ``same_word`` remembers.
_REMEMBERED = 64


def _word(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return normalise(text)


_short_word = lru_cache(maxsize=4096)(_word)


@dataclass(frozen=True)
class Rung:
    """A resolved level or title: its id, rank, track (None for a title) and display title."""

    id: str
    rank: int
    track: Optional[str]
    title: str

    @property
    def is_level(self) -> bool:
        return self.track is not None


class LevelIndex:
    """Every name a ladder knows (level and title ids and aliases), normalised, to its ``Rung``."""

    def __init__(self, ladder: Ladder | LadderFile) -> None:
        self.rungs: dict[str, Rung] = {}
        self._names: dict[str, str] = {}
        self.clashes: list[tuple[str, str, str]] = []  # (name, first id, second id)
        for level in ladder.levels:
            self._add(Rung(level.id, level.rank, level.track, level.title), level.aliases)
        for title in ladder.titles:
            self._add(Rung(title.id, title.rank, None, title.title), title.aliases)

    def _add(self, rung: Rung, aliases: tuple[str, ...]) -> None:
        self.rungs.setdefault(rung.id, rung)
        for name in (rung.id, rung.title, *aliases):
            key = normalise(name)
            other = self._names.get(key)
            if other is not None and other != rung.id:
                self.clashes.append((name, other, rung.id))
                continue
            self._names[key] = rung.id

    def resolve(self, name: str, *, levels_only: bool = False) -> Optional[Rung]:
        """The rung called ``name`` (any alias, any spelling), or None."""
        rung_id = self._names.get(normalise(name))
        if rung_id is None:
            return None
        rung = self.rungs[rung_id]
        if levels_only and not rung.is_level:
            return None
        return rung

    def rung(self, name: str) -> Rung:
        """The rung called ``name``, for a name the ladder lint has already resolved (KeyError if not)."""
        rung = self.resolve(name)
        if rung is None:
            raise KeyError(name)
        return rung

    def suggest(self, name: str, *, levels_only: bool = False) -> Optional[str]:
        """The closest known ids for an unknown name, for a "did you mean" (matched on every alias)."""
        by_alias = {k: v for k, v in self._names.items() if self.rungs[v].is_level or not levels_only}
        # Suggest ids, not whichever alias happened to be close; a name read as words are (full-width
        # ``Ｓｅｎｉｏｒ ＰＭ`` as ``senior-pm``), so that it is close to what it looks like.
        return suggestion(dict.fromkeys(by_alias[k] for k in nearest(same_word(name), by_alias)))
