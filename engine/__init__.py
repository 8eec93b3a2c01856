"""promoready's engine: load a ladder, compile it to durable-rules, evaluate packets, explain.

>>> from promoready.engine import Evaluator, load_ladder
>>> evaluator = Evaluator(load_ladder())          # compile once
>>> decision = evaluator.evaluate(packet_dict)    # many times, from any thread
"""

from ._describe import describe_ladder
from ._ladder import LadderInvalid, bundled_ladders, ladder_digest, load_ladder
from ._levels import normalise
from ._packet import LoadedPacket, load_packet
from .errors import EngineError, InputError, LadderError, PacketError, PromoreadyError
from .evaluator import Evaluator

__all__ = [
    "Evaluator",
    "load_ladder",
    "load_packet",
    "describe_ladder",
    "LoadedPacket",
    "normalise",
    "bundled_ladders",
    "ladder_digest",
    "PromoreadyError",
    "InputError",
    "PacketError",
    "LadderError",
    "LadderInvalid",
    "EngineError",
]
