"""``run``: items in, results out in input order, in this process or through a pool of worker processes."""

from __future__ import annotations

import itertools
from typing import Generator, Iterable, Iterator, Optional

from .evaluate import process
from .feed import Feed
from .inputs import Item
from .pool import WINDOW, Pool
from .records import Config, Evaluate, Handed, Result
from .resume import Keeper
from .spans import read_lines
from .worker import Factory

#: Seconds a worker may spend on one packet before it is stopped (pool mode, unless set), and the most
#: that can be set (a week: ``wait`` takes no more than ~24 days).
DEFAULT_TIMEOUT = 300.0
MAX_TIMEOUT = 7 * 24 * 3600.0


def uses_pool(workers: int, timeout: Optional[float]) -> bool:
    """Whether ``run`` evaluates in worker processes (more than one worker, or a timeout, which only a
    process can be stopped for) rather than in this one; a small batch may still go in this process."""
    return workers > 1 or timeout is not None


def _nothing() -> Generator[Handed, None, None]:
    yield from ()


class Results(Iterator[Handed]):
    """The iterator ``run`` returns: results in input order, and whether the next one is already here.

    ``ready()`` lets a writer buffer records while more arrive without waiting and flush only before
    the batch would wait (for a worker or for input): one write for a chunk of records instead of one
    per record. ``close()`` stops the workers.
    """

    def __init__(self) -> None:
        self._pool: Optional[Pool] = None
        self._results: Generator[Handed, None, None] = _nothing()

    def __next__(self) -> Handed:
        return next(self._results)

    def ready(self) -> bool:
        """True when the next result can be handed back without waiting."""
        return self._pool is not None and self._pool.ready()

    def close(self) -> None:
        """Stop: the workers end, nothing more is read."""
        self._results.close()


def run(items: Iterable[Item], *, workers: int, factory: Factory, config: Config,
        keeper: Optional[Keeper] = None, window: Optional[int] = None, inline_below: int = 0,
        timeout: Optional[float] = None, stream: bool = False, chunked: bool = False) -> Results:
    """Results for ``items``, in input order (nothing is read or started before the first ``next``).

    ``factory(config)`` builds the evaluation function (``evaluation_factory``: the ladder
    registry's); with ``workers`` > 1 it runs once in each worker process, so it must be a
    module-level function (it is pickled by name), and the calling program must guard its entry
    point with ``if __name__ == "__main__":`` (workers re-import it). With ``inline_below``, a batch
    of fewer items than that is evaluated in this process.

    ``timeout``: seconds a worker may spend on one packet; a worker that takes longer is stopped and
    replaced, the packet gets an ``engine.timeout`` error record and the others of its chunk are
    evaluated again. Without it, pools use ``DEFAULT_TIMEOUT`` and packets evaluated in this process
    have no limit; with it, packets are always evaluated in worker processes (one, for ``workers`` = 1),
    since only a process can be stopped.

    ``stream``: the items come from a stream that may pause (stdin): a pool then reads it in a thread
    of its own, so that decisions keep coming while it is quiet, and a small batch is one whose
    stream ends within ``inline_below`` items without a long pause.

    ``chunked``: a pool may hand back the decisions of consecutive items as one ``Chunk`` (their records
    in one piece, and what they add to the summary), which saves the coordinating process the work of
    one ``Result`` per packet; error records, decisions with warnings and ``--resume`` stay one
    ``Result`` each, and so does everything evaluated in this process.
    """
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:  # NaN fails this too
        raise ValueError(f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {timeout!r}")
    results = Results()
    results._results = _run(results, items, workers, factory, config, keeper, window, inline_below, timeout, stream,
                            chunked)
    return results


def _run(results: Results, items: Iterable[Item], workers: int, factory: Factory, config: Config,
         keeper: Optional[Keeper], window: Optional[int], inline_below: int, timeout: Optional[float],
         stream: bool, chunked: bool) -> Generator[Handed, None, None]:
    todo: Iterator[Item] = iter(items)
    # A pool must not wait for a quiet stream: it reads it through a thread (see Feed).
    feed = Feed(todo, capacity=window or WINDOW) if stream and uses_pool(workers, timeout) else None
    try:
        if feed is not None:
            todo = iter(feed)
        if workers > 1 and inline_below > 0:
            small, todo = _small(todo, feed, inline_below)
            if small:  # starting processes would cost more than it saves
                workers = 1
        if not uses_pool(workers, timeout):
            yield from _in_process(todo, factory(config), config, keeper)
            return
        results._pool = Pool(max(workers, 1), factory, config, keeper, window,
                             timeout if timeout is not None else DEFAULT_TIMEOUT, chunked=chunked)
        yield from results._pool.results(feed if feed is not None else Feed(todo))
    finally:
        if feed is not None:
            feed.close()


def _small(todo: Iterator[Item], feed: Optional[Feed], count: int) -> tuple[bool, Iterator[Item]]:
    """Whether the batch has fewer than ``count`` items, and its items (the ones looked at put back)."""
    if feed is not None:  # a stream is small if it ends within the first packets (and is not just quiet)
        return feed.ends_within(count, patience=Feed.PATIENCE), todo
    head = list(itertools.islice(todo, count))
    return len(head) < count, itertools.chain(head, todo)


def _in_process(todo: Iterator[Item], evaluate: Evaluate, config: Config,
                keeper: Optional[Keeper]) -> Iterator[Result]:
    """Each item evaluated here, in turn; a decision of the earlier run copied where one is kept."""
    for item in todo:
        if item.span is not None:  # its line, read here
            item = read_lines([item])[0]
        result = process(item, evaluate, config)
        if result.keep is not None:
            result = (keeper.take(result) if keeper else None) or process(item, evaluate, config, keep=False)
        yield result
