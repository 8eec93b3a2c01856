"""The scheduler of a pool of worker processes: chunks out, results back in input order, crashes and hangs contained.

Each round of ``Pool.results`` hands back what is next in input order, reads more items (at most
``window`` between being read and being handed back), shares them out in chunks, starts workers
as needed, then waits for a worker to answer or die, for a deadline, or for a quiet stream to speak.
A worker that dies (or is stopped past the timeout) costs only the packet it was on: the rest of its
chunk is evaluated again, one at a time when that packet is not known. A fork server that dies
(killed, out of memory) takes every worker's pipe of exit statuses with it: its workers are let go
without blaming a packet, their chunks are queued again and multiprocessing starts a new server with
the next worker; the second server lost ends the batch (``engine.worker-start``).
"""

from __future__ import annotations

import itertools
import select
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Any, Iterator, Optional

from promoready import _processes

from ..errors import ENGINE_BATCH, ENGINE_WORKER_START, EngineError, PromoreadyError, ResourceError
from .feed import Feed
from .inputs import Item
from .records import Chunk, Config, Handed, crash_result
from .resume import Keeper
from .spans import read_lines
from .worker import Factory, Task, Unsynced, Worker

#: Items read but not yet handed back in order, at most (pool mode), unless the workers' chunks need more.
WINDOW = 256

#: Items sent to a worker in one message. Every message costs this process a wake-up, a system call
#: or two and some pickling, and waking a process costs tens of microseconds of CPU on a virtual
#: machine (measured: a ping-pong between two processes costs ~50 us of CPU per round trip here);
#: on two cores, this process competes with the workers for every one of them. With the texts and
#: records in spools, a chunk's size is bounded only by CHUNK and CHUNK_BYTES. 128 rather than 64:
#: this process's CPU for a 20,000-packet batch fell by 20% (0.35 to 0.28 s, issue 18); the last
#: packets go out in smaller chunks anyway (``Pool._dispatch``), so no worker waits on a long one.
#: What it costs: a batch of up to 128 packets starts one worker (``_start_workers``), and a worker
#: that dies on a packet it did not note has up to 127 others evaluated again one at a time.
CHUNK = 128
#: Bytes of packet text in one chunk at most, unless its first item alone is larger.
CHUNK_BYTES = 1 << 20


def take_chunk(queue: deque[Task], limit: int = CHUNK) -> list[Task]:
    """The next chunk from the front of the queue: up to ``limit`` items and CHUNK_BYTES of text, unless
    its first item alone is larger (an item to be evaluated alone always travels alone)."""
    first = queue.popleft()
    if first[2]:
        return [first]
    chunk = [first]
    chunk += [queue.popleft() for _ in range(min(limit - 1, len(queue)))]
    # Taken whole, then cut back (rarely) before an item that must go alone or where the texts grow too long.
    cut = len(chunk)
    alone = [task[2] for task in chunk]
    if True in alone:
        cut = alone.index(True)
    sizes = [_size(task[0]) for task in chunk[:cut]]
    if sum(sizes) > CHUNK_BYTES:
        cut = max(1, next(n for n, total in enumerate(itertools.accumulate(sizes)) if total > CHUNK_BYTES))
    if cut < len(chunk):
        queue.extendleft(reversed(chunk[cut:]))
        del chunk[cut:]
    return chunk


def _as_text(chunk: list[Task]) -> list[Task]:
    """``chunk`` with the lines its items point at read here, as their text (``Pool.pass_files``)."""
    if all(task[0].span is None for task in chunk):
        return chunk
    items = read_lines([task[0] for task in chunk])
    return [(item._replace(span=None), keep, alone) for item, (_, keep, alone) in zip(items, chunk)]


def _size(item: Item) -> int:
    """The bytes of an item's text: its line, or the place of its line."""
    return item.span[1] if item.span is not None else len(item.data or b"")


class _Waiter:
    """``multiprocessing.connection.wait`` for a set of objects that seldom changes: one ``poll`` object
    kept from call to call (``wait`` builds, fills and closes a selector each time, and this process
    waits a few times for every chunk)."""

    def __init__(self) -> None:
        self.poll = select.poll() if hasattr(select, "poll") else None
        self.watched: dict[int, Any] = {}  # file descriptor → the object waited on

    def wait(self, objects: list[Any], timeout: Optional[float]) -> list[Any]:
        """The objects of ``objects`` that are ready (readable, closed or in error) within ``timeout`` seconds."""
        if self.poll is None:  # no poll() on this system
            return wait(objects, timeout=timeout)
        wanted = {obj if isinstance(obj, int) else obj.fileno(): obj for obj in objects}
        if wanted.keys() != self.watched.keys():
            for fd in self.watched.keys() - wanted.keys():
                self.poll.unregister(fd)
            for fd in wanted.keys() - self.watched.keys():
                self.poll.register(fd, select.POLLIN)
        self.watched = wanted
        ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))  # never wake up before it
        return [wanted[fd] for fd, _ in self.poll.poll(ms)]


def _consecutive(chunk: list[Task]) -> bool:
    """Whether the chunk's items follow each other in input order, none of them to be evaluated alone."""
    first = chunk[0][0].seq
    return not chunk[0][2] and all(task[0].seq == first + n for n, task in enumerate(chunk))


def _fatal(message: tuple[Any, ...]) -> PromoreadyError:
    """The error a worker reported before giving up (it could not build its evaluators, or use its spools)."""
    error = message[1]
    cls = {"EngineError": EngineError, "ResourceError": ResourceError}.get(message[2], PromoreadyError)
    return cls(error["message"], code=error["code"], file=error["file"], line=error["line"], path=error["path"],
               suggestion=error["suggestion"])


class Pool:
    """Worker processes of our own, each holding at most two chunks; results handed back in input order."""

    #: Give up when this many workers in a row died before they were ready.
    MAX_START_FAILURES = 3
    #: Fork servers that may die (killed, out of memory) in one batch: the first is replaced, with its
    #: workers, and costs nothing; the second ends the batch (``engine.worker-start``).
    MAX_SERVER_LOSSES = 1

    def __init__(self, size: int, factory: Factory, config: Config, keeper: Optional[Keeper], window: Optional[int],
                 timeout: float, *, chunked: bool = False) -> None:
        self.size = size
        # Decisions may come back a chunk at a time (a ``Chunk``), unless decisions of an earlier run are kept.
        self.chunked = chunked and not config.keep
        # Workers are passed the input files whose lines they read, until passing one fails: from then on
        # this process reads the lines and sends them as text (a failure that lasts costs one worker).
        self.pass_files = True
        self.timeout = timeout
        self.factory = factory
        self.config = config
        self.keeper = keeper
        if window is None:  # enough for every worker to hold its chunks while the next ones are read
            window = max(WINDOW, (Worker.PREFETCH + 1) * CHUNK * size)
        self.window = max(window, 2 * size)
        self.ctx = _processes.context()
        self.workers: list[Worker] = []
        self.start_failures = 0
        self.lost_servers: set[int] = set()  # pids of the fork servers that died under this pool
        self.done: dict[int, Handed] = {}  # finished, waiting for their turn (a Chunk under its first item)
        self.next_seq: Optional[int] = None  # the next to hand back
        self.queue: deque[Task] = deque()  # read, waiting for a worker
        self.pending: dict[int, Item] = {}  # every item read and not yet handed back
        self.exhausted = False  # every item has been read
        self.waiter = _Waiter()

    def ready(self) -> bool:
        """The next result is here (and is not a decision to copy from the earlier run, which may fail)."""
        result = self.done.get(self.next_seq) if self.next_seq is not None else None
        return result is not None and result.keep is None

    def results(self, feed: Feed) -> Iterator[Handed]:
        """Every item of ``feed`` evaluated, in input order; the workers are stopped when this ends or is closed."""
        finished = False
        try:
            while True:
                yield from self._in_order()
                starved = self._read(feed)
                if self.exhausted and not self.pending:
                    finished = True
                    return
                self._dispatch()
                self._start_workers()
                # A stream that had nothing more wakes us when it has; not otherwise (once it has ended, its
                # pipe stays readable, and listening while the window is full would spin).
                self._wait(feed, listen=feed.fd is not None and starved)
        finally:
            self._stop_workers(gently=finished)

    def _in_order(self) -> Iterator[Handed]:
        """The results that are next in input order, a decision of the earlier run copied where one is kept."""
        while self.next_seq is not None and self.next_seq in self.done:
            result = self.done.pop(self.next_seq)
            if isinstance(result, Chunk):
                pending = self.pending
                for item in result.items:
                    del pending[item.seq]
                self.next_seq += len(result.items)
                yield result
                continue
            if result.keep is not None:
                kept = self.keeper.take(result) if self.keeper else None
                if kept is None:  # the packet occurs more often than the earlier run decided it
                    self.queue.appendleft((self.pending[self.next_seq], False, False))
                    return
                result = kept
            del self.pending[self.next_seq]
            self.next_seq += 1
            yield result

    def _read(self, feed: Feed) -> bool:
        """Queue more items, within the window; True if a stream had nothing more (its wake-ups matter then)."""
        queue, pending = self.queue, self.pending
        while not self.exhausted:
            room = min(2 * self.size * CHUNK - len(queue), self.window - len(pending))
            if room <= 0:
                return False
            try:
                items = feed.take(room)
            except StopIteration:
                self.exhausted = True
                return False
            if not items:  # a quiet stream: go on with what is here
                return True
            if self.next_seq is None:
                self.next_seq = items[0].seq
            for item in items:
                pending[item.seq] = item
            queue.extend([(item, True, False) for item in items])
        return False

    def _dispatch(self) -> None:
        """Hand the queued items to the workers that can take them, in chunks."""
        queue = self.queue
        # Once the input is read, the last packets are shared out in smaller chunks, so that no
        # worker is left with a long chunk while the others have nothing to do.
        limit = CHUNK if not self.exhausted else \
            max(1, min(CHUNK, -(-len(queue) // (Worker.PREFETCH * max(1, len(self.workers))))))
        # First a chunk to every idle worker; then one more each, sent ahead, but only once no
        # worker is still starting (or the first to be ready would take the work of the others).
        for ahead in (False, True):
            if ahead and not all(w.ready for w in self.workers):
                break
            for worker in list(self.workers):  # a worker let go leaves the list
                if queue and worker.can_take() and (ahead or not worker.tasks):
                    chunk = take_chunk(queue, limit)
                    if not self.pass_files:
                        chunk = _as_text(chunk)
                    try:
                        sent = worker.send(chunk, whole=self.chunked and _consecutive(chunk))
                    except Unsynced:
                        sent = False
                        self.pass_files = False
                        self._let_go(worker, stop=True)
                    if not sent:
                        queue.extendleft(reversed(chunk))

    def _let_go(self, worker: Worker, *, stop: bool) -> None:
        """Drop ``worker`` and queue its chunks again, blaming no packet (its fork server died, or its pipe
        can no longer be trusted). ``stop``: end its process too; else, if alive, it reads the end of its
        pipe and exits."""
        for chunk in reversed(worker.tasks):
            self.queue.extendleft(reversed(chunk))
        worker.tasks.clear()
        if stop:
            worker.stop(gently=False)
        else:
            worker.close()
        self.workers.remove(worker)

    def _start_workers(self) -> None:
        """Start workers for the waiting items (a small batch starts only as many as it needs)."""
        free = sum(1 for w in self.workers if not w.tasks)
        while self.queue and free * CHUNK < len(self.queue) and len(self.workers) < self.size:
            self.workers.append(self._new_worker())
            free += 1

    def _new_worker(self) -> Worker:
        """A worker; if its fork server turns out to be dead, once, a new server and a new worker."""
        try:
            return Worker(self.ctx, self.factory, self.config)
        except EngineError as exc:
            if exc.code != ENGINE_WORKER_START:
                raise
        # multiprocessing starts a new server when it sees the old one has exited: wait until it has.
        self._server_lost(_processes.wait_server_gone())
        return Worker(self.ctx, self.factory, self.config)

    def _server_lost(self, pid: Optional[int]) -> None:
        """The fork server ``pid`` died (None: not known): fine once, the end of the batch the second time."""
        self.lost_servers.add(pid if pid is not None else -1 - len(self.lost_servers))
        if len(self.lost_servers) > self.MAX_SERVER_LOSSES:
            raise EngineError(f"the fork server of the batch's workers died {len(self.lost_servers)} times "
                              f"(killed, or out of memory?)", code=ENGINE_WORKER_START)

    def _wait(self, feed: Feed, *, listen: bool) -> None:
        """Wait for a worker to answer or die, for the nearest deadline, or (``listen``) for the stream."""
        if not self.workers and not listen:  # cannot happen: pending items are queued or in a worker
            raise EngineError("the batch lost track of its packets", code=ENGINE_BATCH)
        busy = [w.since for w in self.workers if w.since is not None]
        left = max(0.0, min(busy) + self.timeout - time.monotonic()) if busy else None
        watched: list[Any] = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        if listen:
            watched.append(feed.fd)
        ready = set(self.waiter.wait(watched, left))
        if listen and feed.fd in ready:
            feed.drain()
        self._attend(ready)

    def _attend(self, ready: set[Any]) -> None:
        """Service the workers that answered or died (``ready``), and stop any stuck past the timeout."""
        for worker in list(self.workers):
            exited = worker.process.sentinel in ready
            if exited or worker.conn in ready:
                self._service(worker, exited=exited)
            elif worker.since is not None and time.monotonic() - worker.since > self.timeout \
                    and not worker.has_message():
                stuck = worker.stuck_on(self.timeout)
                if stuck is not None:  # stop it, and treat it as a worker that died on that packet
                    worker.process.kill()
                    worker.process.join()
                    self._service(worker, exited=True, stuck=stuck)

    def _service(self, worker: Worker, *, exited: bool, stuck: Optional[int] = None) -> None:
        """Read what ``worker`` sent; if it died, record the packet it died on and drop it.

        ``stuck``: this process stopped it for ``--timeout``, on that packet of its oldest chunk (-1: not known).
        """
        # ``exited`` is checked before draining: everything it sent before dying is in the pipe.
        received = self._receive(worker, stuck)
        if received is None:  # it could not take an input file it was passed: it was let go
            return
        late, broken = received
        if exited or broken:
            self._bury(worker, late=late, stuck=stuck)

    def _receive(self, worker: Worker, stuck: Optional[int]) -> Optional[tuple[bool, bool]]:
        """Take in every message ``worker`` sent (a fatal one is raised). Returns whether, stopped (``stuck``),
        it had finished a chunk after all (nothing is known then against the next one), and whether its pipe broke;
        None if it could not take an input file it was passed (out of descriptors, say): it is let go, blaming no
        packet, and the rest of the batch sends lines as text, as when passing a file fails on this side."""
        late = False
        try:
            while worker.has_message():
                message = worker.conn.recv()
                if message[0] == "chunk":
                    late = stuck is not None
                    chunk = worker.read_chunk(*message[1:])
                    self.done[chunk.seq] = chunk
                elif message[0] == "results":
                    late = stuck is not None
                    for result in worker.read_results(*message[1:]):
                        self.done[result.seq] = result
                elif message[0] == "ready":
                    worker.ready = True
                    self.start_failures = 0
                elif message[0] == "unsynced":
                    self.pass_files = False
                    self._let_go(worker, stop=True)
                    return None
                elif message[0] == "fatal":
                    raise _fatal(message)
        except (EOFError, OSError):
            return late, True
        return late, False

    def _bury(self, worker: Worker, *, late: bool, stuck: Optional[int]) -> None:
        """A worker is gone: its chunks go back to the queue (its packet, if known, gets an error record)."""
        worker.process.join(1.0)
        server = worker.server
        if stuck is None and server is not None and (server in self.lost_servers or _processes.server_gone() == server
                                                     or _processes.server_pid() != server):
            # Its fork server died, not (necessarily) it: nothing to blame on a packet. (Checked against the
            # server it came from: the others' pipes may close after a new server has started. A server that is
            # no longer this process's died too: multiprocessing replaces one only then, and may have done so,
            # when a worker was started before this one was seen to be gone, without a word.)
            self._server_lost(server)
            self._let_go(worker, stop=False)
            return
        if worker.tasks:
            self._requeue(worker, late=late, stuck=stuck)
        if not worker.ready:
            self.start_failures += 1
            if self.start_failures >= self.MAX_START_FAILURES:
                raise EngineError(f"worker processes die while starting (exit status {worker.process.exitcode})",
                                  code=ENGINE_WORKER_START)
        worker.close()
        self.workers.remove(worker)

    def _requeue(self, worker: Worker, *, late: bool, stuck: Optional[int]) -> None:
        """Queue again the chunks a dead worker held, but not the packet it died on when that is known."""
        chunk = worker.tasks.popleft()  # results come back in order: it died on the oldest chunk
        # Chunks sent ahead were never started: they go to another worker as they are.
        for later in reversed(worker.tasks):
            self.queue.extendleft(reversed(later))
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
            self.done[item.seq] = crash_result(item, worker.process.exitcode, timeout)
        self.queue.extendleft(reversed(again))

    def _stop_workers(self, *, gently: bool) -> None:
        """Stop every worker: asked to finish (``gently``, when the batch is done), else at once."""
        workers, self.workers = self.workers, []
        try:
            for worker in workers:
                worker.stop(gently=gently)
        finally:  # interrupted while stopping them gently: the rest go now
            for worker in workers:
                worker.stop(gently=False)
