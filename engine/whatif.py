"""What-if: the decision for a packet with some evidence changed, and which criteria changed.

A change is ``PATH=VALUE`` (set; ``null`` makes the evidence unknown) or ``PATH+=VALUE`` (append to
a list, creating it if absent). ``PATH`` is dotted with list indexes: ``experience.product_years``,
``reviews[0].rating``. ``VALUE`` is JSON if it parses as JSON, else a plain string; JSON is read as
a packet file's is (nesting, duplicate keys, NaN and over-long numbers are refused). The packet the
caller gave is never modified.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from . import _documents as docs
from . import errors
from ._packet import LoadedPacket, read_packet, to_packet
from .errors import InputError, PacketError, PacketInvalid, PromoreadyError, UsageError
from .words import plural
from promoready.schemas.decision import Decision
from promoready.schemas.packet import Packet

_SEGMENT = re.compile(r"([A-Za-z_][\w-]*)|\[(\d+)\]")


@dataclass(frozen=True)
class Change:
    """One parsed change: the path segments, whether it appends, and the value."""

    text: str
    path: tuple[Any, ...]
    append: bool
    value: Any


@dataclass
class StatusChange:
    """A criterion whose status differs between the packet and the changed packet."""

    id: str
    title: str
    before: str
    after: str


@dataclass
class WhatIf:
    """The decision before and after the changes, and the criteria whose status moved."""

    before: Decision
    after: Decision
    changes: list[Change]
    changed: list[StatusChange]

    def to_dict(self) -> dict:
        """The changed decision as JSON data, with a ``what_if`` section describing the comparison."""
        out = json.loads(self.after.to_json())
        out["what_if"] = {
            "set": [c.text for c in self.changes],
            "verdict_before": self.before.verdict,
            "changed": [{"id": s.id, "title": s.title, "before": s.before, "after": s.after} for s in self.changed],
        }
        return out


def _usage(message: str, text: str, *, syntax: bool = True) -> UsageError:
    shown = repr(text) if len(text) <= 80 else repr(text[:77]) + "…"
    hint = " (write PATH=VALUE or PATH+=VALUE)" if syntax else ""
    return UsageError(f"{message} in {shown}{hint}", code=errors.USAGE_SET, path="--set")


def parse_change(text: str) -> Change:
    """Parse ``PATH=VALUE`` / ``PATH+=VALUE`` (in time linear in the text, whatever it holds)."""
    at = text.find("=")
    if at < 0:
        raise _usage("no '=' or '+='", text)
    append = at > 0 and text[at - 1] == "+"
    raw_path = text[: at - 1 if append else at].strip()
    raw_value = text[at + 1:]
    if not raw_path:
        raise _usage(f"no path before '{'+=' if append else '='}'", text)
    segments: list[Any] = []
    for part in raw_path.split("."):
        found = list(_SEGMENT.finditer(part))
        if not found or "".join(m.group(0) for m in found) != part:
            raise _usage(f"bad path segment {_short(part)}", text)
        for m in found:
            segments.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    if not isinstance(segments[0], str):
        raise _usage("a path starts with a field name", text)
    _check_known(tuple(segments), text)
    return Change(text=text, path=tuple(segments), append=append, value=_value(raw_value, text))


def _check_known(path: tuple[Any, ...], text: str) -> None:
    """Refuse a path that names no field of the packet: a misspelt what-if would change nothing at all.

    Fields are checked down to a list's items (``reviews[0].rating``: ``rating`` must be a field of a
    review); what lies inside an item's own fields is left to the packet's validation.
    """
    from ._fields import item_fields, packet_fields

    fields = packet_fields()
    dotted = ""
    for depth, key in enumerate(path):
        if isinstance(key, int):
            if depth + 1 < len(path) and isinstance(path[depth + 1], str):
                known = item_fields(dotted)
                if known and path[depth + 1] not in known:
                    name = path[depth + 1]
                    raise UsageError(f"an item of {dotted} has no field '{name}' in {text!r}", code=errors.USAGE_SET,
                                     path="--set", suggestion=errors.closest(name, known))
            return
        candidate = f"{dotted}.{key}" if dotted else key
        if dotted and candidate not in fields and not any(f.startswith(dotted + ".") for f in fields):
            return  # a field named on a list or a value: applying the change says what it is instead
        if candidate not in fields:
            raise UsageError(f"'{candidate}' is not a field of the packet in {text!r}", code=errors.USAGE_SET,
                             path="--set", suggestion=errors.closest(candidate, fields))
        dotted = candidate


def _value(raw: str, text: str) -> Any:
    """JSON if the value reads as JSON, else the text itself; JSON that is refused is a usage error."""
    if not raw.strip():
        return raw
    try:
        return docs.parse_json(raw, "--set")
    except InputError as exc:
        if exc.code == errors.INPUT_JSON:
            return raw  # not JSON: a plain string
        raise _usage(f"the value is refused: {exc.message}", text, syntax=False) from None


def _short(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:37]) + "…"


def _path_text(path: tuple) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else k) for i, k in enumerate(path))


def _enter(node: Any, key: Any, change: Change, depth: int) -> None:
    """Check that ``node`` can hold ``key`` (a list index that exists, or a field of a mapping)."""
    where = _path_text(change.path[:depth]) or "the packet"
    if isinstance(key, int):
        if not isinstance(node, list):
            raise _usage(f"{where} is not a list, so it has no item [{key}]", change.text)
        if key >= len(node):
            raise _usage(f"{where} has no item [{key}] (it has {len(node)})", change.text)
    elif not isinstance(node, dict):
        if isinstance(node, list):
            example = _path_text(change.path[:depth] + (0,) + change.path[depth:])
            raise _usage(f"{where} is a list, so it has no field '{key}' (name an item: {example})", change.text)
        kind = "true/false" if isinstance(node, bool) else "a number" if isinstance(node, (int, float)) else "text"
        raise _usage(f"{where} is {kind}, so it has no field '{key}'", change.text)


def apply_changes(data: dict, changes: list[Change]) -> dict:
    """A deep copy of raw packet data with the changes applied; absent parents are created."""
    out = copy.deepcopy(data)
    for change in changes:
        node: Any = out
        path = change.path
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(key, str) and isinstance(node, dict) and node.get(key) is None and not (last and not change.append):
                # An absent parent (or the list `+=` appends to) is created, as a person writing it would.
                node[key] = [] if (last or isinstance(path[depth + 1], int)) else {}
            _enter(node, key, change, depth)
            if not last:
                node = node[key]
        if change.append:
            if not isinstance(node[key], list):
                raise _usage(f"{_path_text(path)} is not a list", change.text)
            node[key].append(change.value)
        else:
            node[key] = change.value
    return out


class ChangeInvalid(PacketError):
    """A change (``--set``) that made a valid packet invalid: the changed packet's first problem (its
    field ``path``, message, code and suggestion, without the packet's file, which is not at fault)
    and ``change``, the change that caused it (its text, as given). Read as a line, it names both."""

    def __init__(self, problem: PromoreadyError, change: str, more: int = 0) -> None:
        self.change = change
        self.more = more  # set first: the base class words the exception with __str__
        super().__init__(problem.message, code=problem.code, path=problem.path, suggestion=problem.suggestion)

    def __str__(self) -> str:
        at = f" at {self.path}" if self.path else ""
        more = f" (and {plural(self.more, 'more problem')})" if self.more else ""
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        return f"--set {self.change}: makes the packet invalid{at}: {self.message}{more}{hint} [{self.code}]"


def _blame_changes(exc: PacketError, changes: list[Change]) -> ChangeInvalid:
    """The first problem of a changed packet, with the change that caused it: the change whose path is
    the problem's field or holds it (else the one closest to it, else all of them)."""
    problem = exc.problems[0] if isinstance(exc, PacketInvalid) else exc
    field = problem.path or ""

    def shared(change: Change) -> int:
        text = _path_text(change.path)
        return len(text) if field == text or field.startswith((text + ".", text + "[")) else -1

    best = max(changes, key=shared)
    texts = [best.text] if shared(best) >= 0 or len(changes) == 1 else [c.text for c in changes]
    more = len(exc.problems) + exc.more - 1 if isinstance(exc, PacketInvalid) else 0
    return ChangeInvalid(problem, ", --set ".join(texts), more)


def what_if(evaluator, packet: Any, changes: list[str], **kwargs) -> WhatIf:
    """Evaluate ``packet`` and ``packet`` with ``changes`` applied; report which criteria moved."""
    parsed = [parse_change(c) for c in changes]
    raw, source = (packet.packet, packet.source) if isinstance(packet, LoadedPacket) else read_packet(packet)
    # read_packet hands back a Packet as given, anything else as plain data it has checked.
    data = raw.model_dump(mode="json", exclude_none=True, by_alias=True) if isinstance(raw, Packet) else raw
    before = evaluator.evaluate(LoadedPacket(to_packet(data, source), source), **kwargs)
    try:
        after = evaluator.evaluate(apply_changes(data, parsed), **kwargs)
    except PacketError as exc:  # the packet was fine before the changes: the changes made it invalid
        raise _blame_changes(exc, parsed) from None
    moved: list[StatusChange] = []
    old = {c.id: c for c in before.criteria}
    for c in after.criteria:
        prior: Optional[Any] = old.get(c.id)
        before_status = prior.status if prior is not None else "absent"
        if before_status != c.status:
            moved.append(StatusChange(c.id, c.title, before_status, c.status))
    return WhatIf(before=before, after=after, changes=parsed, changed=moved)
