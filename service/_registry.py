"""Which ladder evaluates a packet (interim: until ``promoready.engine.registry`` is on main).

The same rules as the command line's ``--ladder``: a fixed ladder for every packet, or else the
bundled ladder a packet names in its ``ladder`` field, or the default ladder. Each is compiled once.
"""

from __future__ import annotations

import threading
from typing import Optional

from promoready.engine import DEFAULT_LADDER, Evaluator, LoadedPacket, bundled_ladders, load_ladder, normalise


class LadderRegistry:
    """Compiled evaluators by ladder; ``fixed`` is the ladder every packet uses (None: the packet chooses)."""

    def __init__(self, fixed: Optional[str] = None) -> None:
        self.fixed = fixed
        self._bundled = bundled_ladders()
        self._lock = threading.Lock()
        self._evaluators: dict[str, Evaluator] = {}

    @property
    def bundled(self) -> dict[str, str]:
        """The bundled ladders: id → folder."""
        return dict(self._bundled)

    def evaluator_for(self, ladder: Optional[str] = None) -> Evaluator:
        """The fixed ladder's evaluator, else bundled ladder ``ladder`` (None: the default)."""
        key = self.fixed if self.fixed is not None else (ladder or DEFAULT_LADDER)
        with self._lock:
            if key not in self._evaluators:
                self._evaluators[key] = Evaluator(load_ladder(self._bundled.get(key, key)))
            return self._evaluators[key]

    def evaluator_for_packet(self, loaded: LoadedPacket) -> Evaluator:
        """The fixed ladder, else the bundled ladder the packet names, else the default."""
        value = loaded.packet.ladder
        if self.fixed is None and value is not None and normalise(value) in self._bundled:
            return self.evaluator_for(normalise(value))
        return self.evaluator_for(None)
