"""One worker process: its main loop (in the worker) and the pool's handle on it (in this process).

A worker builds its evaluation function once, then evaluates one chunk of items at a time, in the
order they were sent, until told to stop. The handle sends chunks, reads results back, and knows
which chunk (and, from the worker's progress note, which packet) the worker is on.
"""

from __future__ import annotations

import itertools
import os
import select
import signal
import socket
import struct
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional, Union

from promoready import _processes

from ..errors import ENGINE_BATCH, ENGINE_WORKER_START, INPUT_UNREADABLE, EngineError, PromoreadyError, ResourceError
from ..summary import Part
from ._ipc import Fd, Note, Spools, progress_file, read_note
from .evaluate import process, use_every_descriptor
from .inputs import Item
from .records import Chunk, Config, Evaluate, Result
from .spans import CAN_PASS, OpenFile, SentSpan, SpanReader, recv_fd, send_fd, socket_of

#: A task: an item, whether a decision of the previous run may be kept, and whether it must be
#: evaluated alone (it was in a chunk whose worker died: alone, a crash names the packet).
Task = tuple[Item, bool, bool]

#: A task as it travels to a worker: the item's seq, file, line and problem (its text is in a spool),
#: then keep and alone, then the item's span (the worker reads that line itself, from a file passed
#: to it before). A plain tuple: pickling an ``Item`` (a named tuple) calls back into Python for each one.
Sent = tuple[int, str, Optional[int], Optional[tuple[str, str]], bool, bool, Optional[SentSpan]]

#: A chunk as it travels to a worker: the lengths of the texts in its spool, the tasks, whether it may
#: come back whole, then the keys of the input files passed with it (their descriptors follow the
#: message, in this order) and of those the worker may close.
Message = tuple[list[int], list[Sent], bool, list[int], list[int]]

#: A factory of evaluation functions (``run``'s ``factory``).
Factory = Callable[[Config], Evaluate]


def main(conn: Connection, factory: Factory, config: Config, inbox: tuple[Fd, ...], outbox: tuple[Fd, ...],
         progress: Fd) -> None:
    """A worker: build the evaluators, then evaluate one chunk of items at a time until told to stop.

    Chunk n's packet texts are in ``inbox[n % 2]`` and its records go to ``outbox[n % 2]`` (see
    ``Spools``); the messages carry only the rest: the items without their text, and the results
    without their records, with the lengths needed to find each in its spool. Before each packet it
    notes in ``progress`` which one it starts and when (see ``Worker.stuck_on``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    if hasattr(signal, "SIGHUP"):  # so does a terminal's hang-up
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
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
    note = Note(progress.fd)
    lines = SpanReader()
    sock = socket_of(conn) if CAN_PASS else None  # the input files it is passed come through this
    if config.files_full:
        use_every_descriptor()  # test hook (FILES_FULL_ENV)
    for number in itertools.count():
        try:
            message: Optional[Message] = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        lengths, tasks, whole, passed, dropped = message
        try:
            for key in dropped:
                lines.forget(key)
            for key in passed:
                assert sock is not None  # files are passed only where they can be
                lines.receive(key, recv_fd(sock))
            read = lines.texts([task[6] for task in tasks])  # the lines it reads itself
        except EOFError:  # the parent is gone
            return
        except OSError as exc:  # it cannot take a file it was passed (out of descriptors, say): what it would
            # read next may be the rest of those files, so it stops here. The pool lets it go, blaming no packet,
            # and sends the lines as text from then on.
            answer: tuple[Any, ...] = ("unsynced", exc.strerror or str(exc))
        except EngineError as exc:  # sent something else, or a line of a file it was not passed: a bug of the pool's
            answer = ("fatal", exc.to_dict(), "EngineError")
        else:
            slot = number % Spools.COUNT
            answer = _evaluate_chunk(number, (lengths, tasks, whole), read, evaluate, config, inbox_fds[slot],
                                     outbox_fds[slot], note)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        if answer[0] in ("fatal", "unsynced"):
            return


def _evaluate_chunk(number: int, message: tuple[list[int], list[Sent], bool], read: list[Union[bytes, str, None]],
                    evaluate: Evaluate, config: Config, inbox: int, outbox: int, progress: Note) -> tuple[Any, ...]:
    """Evaluate chunk ``number``; the answer to send: its results (records in ``outbox``), or a fatal error.

    ``whole`` (the message's third part): the pool takes the chunk back whole (a ``Chunk``) if every
    item is a decision without warnings; then the answer carries what the decisions add to the summary
    instead of a tuple per result. ``read``: the lines of the items with a span, as the worker read them
    (or why it could not)."""
    slot = number % Spools.COUNT
    lengths, tasks, whole = message
    try:
        texts = Spools.read_from(inbox, lengths)
        results = []
        for index, ((seq, file, line, problem, keep, _, _), text, text_read) in enumerate(zip(tasks, texts, read)):
            if text_read is not None:  # its line, read from its file here (or why it could not be)
                if isinstance(text_read, bytes):
                    text = text_read
                else:
                    problem = (INPUT_UNREADABLE, text_read)
            progress.write(number, index, time.monotonic())
            results.append(process(Item(seq, file, line, text, problem), evaluate, config, keep=keep, in_worker=True))
        if whole and all(r.outcome is not None and not r.outcome.warnings for r in results):
            part = Part()
            for r in results:
                part.add(r.outcome)  # type: ignore[arg-type]  # checked just above
            blob = b"".join(r.record for r in results)  # type: ignore[misc]  # a decision always has its record
            Spools.write_to(outbox, blob)
            return ("chunk", slot, len(blob), part, [r.columns for r in results] if config.columns else None)
        records = [r.record or b"" for r in results]  # a result to keep has none (and a record is never empty)
        Spools.write_to(outbox, b"".join(records))
        return ("results", slot, [len(r) for r in records],
                [(r.seq, r.source, r.candidate_id, r.outcome, r.error, r.keep, r.problems, r.columns) for r in results])
    except (OSError, EngineError) as exc:  # its spool files failed it: the batch cannot go on
        full = ResourceError.of(exc, "a batch spool file") if isinstance(exc, OSError) else None
        if full is not None:  # the system's limit (ulimit -f, a full disk under the spool), not a bug
            return ("fatal", full.to_dict(), "ResourceError")
        error = EngineError(f"a batch worker cannot use its spool files: {getattr(exc, 'strerror', None) or exc}",
                            code=ENGINE_BATCH)
        return ("fatal", error.to_dict(), "EngineError")


class Unsynced(Exception):
    """A chunk went to a worker, but not the input files it needs: the worker waits for what is not
    coming, and what it reads next would be taken for them. It must be let go (``Pool``)."""


class Worker:
    """One worker process and the chunks it holds, oldest first (the first is the one being evaluated)."""

    #: Chunks one worker holds at most: the one it evaluates and the next, so it never waits for us
    #: (and the spools of a chunk two back are free: see ``Spools``).
    PREFETCH = Spools.COUNT

    #: The count of the progress note's write found under way at the last deadline, if one was.
    writing: Optional[int] = None

    #: Input files a worker keeps open at most (see ``_files_for``).
    FILES = 4

    def __init__(self, ctx: Any, factory: Factory, config: Config) -> None:
        self.inbox: Optional[Spools] = None
        self.outbox: Optional[Spools] = None
        self.progress: Optional[int] = None
        self.sock: Optional[socket.socket] = None  # input files are passed to it through this
        try:
            self.conn, child = ctx.Pipe(duplex=True)
        except OSError as exc:  # out of descriptors (ulimit -n), say
            raise EngineError(f"cannot start a batch worker: {exc.strerror or exc}", code=ENGINE_BATCH) from None
        try:
            self.sock = socket_of(self.conn) if CAN_PASS else None
            self.inbox = Spools("in")
            self.outbox = Spools("out")
            self.progress = progress_file()
            self.process = ctx.Process(target=main, daemon=True, name="promoready-batch-worker",
                                       args=(child, factory, config, self.inbox.for_worker(), self.outbox.for_worker(),
                                             Fd(self.progress)))
            self.process.start()
            self.server = _processes.server_pid()  # the fork server it was started from, if any
        except (EOFError, ConnectionError):  # the fork server died (killed, out of memory) under our feet
            self.close()
            raise EngineError("cannot start a batch worker: the fork server it is started from has gone",
                              code=ENGINE_WORKER_START) from None
        except OSError as exc:
            self.close()
            raise EngineError(f"cannot start a batch worker: {exc.strerror or exc}", code=ENGINE_BATCH) from None
        except BaseException:
            self.close()
            raise
        finally:
            child.close()
        self._readable: Optional[Any] = None  # a poll object watching the pipe, where the system has poll()
        if hasattr(select, "poll"):
            self._readable = select.poll()
            self._readable.register(self.conn.fileno(), select.POLLIN)
        self.ready = False
        self.sent = 0  # chunks sent: the next one uses inbox spool ``sent % 2``
        self.files: dict[int, None] = {}  # keys of the input files it was passed and keeps, oldest first
        self.tasks: deque[list[Task]] = deque()  # chunks sent, oldest first
        self.since: Optional[float] = None  # when it started on its oldest chunk, or on its current packet

    def has_message(self) -> bool:
        """Whether its pipe has something to read (a message, or its end), without waiting.

        ``Connection.poll`` builds, fills and closes a selector for every call; this process asks after
        every message it reads."""
        if self._readable is None:
            return self.conn.poll()
        return bool(self._readable.poll(0))

    def can_take(self) -> bool:
        """Ready, and holding fewer chunks than it may."""
        return self.ready and len(self.tasks) < self.PREFETCH

    def send(self, chunk: list[Task], *, whole: bool = False) -> bool:
        """Hand it a chunk; False if it is gone (its sentinel will say so). ``whole``: its decisions may come
        back as one ``Chunk`` (its items follow each other, and none is to be kept from an earlier run)."""
        assert self.inbox is not None  # set up in __init__ (a worker that failed to start is never used)
        texts = [task[0].data for task in chunk]
        try:
            Spools.write_to(self.inbox.fds[self.sent % Spools.COUNT], b"".join(filter(None, texts)))
        except OSError as exc:  # this process cannot write its own spool: no other worker could do better
            full = ResourceError.of(exc, "a batch spool file")
            if full is not None:
                raise full from None
            raise EngineError(f"cannot write the batch's spool file: {exc.strerror or exc}", code=ENGINE_BATCH) \
                from None
        passed, dropped, files = self._files_for(chunk)
        try:
            self.conn.send(([len(t) if t is not None else 0 for t in texts],
                            [(item.seq, item.file, item.line, item.problem, keep, alone,
                              None if item.span is None else (item.span[0], item.span[1], item.span[2].key))
                             for item, keep, alone in chunk],
                            whole, [file.key for file in passed], dropped))
        except (OSError, ValueError):
            return False
        try:
            for file in passed:
                assert self.sock is not None  # only a file that can be passed has an OpenFile
                send_fd(self.sock, file.fd)
        except (BrokenPipeError, ConnectionResetError):  # it is gone (its sentinel will say so): not the files' fault
            return False
        except OSError:  # it waits for a file that is not coming: what it reads next is unknown
            raise Unsynced from None
        self.files = files
        self.sent += 1
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(chunk)
        return True

    def _files_for(self, chunk: list[Task]) -> tuple[list[OpenFile], list[int], dict[int, None]]:
        """The input files the worker needs for ``chunk`` and has not been passed yet, the keys of those it
        may close, and the keys it will keep once ``chunk`` is sent: the ``FILES`` it used last (more
        while one chunk needs more). ``files`` is left as it is, for ``send`` to replace once it is sent."""
        needed: dict[int, OpenFile] = {}
        last: Optional[OpenFile] = None
        for item, _, _ in chunk:
            span = item.span
            if span is not None and span[2] is not last:
                last = span[2]
                needed.setdefault(last.key, last)
        files = dict(self.files)
        passed = [file for key, file in needed.items() if key not in files]
        for key in needed:  # the most recently used last
            files.pop(key, None)
            files[key] = None
        dropped = []
        while len(files) > max(self.FILES, len(needed)):
            key = next(iter(files))
            del files[key]
            dropped.append(key)
        return passed, dropped, files

    def stuck_on(self, timeout: float) -> Optional[int]:
        """Past its deadline: the place in its oldest chunk of the packet it has spent over ``timeout``
        seconds on, or -1 if that is not known; None if it is only slow (its deadline moves on to the
        packet it is on now)."""
        try:
            assert self.progress is not None
            note, count = read_note(self.progress)
        except (OSError, struct.error):
            return -1
        now = time.monotonic()
        if note is None:  # it was writing its note each time: not stuck, unless that write never ends
            if count == self.writing:  # the same write as at the last deadline: stopped (SIGSTOP, a freeze)
                return -1
            self.writing, self.since = count, now
            return None
        self.writing = None
        number, index, started = note
        if number != self.sent - len(self.tasks):  # not on its oldest chunk yet: nothing to go by
            return -1
        if not 0 <= index < len(self.tasks[0]) or started > now:  # a note that cannot be: look again later
            self.since = now
            return None
        if now - started <= timeout:
            self.since = started
            return None
        return int(index)

    def read_results(self, slot: int, lengths: list[int], results: list[tuple[Any, ...]]) -> list[Result]:
        """The results of the oldest chunk: fields from the message, records from outbox spool ``slot``."""
        assert self.outbox is not None
        done = [Result(seq, source, cid, record, outcome, error, keep, problems=problems, columns=columns)
                for (seq, source, cid, outcome, error, keep, problems, columns), record
                in zip(results, Spools.read_from(self.outbox.fds[slot], lengths))]
        self._finished_oldest()
        return done

    def read_chunk(self, slot: int, size: int, part: Part, columns: Optional[list[Any]]) -> Chunk:
        """The decisions of the oldest chunk, whole: records from outbox spool ``slot`` (``size`` bytes)."""
        assert self.outbox is not None
        items = [task[0] for task in self.tasks[0]]
        records = Spools.read_from(self.outbox.fds[slot], [size])[0]
        if records is None or not records.endswith(b"\n"):  # whole JSONL lines, the last one ended too
            raise EngineError(f"a batch worker's records for a chunk of {len(items)} packets do not end a line",
                              code=ENGINE_BATCH)
        if len(part) != len(items):
            raise EngineError(f"a batch worker answered a chunk of {len(items)} packets with {len(part)} decisions",
                              code=ENGINE_BATCH)
        self._finished_oldest()
        return Chunk(items, records, part, columns)

    def _finished_oldest(self) -> None:
        """Its oldest chunk is answered: it goes on with the chunk sent ahead, if any."""
        self.tasks.popleft()
        self.since = time.monotonic() if self.tasks else None

    def stop(self, *, gently: bool) -> None:
        """End the process: asked to (``gently``), else or then terminated, else killed; then close."""
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
        self.close()

    def close(self) -> None:
        """Close this process's ends: the pipe, the spools, the progress note."""
        self.conn.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for spools in (self.inbox, self.outbox):
            if spools is not None:
                spools.close()
        if self.progress is not None:
            os.close(self.progress)
            self.progress = None
