"""Pieces shared by the commands: choosing the ladder for a packet, parsing option values."""

from __future__ import annotations

import datetime
from typing import Optional

from promoready.engine import Evaluator, LoadedPacket, bundled_ladders, load_ladder, load_packet
from promoready.engine import normalise
from promoready.engine._ladder import DEFAULT_LADDER
from promoready.schemas.decision import Decision


class Ladders:
    """Evaluators by ladder, compiled on first use.

    With ``--ladder`` every packet uses that ladder. Without it, a packet naming a bundled ladder in
    its ``ladder`` field gets that one, and any other packet the default ladder.
    """

    def __init__(self, ladder_path: Optional[str]) -> None:
        self.fixed = ladder_path
        self._evaluators: dict[str, Evaluator] = {}
        self._bundled = bundled_ladders() if ladder_path is None else {}  # id → folder

    def evaluator_for(self, ladder_id: Optional[str]) -> Evaluator:
        """The ``--ladder`` evaluator; without one, that of bundled ladder ``ladder_id`` (None: the default).

        The default ladder is compiled once whether a packet names it or not, and a bundled id is
        loaded from its bundled folder even when the current folder has one of the same name.
        """
        key = self.fixed if self.fixed is not None else (ladder_id or DEFAULT_LADDER)
        if key not in self._evaluators:
            self._evaluators[key] = Evaluator(load_ladder(self._bundled.get(key, key)))
        return self._evaluators[key]

    def evaluator_for_packet(self, loaded: LoadedPacket) -> Evaluator:
        """The evaluator for a loaded packet: ``--ladder``, else the bundled ladder it names, else the default."""
        ladder_id = loaded.packet.ladder
        if self.fixed is None and ladder_id is not None and normalise(ladder_id) in self._bundled:
            return self.evaluator_for(normalise(ladder_id))
        return self.evaluator_for(None)

    def _load(self, packet_path: str):
        loaded = load_packet(packet_path)
        return loaded, self.evaluator_for_packet(loaded)

    def evaluate(self, packet_path: str, *, as_of: Optional[datetime.date] = None) -> Decision:
        """The decision for one packet file, with the ladder chosen as the class says."""
        loaded, evaluator = self._load(packet_path)
        return evaluator.evaluate(loaded, as_of=as_of)

    def what_if(self, packet_path: str, changes: list[str], *, as_of: Optional[datetime.date] = None):
        """The decision for a packet file with ``changes`` applied, compared with the original."""
        from promoready.engine.whatif import what_if

        loaded, evaluator = self._load(packet_path)
        return what_if(evaluator, loaded, changes, as_of=as_of)
