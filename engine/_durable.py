"""The one module that talks to durable-rules.

It drives the engine's C module (``durable_rules_engine``) directly instead of through
``durable.engine.Host``: the stock host starts two timer threads per host, builds a Python closure
and decodes the match as JSON for every fired action (about 20 µs each), and swallows action
exceptions into the state. Here an "action" is only the fired rule's name, which this module reads
off the front of the match text; that is all the evaluator needs, because a rule's name says which
criterion it decided and how.

Thread rules (see ``shared/notes/DURABLE_RULES.md``): the C code holds no locks and never releases
the GIL, so every call goes through one process-wide lock; each evaluation uses a fresh state id that
lives only inside that lock and is deleted before the lock is released. Every engine error becomes an
``EngineError`` with the engine's numeric code.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from typing import Callable

from . import errors
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
    match = _CODE.search(str(exc))
    code = int(match.group(1)) if match else None
    words = ENGINE_CODES.get(code, "the rules engine failed")
    suffix = f" (engine code {code})" if code is not None else f" ({exc})"
    return EngineError(f"{doing}: {words}{suffix}", code=errors.engine_code(code))


def _rule_name(match_text: str) -> str:
    # A match is '{"<rule name>":{...}}'; rule names never contain a quote.
    return match_text[2:match_text.index('"', 2)]


class Ruleset:
    """One compiled ruleset in the engine. Created once; evaluated many times, from any thread."""

    def __init__(self, label: str, rules: dict) -> None:
        # Ruleset names can be registered once per process and never unloaded: make each unique.
        self.name = f"promoready-{next(_ruleset_ids)}-{label}"
        text = json.dumps(rules, ensure_ascii=False, sort_keys=True)
        with _LOCK:
            try:
                self._handle = _engine.create_ruleset(self.name, text)
            except _engine.error as exc:
                raise translate(exc, f"compiling ruleset {label}") from None

    def _drain(self, state: int, first: tuple, fired: list[str]) -> None:
        message = first[1] if first else None
        while message:
            fired.append(_rule_name(message))
            message = _engine.complete_and_start_action(self._handle, state)

    def run(self, fact: dict, then: Callable[[list[str]], dict]) -> tuple[list[str], list[str]]:
        """Assert ``fact``, collect the rules it fires, then assert ``then(fired)`` and collect those.

        Returns the names of the rules each stage fired. Both facts live in one short-lived state
        that is always deleted. ``fact`` and the second fact must hold only engine-safe values.
        """
        with _LOCK:
            sid = str(next(_state_ids))
            first: list[str] = []
            second: list[str] = []
            try:
                state = self._assert(dict(fact, sid=sid))
                self._drain(state, _engine.start_action_for_state(self._handle, state), first)
                state = self._assert(dict(then(first), sid=sid))
                self._drain(state, _engine.start_action_for_state(self._handle, state), second)
            except _engine.error as exc:
                raise translate(exc, "evaluating a packet") from None
            finally:
                self._release(sid, fired=bool(first or second))
        return first, second

    def _assert(self, fact: dict) -> int:
        result = _engine.assert_fact(self._handle, json.dumps(fact, ensure_ascii=False))
        return result[1]

    def _release(self, sid: str, *, fired: bool) -> None:
        # Deleting a state in which no action ever ran can corrupt the C heap; such a state is
        # left for the engine (it only happens after an engine error, which we report).
        if fired:
            try:
                _engine.delete_state(self._handle, sid)
            except _engine.error as exc:
                raise translate(exc, "releasing an evaluation state") from None
