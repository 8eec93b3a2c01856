"""The level and title names of a packet, resolved by a ladder's ``LevelIndex`` and remembered: the ranks the
measures read, and an "unknown level" error (with the closest known name) for a name the ladder does not know."""

from __future__ import annotations

from typing import Iterator, Optional

from promoready.schemas.packet import Packet

from . import errors
from ._levels import LevelIndex, Rung
from ._locate import format_path
from ._packet import Source, packet_error


class Names:
    """One evaluator's reading of level and title names (a packet repeats a few, as written, endlessly)."""

    def __init__(self, index: LevelIndex) -> None:
        self.index = index
        self._resolved: dict[tuple[str, bool], Rung] = {}

    #: How many names, as packets spell them, ``rung`` remembers (a bound: packets are not trusted).
    REMEMBERED = 4096

    def rung(self, name: str, levels_only: bool) -> Optional[Rung]:
        """``index.resolve``, remembered: normalising a name is a regular expression, and packets
        repeat a few names, as written, endlessly (an unknown one is looked up each time)."""
        key = (name, levels_only)
        rung = self._resolved.get(key)
        if rung is None:
            rung = self.index.resolve(name, levels_only=levels_only)
            if rung is not None and len(self._resolved) < self.REMEMBERED:
                self._resolved[key] = rung
        return rung

    def resolve(self, name: str, path: str, loc: tuple, source: Source, *, levels_only: bool) -> Rung:
        rung = self.rung(name, levels_only)
        if rung is None:
            what = "level" if levels_only else "level or title"
            raise packet_error(f"unknown {what} '{name}'", code=errors.PACKET_UNKNOWN_LEVEL, path=path,
                                       source=source, loc=loc,
                                       suggestion=self.index.suggest(name, levels_only=levels_only))
        return rung

    def known_ranks(self, packet: Packet) -> Optional[dict[str, int]]:
        """``check_levels``'s ranks when every level and title name of the packet is known (its current and
        target levels too), else None: then ``level_problems`` and ``check_levels`` say which, as before.
        One pass over the names instead of two on the way every packet takes."""
        rung = self.rung
        if rung(packet.current_level, True) is None or (
                packet.target_level is not None and rung(packet.target_level, True) is None):
            return None
        ranks: dict[str, int] = {}
        for name, _ in _listed(packet):
            known = rung(name, False)
            if known is None:
                return None
            ranks[name] = known.rank
        return ranks

    def check_levels(self, packet: Packet, source: Source) -> dict[str, int]:
        """The rank of each level or title name the packet's reviews and advocates use, as written; the first
        unknown one is an error naming its path and the closest known name."""
        return {name: self.resolve(name, format_path(loc), loc, source, levels_only=False).rank
                for name, loc in _listed(packet)}


def _listed(packet: Packet) -> Iterator[tuple[str, tuple]]:
    """The level and title names a packet's reviews and advocates give, in packet order, each with its place."""
    for i, review in enumerate(packet.reviews or ()):
        if review.operating_level is not None:
            yield review.operating_level, ("reviews", i, "operating_level")
        if review.reviewer_level is not None:
            yield review.reviewer_level, ("reviews", i, "reviewer_level")
    for i, advocate in enumerate(packet.advocates or ()):
        if advocate.level is not None:
            yield advocate.level, ("advocates", i, "level")
