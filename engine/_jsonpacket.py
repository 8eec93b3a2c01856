"""A packet read from JSON text in one pass: pydantic-core parses and validates the text at once.

The careful reading (``json`` with a duplicate-key hook, ``check_data``, then model validation of
the dict) costs about twice as much. The one-pass reading is used only when it *surely* gives the
same packet and would have met none of the careful reading's refusals; whenever it is unsure, and
on any error at all, the careful reading runs instead and produces the messages, codes, lines and
field paths it always has. So it can only be faster, never different.

What the careful reading refuses, and why the one-pass reading cannot let it through:

- a repeated key (pydantic-core would keep the last): the text's keys are counted in C, and the
  count must equal the keys the packet's models were given (``model_fields_set``, per mapping);
- nesting past ``MAX_DEPTH``, data that is not plain, numbers too long to print: a packet without
  extra fields and without an ``evidence`` section has the schema's shape (five levels deep at
  most), and every number in it sits in a bounded field; a packet with either is read carefully;
- a lone surrogate: any ``\\ud…`` escape sends the text to the careful reading;
- NaN, Infinity, a raw control character in a string, malformed JSON: errors of the one-pass
  reading as well, so the careful reading runs and words them.
"""

from __future__ import annotations

import re
from typing import Optional

from pydantic import ValidationError

from promoready.schemas.packet import Packet

from . import _packet  # (imported by _packet: its names are read at call time)

#: White space before a colon (``"a" : 1``): then the count of ``":`` is no longer a bound on the
#: keys written, and the text is read carefully.
_SPACED_COLON = re.compile(r"\s:")


def packet_in_one_pass(text: str) -> Optional[Packet]:
    """The packet of a JSON text, validated by pydantic-core straight from the text, or None when
    the careful reading must run (it may refuse the text, or read it differently)."""
    # Single-character searches first (memchr): most texts have no backslash, and a colon that
    # every ``":`` accounts for has no white space before it.
    written = text.count('":')
    if text.count(":") != written and _SPACED_COLON.search(text):
        return None
    if "\\" in text and ("\\ud" in text or "\\uD" in text):
        return None
    if '"evidence"' in text:  # an evidence section is read carefully: not validated twice (checked below too)
        return None
    try:
        packet = Packet.model_validate_json(text)
    except ValidationError:
        return None
    if packet.evidence is not None:
        return None
    # Every key's colon follows its closing quote, so ``written`` is at least the keys written, and
    # the models' given fields are the distinct keys: equal only if no mapping repeats a key.
    given = _packet.keys_given(packet)
    if given is None or given != written:
        return None
    return packet
