"""promoready's engine: load a ladder, compile it to durable-rules, evaluate packets, explain.

>>> from promoready.engine import Evaluator, load_ladder
>>> evaluator = Evaluator(load_ladder())          # compile once
>>> decision = evaluator.evaluate(packet_dict)    # many times, from any thread

The names below are imported on first use (PEP 562), so that importing a light submodule such as
``promoready.engine.errors`` does not import pydantic and the compiler: the command line's start-up
and ``batch``'s coordinating process need only those.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name → the submodule that defines it.
_EXPORTS = {
    "Evaluator": ".evaluator",
    "load_ladder": "._ladder",
    "load_packet": "._packet",
    "describe_ladder": "._describe",
    "LoadedPacket": "._packet",
    "normalise": "._levels",
    "bundled_ladders": "._ladder",
    "ladder_digest": "._ladder",
    "DEFAULT_LADDER": "._ladder",
    "PromoreadyError": ".errors",
    "InputError": ".errors",
    "PacketError": ".errors",
    "LadderError": ".errors",
    "LadderInvalid": ".errors",
    "PacketInvalid": ".errors",
    "UsageError": ".errors",
    "EngineError": ".errors",
    # Reading documents as the engine does (size limit, UTF-8, safe JSON/YAML, depth), for front ends
    # that read a packet from somewhere other than a file: stdin, a request body.
    "MAX_BYTES": "._documents",
    "STDIN_NAME": "._documents",
    "read_text": "._documents",
    "decode": "._documents",
    "parse_json": "._documents",
    "parse_yaml": "._documents",
    "parse": "._documents",
    "check_depth": "._datacheck",
    "line_of": "._locate",
    "Source": "._packet",
    "to_packet": "._packet",
    "read_json": "._packet",
    "packet_schema": "._evidence",
}

__all__ = [
    "Evaluator",
    "load_ladder",
    "load_packet",
    "describe_ladder",
    "LoadedPacket",
    "normalise",
    "bundled_ladders",
    "ladder_digest",
    "DEFAULT_LADDER",
    "PromoreadyError",
    "InputError",
    "PacketError",
    "LadderError",
    "LadderInvalid",
    "PacketInvalid",
    "UsageError",
    "EngineError",
    "MAX_BYTES",
    "STDIN_NAME",
    "read_text",
    "decode",
    "parse_json",
    "parse_yaml",
    "parse",
    "check_depth",
    "line_of",
    "Source",
    "to_packet",
    "read_json",
    "packet_schema",
]

if TYPE_CHECKING:
    from ._describe import describe_ladder
    from ._datacheck import check_depth
    from ._documents import MAX_BYTES, STDIN_NAME, decode, parse, parse_json, parse_yaml, read_text
    from ._locate import line_of
    from ._ladder import DEFAULT_LADDER, bundled_ladders, ladder_digest, load_ladder
    from ._levels import normalise
    from ._packet import LoadedPacket, Source, load_packet, read_json, to_packet
    from ._evidence import packet_schema
    from .errors import (EngineError, InputError, LadderError, LadderInvalid, PacketError, PacketInvalid,
                         PromoreadyError, UsageError)
    from .evaluator import Evaluator


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
