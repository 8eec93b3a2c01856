"""Evaluating many packets: streaming inputs, ordered results, crash-isolated worker processes.

Inputs stream (``iter_items``): files, folders (recursive, sorted), ``.jsonl`` files and stdin, one
``Item`` at a time; nothing holds the whole batch. ``run`` turns items into ``Result``s in input order:

- one worker: evaluated in this process, one item after another;
- more: a pool of worker processes of its own (not ``concurrent.futures``, whose pool dies as a
  whole when one worker dies). Each worker compiles its own evaluators at start-up (they hold
  engine handles and closures and cannot be pickled) and talks to this process over one pipe
  (plain ``Connection.send``: no feeder thread that could lose a result when the process dies). A
  worker holds at most two items, the one it evaluates and the next, and answers in order, so when
  it dies inside the C engine this process knows exactly which packet it was on: that packet gets
  an ``engine.worker-crashed`` error record, the item sent ahead goes to another worker, the
  worker is replaced, and the batch goes on. At most ``window`` items are between being read and
  being handed back in order, so memory stays flat however many packets stream through.

``Keeper`` reads the output of an interrupted run for ``--resume``: decisions already made are
copied verbatim instead of being evaluated again.
"""

from __future__ import annotations

import datetime
import itertools
import json
import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

from . import _documents as docs
from . import _packet
from .errors import EngineError, InputError, PromoreadyError
from .summary import Outcome

#: Test hook: a worker process that meets a packet with this candidate id calls ``os.abort()``, to
#: test that a worker dying inside the engine costs only that packet. Read by the command line in
#: the parent process and passed to the workers; never acted on when evaluating in-process.
CRASH_ENV = "PROMOREADY_TEST_CRASH_ON"

#: Folder inputs: the packet files picked up (recursively, sorted by name).
PACKET_SUFFIXES = (".json", ".yaml", ".yml")

STDIN_NAME = "<stdin>"

#: Items read but not yet handed back in order, at most (pool mode).
WINDOW = 256

#: An evaluation function: a validated packet and the ``--as-of`` date → a ``Decision``.
Evaluate = Callable[[_packet.LoadedPacket, Optional[datetime.date]], Any]


# -- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One packet to evaluate: a file to read, or one line of a JSONL stream."""

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


@dataclass
class Result:
    """The record for one item: a decision, an error, or (``--resume``) a decision to keep."""

    seq: int
    source: str
    candidate_id: Optional[str] = None
    record: Optional[bytes] = None  # the JSONL line, UTF-8, with its newline
    outcome: Optional[Outcome] = None  # for the summary (decisions only)
    error: Optional[dict] = None  # for error records
    keep: Optional[str] = None  # packet digest of a decision the previous run made (not yet copied)
    kept: bool = False  # the record was copied from the previous run


@dataclass(frozen=True)
class Config:
    """What every worker needs to know (picklable)."""

    ladder: Optional[str] = None
    as_of: Optional[datetime.date] = None
    keep: frozenset = field(default_factory=frozenset)  # packet digests already decided (--resume)
    crash_on: Optional[str] = None  # test hook, see CRASH_ENV


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
    cid = None
    try:
        raw, source = _read(item)
        cid = _candidate_id(raw)
        if in_worker and config.crash_on is not None and cid == config.crash_on:
            _abort()  # test hook (CRASH_ENV): die the way a crash in the C engine would
        loaded = _packet.LoadedPacket(_packet.to_packet(raw, source), source)
        if keep and config.keep:
            digest = _packet.packet_digest(loaded.packet)
            if digest in config.keep:
                return Result(item.seq, item.source, cid, keep=digest)
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


def crash_result(item: Item, exitcode: Optional[int]) -> Result:
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


class Keeper:
    """The decisions in the output of an earlier run (``--resume``), by packet digest.

    A decision is kept for a packet with the same candidate id and the same content (its
    ``packet_digest``); an edited packet is evaluated again. Lines are read back from the file when
    copied, so only the offsets stay in memory. Lines that are not decisions are ignored.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._first: dict[str, int] = {}  # digest → offset of its first unused line
        self._more: dict[str, deque[int]] = {}  # digest → further lines (the same packet twice)
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
            digest, cid = record.get("packet_digest"), record.get("candidate_id")
            if not isinstance(digest, str) or not isinstance(cid, str):
                continue
            if digest in self._first:
                self._more.setdefault(digest, deque()).append(start)
            else:
                self._first[digest] = start

    def __len__(self) -> int:
        return len(self._first) + sum(len(d) for d in self._more.values())

    @property
    def digests(self) -> frozenset:
        return frozenset(self._first)

    def take(self, result: Result) -> Optional[Result]:
        """The kept record for a ``keep`` result, or None if every copy was used already."""
        digest = result.keep
        offset = self._first.pop(digest, None)
        if offset is None:
            return None
        more = self._more.get(digest)
        if more:
            self._first[digest] = more.popleft()
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
        keeper: Optional[Keeper] = None, window: int = WINDOW, inline_below: int = 0) -> Results:
    """Results for ``items``, in input order (nothing is read or started before the first ``next``).

    ``factory(config)`` builds the evaluation function; with ``workers`` > 1 it runs once in each
    worker process, so it must be a module-level function (it is pickled by name), and the calling
    program must guard its entry point with ``if __name__ == "__main__":`` (workers re-import it).
    With ``inline_below``, a batch of fewer items than that is evaluated in this process.
    """
    results = Results()
    results._results = _run(results, items, workers, factory, config, keeper, window, inline_below)
    return results


def _run(results: Results, items: Iterable[Item], workers: int, factory: Callable[[Config], Evaluate],
         config: Config, keeper: Optional[Keeper], window: int, inline_below: int) -> Iterator[Result]:
    items = iter(items)
    if workers > 1 and inline_below > 0:
        head = list(itertools.islice(items, inline_below))
        if len(head) < inline_below:  # a small batch: starting processes would cost more than it saves
            workers = 1
        items = itertools.chain(head, items)
    if workers <= 1:
        evaluate = factory(config)
        for item in items:
            result = process(item, evaluate, config)
            if result.keep is not None:
                result = (keeper.take(result) if keeper else None) or process(item, evaluate, config, keep=False)
            yield result
        return
    results._pool = _Pool(workers, factory, config, keeper, window)
    yield from results._pool.results(items)


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers fork from a clean single-threaded server that has the engine imported, so a
    # replacement starts fast and never inherits this process's threads (a progress bar) or locks.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["promoready.engine.batch", "promoready.cli._common", "promoready.cli._batch"])
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_main(conn, factory: Callable[[Config], Evaluate], config: Config) -> None:
    """A worker: build the evaluators, then evaluate one chunk of items at a time until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    try:
        try:
            evaluate = factory(config)
        except PromoreadyError as exc:
            conn.send(("fatal", exc.to_dict(), type(exc).__name__))
            return
        conn.send(("ready",))
        while True:
            chunk = conn.recv()
            if chunk is None:
                return
            conn.send(("results", [process(item, evaluate, config, keep=keep, in_worker=True)
                                   for item, keep, _ in chunk]))
    except (EOFError, OSError):  # the parent is gone (or stopped listening): nothing left to do
        return


#: A task: an item, whether a decision of the previous run may be kept, and whether it must be
#: evaluated alone (it was in a chunk whose worker died: alone, a crash names the packet).
Task = tuple[Item, bool, bool]

#: Items sent to a worker in one message. Chunks amortise what each message costs this process
#: (a wait, a pickle, two system calls): on two cores, this process competes with the workers.
#: Eight decisions (~6 KB each) still fit in a pipe (64 KB on Linux), so a worker never blocks
#: writing its results while this process reads another's; 16 measured 1.67x for 2 workers, 8 1.96x.
CHUNK = 8


class _Worker:
    """One worker process and the chunks it holds, oldest first (the first is the one being evaluated)."""

    #: Chunks one worker holds at most: the one it evaluates and the next, so it never waits for us.
    PREFETCH = 2
    #: A second chunk is sent ahead only when everything held is this small, so that sends never
    #: block on a full pipe (64 KB on Linux) while the worker is blocked sending us its results.
    SMALL = 16 * 1024

    def __init__(self, ctx, factory, config) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, factory, config), daemon=True,
                                   name="promoready-batch-worker")
        self.process.start()
        child.close()
        self.ready = False
        self.tasks: deque[list[Task]] = deque()  # chunks sent, oldest first

    def can_take(self, *, ahead: bool) -> bool:
        if not self.ready:
            return False
        if not self.tasks:
            return True
        return ahead and len(self.tasks) < self.PREFETCH and all(_size(c) <= self.SMALL for c in self.tasks)

    def send(self, chunk: list[Task]) -> bool:
        try:
            self.conn.send(chunk)
        except (OSError, ValueError):  # it died; its sentinel will say so
            return False
        self.tasks.append(chunk)
        return True

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
        self.conn.close()


def _size(chunk: list[Task]) -> int:
    """Bytes of packet text a chunk carries (a file item carries only its path)."""
    return sum(len(t[0].data) if t[0].data is not None else 0 for t in chunk)


def _take_chunk(queue: deque) -> list[Task]:
    """The next chunk from the front of the queue: up to CHUNK items and at most SMALL bytes, unless
    its first item alone is larger (an item to be evaluated alone always travels alone)."""
    chunk = [queue.popleft()]
    if chunk[0][2]:
        return chunk
    size = _size(chunk)
    while queue and len(chunk) < CHUNK and not queue[0][2]:
        extra = _size([queue[0]])
        if size + extra > _Worker.SMALL:
            break
        chunk.append(queue.popleft())
        size += extra
    return chunk


class _Pool:
    """Worker processes of our own, each holding at most two items; results handed back in input order."""

    #: Give up when this many workers in a row died before they were ready.
    MAX_START_FAILURES = 3

    def __init__(self, size: int, factory, config: Config, keeper: Optional[Keeper], window: int) -> None:
        self.size = size
        self.factory = factory
        self.config = config
        self.keeper = keeper
        self.window = max(window, 2 * size)
        self.ctx = _context()
        self.workers: list[_Worker] = []
        self.start_failures = 0
        self.done: dict[int, Result] = {}  # finished, waiting for their turn
        self.next_seq: Optional[int] = None  # the next to hand back

    def ready(self) -> bool:
        """The next result is here (and is not a decision to copy from the earlier run, which may fail)."""
        result = self.done.get(self.next_seq)
        return result is not None and result.keep is None

    def results(self, items: Iterator[Item]) -> Iterator[Result]:
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
                while not exhausted and len(queue) < 2 * self.size * CHUNK and len(pending) < self.window:
                    try:
                        item = next(items)
                    except StopIteration:
                        exhausted = True
                        break
                    if self.next_seq is None:
                        self.next_seq = item.seq
                    pending[item.seq] = item
                    queue.append((item, True, False))
                if exhausted and not pending:
                    finished = True
                    return
                for ahead in (False, True):  # first a chunk to every idle worker, then one more each
                    for worker in self.workers:
                        if queue and worker.can_take(ahead=ahead):
                            chunk = _take_chunk(queue)
                            if ahead and _size(chunk) > _Worker.SMALL:
                                queue.extendleft(reversed(chunk))  # too big to send ahead safely
                                continue
                            if not worker.send(chunk):
                                queue.extendleft(reversed(chunk))
                # Start workers for the waiting items (a small batch starts only as many as it needs).
                free = sum(1 for w in self.workers if not w.tasks)
                while queue and free * CHUNK < len(queue) and len(self.workers) < self.size:
                    self.workers.append(_Worker(self.ctx, self.factory, self.config))
                    free += 1
                if not self.workers:  # cannot happen: items are pending, so some are queued or in a worker
                    raise EngineError("the batch lost track of its packets", code="engine.batch")
                sentinels = {w.process.sentinel: w for w in self.workers}
                ready = set(wait([w.conn for w in self.workers] + list(sentinels)))
                for worker in list(self.workers):
                    exited = worker.process.sentinel in ready
                    if exited or worker.conn in ready:
                        self._service(worker, done, queue, exited=exited)
        finally:
            for worker in self.workers:
                worker.stop(gently=finished)
            self.workers = []

    def _service(self, worker: _Worker, done: dict[int, Result], queue: deque, *, exited: bool) -> None:
        """Read what ``worker`` sent; if it died, record the packet it was on and drop it."""
        dead = exited  # checked before draining: everything it sent before dying is in the pipe
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "results":
                    for result in message[1]:
                        done[result.seq] = result
                    worker.tasks.popleft()
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
            if len(chunk) == 1:
                item = chunk[0][0]
                done[item.seq] = crash_result(item, worker.process.exitcode)
            # Chunks sent ahead were never started: give them to another worker as they are. The
            # packets of the chunk it died on run again one at a time, so a crash names its packet.
            for later in reversed(worker.tasks):
                queue.extendleft(reversed(later))
            if len(chunk) > 1:
                queue.extendleft(reversed([(item, keep, True) for item, keep, _ in chunk]))
            worker.tasks.clear()
        if not worker.ready:
            self.start_failures += 1
            if self.start_failures >= self.MAX_START_FAILURES:
                raise EngineError(f"worker processes die while starting (exit status {worker.process.exitcode})",
                                  code="engine.worker-start")
        worker.conn.close()
        self.workers.remove(worker)
