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

Every mask is held to the packet's or the decision's JSON Schema (``promoready schema``) before anything
runs, since a misspelt one would leave the field it meant unmasked in every record: a member neither
schema has, a name where a list wants ``*`` or an index, a member of a string, is a ``usage.mask``
error naming the closest known pointer. A packet may carry extra fields (kept and ignored), so a member
the schema does not name is allowed where the packet's schema allows extras (a custom field may be
masked, even one whose name is close to a known one): such pointers are in ``Masks.extra_fields``, and
``Masks.warnings`` says each, with the closest known pointer when one is close (it may be a
misspelling). A decision has no extra fields: every member there must be known.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, NamedTuple, Optional, Sequence

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
        checked = [check_pointer(p, parts) for p, parts in zip(self.pointers, self._parsed)]
        #: The pointers into members the packet's schema does not name (a packet's extra fields).
        self.extra_fields: tuple[str, ...] = tuple(p for p, (known, _) in zip(self.pointers, checked) if not known)
        self._closest = {p: closest for p, (known, closest) in zip(self.pointers, checked) if not known}

    def __bool__(self) -> bool:
        return bool(self.pointers)

    def warnings(self) -> list[str]:
        """What a command says of the pointers into a packet's extra fields: they are allowed (a custom field
        can be masked), but the schema cannot vouch for them, so the user hears which they are."""
        return [f"--mask {p!r} names no field of the packet's schema"
                + (f" (did you mean {self._closest[p]!r}?)" if self._closest.get(p) else "")
                + ": masked where a packet carries it" for p in self.extra_fields]

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


def check_pointer(pointer: str, parts: Sequence[str]) -> tuple[bool, Optional[str]]:
    """Hold a parsed pointer to its document's JSON Schema: (True, None) if the schema names every member
    it goes through, (False, the closest known pointer if one is close) if it goes into an extra field of
    the packet (allowed); a ``usage.mask`` error, with the closest known pointer, if it cannot find what it
    names in any packet or decision."""
    schema = _schema(parts[0])
    found = _walk(schema, schema.get("$defs", {}), parts, 1)
    if found.kind == _BAD:
        raise errors.UsageError(f"{pointer!r}: not in the {parts[0]}'s schema: {found.why}", code=errors.USAGE_MASK,
                                path="--mask", suggestion=repr(_pointer(found.fix)) if found.fix else None)
    return found.kind == _KNOWN, _pointer(found.fix) if found.kind == _EXTRA and found.fix else None


@lru_cache(maxsize=None)
def _schema(root: str) -> dict[str, Any]:
    from promoready.schemas import json_schema

    return json_schema(root)


_KNOWN, _EXTRA, _BAD = 0, 1, 2
#: JSON Schema types that have no members.
_SCALARS = {"string": "a string", "integer": "a number", "number": "a number", "boolean": "true or false",
            "null": "null"}


class _Found(NamedTuple):
    """Where a pointer leads in a schema: known, an extra field, or nowhere (why, and a fix if one is close)."""

    kind: int
    at: int = 0  # for _BAD: the segment that goes wrong (the deepest wins among alternatives)
    why: str = ""
    fix: Optional[Sequence[str]] = None


def _best(found: Iterable[_Found]) -> _Found:
    return min(found, key=lambda f: (f.kind, -f.at), default=_Found(_BAD, 0, "nothing there"))


def _walk(node: Any, defs: dict[str, Any], parts: Sequence[str], i: int) -> _Found:
    while isinstance(node, dict) and "$ref" in node:
        node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
    if not isinstance(node, dict):
        return _Found(_KNOWN)  # ``true``: anything
    choices = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
    if choices:
        return _best(_walk(c, defs, parts, i) for c in choices if c.get("type") != "null" or len(choices) == 1)
    if i == len(parts):
        return _Found(_KNOWN)
    head, here = parts[i], _pointer(parts[:i])
    kind = node.get("type")
    if kind == "array" or "items" in node:
        if head == "*" or _INDEX.match(head):
            return _walk(node.get("items", True), defs, parts, i + 1)
        return _Found(_BAD, i, f"{here} is a list: its items are {here}/* (every one) or {here}/0, {here}/1, …",
                      [*parts[:i], "*", *parts[i:]])
    if kind == "object" or "properties" in node or "additionalProperties" in node:
        members: dict[str, Any] = node.get("properties", {})
        extra = node.get("additionalProperties")  # absent: none (the decision's models are the engine's own)
        if head == "*":
            found = [_walk(m, defs, parts, i + 1) for m in members.values()]
            if isinstance(extra, dict):
                found.append(_walk(extra, defs, parts, i + 1))
            elif extra is True:
                found.append(_Found(_EXTRA))
            return _best(found)
        if head in members:
            return _walk(members[head], defs, parts, i + 1)
        if isinstance(extra, dict):
            return _walk(extra, defs, parts, i + 1)
        near = errors.nearest(head, members, 1)
        if extra is True:  # a field of the packet's own, maybe a misspelling of the near one
            return _Found(_EXTRA, i, "", [*parts[:i], near[0], *parts[i + 1:]] if near else None)
        why = f"{here} has no member {head!r}" + ("" if near else f" (it has {', '.join(members)})")
        return _Found(_BAD, i, why, [*parts[:i], near[0], *parts[i + 1:]] if near else None)
    if kind in _SCALARS:
        return _Found(_BAD, i, f"{here} is {_SCALARS[kind]}, with no member {head!r}", parts[:i])
    return _Found(_KNOWN)  # a schema that allows anything


def _pointer(parts: Sequence[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


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
