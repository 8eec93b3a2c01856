"""Pieces shared by the commands: choosing the ladder for a packet (the engine's ladder registry)."""

from __future__ import annotations

from promoready.engine.registry import LadderRegistry

#: The commands' ladders: ``Ladders(--ladder or None)``. With ``--ladder`` every packet uses that
#: ladder; without it, a packet naming a bundled ladder in its ``ladder`` field gets that one, and
#: any other packet the default ladder (see ``promoready.engine.registry``).
Ladders = LadderRegistry
