"""JSON text written faster by orjson when its bytes are surely those ``json.dumps`` writes.

Two callers: the packet digest (sorted keys, no spaces: ``canonical_json``) and the facts asserted
into durable-rules (``fact_text``). orjson is optional: without it, or whenever the two encoders could
differ, the standard library writes the text, so no output depends on which one ran.
"""

from __future__ import annotations

import json
from typing import Any

try:  # optional (see the module docstring); tested by forcing the fallback
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is installed with promoready
    _orjson = None  # type: ignore[assignment]


def as_json_dumps_writes(text: bytes) -> bool:
    """Whether orjson's ``text`` is surely what ``json.dumps`` writes for the same data.

    The two differ only on floats: NaN and infinity (orjson writes ``null``), below 1e-4 (``0.00001``
    against ``1e-05``) and in exponent form. Any of these leaves a mark in orjson's text: ``null``,
    ``0.0000``, or a digit before ``e-``/``e+``. Text that merely holds such a mark (a string saying
    "null") only costs the slower encoder, never a different byte. Plain substring searches: a
    regular expression over a packet's ~2 KB costs more than the encoding saves.
    """
    if b"null" in text or b"0.0000" in text:
        return False
    for mark in (b"e-", b"e+"):
        at = text.find(mark)
        while at != -1:
            if at and 48 <= text[at - 1] <= 57:  # a digit: an exponent
                return False
            at = text.find(mark, at + 2)
    return True


def canonical_json(data: Any) -> bytes:
    """``json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` as UTF-8 bytes.

    orjson writes the same bytes for everything a packet holds except a few floats (see
    ``as_json_dumps_writes``); it refuses integers beyond 64 bits, lone surrogates and keys that are
    not text. In any of those cases, and without orjson, the standard library writes them, so the
    bytes (and the digests made from them) never depend on which encoder ran.
    """
    if _orjson is not None:
        try:
            fast = _orjson.dumps(data, option=_orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
        else:
            if as_json_dumps_writes(fast):
                return fast
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fact_text(fact: dict) -> str:
    """``json.dumps(fact, ensure_ascii=False)`` up to whitespace: the text of a fact for the engine.

    orjson writes no spaces after ``,`` and ``:``, which the engine's parser skips either way; every
    value is written as ``json.dumps`` writes it (the same check as ``canonical_json``), so the
    engine reads the same numbers and words whichever encoder ran.
    """
    if _orjson is not None:
        try:
            fast = _orjson.dumps(fact)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
        else:
            if as_json_dumps_writes(fast):
                return fast.decode("utf-8")
    return json.dumps(fact, ensure_ascii=False)
