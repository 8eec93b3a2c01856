"""The one module that talks to durable-rules.

It drives the engine's C module (``durable_rules_engine``) directly instead of through
``durable.engine.Host``: the stock host starts two timer threads per host, builds a Python closure
and decodes the match as JSON for every fired action (about 20 µs each), and swallows action
exceptions into the state. Here an "action" is only the fired rule's name, which this module reads
off the front of the match text; that is all the evaluator needs, because a rule's name says which
criterion it decided and how. No ``Host`` exists, so nothing here starts a thread.

Thread rules (see ``shared/notes/DURABLE_RULES.md``): the C code holds no locks and never releases
the GIL, so every call goes through one process-wide lock; each evaluation uses a fresh state id that
lives only inside that lock and is deleted before the lock is released. Every engine error becomes an
``EngineError`` with the engine's numeric code.

Memory rules: a state is always deleted, an engine error included, so that an error costs its packet
only (the engine holds at most 1,024 live states per ruleset, about 1 MB each). Deleting a state in
which no action ever ran frees pointers the engine never set (its ``context`` fields are left
uninitialised when the state is created): before such a state is deleted, a *release fact* fires the
release rule every ruleset carries, which sets them. A ruleset that can no longer be trusted (its
state could not be released ``LEAK_LIMIT`` times) is compiled again under a new handle. A
``Ruleset`` frees its engine ruleset when it is garbage-collected (on the next engine call, never
from inside a finalizer), so compiling many ladders in one process does not accumulate them.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import weakref
from typing import Callable, Optional, Sequence

from . import errors
from ._jsontext import fact_text
from .errors import EngineError

try:
    import durable_rules_engine as _engine
except ImportError as _exc:
    # Python 3.13 removed PyEval_CallObject, which durable-rules 2.0.28 calls: compiled without a
    # stand-in for it, the module builds but cannot be loaded. Say how to rebuild it, not a traceback.
    if "PyEval_CallObject" not in str(_exc):
        raise
    import sys

    class _BuildError(EngineError, ImportError):
        """Still an ImportError, so that code which guards an import (the fork server's preload) copes."""

    raise _BuildError(
        "durable-rules was compiled without the fix Python 3.13 needs (undefined symbol PyEval_CallObject); "
        "rebuild it with: CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject "
        f"{sys.executable} -m pip install --no-cache-dir --force-reinstall --no-deps durable-rules==2.0.28",
        code=errors.ENGINE_BUILD,
    ) from None

_LOCK = threading.Lock()
_ruleset_ids = itertools.count(1)
_state_ids = itertools.count(1)
_CODE = re.compile(r"error code: (\d+)")
#: Engine handles of collected rulesets, freed on the next engine call (a finalizer may run while this
#: thread holds the lock, so it only appends).
_GRAVEYARD: list[int] = []
_LIVE: set[int] = set()  # handles of the rulesets alive in the engine

#: The property of the release fact, and the rule it fires (names no compiled rule uses).
RELEASE_KEY = "_release"
RELEASE_RULE = "release"
#: States of one ruleset that could not be released before it is compiled again under a new handle.
LEAK_LIMIT = 16

#: Facts asserted between the first and the last: ``(stage, rules fired so far) -> fact or None``.
Stages = Callable[[int, list[str]], Optional[dict]]

#: The engine's numeric codes that we have met, in words (rules/ and tests/ never see raw codes).
ENGINE_CODES = {
    101: "out of memory in the rules engine",
    102: "the rules engine hit an internal limit",
    201: "the rules engine could not parse its input",
    202: "the rules engine could not parse a rule",
    204: "a number the rules engine cannot read (exponent notation)",
    209: "the rules engine met an unexpected value type",
    303: "too many matching conditions in one rule (more than 64)",
    304: "the rules engine met an unsupported operator",
}


def translate(exc: Exception, doing: str) -> EngineError:
    """One of our errors for any error the engine raised while ``doing`` something."""
    if isinstance(exc, MemoryError):
        code: Optional[int] = 101
    else:
        match = _CODE.search(str(exc))
        code = int(match.group(1)) if match else None
    words = ENGINE_CODES.get(code, "the rules engine failed") if code is not None else "the rules engine failed"
    suffix = f" (engine code {code})" if code is not None else f" ({exc})"
    return EngineError(f"{doing}: {words}{suffix}", code=errors.engine_code(code))


def _rule_name(match_text: str) -> str:
    # A match is '{"<rule name>":{...}}'; rule names never contain a quote.
    return match_text[2:match_text.index('"', 2)]


def _bury() -> None:
    """Free the engine rulesets of collected ``Ruleset`` objects (call with the lock held)."""
    while _GRAVEYARD:
        handle = _GRAVEYARD.pop()
        _LIVE.discard(handle)
        try:
            _engine.delete_ruleset(handle)
        except _engine.error:
            pass  # already gone: nothing to free


def live_rulesets() -> int:
    """How many rulesets this process holds in the engine (collected ones not yet freed included)."""
    with _LOCK:
        _bury()
        return len(_LIVE)


#: The engine errors a call may raise: its own, and MemoryError for its out-of-memory code.
_ENGINE_ERRORS = (_engine.error, MemoryError)


class Ruleset:
    """One compiled ruleset in the engine. Created once; evaluated many times, from any thread."""

    def __init__(self, label: str, rules: dict) -> None:
        if RELEASE_RULE in rules:
            raise ValueError(f"'{RELEASE_RULE}' is the release rule's name")
        self.label = label
        # Ruleset names need not be unique in the C module, but unique names make a dump readable.
        self.name = f"promoready-{next(_ruleset_ids)}-{label}"
        self._text = json.dumps({**rules, RELEASE_RULE: {"all": [{"m": {RELEASE_KEY: 1}}]}},
                                ensure_ascii=False, sort_keys=True)
        self._leaked = 0
        self.rotations = 0
        with _LOCK:
            _bury()
            self._handle = self._create(f"compiling ruleset {label}")
        self._finalizer = weakref.finalize(self, _GRAVEYARD.append, self._handle)

    def _create(self, doing: str) -> int:
        try:
            handle = _engine.create_ruleset(self.name, self._text)
        except _ENGINE_ERRORS as exc:
            raise translate(exc, doing) from None
        _LIVE.add(handle)
        return handle

    def _drain(self, state: int, first: Optional[tuple], fired: list[str]) -> None:
        message = first[1] if first else None
        while message:
            fired.append(_rule_name(message))
            message = _engine.complete_and_start_action(self._handle, state)

    def run(self, fact: dict, then: Optional[Callable[[list[str]], dict]] = None,
            stages: Optional[Stages] = None) -> tuple[list[str], list[str]]:
        """Assert ``fact``, collect the rules it fires, then assert ``then(fired)`` and collect those.

        With ``stages``, facts in between: ``stages(1, fired)``, ``stages(2, fired)``… each seeing
        every rule fired so far, until it returns None; their firings join the first list.
        Returns the names of the rules each stage fired (the second list is empty without ``then``).
        Every fact lives in one short-lived state that is always deleted, after an engine error too.
        ``fact`` and the later facts must hold only engine-safe values.
        """
        with _LOCK:
            _bury()
            sid = str(next(_state_ids))
            first: list[str] = []
            second: list[str] = []
            acted = False  # whether an action ever started in this state (see the module docstring)
            try:
                state = self._assert(dict(fact, sid=sid))
                started = _engine.start_action_for_state(self._handle, state)
                acted = started is not None
                self._drain(state, started, first)
                stage = 1
                while stages is not None:
                    later = stages(stage, first)
                    if later is None:
                        break
                    state = self._assert(dict(later, sid=sid))
                    started = _engine.start_action_for_state(self._handle, state)
                    acted = acted or started is not None
                    self._drain(state, started, first)
                    stage += 1
                if then is not None:
                    state = self._assert(dict(then(first), sid=sid))
                    started = _engine.start_action_for_state(self._handle, state)
                    acted = acted or started is not None
                    self._drain(state, started, second)
            except _ENGINE_ERRORS as exc:
                raise translate(exc, "evaluating a packet") from None
            finally:
                self._release(sid, acted)
        return first, second

    def _assert(self, fact: dict) -> int:
        result = _engine.assert_fact(self._handle, fact_text(fact))
        return result[1]

    def _settle(self, sid: str) -> None:
        """Fire the release rule in the state (and finish any action left pending in it)."""
        state = self._assert({"sid": sid, RELEASE_KEY: 1})
        self._drain(state, _engine.start_action_for_state(self._handle, state), [])

    def _release(self, sid: str, acted: bool) -> None:
        try:
            if not acted:
                self._settle(sid)
            _engine.delete_state(self._handle, sid)
        except _ENGINE_ERRORS:
            # The state cannot be released safely: leave it, and after a few start afresh (the
            # engine's table of live states is finite). The evaluation's own error, if any, is
            # the one reported.
            self._leaked += 1
            if self._leaked >= LEAK_LIMIT:
                self._rotate()

    def _rotate(self) -> None:
        """Compile the rules again under a new handle and free the old one (``delete_ruleset`` frees the
        network and the state table without reading the stuck states, so it is safe)."""
        try:
            handle = self._create(f"recompiling ruleset {self.label}")
        except EngineError:
            return  # keep the old handle: it still evaluates while it has room
        self._finalizer.detach()
        _GRAVEYARD.append(self._handle)
        self._handle = handle
        self._finalizer = weakref.finalize(self, _GRAVEYARD.append, handle)
        self._leaked = 0
        self.rotations += 1


class RulesetChain:
    """Several rulesets that decide one transition together, each over part of the evidence fact.

    ``run`` asserts into each ruleset the fact's properties it reads (``fields``) and, into the last
    one only, the second-stage fact; it returns every first-stage firing, in order, and the last
    ruleset's second-stage firings. Same contract as ``Ruleset.run``.
    """

    def __init__(self, rulesets: Sequence[Ruleset], fields: Sequence[frozenset[str]]) -> None:
        self.rulesets = list(rulesets)
        self.fields = list(fields)

    def run(self, fact: dict, then: Optional[Callable[[list[str]], dict]] = None,
            stages: Optional[Callable[[int, int, list[str]], Optional[dict]]] = None) -> tuple[list[str], list[str]]:
        """Run every ruleset on its part of ``fact``; ``then`` sees every first-stage firing.
        ``stages(i, stage, fired)`` gives ruleset ``i``'s facts between (see ``Ruleset.run``)."""
        first: list[str] = []
        last = len(self.rulesets) - 1
        second: list[str] = []
        for i, (ruleset, fields) in enumerate(zip(self.rulesets, self.fields)):
            part = {k: v for k, v in fact.items() if k in fields}
            own: Optional[Stages] = None if stages is None else (lambda stage, fired, i=i: stages(i, stage, fired))
            if i < last:
                fired, _ = ruleset.run(part, stages=own)
                first += fired
            else:
                fired, second = ruleset.run(part, None if then is None else (lambda mine: then(first + mine)),
                                            stages=own)
                first += fired
        return first, second
