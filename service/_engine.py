"""The service's one adapter around the engine: reading request bodies, choosing ladders, evaluating.

Every engine call of a worker process goes through ``Engine``, under one lock: durable-rules' C code
holds no locks of its own, so it must never run on two threads at once (see ``engine/_durable.py``).
An evaluation takes about a millisecond, so a small JSON packet is read and evaluated on the event
loop's thread, cheaper than handing it to a thread; a body that may take long to read (any YAML, a
large JSON body) is read and evaluated in a thread (``_routes.off_loop``), under the same lock, so
that the loop keeps answering while it is parsed.

The bytes of a decision are the library's (``Decision.to_json_bytes``) with the service's fields
appended before the closing brace, so that a decision over HTTP is byte-identical to the library's.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any, Optional

from promoready import __version__
from promoready.engine import (Evaluator, LoadedPacket, Source, decode, errors, parse, read_json, read_text,
                               to_packet)
from promoready.engine import MAX_BYTES as _ENGINE_MAX_BYTES
from promoready.engine.errors import PromoreadyError, ServiceError
from promoready.schemas.decision import Decision

from promoready.engine.registry import LadderRegistry

__all__ = ["Engine", "Evaluated", "media_kind", "DURABLE_RULES_VERSION", "MAX_BYTES", "decision_body", "explanation",
           "provenance_json", "new_id", "unexpected", "example_packet"]

#: The media types a packet may come in, by kind.
_JSON_TYPES = ("application/json", "application/*+json", "text/json")
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")

DURABLE_RULES_VERSION = metadata.version("durable-rules")
#: The largest body the service reads by default: the engine's own limit for a file.
MAX_BYTES = _ENGINE_MAX_BYTES


def media_kind(content_type: Optional[str]) -> str:
    """``json`` or ``yaml`` for a request's Content-Type (no header: JSON); a ``ServiceError`` (415) otherwise."""
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return "json"
    if media in _YAML_TYPES:
        return "yaml"
    raise ServiceError(f"cannot read a body of type {media!r}: send application/json or application/yaml",
                       code=errors.SERVICE_CONTENT_TYPE, path="Content-Type")


@dataclass(frozen=True)
class Evaluated:
    """A decision, the evaluator that made it, and the id the service gave it."""

    decision: Decision
    evaluator: Evaluator
    decision_id: str


class Engine:
    """Ladders compiled once per process, and every engine call the service makes."""

    def __init__(self, registry: LadderRegistry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._ready = False
        self._served: Optional[dict[str, Evaluator]] = None

    # -- ladders --------------------------------------------------------------------------------------

    def warm(self) -> None:
        """Compile every ladder the service evaluates with (a bad one raises its ``LadderError`` here)."""
        with self._lock:
            for evaluator in self.served().values():
                evaluator.compile_all()
            self._ready = True

    @property
    def ready(self) -> bool:
        """Whether ``warm`` has compiled the ladders."""
        return self._ready

    def served(self) -> dict[str, Evaluator]:
        """Ladder id → evaluator, the default ladder first: the fixed ladder alone, or every bundled one."""
        if self._served is not None:
            return self._served
        default = self.registry.evaluator_for(None)
        out = {default.ladder.id: default}
        if self.registry.fixed is None:
            for name in sorted(self.registry.bundled):
                evaluator = self.registry.evaluator_for(name)
                out.setdefault(evaluator.ladder.id, evaluator)
        self._served = out
        return out

    def ladder(self, ladder_id: str) -> Evaluator:
        """The evaluator of a served ladder by id, or a 404 ``LadderError`` naming the closest id."""
        served = self.served()
        found = served.get(ladder_id)
        if found is None:
            raise errors.LadderError(f"the service has no ladder '{ladder_id}'", code=errors.LADDER_NOT_FOUND,
                                     path="ladder_id", suggestion=errors.closest(ladder_id, served))
        return found

    def describe(self, ladder_id: str, transition: Optional[str] = None) -> dict[str, Any]:
        """A served ladder described for a committee (one transition, or all); a 404 for unknown names."""
        evaluator = self.ladder(ladder_id)
        keys = [t.key for t in evaluator.ladder.transitions]
        if transition is not None and transition not in keys:
            raise errors.UsageError(f"ladder '{ladder_id}' has no transition '{transition}'",
                                    code=errors.USAGE_TRANSITION, path="transition",
                                    suggestion=errors.closest(transition, keys))
        return _describe(evaluator, transition)

    # -- packets --------------------------------------------------------------------------------------

    def parse(self, body: bytes, kind: str, *, source: str = "request body") -> tuple[Any, Source]:
        """Raw data from a request body: UTF-8, JSON or YAML as ``kind`` says, read as a file of that
        kind is (``parse``: JSON by the engine's one careful reading), with its refusals."""
        text = decode(body, source)
        return parse(text, source, kind=kind), Source(source, text)

    def read(self, body: bytes, kind: str, *, keep_data: bool) -> tuple[LoadedPacket, Any]:
        """A request body's validated packet, and its raw data when ``keep_data`` (for a decision log
        that keeps packets). JSON not kept is read in one pass whenever that surely reads it as
        ``parse`` and ``load`` do (``read_json``), with the same errors either way."""
        if kind == "yaml" or keep_data:
            data, source = self.parse(body, kind)
            return self.load(data, source), data
        name = "request body"
        text = decode(body, name)
        try:
            return read_json(text, Source(name, text)), None
        except errors.PacketInvalid as exc:
            raise self._checked(exc) from None

    def load(self, data: Any, source: Source, *, under: Optional[str] = None) -> LoadedPacket:
        """A validated packet (a ``PacketError`` with the field path and body line otherwise); ``under``
        names the key the packet sits under in the body, for the lines of its errors."""
        if under is not None:
            source = _Nested(under, source.name, source.text)
        try:
            return LoadedPacket(to_packet(data, source), source)
        except errors.PacketInvalid as exc:
            raise self._checked(exc) from None

    def _checked(self, exc: errors.PacketInvalid) -> errors.PacketInvalid:
        """A packet that failed validation with its unknown level names too, as the command line reports
        them: every problem at once (the registry is asked under the engine's lock)."""
        with self._lock:
            return self.registry.checked(exc)

    def evaluate(self, loaded: LoadedPacket, as_of: Optional[datetime.date]) -> Evaluated:
        """The decision for a packet, with the ladder the registry chooses for it."""
        with self._lock:
            evaluator = self.registry.evaluator_for_packet(loaded)
            decision = evaluator.evaluate(loaded, as_of=as_of)
        return Evaluated(decision, evaluator, new_id())

    def what_if(self, loaded: LoadedPacket, changes: list[str], as_of: Optional[datetime.date]) -> tuple[Any, Evaluator]:
        """``engine.whatif.what_if`` for a packet, with the ladder the registry chooses for it."""
        from promoready.engine.whatif import what_if

        with self._lock:
            evaluator = self.registry.evaluator_for_packet(loaded)
            return what_if(evaluator, loaded, changes, as_of=as_of), evaluator


class _Nested(Source):
    """A packet's source when the packet sits under a key of the body: lines are looked up under it."""

    def __init__(self, key: str, name: Optional[str], text: Optional[str]) -> None:
        super().__init__(name, text)
        self.key = key

    def line(self, loc: tuple) -> Optional[int]:
        return super().line((self.key, *loc))


def example_packet() -> dict[str, Any]:
    """A real packet for the OpenAPI examples: the default ladder's first senior-pm-to-director example
    case, with dates written as a client writes them."""
    from promoready.engine import DEFAULT_LADDER, bundled_ladders

    folder = bundled_ladders()[DEFAULT_LADDER]
    path = f"{folder}/examples/senior-pm-to-director.yaml"
    case = parse(read_text(path), path)["cases"][0]
    packet: dict[str, Any] = json.loads(json.dumps(case["packet"], default=str))
    return packet


def new_id() -> str:
    """A decision id: a random UUID (never derived from the packet, so it reveals nothing of it)."""
    return str(uuid.uuid4())


@lru_cache(maxsize=64)
def provenance_json(evaluator: Evaluator) -> bytes:
    """The ``provenance`` object of an evaluator's decisions, as JSON bytes (made once per ladder)."""
    value = {
        "ladder": {"id": evaluator.ladder.id, "version": evaluator.ladder.version, "digest": evaluator.digest},
        "promoready": __version__,
        "durable_rules": DURABLE_RULES_VERSION,
    }
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decision_body(result: Evaluated, explanation: Optional[dict[str, Any]] = None) -> bytes:
    """The library's decision bytes followed by ``decision_id``, ``provenance`` and, if asked, ``explanation``."""
    core = result.decision.to_json_bytes()
    tail = b',"decision_id":"' + result.decision_id.encode("ascii") + b'","provenance":' + provenance_json(result.evaluator)
    if explanation is not None:
        tail += b',"explanation":' + json.dumps(explanation, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return core[:-1] + tail + b"}"


def explanation(decision: Decision, mode: str) -> dict[str, Any]:
    """``?explain=fails|full``: the criteria to read (failing first; ``fails`` leaves passes out) and markdown."""
    from promoready.cli.render import render_decisions

    order = {"fail": 0, "unknown": 1, "pass": 2}
    shown = sorted(decision.criteria, key=lambda c: order[c.status])
    if mode == "fails":
        shown = [c for c in shown if c.status != "pass"]
    return {
        "mode": mode,
        # A criterion's `group` only where it has one, as in the decision's own bytes.
        "criteria": [c.model_dump(mode="json", by_alias=True, exclude=None if c.group else {"group"}) for c in shown],
        "markdown": render_decisions([decision], "markdown", explain=mode),
    }


@lru_cache(maxsize=64)
def _describe(evaluator: Evaluator, transition: Optional[str]) -> dict[str, Any]:
    from promoready.engine import describe_ladder

    described = describe_ladder(evaluator.ladder, transition)
    described["digest"] = evaluator.digest
    return described


def unexpected(exc: BaseException) -> PromoreadyError:
    """An internal fault as an ``EngineError`` (500) whose message names only the exception's class."""
    return errors.EngineError(f"an unexpected internal error ({type(exc).__name__}); it was logged",
                              code=errors.ENGINE_INTERNAL)
