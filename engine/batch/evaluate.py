"""Evaluating one item: read it, validate it, decide it; every failure becomes an error record.

Also the batch's default evaluation factory (the ladder registry's evaluation function, built in
each process) and the test hooks that make a worker crash or hang on a chosen packet.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Optional

from .. import _documents as docs
from ..errors import ENGINE_INTERNAL, InputError, PacketInvalid, PromoreadyError
from ..summary import Outcome
from .inputs import Item
from .records import Config, Evaluate, Result, columns_of, error_dict, error_result

if TYPE_CHECKING:  # imported where packets are evaluated: a pool's coordinating process never needs pydantic
    from .. import _packet

#: Test hook: a worker process that meets a packet with this candidate id calls ``os.abort()``, to
#: test that a worker dying inside the engine costs only that packet. Read by the command line in
#: the parent process and passed to the workers; never acted on when evaluating in-process.
CRASH_ENV = "PROMOREADY_TEST_CRASH_ON"
#: Test hook: a worker process that meets a packet with this candidate id sleeps for an hour, to test
#: that a worker stuck on a packet costs only that packet (``timeout``).
HANG_ENV = "PROMOREADY_TEST_HANG_ON"
#: Test hook: a worker process, once ready, leaves itself no free file descriptor (as a process at its
#: ``ulimit -n`` is), to test that a worker that cannot take an input file passed to it costs nothing.
FILES_FULL_ENV = "PROMOREADY_TEST_FILES_FULL"


def evaluation_factory(config: Config) -> Evaluate:
    """The evaluation function of one process: the ladder registry's, for ``config.ladder``.

    Module-level so that it pickles by name into each worker; it imports the registry (and with it
    pydantic and the compiler) only when called, so a pool's coordinating process never does.
    """
    from ..registry import batch_evaluation

    return batch_evaluation(config.ladder)


def _read(item: Item) -> tuple[Any, _packet.Source]:
    from .. import _jsonpacket, _packet

    if item.problem is not None:
        raise InputError(item.problem[1], code=item.problem[0], file=item.file, line=item.line)
    if item.data is None:
        text = docs.read_text(item.file)
        if item.file.lower().endswith(docs._YAML_SUFFIXES):
            return docs.parse(text, item.file), _packet.Source(item.file, text)
        source = _packet.Source(item.file, text)
    else:
        text = docs.decode(item.data, item.file)
        source = _packet.Source(item.file, None)
    # A Packet when the text reads in one pass (to_packet hands it back as it is), else checked data.
    packet = _jsonpacket.packet_in_one_pass(text)
    if packet is not None:
        return packet, source
    return docs.careful_json(text, item.file), source


def _candidate_id(raw: Any) -> Optional[str]:
    candidate = raw.get("candidate") if isinstance(raw, dict) else None
    cid = candidate.get("id") if isinstance(candidate, dict) else None
    return cid if isinstance(cid, str) else None


def process(item: Item, evaluate: Evaluate, config: Config, *, keep: bool = True, in_worker: bool = False) -> Result:
    """Evaluate one item; every failure becomes an error record, nothing is raised.

    ``keep``: a packet the earlier run decided (``config.keep``) comes back as a result to keep,
    without a record, instead of being evaluated. ``in_worker``: the test hooks may act.
    """
    from .. import _packet

    cid = None
    try:
        raw, source = _read(item)
        cid = raw.candidate.id if isinstance(raw, _packet.Packet) else _candidate_id(raw)
        if in_worker and config.crash_on is not None and cid == config.crash_on:
            _abort()  # test hook (CRASH_ENV): die the way a crash in the C engine would
        if in_worker and config.hang_on is not None and cid == config.hang_on:
            time.sleep(3600)  # test hook (HANG_ENV): get stuck the way an endless loop would
        try:
            # A Packet here was read in one pass, which proved it has no extra fields (see read_json).
            loaded = _packet.LoadedPacket(_packet.to_packet(raw, source), source,
                                          plain=isinstance(raw, _packet.Packet))
        except PacketInvalid as exc:  # with its unknown level names too: every problem in one record
            checked = getattr(evaluate, "checked", None)
            raise (checked(exc) if checked is not None else exc) from None
        if keep and config.keep:
            key = evaluate.resume_key(loaded, config.as_of)
            if key in config.keep:
                return Result(item.seq, item.source, cid, keep=key)
        decision = evaluate(loaded, config.as_of)
        outcome = Outcome.of(decision)
        if decision.warnings:
            typos = loaded.typos()
            if config.strict:  # nothing is ignored: each is an error, at its line
                raise PacketInvalid(sorted(typos, key=lambda p: p.line or 0))
            if len(typos) == len(decision.warnings):
                outcome = outcome._replace(warning_lines=tuple(p.line for p in typos))
        return Result(item.seq, item.source, decision.candidate_id, record=decision.to_json_bytes() + b"\n",
                      outcome=outcome, columns=columns_of(decision) if config.columns else None)
    except PromoreadyError as exc:
        problems = exc.records() if isinstance(exc, PacketInvalid) and len(exc.problems) > 1 else [exc.to_dict()]
        for error in problems:
            if error["file"] in (None, item.file):
                error["file"] = item.file
                if item.line is not None:  # one packet per line: the stream's line is the one to fix
                    error["line"] = item.line
        listed = [error_dict(**e) for e in problems]
        return error_result(item, listed[0], cid, problems=listed if len(listed) > 1 else None)
    except Exception as exc:  # a bug, not the packet's fault: report it and go on with the batch
        return error_result(item, error_dict(ENGINE_INTERNAL, f"unexpected {type(exc).__name__}: {exc}",
                                             file=item.file, line=item.line), cid)


def use_every_descriptor() -> None:
    """Leave this process no free file descriptor (the FILES_FULL_ENV test hook): its limit lowered to the
    lowest free one, so that every descriptor it may have is taken and the next one fails, as at ``ulimit -n``."""
    import resource

    free = os.open(os.devnull, os.O_RDONLY)
    os.close(free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (free, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def _abort() -> None:
    """Die of SIGABRT, without leaving a core file (the CRASH_ENV test hook)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    os.abort()
