"""Turning whatever the caller gives (a dict, a ``Packet``, a path) into a valid ``Packet``.

Every pydantic complaint becomes a ``PacketError`` naming the field path (``reviews[1].end``), the
line when the packet came from a file, and for a wrong enum value the closest allowed one.
"""

from __future__ import annotations

import datetime
import hashlib
import heapq
import json
import os
from functools import lru_cache
from typing import Any, Callable, Iterator, NamedTuple, Optional

from pydantic import BaseModel, ValidationError

from promoready.schemas.packet import Packet, outside_decision_dates

from . import _documents as docs
from ._jsontext import canonical_json
from . import _jsonpacket  # (it calls _packet.keys_given: both import the module, not names)
from ._fields import FieldKind, field_kind_of, item_fields, packet_fields
from . import errors
from ._levels import LevelIndex
from ._wording import cut, kind_of, shown, validation_message
from .errors import PacketError, PacketInvalid, PromoreadyError, UsageError, closest

class Source:
    """Where a packet came from, for error messages: a file name and, lazily, its text."""

    def __init__(self, name: Optional[str], text: Optional[str] = None) -> None:
        self.name = name
        self.text = text

    def line(self, loc: tuple) -> Optional[int]:
        """The line of the field at ``loc`` (or of its deepest existing parent), if the text is known."""
        return docs.line_of(self.text, loc, self.name) if self.text is not None else None


def read_packet(obj: Any) -> tuple[Any, Source]:
    """Raw packet data and its source, from a dict, a ``Packet``, or a path to a JSON/YAML file.

    Data from the caller is held to what a file could say (``docs.check_data``): nothing nested
    past the depth limit or containing itself, no objects, bytes or sets, no lone surrogates, no
    numbers too long to print; each refusal names the field path. (A caller with JSON text reads
    it with ``read_json``, which checks it once, or reads it in one pass.)
    """
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        text = docs.read_text(path)
        return docs.parse(text, path), Source(path, text)
    if isinstance(obj, Packet):
        _check_extras(obj)
    else:
        docs.check_data(obj, None)
    return obj, Source(None)


def _check_extras(packet: Packet) -> None:
    # A Packet was validated when it was made, except its extra fields: they are kept as given.
    for model, prefix, _ in _parts(packet):
        extra = model.__pydantic_extra__
        if extra:
            try:
                docs.check_data(extra, None)
            except PromoreadyError as exc:
                exc.path = prefix + exc.path if exc.path else prefix.rstrip(".") or None
                raise


def _field_kind(loc: tuple) -> Optional[FieldKind]:
    names = [p for p in loc if isinstance(p, str)]
    if len(loc) >= 3 and isinstance(loc[1], int):
        return item_fields(str(loc[0])).get(str(loc[2]))
    if len(loc) >= 4 and isinstance(loc[2], int):  # a list inside a section (leadership.org_design_changes)
        nested = packet_fields().get(f"{loc[0]}.{loc[1]}")
        if nested is not None and nested.kind == "list":
            return item_fields(f"{loc[0]}.{loc[1]}").get(str(loc[3]))
    return packet_fields().get(".".join(names))


def to_packet(data: Any, source: Source) -> Packet:
    """Validate raw packet data; its problems (all of them, up to ``MAX_PROBLEMS``) become a ``PacketInvalid``."""
    if isinstance(data, Packet):
        return data
    if not isinstance(data, dict):
        raise PacketError(f"a packet is a mapping of fields, got {kind_of(data)}", code=errors.PACKET_SHAPE,
                          file=source.name, line=1 if source.text else None)
    try:
        return Packet.model_validate(data)
    except ValidationError as exc:
        raise _from_pydantic(exc, source, data) from None


#: At most this many problems of one packet are listed (the rest are counted): a file with hundreds
#: of mistakes is a wrong file, and one screen of them says so.
MAX_PROBLEMS = 20


def _from_pydantic(exc: ValidationError, source: Source, data: Any = None) -> PacketInvalid:
    found = exc.errors(include_url=False)
    problems: list[PromoreadyError] = [_problem(err, source, data) for err in found[:MAX_PROBLEMS]]
    problems.sort(key=lambda p: p.line or 0)  # stable: pydantic's (field) order within a line
    return PacketInvalid(problems, more=len(found) - len(problems), data=data, source=source)


def _problem(err: Any, source: Source, data: Any = None) -> PacketError:
    """One of pydantic's complaints as a ``PacketError`` with its field path, line and "did you mean"."""
    loc = tuple(err["loc"])
    kind = err["type"]
    given = err.get("input")
    quoted = shown(given)
    if kind == "invalid_key":
        return _key_problem(loc[:-1], given, source, data)
    suggestion = None
    if kind == "literal_error":
        field = _field_kind(loc)
        allowed = field.values if field else ()
        message = f"{quoted} is not one of {', '.join(allowed)}" if allowed else validation_message(err)
        said = str(given) if isinstance(given, (str, int, float)) else ""
        suggestion = closest(said, allowed) if allowed and len(said) <= 200 else None
    else:
        message = validation_message(err)
    code = errors.packet_code(kind)
    return PacketError(message, code=code, file=source.name, line=source.line(loc), path=docs.format_path(loc),
                       suggestion=suggestion)


def _key_problem(at: tuple, key: Any, source: Source, data: Any) -> PacketError:
    """A key that is not text (``1:``, ``null:`` in YAML): named by its mapping's path, as the data
    check names such keys, on the key's own line (pydantic's location holds the key as text, or as
    a list index when it is a number: neither finds it in the file)."""
    line = None
    if source.text is not None:
        mapping = data
        try:
            for part in at:
                mapping = mapping[part]
            index = list(mapping).index(key) if isinstance(mapping, dict) else None
        except (LookupError, TypeError, ValueError):
            index = None
        line = docs.line_of(source.text, at + (docs.KeyAt(index),) if index is not None else at, source.name)
    return PacketError(f"a field name must be text, got {shown(key)}", code=errors.packet_code("invalid_key"),
                       file=source.name, line=line, path=docs.format_path(at) or None)


#: The fields that name a level of the ladder: (path, a level only (not a title)).
_LEVEL_FIELDS = (("current_level", True), ("target_level", True))
_LEVEL_ITEMS = (("reviews", "operating_level"), ("advocates", "level"))


def level_problems(index: LevelIndex, data: Any, source: Source,
                   resolve: Optional[Callable[[str, bool], Any]] = None) -> list[PromoreadyError]:
    """An "unknown level" problem for every level name in ``data`` (a ``Packet`` or the raw data of
    one that failed validation) that the ladder of ``index`` does not know, each with its closest
    known name. A value that is not text is left to the packet's own validation. ``resolve(name,
    levels_only)``: the caller's own (remembering) ``index.resolve``."""
    out: list[PromoreadyError] = []
    if resolve is None:
        resolve = lambda name, levels_only: index.resolve(name, levels_only=levels_only)  # noqa: E731

    def check(value: Any, loc: tuple, levels_only: bool) -> None:
        if isinstance(value, str) and resolve(value, levels_only) is None:
            what = "level" if levels_only else "level or title"
            out.append(packet_error(f"unknown {what} '{cut(value, 80)}'", code=errors.PACKET_UNKNOWN_LEVEL,
                                    path=docs.format_path(loc), source=source, loc=loc,
                                    suggestion=index.suggest(value, levels_only=levels_only)))

    for name, levels_only in _LEVEL_FIELDS:
        check(_get(data, name), (name,), levels_only)
    for name, key in _LEVEL_ITEMS:
        items = _get(data, name)
        if isinstance(items, (list, tuple)):
            for i, item in enumerate(items[:MAX_PROBLEMS * 10]):
                check(_get(item, key), (name, i, key), False)
                if len(out) >= MAX_PROBLEMS:
                    return out
    return out


def _get(holder: Any, key: str) -> Any:
    if isinstance(holder, dict):
        return holder.get(key)
    return getattr(holder, key, None) if isinstance(holder, BaseModel) else None


def with_level_problems(exc: PacketInvalid, index: LevelIndex) -> PacketInvalid:
    """``exc`` (a packet that failed validation) with the unknown level names of its data added."""
    if exc.data is None or not isinstance(exc.source, Source):
        return exc
    return exc.adding(level_problems(index, exc.data, exc.source))


class LoadedPacket:
    """A validated packet together with where it came from (for error lines found later).

    ``plain``: the reading already proved that no model of the packet has extra fields (the one-pass
    JSON reading counts every model's given keys), so there are no typo warnings to look for.
    """

    __slots__ = ("packet", "source", "plain")

    def __init__(self, packet: Packet, source: Source, plain: bool = False) -> None:
        self.packet = packet
        self.source = source
        self.plain = plain

    def typos(self) -> list[PromoreadyError]:
        """The fields that look like misspelt known ones (the decision's ``warnings``), each as a
        ``PacketError`` (code ``packet.unknown-field``) with its file, line, field path and the closest
        known name: what ``--strict`` refuses, and where a warning points."""
        return typo_problems(self.packet, self.source)


def load_packet(obj: Any) -> LoadedPacket:
    """Read and validate a packet from a dict, a ``Packet`` or a JSON/YAML file path (a dict is
    always held to ``docs.check_data``: nothing says where it came from)."""
    if isinstance(obj, LoadedPacket):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        if not path.lower().endswith(docs._YAML_SUFFIXES):
            text = docs.read_text(path)
            return read_json(text, Source(path, text))
    raw, source = read_packet(obj)
    return LoadedPacket(to_packet(raw, source), source)


def read_json(text: str, source: Source) -> LoadedPacket:
    """The packet of a JSON text (a file's, stdin's, a request body's, ``evaluate_json``'s): read in
    one pass whenever that surely gives what the careful reading would (``packet_in_one_pass``), else
    validated from ``docs.careful_json``, the one careful reading, whose refusals (code, message,
    line, field path) are the ones given."""
    packet = _jsonpacket.packet_in_one_pass(text)
    if packet is not None:  # read in one pass only if no model has extra fields (``keys_given``)
        return LoadedPacket(packet, source, plain=True)
    return LoadedPacket(to_packet(docs.careful_json(text, source.name or ""), source), source)


def effective_as_of(packet: Packet, as_of: Optional[datetime.date]) -> datetime.date:
    """The date a decision is measured to: ``as_of`` (the caller's), else the packet's own, else today.

    The caller's date is held to the range a packet's dates are (``EARLIEST_DATE`` to ``LATEST_DATE``).
    """
    refused = outside_decision_dates(as_of) if as_of is not None else None
    if refused is not None:
        raise UsageError(refused, code=errors.USAGE_DATE, path="as_of")
    return as_of or packet.as_of or datetime.date.today()


def packet_digest(packet: Packet) -> str:
    """``sha256:`` of the packet's canonical JSON: nulls dropped (null and absent mean the same)."""
    canonical = canonical_json(packet.model_dump(mode="json", exclude_none=True))
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


#: ``_nested`` of each model seen, in a plain dict (read directly on the hot path: a packet holds ~18 models).
_NESTED: dict[type, tuple[tuple[str, bool], ...]] = {}


def _nested(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The fields of a packet model that hold sections or lists of items: (name, is a list)."""
    found = _NESTED.get(model)
    if found is None:
        found = _NESTED[model] = tuple((name, kind.kind == "list") for name, kind in
                                       ((n, field_kind_of(i.annotation)) for n, i in model.model_fields.items())
                                       if kind.item_model is not None)
    return found


#: At most this many "did you mean" warnings in a decision.
MAX_WARNINGS = 20
#: At most this many unknown fields are compared with the known names (the comparison is the cost).
MAX_EXAMINED = 500


def _parts(packet: Packet) -> Iterator[tuple[BaseModel, str, tuple]]:
    """Every model in a packet (the packet, its sections, their list items) with its path prefix and location."""
    stack: list[tuple[BaseModel, str, tuple]] = [(packet, "", ())]
    while stack:
        model, prefix, loc = stack.pop()
        yield model, prefix, loc
        values = model.__dict__
        for name, is_list in _nested(type(model)):
            value = values[name]
            if value is None:
                continue
            if is_list:
                stack.extend((item, f"{prefix}{name}[{i}].", loc + (name, i)) for i, item in enumerate(value))
            else:
                stack.append((value, f"{prefix}{name}.", loc + (name,)))


class Typo(NamedTuple):
    """An extra field that looks like a misspelt known one: its path, location and the closest known
    name; or (``loc`` None) the note that more unknown fields were left unexamined."""

    warning: str  # the decision's warning, word for word
    path: Optional[str]
    loc: Optional[tuple]
    suggestion: Optional[str]


def _typos(packet: Packet) -> list[Typo]:
    if keys_given(packet) is not None:  # no model has extra fields (most packets)
        return []
    unknown: list[tuple[str, str, type[BaseModel], tuple]] = []
    for model, prefix, loc in _parts(packet):
        extra = model.__pydantic_extra__
        if extra:
            unknown.extend((f"{prefix}{key}", key, type(model), loc + (key,)) for key in extra)
    total = len(unknown)
    if total > MAX_EXAMINED:
        unknown = heapq.nsmallest(MAX_EXAMINED, unknown, key=lambda u: u[0])
    else:
        unknown.sort(key=lambda u: u[0])
    out: list[Typo] = []
    examined = 0
    for path, key, model_type, loc in unknown:
        if len(out) == MAX_WARNINGS:
            break
        examined += 1
        hint = _misspelt(key, model_type)
        if hint:
            out.append(Typo(f"unknown field '{path}' is ignored (did you mean {hint}?)", path, loc, hint))
    out.sort(key=lambda t: t.warning)
    if total > examined:
        out.append(Typo(f"{total - examined:,} more unknown field{'s' if total - examined > 1 else ''} ignored "
                        "without a check for misspelt names", None, None, None))
    return out


def keys_given(packet: BaseModel) -> Optional[int]:
    """How many keys the packet's mappings were given (the fields set of every model in it), or None
    if a model has extra fields: ``_parts`` without the path prefixes, which only extras need."""
    count = 0
    stack = [packet]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        model = pop()
        if model.__pydantic_extra__:
            return None
        count += len(model.__pydantic_fields_set__)
        kind = type(model)
        nested = _NESTED.get(kind)
        if nested is None:
            nested = _nested(kind)
        if nested:
            values = model.__dict__
            for name, is_list in nested:
                value = values[name]
                if value is not None:
                    if is_list:
                        extend(value)
                    else:
                        push(value)
    return count


def typo_warnings(packet: Packet) -> list[str]:
    """Extra fields that look like misspelt known ones (kept and ignored, but worth a word).

    The work is bounded whatever the packet: unknown fields are taken in path order, at most
    ``MAX_EXAMINED`` of them are compared with the known names and at most ``MAX_WARNINGS``
    warnings are given; when fields are left unexamined, one last warning says how many.
    """
    return [t.warning for t in _typos(packet)]


def typo_problems(packet: Packet, source: Source) -> list[PromoreadyError]:
    """``typo_warnings`` as errors (``--strict``): each with its file, line, field path and the closest
    known name (the last, if fields were left unexamined, says how many, without a path)."""
    out: list[PromoreadyError] = []
    for typo in _typos(packet):
        if typo.loc is None:
            out.append(PacketError(typo.warning.replace("ignored without a check", "not checked", 1), code=errors.PACKET_UNKNOWN_FIELD,
                                   file=source.name))
        else:
            out.append(PacketError("unknown field", code=errors.PACKET_UNKNOWN_FIELD, file=source.name,
                                   line=source.line(typo.loc), path=typo.path, suggestion=typo.suggestion))
    return out


@lru_cache(maxsize=None)
def _known(model: type[BaseModel]) -> tuple[tuple[str, ...], int]:
    """A model's field names, and the most characters a key may have to be close to one of them."""
    names = tuple(model.model_fields)
    # difflib's ratio is at most 2·min(a, b)/(a + b), under closest's 0.6 cut-off once a > 7/3 of b.
    return names, max((len(n) for n in names), default=0) * 7 // 3 + 1


def _misspelt(key: str, model: type[BaseModel]) -> Optional[str]:
    """``closest`` known name for an unknown key; a key too long to be close to any is not compared."""
    names, longest = _known(model)
    return closest(key, names) if len(key) <= longest else None


def packet_error(message: str, *, code: str, path: str, source: Source, loc: tuple,
                 suggestion: Optional[str] = None) -> PromoreadyError:
    """A ``PacketError`` for a check that needs the ladder (unknown level, no such transition)."""
    return PacketError(message, code=code, file=source.name, line=source.line(loc), path=path, suggestion=suggestion)
