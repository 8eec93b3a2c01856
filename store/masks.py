"""Masks: JSON Pointers (RFC 6901) naming what must never reach the store.

A mask is a pointer into the record the store keeps for one packet, ``{"packet": …, "decision": …}``:
``/packet/candidate/name`` removes the candidate's name from the stored packet,
``/decision/criteria/*/actual`` removes every criterion's ``actual`` from the stored decision. A
segment that is exactly ``*`` (an extension of RFC 6901) stands for every member of an object or
every item of a list. A masked member is removed, not blanked. Masks change what is stored, never
what a command prints or writes to its JSONL output.

A mask that cannot be applied to a record (a list index that is not a number, a member of a string)
is a ``MaskFailed``: the store then drops the whole record and counts it, rather than keep it
unmasked. A pointer that finds nothing has nothing to mask and is not a failure.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from promoready.engine import errors

#: The documents a mask may point into.
ROOTS = ("packet", "decision")
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


class MaskFailed(Exception):
    """A mask could not be applied to one record; the record must be dropped."""


class Masks:
    """Parsed masks, applied to a record in place (``apply``)."""

    def __init__(self, pointers: Iterable[str] = ()) -> None:
        self.pointers: tuple[str, ...] = tuple(dict.fromkeys(pointers))  # order kept, duplicates dropped
        self._parsed = [parse_pointer(p) for p in self.pointers]

    def __bool__(self) -> bool:
        return bool(self.pointers)

    def touches(self, root: str) -> bool:
        """Whether any mask points into ``root`` (``packet`` or ``decision``)."""
        return any(parts[0] == root for parts in self._parsed)

    def apply(self, record: dict[str, Any]) -> None:
        """Remove every masked member of ``record`` (``{"packet": …, "decision": …}``); ``MaskFailed`` if one cannot be."""
        for parts in self._parsed:
            if parts[0] in record and record[parts[0]] is not None:
                _remove(record[parts[0]], parts[1:], parts)


def parse_pointer(pointer: str) -> list[str]:
    """A mask's segments, unescaped (``~1`` is ``/``, ``~0`` is ``~``); a ``usage.mask`` error if it is not one."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise _bad(pointer, "a JSON Pointer starts with '/'")
    raw = pointer[1:].split("/")
    if re.search(r"~(?![01])", pointer):
        raise _bad(pointer, "'~' must be written '~0' (and '/' inside a name '~1')")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in raw]
    if parts[0] not in ROOTS:
        suggestion = errors.closest(parts[0], ROOTS)
        raise errors.UsageError(f"{pointer!r}: a mask points into /packet or /decision, not /{parts[0]}",
                                code=errors.USAGE_MASK, path="--mask", suggestion=suggestion)
    if len(parts) < 2 or parts[1] == "":
        raise _bad(pointer, f"a mask names a member of /{parts[0]}, not the whole document")
    return parts


def _bad(pointer: object, why: str) -> errors.UsageError:
    return errors.UsageError(f"{pointer!r} is not a JSON Pointer: {why}", code=errors.USAGE_MASK, path="--mask")


def _remove(value: Any, rest: Sequence[str], pointer: Sequence[str]) -> None:
    head, tail = rest[0], rest[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        for key in keys:
            if tail:
                _remove(value[key], tail, pointer)
            else:
                del value[key]
    elif isinstance(value, list):
        if head == "*":
            indexes = range(len(value))
        elif _INDEX.match(head):
            indexes = range(int(head), int(head) + 1) if int(head) < len(value) else range(0)
        else:
            raise MaskFailed(f"/{'/'.join(pointer)}: {head!r} is not an index of a list")
        for index in reversed(indexes):  # from the end, so that removing keeps the other indexes right
            if tail:
                _remove(value[index], tail, pointer)
            else:
                del value[index]
    elif value is not None:
        raise MaskFailed(f"/{'/'.join(pointer)}: {type(value).__name__} has no member {head!r}")
