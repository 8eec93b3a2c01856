"""Evaluating many packets: streaming inputs, ordered results, crash-isolated worker processes.

Inputs stream (``iter_items``): files, folders (recursive, sorted), ``.jsonl`` files and stdin, one
``Item`` at a time; nothing holds the whole batch. ``run`` turns items into ``Result``s in input order:

- one worker: evaluated in this process, one item after another;
- more: a pool of worker processes of its own (not ``concurrent.futures``, whose pool dies as a
  whole when one worker dies). Each worker compiles its own evaluators at start-up (they hold
  engine handles and closures and cannot be pickled) and talks to this process over one pipe
  (plain ``Connection.send``: no feeder thread that could lose a result when the process dies).
  Items go in chunks of up to ``CHUNK``; the packet texts and the records travel through two small
  memory-backed files per direction (``_Spools``), the pipe carries only the rest. A worker holds at
  most two chunks, the one it evaluates and the next, and answers in order, so when it dies inside
  the C engine this process knows which chunk it was on: that chunk's packets are evaluated again
  one at a time (alone, a crash names its packet, which gets an ``engine.worker-crashed`` error
  record), the chunk sent ahead goes to another worker, the worker is replaced, and the batch goes
  on. A worker notes which packet it starts and when; one stuck on a packet for longer than the
  timeout is stopped the same way, and that packet gets an ``engine.timeout`` error record. At
  most ``window`` items are between being read and being handed back in order (a stream, read by
  a thread of its own, has up to as many again in that thread's buffer), so memory stays flat
  however many packets stream through.

``Keeper`` reads the output of an interrupted run for ``--resume``: decisions already made are
copied verbatim instead of being evaluated again.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import signal
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, NamedTuple, Optional

from .. import _processes
from . import _documents as docs
from .errors import EngineError, InputError, PromoreadyError
from .summary import Outcome

if TYPE_CHECKING:  # imported where packets are evaluated: a pool's coordinating process never needs pydantic
    from . import _packet

#: Test hook: a worker process that meets a packet with this candidate id calls ``os.abort()``, to
#: test that a worker dying inside the engine costs only that packet. Read by the command line in
#: the parent process and passed to the workers; never acted on when evaluating in-process.
CRASH_ENV = "PROMOREADY_TEST_CRASH_ON"
#: Test hook: a worker process that meets a packet with this candidate id sleeps for an hour, to test
#: that a worker stuck on a packet costs only that packet (``timeout``).
HANG_ENV = "PROMOREADY_TEST_HANG_ON"

#: Seconds a worker may spend on one packet before it is stopped (pool mode, unless set), and the most
#: that can be set (a week: ``wait`` takes no more than ~24 days).
DEFAULT_TIMEOUT = 300.0
MAX_TIMEOUT = 7 * 24 * 3600.0

#: Folder inputs: the packet files picked up (recursively, sorted by name).
PACKET_SUFFIXES = (".json", ".yaml", ".yml")

STDIN_NAME = "<stdin>"

#: Items read but not yet handed back in order, at most (pool mode), unless the workers' chunks need more.
WINDOW = 256

#: An evaluation function: a validated packet and the ``--as-of`` date → a ``Decision``. With
#: ``--resume`` (a non-empty ``Config.keep``) it also needs a method ``resume_key(loaded, as_of)``:
#: see ``resume_key`` below.
Evaluate = Callable[["_packet.LoadedPacket", Optional[datetime.date]], Any]


# -- inputs -----------------------------------------------------------------------------------------


class Item(NamedTuple):
    """One packet to evaluate: a file to read, or one line of a JSONL stream.

    A named tuple rather than a dataclass: tens of thousands are made, pickled and sent per batch.
    """

    seq: int
    file: str  # the file named in messages (``<stdin>`` for stdin)
    line: Optional[int] = None  # the line in a JSONL stream
    data: Optional[bytes] = None  # the JSONL line; None means read ``file``
    problem: Optional[tuple[str, str]] = None  # (code, message): the input could not even be read

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def iter_items(inputs: Iterable[str], *, stdin: Optional[BinaryIO] = None,
               exclude: Iterable[str] = ()) -> Iterator[Item]:
    """Every packet of ``inputs``, in order, one at a time.

    A ``.jsonl`` file or ``-`` (``stdin``) gives one packet per non-blank line; a folder gives its
    ``*.json``, ``*.yaml`` and ``*.yml`` files, recursively, sorted by name (hidden files and
    folders, and the paths in ``exclude``, are skipped); anything else is one packet file.
    """
    skip = {os.path.realpath(p) for p in exclude}
    seq = 0
    for name in inputs:
        if name == "-":
            if stdin is None:
                raise InputError("'-' reads stdin, but there is none", code="input.stdin")
            lines = _jsonl(stdin, STDIN_NAME)
        elif os.path.isdir(name):
            lines = _folder(name, skip)
        elif name.lower().endswith(".jsonl"):
            lines = _jsonl_file(name)
        else:
            lines = iter([(name, None, None, None)])
        for file, line, data, problem in lines:
            yield Item(seq, file, line, data, problem)
            seq += 1


def _jsonl_file(path: str) -> Iterator[tuple]:
    try:
        fh = open(path, "rb")
    except OSError as exc:
        code = "input.not-found" if isinstance(exc, FileNotFoundError) else "input.unreadable"
        yield path, None, None, (code, "no such file" if code == "input.not-found" else f"cannot read: {exc.strerror}")
        return
    with fh:
        yield from _jsonl(fh, path)


def _jsonl(fh: BinaryIO, name: str) -> Iterator[tuple]:
    number = 0
    try:
        while True:
            raw = fh.readline(docs.MAX_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > docs.MAX_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, in bounded pieces
                    raw = fh.readline(docs.MAX_BYTES + 1)
                yield name, number, None, ("input.too-large", f"the line is over {docs.MAX_BYTES:,} bytes")
                continue
            if raw.strip():
                yield name, number, raw, None
    except OSError as exc:  # the stream itself failed (not open for reading, an I/O error): one error record
        yield name, number + 1, None, ("input.unreadable", f"cannot read: {exc.strerror or exc}")


def _folder(folder: str, skip: set[str]) -> Iterator[tuple]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        yield folder, None, None, ("input.unreadable", f"cannot list the folder: {exc.strerror}")
        return
    for entry in names:
        if entry.startswith("."):
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path):
            if not os.path.islink(path):  # a linked folder could loop
                yield from _folder(path, skip)
        elif entry.lower().endswith(PACKET_SUFFIXES) and os.path.realpath(path) not in skip:
            yield path, None, None, None


def count_items(inputs: Iterable[str], exclude: Iterable[str] = ()) -> Optional[int]:
    """How many items ``iter_items`` will give (for a progress bar), or None when stdin is read."""
    if "-" in inputs:
        return None
    skip = {os.path.realpath(p) for p in exclude}
    total = 0
    for name in inputs:
        if os.path.isdir(name):
            total += sum(1 for _ in _folder(name, skip))
        elif name.lower().endswith(".jsonl"):
            try:
                with open(name, "rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


# -- one packet -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """The record for one item: a decision, an error, or (``--resume``) a decision to keep."""

    seq: int
    source: str
    candidate_id: Optional[str] = None
    record: Optional[bytes] = None  # the JSONL line, UTF-8, with its newline
    outcome: Optional[Outcome] = None  # for the summary (decisions only)
    error: Optional[dict] = None  # for error records
    keep: Optional[tuple] = None  # resume key of a decision the previous run made (not yet copied)
    kept: bool = False  # the record was copied from the previous run


@dataclass(frozen=True)
class Config:
    """What every worker needs to know (picklable)."""

    ladder: Optional[str] = None
    as_of: Optional[datetime.date] = None
    keep: frozenset = field(default_factory=frozenset)  # resume keys already decided (--resume; see Keeper)
    crash_on: Optional[str] = None  # test hook, see CRASH_ENV
    hang_on: Optional[str] = None  # test hook, see HANG_ENV


def error_dict(code: str, message: str, *, file: Optional[str] = None, line: Optional[int] = None,
               path: Optional[str] = None, suggestion: Optional[str] = None) -> dict:
    return {"code": code, "message": message, "file": file, "line": line, "path": path, "suggestion": suggestion}


def error_result(item: Item, error: dict, candidate_id: Optional[str]) -> Result:
    record = _dumps({"error": error, "source": item.source, "candidate_id": candidate_id}).encode("utf-8") + b"\n"
    return Result(item.seq, item.source, candidate_id, record=record, error=error)


def _dumps(value: Any) -> str:
    """One compact JSON line (the same style as ``Decision.to_json``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read(item: Item) -> tuple[Any, _packet.Source]:
    from . import _packet

    if item.problem is not None:
        raise InputError(item.problem[1], code=item.problem[0], file=item.file, line=item.line)
    if item.data is None:
        text = docs.read_text(item.file)
        return docs.parse(text, item.file), _packet.Source(item.file, text)
    text = docs.decode(item.data, item.file)
    data = docs.parse_json(text, item.file)
    docs.check_depth(data, item.file)
    return data, _packet.Source(item.file, None)


def _candidate_id(raw: Any) -> Optional[str]:
    candidate = raw.get("candidate") if isinstance(raw, dict) else None
    cid = candidate.get("id") if isinstance(candidate, dict) else None
    return cid if isinstance(cid, str) else None


def process(item: Item, evaluate: Evaluate, config: Config, *, keep: bool = True, in_worker: bool = False) -> Result:
    """Evaluate one item; every failure becomes an error record, nothing is raised."""
    from . import _packet

    cid = None
    try:
        raw, source = _read(item)
        cid = _candidate_id(raw)
        if in_worker and config.crash_on is not None and cid == config.crash_on:
            _abort()  # test hook (CRASH_ENV): die the way a crash in the C engine would
        if in_worker and config.hang_on is not None and cid == config.hang_on:
            time.sleep(3600)  # test hook (HANG_ENV): get stuck the way an endless loop would
        loaded = _packet.LoadedPacket(_packet.to_packet(raw, source), source)
        if keep and config.keep:
            key = evaluate.resume_key(loaded, config.as_of)
            if key in config.keep:
                return Result(item.seq, item.source, cid, keep=key)
        decision = evaluate(loaded, config.as_of)
        return Result(item.seq, item.source, decision.candidate_id, record=decision.to_json_bytes() + b"\n",
                      outcome=Outcome.of(decision))
    except PromoreadyError as exc:
        error = exc.to_dict()
        if error["file"] in (None, item.file):
            error["file"] = item.file
            if item.line is not None:  # one packet per line: the stream's line is the one to fix
                error["line"] = item.line
        return error_result(item, error_dict(**error), cid)
    except Exception as exc:  # a bug, not the packet's fault: report it and go on with the batch
        return error_result(item, error_dict("engine.internal", f"unexpected {type(exc).__name__}: {exc}",
                                             file=item.file, line=item.line), cid)


def _abort() -> None:
    """Die of SIGABRT, without leaving a core file (the CRASH_ENV test hook)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    os.abort()


def crash_result(item: Item, exitcode: Optional[int], timeout: Optional[float] = None) -> Result:
    """The error record of a packet whose worker died on it (or, with ``timeout``, was stopped on it)."""
    if timeout is not None:
        error = error_dict("engine.timeout",
                           f"evaluating this packet took more than {timeout:g} s; it was skipped and the worker "
                           f"stopped and replaced (please report this as a bug, with the packet)",
                           file=item.file, line=item.line)
        return error_result(item, error, None)
    how = f"exit status {exitcode}"
    if exitcode is not None and exitcode < 0:
        try:
            how = signal.Signals(-exitcode).name
        except ValueError:
            how = f"signal {-exitcode}"
    error = error_dict("engine.worker-crashed",
                       f"the worker process died ({how}) while evaluating this packet; it was skipped and the worker "
                       f"replaced (please report this as a bug, with the packet)", file=item.file, line=item.line)
    return error_result(item, error, None)


# -- resume -----------------------------------------------------------------------------------------


def resume_key(record: Any) -> Optional[tuple[str, str, str]]:
    """A decision record's resume key: its ``packet_digest``, its ladder's ``digest`` and its ``as_of``.

    An evaluation function's ``resume_key(loaded, as_of)`` gives the same three for a packet about
    to be evaluated; when they match, the earlier decision is the one this run would make.
    """
    if not isinstance(record, dict):
        return None
    ladder = record.get("ladder")
    key = (record.get("packet_digest"), ladder.get("digest") if isinstance(ladder, dict) else None, record.get("as_of"))
    return key if all(isinstance(part, str) for part in key) else None


class Keeper:
    """The decisions in the output of an earlier run (``--resume``), by resume key.

    A decision is kept when the packet is the same (its ``packet_digest``: same candidate id, same
    content), it would be evaluated with the same ladder (the ladder's ``digest``: an edited ladder
    or another ``--ladder`` decides again) and to the same date (``as_of``: another ``--as-of``, or a
    packet without a date on another day, decides again). Lines are read back from the file when
    copied, so only the offsets stay in memory. Lines that are not decisions are ignored.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._first: dict[tuple, int] = {}  # resume key → offset of its first unused line
        self._more: dict[tuple, deque[int]] = {}  # resume key → further lines (the same packet twice)
        shared: dict[str, str] = {}  # one string object per ladder digest and date: the keys pickle small
        self._fh: Optional[BinaryIO] = None
        try:
            self._fh = open(path, "rb")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", code="input.unreadable", file=path) from None
        offset = 0
        for number, raw in enumerate(self._fh, 1):
            start, offset = offset, offset + len(raw)
            if not raw.endswith(b"\n") or b'"packet_digest"' not in raw:
                continue
            try:
                record = docs.parse_json(docs.decode(raw, path), path)
            except PromoreadyError:
                continue
            if not isinstance(record, dict) or "error" in record:
                continue
            key = resume_key(record)
            if key is None or not isinstance(record.get("candidate_id"), str):
                continue
            key = (key[0], shared.setdefault(key[1], key[1]), shared.setdefault(key[2], key[2]))
            if key in self._first:
                self._more.setdefault(key, deque()).append(start)
            else:
                self._first[key] = start

    def __len__(self) -> int:
        return len(self._first) + sum(len(d) for d in self._more.values())

    @property
    def keys(self) -> frozenset:
        """The resume keys of the decisions held (``Config.keep``)."""
        return frozenset(self._first)

    def take(self, result: Result) -> Optional[Result]:
        """The kept record for a ``keep`` result, or None if every copy was used already."""
        key = result.keep
        offset = self._first.pop(key, None)
        if offset is None:
            return None
        more = self._more.get(key)
        if more:
            self._first[key] = more.popleft()
        self._fh.seek(offset)
        line = self._fh.readline()  # ends in a newline: lines without one were not taken
        outcome = Outcome.of(docs.parse_json(docs.decode(line, self.path), self.path))
        return Result(result.seq, result.source, result.candidate_id, record=line, outcome=outcome, kept=True)

    def unused(self) -> Iterator[bytes]:
        """The records not copied yet, in file order, each with its newline."""
        offsets = sorted([*self._first.values(), *(o for more in self._more.values() for o in more)])
        for offset in offsets:
            self._fh.seek(offset)
            yield self._fh.readline()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# -- running ----------------------------------------------------------------------------------------


class Results(Iterator[Result]):
    """The iterator ``run`` returns: results in input order, and whether the next one is already here.

    ``ready()`` lets a writer buffer records while more arrive without waiting and flush only before
    the batch would wait (for a worker or for input): one write for a chunk of records instead of one
    per record. ``close()`` stops the workers.
    """

    def __init__(self) -> None:
        self._pool: Optional[_Pool] = None
        self._results: Iterator[Result] = iter(())

    def __next__(self) -> Result:
        return next(self._results)

    def ready(self) -> bool:
        """True when the next result can be handed back without waiting."""
        return self._pool is not None and self._pool.ready()

    def close(self) -> None:
        self._results.close()


def run(items: Iterable[Item], *, workers: int, factory: Callable[[Config], Evaluate], config: Config,
        keeper: Optional[Keeper] = None, window: Optional[int] = None, inline_below: int = 0,
        timeout: Optional[float] = None, stream: bool = False) -> Results:
    """Results for ``items``, in input order (nothing is read or started before the first ``next``).

    ``factory(config)`` builds the evaluation function; with ``workers`` > 1 it runs once in each
    worker process, so it must be a module-level function (it is pickled by name), and the calling
    program must guard its entry point with ``if __name__ == "__main__":`` (workers re-import it).
    With ``inline_below``, a batch of fewer items than that is evaluated in this process.

    ``timeout``: seconds a worker may spend on one packet; a worker that takes longer is stopped and
    replaced, the packet gets an ``engine.timeout`` error record and the others of its chunk are
    evaluated again. Without it, pools use ``DEFAULT_TIMEOUT`` and packets evaluated in this process
    have no limit; with it, packets are always evaluated in worker processes (one, for ``workers`` = 1),
    since only a process can be stopped.

    ``stream``: the items come from a stream that may pause (stdin): a pool then reads it in a thread
    of its own, so that decisions keep coming while it is quiet, and a small batch is one whose
    stream ends within ``inline_below`` items without a long pause.
    """
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:  # NaN fails this too
        raise ValueError(f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {timeout!r}")
    results = Results()
    results._results = _run(results, items, workers, factory, config, keeper, window, inline_below, timeout, stream)
    return results


def _run(results: Results, items: Iterable[Item], workers: int, factory: Callable[[Config], Evaluate],
         config: Config, keeper: Optional[Keeper], window: Optional[int], inline_below: int,
         timeout: Optional[float], stream: bool) -> Iterator[Result]:
    items = iter(items)
    # A pool must not wait for a quiet stream: it reads it through a thread (see _Feed).
    feed = _Feed(items, capacity=window or WINDOW) if stream and (workers > 1 or timeout is not None) else None
    try:
        if feed is not None:
            items = iter(feed)
        if workers > 1 and inline_below > 0:
            if feed is not None:  # a stream is small if it ends within the first packets (and is not just quiet)
                small = feed.ends_within(inline_below, patience=_Feed.PATIENCE)
            else:
                head = list(itertools.islice(items, inline_below))
                small = len(head) < inline_below
                items = itertools.chain(head, items)
            if small:  # starting processes would cost more than it saves
                workers = 1
        if workers <= 1 and timeout is None:
            evaluate = factory(config)
            for item in items:
                result = process(item, evaluate, config)
                if result.keep is not None:
                    result = (keeper.take(result) if keeper else None) or process(item, evaluate, config, keep=False)
                yield result
            return
        results._pool = _Pool(max(workers, 1), factory, config, keeper, window,
                              timeout if timeout is not None else DEFAULT_TIMEOUT)
        yield from results._pool.results(feed if feed is not None else _Feed(items))
    finally:
        if feed is not None:
            feed.close()


#: What ``_Feed.next`` returns when a stream has nothing new yet.
_NOTHING = object()


class _Feed:
    """The items a pool reads.

    From files, items are read when the pool wants them (reading a file never waits for long). From
    a stream (stdin), a thread of its own reads them into a bounded buffer, so that the pool goes on
    handing out work and handing back decisions while the stream is quiet: ``fd`` becomes readable
    when items arrive (or the stream ends), and the pool waits on it with its workers.
    """

    #: A stream that has not ended within this many seconds is not a small batch (see ``ends_within``).
    PATIENCE = 0.5

    def __init__(self, items: Iterator[Item], *, capacity: Optional[int] = None) -> None:
        self._items = items
        self._threaded = capacity is not None  # a stream (with a thread of its own), else files
        self.fd: Optional[int] = None
        if not self._threaded:
            return
        self._capacity = capacity
        self._buffer: deque[Item] = deque()
        self._changed = threading.Condition()
        self._ended = False
        self._closed = False
        self._error: Optional[BaseException] = None
        self.fd, self._wake_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._wake_fd, False)
        threading.Thread(target=self._read, name="promoready-batch-input", daemon=True).start()

    def _read(self) -> None:
        try:
            for item in self._items:
                with self._changed:
                    while len(self._buffer) >= self._capacity and not self._closed:
                        self._changed.wait()
                    if self._closed:
                        return
                    self._buffer.append(item)
                    self._changed.notify_all()
                self._wake()
        except BaseException as exc:  # re-raised where the items are taken
            with self._changed:
                self._error = exc
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()
            self._wake()
            os.close(self._wake_fd)  # only this thread writes to it, so only this thread closes it

    def _wake(self) -> None:
        try:
            os.write(self._wake_fd, b"\0")
        except OSError:  # full (the pool will wake up anyway) or its reading end closed (the pool is gone)
            pass

    def next(self) -> Any:
        """The next item; ``_NOTHING`` if a stream has sent nothing new yet. Raises StopIteration at the end."""
        if not self._threaded:
            return next(self._items)
        with self._changed:
            if self._buffer:
                item = self._buffer.popleft()
                self._changed.notify_all()
                return item
            if self._error is not None:
                raise self._error
            if self._ended:
                raise StopIteration
            return _NOTHING

    def __iter__(self) -> Iterator[Item]:
        """Every item, waiting for a stream as long as it takes."""
        if not self._threaded:
            yield from self._items
            return
        while True:
            with self._changed:
                while not self._buffer and not self._ended:
                    self._changed.wait()
            try:
                item = self.next()
            except StopIteration:
                return
            if item is not _NOTHING:
                yield item

    def ends_within(self, count: int, *, patience: float) -> bool:
        """Whether the stream ends before ``count`` items arrive, waiting ``patience`` seconds at most
        (a stream still going by then is taken to be a long one)."""
        deadline = time.monotonic() + patience
        with self._changed:
            while len(self._buffer) < count and not self._ended:
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    return False
            return self._ended and self._error is None and len(self._buffer) < count

    def drain(self) -> None:
        """Forget the wake-ups received (the pool reads what arrived with ``next``)."""
        if self.fd is not None:
            try:
                while os.read(self.fd, 4096):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        """Stop reading (the thread ends at its next line). The writing end of the wake-up pipe is the
        thread's to close: closing it here could let its number be reused by a file that the thread,
        still waiting for a line, would then write to."""
        if self.fd is None:
            return
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        os.close(self.fd)
        self.fd = None


def _worker_main(conn, factory: Callable[[Config], Evaluate], config: Config, inbox: tuple["_Fd", ...],
                 outbox: tuple["_Fd", ...], progress: "_Fd") -> None:
    """A worker: build the evaluators, then evaluate one chunk of items at a time until told to stop.

    Chunk n's packet texts are in ``inbox[n % 2]`` and its records go to ``outbox[n % 2]`` (see
    ``_Spools``); the messages carry only the rest: the items without their text, and the results
    without their records, with the lengths needed to find each in its spool. Before each packet it
    notes in ``progress`` which one it starts and when (see ``_Worker.stuck_on``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    try:
        try:
            evaluate = factory(config)
        except PromoreadyError as exc:
            conn.send(("fatal", exc.to_dict(), type(exc).__name__))
            return
        conn.send(("ready",))
    except (EOFError, OSError):  # the parent is gone (or stopped listening): nothing left to do
        return
    inbox_fds = [spool.fd for spool in inbox]
    outbox_fds = [spool.fd for spool in outbox]
    for number in itertools.count():
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        slot = number % _Spools.COUNT
        lengths, tasks = message
        try:
            texts = _Spools.read_from(inbox_fds[slot], lengths)
            results = []
            for index, ((item, keep, _), text) in enumerate(zip(tasks, texts)):
                os.pwrite(progress.fd, _PROGRESS.pack(number, index, time.monotonic()), 0)
                results.append(process(item if text is None else item._replace(data=text), evaluate, config,
                                       keep=keep, in_worker=True))
            records = [r.record or b"" for r in results]  # a result to keep has none (and a record is never empty)
            _Spools.write_to(outbox_fds[slot], b"".join(records))
            message = ("results", slot, [len(r) for r in records],
                       [(r.seq, r.source, r.candidate_id, r.outcome, r.error, r.keep) for r in results])
        except (OSError, EngineError) as exc:  # its spool files failed it: the batch cannot go on
            error = EngineError(f"a batch worker cannot use its spool files: {getattr(exc, 'strerror', None) or exc}",
                                code="engine.batch")
            message = ("fatal", error.to_dict(), "EngineError")
        try:
            conn.send(message)
        except (EOFError, OSError):
            return
        if message[0] == "fatal":
            return


#: What a worker notes before each packet: its chunk number, the packet's place in it, and when it started.
_PROGRESS = struct.Struct("<qqd")


class _Fd:
    """A file descriptor that a worker process receives as its own duplicate when it starts."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self):
        from multiprocessing.reduction import DupFd  # works while a process is being started, with any context

        return _Fd._rebuild, (DupFd(self.fd),)

    @staticmethod
    def _rebuild(dup) -> "_Fd":
        return _Fd(dup.detach())


class _Spools:
    """Memory-backed files through which a chunk's packet texts and records travel, one set per direction.

    The texts and records do not go through the pipe: there they would be pickled, copied by the
    socket and unpickled, on this process's side as well as the worker's, and on two cores this
    process competes with the workers. Chunk n uses spool n % 2 in each direction: the sender writes
    it from the start and then sends the (small) message that says so, and the receiver reads it as
    soon as the message arrives. A worker holds at most two chunks (``_Worker.PREFETCH``), so when
    chunk n is sent, chunk n - 2 has been read in both directions and its spools are free again.
    """

    COUNT = 2
    #: A spool that grew past this (a very large packet) is cut back once a smaller chunk uses it.
    KEEP = 4 << 20

    def __init__(self, name: str) -> None:
        self.fds: list[int] = []
        try:
            for number in range(self.COUNT):
                self.fds.append(_anonymous_file(f"promoready-{name}-{number}"))
        except OSError as exc:
            self.close()
            raise EngineError(f"cannot create the batch's spool files: {exc.strerror}", code="engine.batch") from None

    def for_worker(self) -> tuple[_Fd, ...]:
        return tuple(_Fd(fd) for fd in self.fds)

    @staticmethod
    def write_to(fd: int, data: bytes) -> None:
        """``data`` at the start of the spool ``fd``."""
        view, offset = memoryview(data), 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)
        if len(data) < _Spools.KEEP < os.fstat(fd).st_size:
            os.ftruncate(fd, len(data))

    @staticmethod
    def read_from(fd: int, lengths: list[int]) -> list[Optional[bytes]]:
        """The pieces written at the start of the spool ``fd``, one per length (None for 0: no piece)."""
        total = sum(lengths)
        if not total:
            return [None] * len(lengths)
        data = os.pread(fd, total, 0)
        if len(data) != total:
            raise EngineError("a batch spool file was cut short", code="engine.batch")
        out, start = [], 0
        for length in lengths:
            out.append(data[start:start + length] if length else None)
            start += length
        return out

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def _anonymous_file(name: str) -> int:
    """A file with no name: in memory where the system has ``memfd_create``, else an unlinked temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create(name, os.MFD_CLOEXEC)
        except OSError:
            pass
    import tempfile

    fh = tempfile.TemporaryFile(prefix=name)
    fd = os.dup(fh.fileno())
    fh.close()
    return fd


#: A task: an item, whether a decision of the previous run may be kept, and whether it must be
#: evaluated alone (it was in a chunk whose worker died: alone, a crash names the packet).
Task = tuple[Item, bool, bool]

#: Items sent to a worker in one message. Every message costs this process a wake-up, a system call
#: or two and some pickling, and waking a process costs tens of microseconds of CPU on a virtual
#: machine (measured: a ping-pong between two processes costs ~50 us of CPU per round trip here);
#: on two cores, this process competes with the workers for every one of them. With the texts and
#: records in spools, a chunk's size is bounded only by CHUNK and CHUNK_BYTES.
CHUNK = 64
#: Bytes of packet text in one chunk at most, unless its first item alone is larger.
CHUNK_BYTES = 1 << 20


class _Worker:
    """One worker process and the chunks it holds, oldest first (the first is the one being evaluated)."""

    #: Chunks one worker holds at most: the one it evaluates and the next, so it never waits for us
    #: (and the spools of a chunk two back are free: see ``_Spools``).
    PREFETCH = _Spools.COUNT

    def __init__(self, ctx, factory, config) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.inbox = self.outbox = None
        self.progress: Optional[int] = None
        try:
            self.inbox = _Spools("in")
            self.outbox = _Spools("out")
            self.progress = _anonymous_file("promoready-progress")
            self.process = ctx.Process(target=_worker_main, daemon=True, name="promoready-batch-worker",
                                       args=(child, factory, config, self.inbox.for_worker(), self.outbox.for_worker(),
                                             _Fd(self.progress)))
            self.process.start()
        except OSError as exc:
            self._close()
            raise EngineError(f"cannot start a batch worker: {exc.strerror or exc}", code="engine.batch") from None
        except BaseException:
            self._close()
            raise
        finally:
            child.close()
        self.ready = False
        self.sent = 0  # chunks sent: the next one uses inbox spool ``sent % 2``
        self.tasks: deque[list[Task]] = deque()  # chunks sent, oldest first
        self.since: Optional[float] = None  # when it started on its oldest chunk, or on its current packet

    def can_take(self) -> bool:
        return self.ready and len(self.tasks) < self.PREFETCH

    def send(self, chunk: list[Task]) -> bool:
        """Hand it a chunk; False if it is gone (its sentinel will say so)."""
        texts = [task[0].data for task in chunk]
        try:
            _Spools.write_to(self.inbox.fds[self.sent % _Spools.COUNT], b"".join(t for t in texts if t is not None))
        except OSError as exc:  # this process cannot write its own spool: no other worker could do better
            raise EngineError(f"cannot write the batch's spool file: {exc.strerror or exc}", code="engine.batch") \
                from None
        try:
            self.conn.send(([len(t) if t is not None else 0 for t in texts],
                            [(Item(item.seq, item.file, item.line, None, item.problem), keep, alone)
                             for item, keep, alone in chunk]))
        except (OSError, ValueError):
            return False
        self.sent += 1
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(chunk)
        return True

    def stuck_on(self, timeout: float) -> Optional[int]:
        """Past its deadline: the place in its oldest chunk of the packet it has spent over ``timeout``
        seconds on, or -1 if that is not known; None if it is only slow (its deadline moves on to the
        packet it is on now)."""
        try:
            number, index, started = _PROGRESS.unpack(os.pread(self.progress, _PROGRESS.size, 0))
        except (OSError, struct.error):
            return -1
        if number != self.sent - len(self.tasks):  # not on its oldest chunk yet: nothing to go by
            return -1
        if time.monotonic() - started <= timeout:
            self.since = started
            return None
        return index

    def read_results(self, slot: int, lengths: list[int], results: list[tuple]) -> list[Result]:
        """The results of the oldest chunk: fields from the message, records from outbox spool ``slot``."""
        done = [Result(seq, source, cid, record, outcome, error, keep)
                for (seq, source, cid, outcome, error, keep), record
                in zip(results, _Spools.read_from(self.outbox.fds[slot], lengths))]
        self.tasks.popleft()
        self.since = time.monotonic() if self.tasks else None  # it goes on with the chunk sent ahead
        return done

    def stop(self, *, gently: bool) -> None:
        if gently and self.process.is_alive():
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            self.process.join(1.0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._close()

    def _close(self) -> None:
        self.conn.close()
        for spools in (self.inbox, self.outbox):
            if spools is not None:
                spools.close()
        if self.progress is not None:
            os.close(self.progress)
            self.progress = None


def _text_size(task: Task) -> int:
    data = task[0].data
    return len(data) if data is not None else 0


def _take_chunk(queue: deque, limit: int = CHUNK) -> list[Task]:
    """The next chunk from the front of the queue: up to ``limit`` items and CHUNK_BYTES of text, unless
    its first item alone is larger (an item to be evaluated alone always travels alone)."""
    chunk = [queue.popleft()]
    if chunk[0][2]:
        return chunk
    size = _text_size(chunk[0])
    while queue and len(chunk) < limit and not queue[0][2]:
        size += _text_size(queue[0])
        if size > CHUNK_BYTES:
            break
        chunk.append(queue.popleft())
    return chunk


class _Pool:
    """Worker processes of our own, each holding at most two items; results handed back in input order."""

    #: Give up when this many workers in a row died before they were ready.
    MAX_START_FAILURES = 3

    def __init__(self, size: int, factory, config: Config, keeper: Optional[Keeper], window: Optional[int],
                 timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self.factory = factory
        self.config = config
        self.keeper = keeper
        if window is None:  # enough for every worker to hold its chunks while the next ones are read
            window = max(WINDOW, (_Worker.PREFETCH + 1) * CHUNK * size)
        self.window = max(window, 2 * size)
        self.ctx = _processes.context()
        self.workers: list[_Worker] = []
        self.start_failures = 0
        self.done: dict[int, Result] = {}  # finished, waiting for their turn
        self.next_seq: Optional[int] = None  # the next to hand back

    def ready(self) -> bool:
        """The next result is here (and is not a decision to copy from the earlier run, which may fail)."""
        result = self.done.get(self.next_seq)
        return result is not None and result.keep is None

    def results(self, feed: _Feed) -> Iterator[Result]:
        queue: deque[Task] = deque()  # read, waiting for a worker
        pending: dict[int, Item] = {}  # every item read and not yet handed back
        done = self.done
        exhausted = False
        finished = False
        try:
            while True:
                while self.next_seq in done:
                    result = done.pop(self.next_seq)
                    if result.keep is not None:
                        kept = self.keeper.take(result) if self.keeper else None
                        if kept is None:  # the packet occurs more often than the earlier run decided it
                            queue.appendleft((pending[self.next_seq], False, False))
                            break
                        result = kept
                    del pending[self.next_seq]
                    self.next_seq += 1
                    yield result
                starved = False  # a stream had nothing more: its wake-ups matter (and only then)
                while not exhausted and len(queue) < 2 * self.size * CHUNK and len(pending) < self.window:
                    try:
                        item = feed.next()
                    except StopIteration:
                        exhausted = True
                        break
                    if item is _NOTHING:  # a quiet stream: go on with what is here
                        starved = True
                        break
                    if self.next_seq is None:
                        self.next_seq = item.seq
                    pending[item.seq] = item
                    queue.append((item, True, False))
                if exhausted and not pending:
                    finished = True
                    return
                # Once the input is read, the last packets are shared out in smaller chunks, so that no
                # worker is left with a long chunk while the others have nothing to do.
                limit = CHUNK if not exhausted else \
                    max(1, min(CHUNK, -(-len(queue) // (_Worker.PREFETCH * max(1, len(self.workers))))))
                # First a chunk to every idle worker; then one more each, sent ahead, but only once no
                # worker is still starting (or the first to be ready would take the work of the others).
                for ahead in (False, True):
                    if ahead and not all(w.ready for w in self.workers):
                        break
                    for worker in self.workers:
                        if queue and worker.can_take() and (ahead or not worker.tasks):
                            chunk = _take_chunk(queue, limit)
                            if not worker.send(chunk):
                                queue.extendleft(reversed(chunk))
                # Start workers for the waiting items (a small batch starts only as many as it needs).
                free = sum(1 for w in self.workers if not w.tasks)
                while queue and free * CHUNK < len(queue) and len(self.workers) < self.size:
                    self.workers.append(_Worker(self.ctx, self.factory, self.config))
                    free += 1
                # A stream that had nothing more wakes us when it has; not otherwise (once it has ended, its
                # pipe stays readable, and listening while the window is full would spin).
                listen = feed.fd is not None and starved
                if not self.workers and not listen:  # cannot happen: pending items are queued or in a worker
                    raise EngineError("the batch lost track of its packets", code="engine.batch")
                sentinels = {w.process.sentinel: w for w in self.workers}
                busy = [w.since for w in self.workers if w.since is not None]
                left = max(0.0, min(busy) + self.timeout - time.monotonic()) if busy else None
                ready = set(wait([w.conn for w in self.workers] + list(sentinels) + ([feed.fd] if listen else []),
                                 timeout=left))
                if listen and feed.fd in ready:
                    feed.drain()
                for worker in list(self.workers):
                    exited = worker.process.sentinel in ready
                    if exited or worker.conn in ready:
                        self._service(worker, done, queue, exited=exited)
                    elif worker.since is not None and time.monotonic() - worker.since > self.timeout \
                            and not worker.conn.poll():
                        stuck = worker.stuck_on(self.timeout)
                        if stuck is not None:  # stop it, and treat it as a worker that died on that packet
                            worker.process.kill()
                            worker.process.join()
                            self._service(worker, done, queue, exited=True, stuck=stuck)
        finally:
            workers, self.workers = self.workers, []
            try:
                for worker in workers:
                    worker.stop(gently=finished)
            finally:  # interrupted while stopping them gently: the rest go now
                for worker in workers:
                    worker.stop(gently=False)

    def _service(self, worker: _Worker, done: dict[int, Result], queue: deque, *, exited: bool,
                 stuck: Optional[int] = None) -> None:
        """Read what ``worker`` sent; if it died, record the packet it died on and drop it.

        ``stuck``: this process stopped it for ``--timeout``, on that packet of its oldest chunk (-1: not known).
        """
        dead = exited  # checked before draining: everything it sent before dying is in the pipe
        late = False  # stopped, it had finished a chunk after all: nothing is known against the next one
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "results":
                    late = stuck is not None
                    for result in worker.read_results(*message[1:]):
                        done[result.seq] = result
                elif message[0] == "ready":
                    worker.ready = True
                    self.start_failures = 0
                elif message[0] == "fatal":
                    error = message[1]
                    cls = EngineError if message[2] == "EngineError" else PromoreadyError
                    raise cls(error["message"], code=error["code"], file=error["file"], line=error["line"],
                              path=error["path"], suggestion=error["suggestion"])
        except (EOFError, OSError):
            dead = True
        if not dead:
            return
        worker.process.join(1.0)
        if worker.tasks:
            chunk = worker.tasks.popleft()  # results come back in order: it died on the oldest chunk
            # Chunks sent ahead were never started: they go to another worker as they are.
            for later in reversed(worker.tasks):
                queue.extendleft(reversed(later))
            worker.tasks.clear()
            culprit: Optional[int] = None
            if late:
                again = chunk
            elif stuck is not None and 0 <= stuck < len(chunk):  # the packet is known: the others run again
                culprit, again = stuck, chunk[:stuck] + chunk[stuck + 1:]
            elif len(chunk) == 1:
                culprit, again = 0, []
            else:  # its packets run again one at a time, so that a crash names its packet
                again = [(item, keep, True) for item, keep, _ in chunk]
            if culprit is not None:
                item = chunk[culprit][0]
                timeout = self.timeout if stuck is not None else None
                done[item.seq] = crash_result(item, worker.process.exitcode, timeout)
            queue.extendleft(reversed(again))
        if not worker.ready:
            self.start_failures += 1
            if self.start_failures >= self.MAX_START_FAILURES:
                raise EngineError(f"worker processes die while starting (exit status {worker.process.exitcode})",
                                  code="engine.worker-start")
        worker._close()
        self.workers.remove(worker)
