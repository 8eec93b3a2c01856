"""Turning whatever the caller gives (a dict, a ``Packet``, a path) into a valid ``Packet``.

Every pydantic complaint becomes a ``PacketError`` naming the field path (``reviews[1].end``), the
line when the packet came from a file, and for a wrong enum value the closest allowed one.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel, ValidationError

from promoready.schemas.packet import Packet

from . import _documents as docs
from ._fields import FieldKind, field_kind_of, item_fields, packet_fields
from . import errors
from .errors import PacketError, PromoreadyError, closest

_MESSAGES = {
    "missing": "is required",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "dict_type": "must be a mapping of fields",
}


class Source:
    """Where a packet came from, for error messages: a file name and, lazily, its text."""

    def __init__(self, name: Optional[str], text: Optional[str] = None) -> None:
        self.name = name
        self.text = text

    def line(self, loc: tuple) -> Optional[int]:
        return docs.line_of(self.text, loc) if self.text is not None else None


def read_packet(obj: Any) -> tuple[Any, Source]:
    """Raw packet data and its source, from a dict, a ``Packet``, or a path to a JSON/YAML file."""
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        text = docs.read_text(path)
        return docs.parse(text, path), Source(path, text)
    return obj, Source(None)


def _field_kind(loc: tuple) -> Optional[FieldKind]:
    names = [p for p in loc if isinstance(p, str)]
    if len(loc) >= 3 and isinstance(loc[1], int):
        return item_fields(str(loc[0])).get(str(loc[2]))
    return packet_fields().get(".".join(names))


def to_packet(data: Any, source: Source) -> Packet:
    """Validate raw packet data; the first problem becomes a ``PacketError``."""
    if isinstance(data, Packet):
        return data
    if not isinstance(data, dict):
        raise PacketError(f"a packet is a mapping of fields, got {type(data).__name__}", code=errors.PACKET_SHAPE,
                          file=source.name, line=1 if source.text else None)
    try:
        return Packet.model_validate(data)
    except ValidationError as exc:
        raise _from_pydantic(exc, source) from None


def _from_pydantic(exc: ValidationError, source: Source) -> PacketError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    kind = err["type"]
    given = err.get("input")
    suggestion = None
    if kind == "literal_error":
        field = _field_kind(loc)
        allowed = field.values if field else ()
        message = f"{given!r} is not one of {', '.join(allowed)}" if allowed else err["msg"]
        suggestion = closest(str(given), allowed) if allowed else None
    elif kind in _MESSAGES:
        message = _MESSAGES[kind] + ("" if kind == "missing" else f", got {given!r}")
    else:
        message = err["msg"].removeprefix("Value error, ")
        if kind in ("greater_than_equal", "less_than_equal", "finite_number", "greater_than", "less_than"):
            message = f"{given!r}: {message.lower()}"
    code = errors.packet_code(kind)
    return PacketError(message, code=code, file=source.name, line=source.line(loc), path=docs.format_path(loc),
                       suggestion=suggestion)


class LoadedPacket:
    """A validated packet together with where it came from (for error lines found later)."""

    __slots__ = ("packet", "source")

    def __init__(self, packet: Packet, source: Source) -> None:
        self.packet = packet
        self.source = source


def load_packet(obj: Any) -> LoadedPacket:
    """Read and validate a packet from a dict, a ``Packet`` or a JSON/YAML file path."""
    if isinstance(obj, LoadedPacket):
        return obj
    raw, source = read_packet(obj)
    return LoadedPacket(to_packet(raw, source), source)


def effective_as_of(packet: Packet, as_of: Optional[datetime.date]) -> datetime.date:
    """The date a decision is measured to: ``as_of`` (the caller's), else the packet's own, else today."""
    return as_of or packet.as_of or datetime.date.today()


def packet_digest(packet: Packet) -> str:
    """``sha256:`` of the packet's canonical JSON: nulls dropped (null and absent mean the same)."""
    canonical = json.dumps(packet.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def _nested(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The fields of a packet model that hold sections or lists of items: (name, is a list)."""
    out = []
    for name, info in model.model_fields.items():
        kind = field_kind_of(info.annotation)
        if kind.item_model is not None:
            out.append((name, kind.kind == "list"))
    return tuple(out)


def typo_warnings(packet: Packet) -> list[str]:
    """Extra fields that look like misspelt known ones (kept and ignored, but worth a word)."""
    out: list[str] = []
    stack: list[tuple[BaseModel, str]] = [(packet, "")]
    while stack:
        model, prefix = stack.pop()
        extra = model.__pydantic_extra__
        if extra:
            known = type(model).model_fields
            for key in extra:
                hint = closest(key, known)
                if hint:
                    out.append(f"unknown field '{prefix}{key}' is ignored (did you mean {hint}?)")
        values = model.__dict__
        for name, is_list in _nested(type(model)):
            value = values[name]
            if value is None:
                continue
            if is_list:
                stack.extend((item, f"{prefix}{name}[{i}].") for i, item in enumerate(value))
            else:
                stack.append((value, f"{prefix}{name}."))
    return sorted(out)


def packet_error(message: str, *, code: str, path: str, source: Source, loc: tuple,
                 suggestion: Optional[str] = None) -> PromoreadyError:
    """A ``PacketError`` for a check that needs the ladder (unknown level, no such transition)."""
    return PacketError(message, code=code, file=source.name, line=source.line(loc), path=path, suggestion=suggestion)
