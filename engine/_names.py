"""The level and title names of a packet, resolved by a ladder's ``LevelIndex`` and remembered: the ranks the
measures read, and an "unknown level" error (with the closest known name) for a name the ladder does not know."""

from __future__ import annotations

from typing import Optional

from promoready.schemas.packet import Packet

from . import errors
from ._levels import LevelIndex, Rung
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
        for review in packet.reviews or ():
            for name in (review.operating_level, review.reviewer_level):
                if name is not None:
                    known = rung(name, False)
                    if known is None:
                        return None
                    ranks[name] = known.rank
        for advocate in packet.advocates or ():
            if advocate.level is not None:
                known = rung(advocate.level, False)
                if known is None:
                    return None
                ranks[advocate.level] = known.rank
        return ranks

    def check_levels(self, packet: Packet, source: Source) -> dict[str, int]:
        ranks: dict[str, int] = {}
        for i, review in enumerate(packet.reviews or ()):
            if review.operating_level is not None:
                rung = self.resolve(review.operating_level, f"reviews[{i}].operating_level",
                                     ("reviews", i, "operating_level"), source, levels_only=False)
                ranks[review.operating_level] = rung.rank
            if review.reviewer_level is not None:
                rung = self.resolve(review.reviewer_level, f"reviews[{i}].reviewer_level",
                                     ("reviews", i, "reviewer_level"), source, levels_only=False)
                ranks[review.reviewer_level] = rung.rank
        for i, advocate in enumerate(packet.advocates or ()):
            if advocate.level is not None:
                rung = self.resolve(advocate.level, f"advocates[{i}].level", ("advocates", i, "level"), source,
                                     levels_only=False)
                ranks[advocate.level] = rung.rank
        return ranks
