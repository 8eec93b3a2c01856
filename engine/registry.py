"""The ladder registry: which ladder a packet is evaluated with, each ladder compiled once.

Every front end (the command line, ``batch``'s workers, a service, a report) chooses ladders the same
way, through ``LadderRegistry``:

- a caller may fix the ladder (``--ladder``): a ladder folder, its ``ladder.yaml``, or a bundled id;
  every packet then uses it, whatever its own ``ladder`` field says;
- otherwise a packet naming a bundled ladder in its ``ladder`` field gets that one (from its bundled
  folder, even when the current folder has one of the same name), a packet naming a path inside a
  folder the registry was explicitly allowed gets the ladder there, and any other packet the default
  ladder. A packet whose ``ladder`` is a path anywhere else is refused: a packet is data from
  someone else, and must not make the evaluator read files of its choosing.

A registry loads a ladder once per reference; a ladder is compiled once per digest (``ladder_digest``)
in the whole process: every reference to it, in every registry, shares one ``Evaluator``. Compiled
rulesets can never be unloaded, so a second compile of the same ladder would only hold more memory
for good. Each transition of it is compiled when a packet first needs it (a front end serving many
packets compiles them all when it starts). Every method may be called from many threads at once.

Ladders are loaded through the user's ladder cache (``_ladder_cache``: the loaded ladder kept as JSON,
keyed by the digest of the ladder's files and of the code), so that a short command does not re-read
a ladder's YAML each time it starts; ``PROMOREADY_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import datetime
import os
import threading
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ._ladder import DEFAULT_LADDER, LADDER_FILE, bundled_ladders, ladder_digest, load_ladder
from ._ladder_cache import forget, load_ladder_cached
from ._levels import normalise
from ._packet import LoadedPacket, effective_as_of, load_packet, packet_digest
from .errors import PACKET_LADDER_NOT_ALLOWED, PacketError, PacketInvalid, PromoreadyError, closest
from .evaluator import Evaluator

if TYPE_CHECKING:
    from promoready.schemas.decision import Decision
    from promoready.schemas.ladder import Ladder

    from .whatif import WhatIf

__all__ = ["DEFAULT_LADDER", "BatchEvaluation", "LadderRegistry", "batch_evaluation", "compiled"]

#: Ladder digest → its one evaluator in this process (see the module's docstring).
_COMPILED: dict[str, Evaluator] = {}
_COMPILING = threading.Lock()


def compiled(ladder: Ladder, digest: Optional[str] = None) -> Evaluator:
    """This process's evaluator of ``ladder``: made on first use, then the same one for the same digest.

    The evaluator is lazy: each transition is compiled the first time a packet needs it, so that a
    command evaluating one packet compiles one transition. A front end that serves many packets calls
    its ``compile_all`` when it starts (a batch's workers, the service).

    ``digest``: the ladder's ``ladder_digest``, when the caller has computed it already.
    """
    digest = digest or ladder_digest(ladder)
    with _COMPILING:  # one thread makes a ladder's evaluator; the others wait for it
        evaluator = _COMPILED.get(digest)
        if evaluator is None:
            evaluator = _COMPILED[digest] = Evaluator(ladder, lazy=True)
        return evaluator


def _load(reference: str) -> Evaluator:
    """The evaluator of the ladder at ``reference``, loaded through the ladder cache.

    An entry whose recorded digest differs from the digest of the ladder read from it is dropped and
    the ladder read from its files: the cache can make loading faster, never make it different.
    """
    cached = load_ladder_cached(reference)
    digest = ladder_digest(cached.ladder)
    if cached.recorded_digest is not None and cached.recorded_digest != digest:
        if cached.key is not None:
            forget(cached.key)
        ladder = load_ladder(reference)
        return compiled(ladder, ladder_digest(ladder))
    return compiled(cached.ladder, digest)


def _looks_like_path(value: str) -> bool:
    """Whether a packet's ``ladder`` names a file or folder rather than a ladder id."""
    separators = {"/", "\\", os.sep, os.altsep or os.sep}
    return (any(s in value for s in separators) or value in (".", "..") or value.startswith("~")
            or value.lower().endswith((".yaml", ".yml")))


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies under it (both already real paths)."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


class LadderRegistry:
    """Compiled evaluators by ladder, chosen for each packet as the module says; thread-safe.

    ``fixed``: the ladder every packet uses (a folder, its ``ladder.yaml`` or a bundled id), as
    ``--ladder`` gives it; None lets each packet's ``ladder`` field choose. ``allowed``: folders
    whose ladders a packet's ``ladder`` field may name by path (none by default: only bundled ids).
    """

    def __init__(self, fixed: Optional[str] = None, *, allowed: Iterable[str] = ()) -> None:
        self.fixed = fixed
        self.allowed = tuple(os.path.realpath(folder) for folder in allowed)
        self._bundled = bundled_ladders()  # id → folder
        self._lock = threading.Lock()
        self._by_reference: dict[str, Evaluator] = {}  # what was loaded → its evaluator

    @property
    def bundled(self) -> dict[str, str]:
        """The bundled ladders: id → folder."""
        return dict(self._bundled)

    def evaluator_for(self, ladder: Optional[str] = None) -> Evaluator:
        """The evaluator of a ladder the caller names: the fixed one if there is one; else bundled ladder
        ``ladder`` (loaded from its bundled folder even beside a same-named folder), else the ladder
        folder or ``ladder.yaml`` at that path; None: the default ladder.

        The default ladder is compiled once whether it is asked for by name or not.
        """
        if self.fixed is not None:
            return self._compiled(self.fixed)
        name = ladder or DEFAULT_LADDER
        return self._compiled(self._bundled.get(name, name))

    def evaluator_for_packet(self, loaded: LoadedPacket) -> Evaluator:
        """The evaluator for a loaded packet: the fixed ladder, else the one its ``ladder`` field names
        (a bundled id, or a path inside an allowed folder), else the default.

        Raises ``PacketError`` (field ``ladder``) for a path outside the allowed folders.
        """
        value = loaded.packet.ladder
        if self.fixed is not None or value is None:
            return self.evaluator_for(None)
        if normalise(value) in self._bundled:
            return self.evaluator_for(normalise(value))
        if not _looks_like_path(value):  # not a ladder this registry knows: the default, as ever
            return self.evaluator_for(None)
        path = self._allowed_path(value, loaded)
        evaluator = self._compiled(path)
        with self._lock:  # the packet named this ladder by path: its evaluator must accept that name
            evaluator.accepted_paths.add(path)
        return evaluator

    def _allowed_path(self, value: str, loaded: LoadedPacket) -> str:
        """The real path a packet's ``ladder`` names, if it lies inside an allowed folder."""
        try:
            path = os.path.realpath(os.path.expanduser(value))  # links followed: a link cannot lead outside
        except (ValueError, OSError):  # no file can have this name (a NUL in it): it is allowed nowhere
            path = value
        else:
            if any(_inside(path, folder) for folder in self.allowed):
                return path
        where = " or a ladder inside " + ", ".join(self.allowed) if self.allowed else ""
        name = os.path.basename(os.path.dirname(path) if os.path.basename(path) == LADDER_FILE else path)
        raise PacketError(f"a packet's ladder must be a bundled ladder id{where}; {value!r} points elsewhere",
                          code=PACKET_LADDER_NOT_ALLOWED, file=loaded.source.name, line=loaded.source.line(("ladder",)),
                          path="ladder", suggestion=closest(name, self._bundled))

    def _compiled(self, reference: str) -> Evaluator:
        """The evaluator of the ladder at ``reference`` (as ``load_ladder`` takes it), loaded once by this registry."""
        evaluator = self._by_reference.get(reference)
        if evaluator is not None:
            return evaluator
        with self._lock:  # one thread loads a reference; the others wait for its evaluator
            evaluator = self._by_reference.get(reference)
            if evaluator is None:
                evaluator = self._by_reference[reference] = _load(reference)
            return evaluator

    def checked(self, exc: PacketInvalid) -> PacketInvalid:
        """``exc`` (a packet that failed validation) with its unknown level names added, named by the
        ladder it would be evaluated with: the fixed one, the bundled one its ``ladder`` names, else the
        default (a packet naming a ladder by path gets no such check: the path is not followed)."""
        value = exc.data.get("ladder") if isinstance(exc.data, dict) else None
        name = None
        if self.fixed is None and isinstance(value, str) and value:
            name = normalise(value)
            if name not in self._bundled and _looks_like_path(value):
                return exc
            name = name if name in self._bundled else None
        try:
            evaluator = self.evaluator_for(name)
        except PromoreadyError:  # the ladder's own problem: reported when a valid packet meets it
            return exc
        return evaluator.checked(exc)

    def load(self, source: Any) -> LoadedPacket:
        """``load_packet(source)``, with every problem of an invalid packet (``checked``)."""
        try:
            return load_packet(source)
        except PacketInvalid as exc:
            raise self.checked(exc) from None

    def evaluate(self, source: Any, *, as_of: Optional[datetime.date] = None) -> Decision:
        """The decision for one packet (a file path, a dict, a ``Packet`` or a ``LoadedPacket``), with the
        ladder chosen as the class says."""
        loaded = self.load(source)
        return self.evaluator_for_packet(loaded).evaluate(loaded, as_of=as_of)

    def what_if(self, source: Any, changes: list[str], *, as_of: Optional[datetime.date] = None) -> WhatIf:
        """The decision for a packet with ``changes`` applied (``PATH=VALUE``), compared with the original."""
        from .whatif import what_if

        loaded = self.load(source)
        return what_if(self.evaluator_for_packet(loaded), loaded, changes, as_of=as_of)


class BatchEvaluation:
    """A batch's evaluation function in one process: each packet with the ladder the registry chooses."""

    def __init__(self, registry: LadderRegistry) -> None:
        self.registry = registry

    def __call__(self, loaded: LoadedPacket, as_of: Optional[datetime.date], /) -> Decision:
        return self.registry.evaluate(loaded, as_of=as_of)

    def checked(self, exc: PacketInvalid, /) -> PacketInvalid:
        """A packet that failed validation, with every problem (``LadderRegistry.checked``)."""
        return self.registry.checked(exc)

    def resume_key(self, loaded: LoadedPacket, as_of: Optional[datetime.date], /) -> tuple[str, str, str]:
        """What decides a packet's decision: the packet, the ladder it would be evaluated with, the as-of date.

        ``--resume`` keeps an earlier decision only when all three are the same (see ``batch.Keeper``).
        """
        evaluator = self.registry.evaluator_for_packet(loaded)
        return packet_digest(loaded.packet), evaluator.digest, effective_as_of(loaded.packet, as_of).isoformat()


def batch_evaluation(ladder: Optional[str] = None) -> BatchEvaluation:
    """The evaluation function of one batch process, with ``ladder`` fixed (``--ladder``) or not.

    The fixed (or default) ladder is compiled now, every transition, so that a bad ladder stops the
    batch before it starts and its packets never wait for a compile (a packet naming another bundled
    ladder has that ladder's transitions compiled as they are first needed).
    """
    registry = LadderRegistry(ladder)
    registry.evaluator_for(None).compile_all()
    return BatchEvaluation(registry)
