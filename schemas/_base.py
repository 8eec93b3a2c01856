"""What the ladder models share: the strict base model, and the helpers the condition and measure
unions use to tell their variants apart by the keys a mapping has."""

from __future__ import annotations

import difflib
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict

from promoready.engine._wording import shown


class Strict(BaseModel):
    """Ladder files are written by people: an unknown key is a typo, so it is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


#: Each text pattern a field of the models must match → what a text that does not match is told, after
#: the text itself (``is not an id: lowercase letters…``): words, not the pattern.
PATTERN_WORDS: dict[str, str] = {}


def pattern(regex: str, words: str) -> str:
    """``regex``, with what it asks for in words recorded in ``PATTERN_WORDS``."""
    PATTERN_WORDS[regex] = words
    return regex


def keys_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys a model accepts in a file: each field's alias where it has one, else its name."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


def python_names(models: Iterable[type[BaseModel]]) -> dict[str, str]:
    """Field name → alias for the aliased fields of ``models`` (``in_`` → ``in``): with
    ``populate_by_name`` either spelling is accepted, and the unions must read both alike."""
    return {name: info.alias for m in models for name, info in m.model_fields.items() if info.alias}


def closest_key(unknown: Iterable[str], known: Iterable[str]) -> str | None:
    """The known key that a misspelt one most likely meant (``alll`` → ``all``), or None."""
    known = tuple(known)
    for key in unknown:
        match = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if match:
            return match[0]
    return None


def describe(value: Any) -> str:
    """A value as an error message names it: short, saying what kind of thing it is, in the file's
    words (``true``, ``null``: ``shown``'s, never a Python repr)."""
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, str):
        return "the text " + shown(value, 44)
    return shown(value)


def unknown_keys(keys: list[str]) -> str:
    """``; unknown key 'foo'`` to end a message with, or nothing."""
    if not keys:
        return ""
    return f"; unknown key{'s' if len(keys) > 1 else ''} " + ", ".join(f"'{k}'" for k in keys)


def and_list(words: Iterable[str]) -> str:
    """``a, b and c``."""
    words = list(words)
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
