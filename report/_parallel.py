"""Reading a large decisions file on several CPUs: each worker aggregates a stretch of whole lines,
and the parts are merged in file order.

The merge adds counts and concatenates what keeps input order (calibration disagreements, projected
dates), so the result is the one a single pass gives; ``tests/report`` compare both with the batch
summary. It relies on the batch summary's fields: when ``Summary`` has fields this module does not
know (the summary grew), the file is read in one pass instead of merged wrongly.
"""

from __future__ import annotations

import os
from typing import Optional

from promoready.engine.summary import Summary

from ._cycle import Cycle, Part, empty, read_part

#: Files smaller than this are read in one pass (starting workers would cost more than it saves).
PARALLEL_BYTES = 8 << 20
#: ``Summary``'s fields, as this module merges them.
_SUMMED = ("packets", "errors", "with_outcome")
_COUNTERS = ("verdicts", "blockers", "missing", "error_codes")
_KNOWN = frozenset(_SUMMED + _COUNTERS + ("transitions", "titles", "disagreements"))


def read_cycle(path: str, name: Optional[str] = None, workers: Optional[int] = None) -> Cycle:
    """``_cycle.read_cycle``, on ``workers`` processes (default: the usable CPUs, for a large file)."""
    from promoready import _processes

    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0  # read_part names the problem
    if workers is None:
        workers = _processes.usable_cpus() if size >= PARALLEL_BYTES else 1
    if workers <= 1 or set(vars(Summary())) != _KNOWN or not _can_fork():
        from ._cycle import read_cycle as one_pass

        return one_pass(path, name)
    import multiprocessing

    bounds = _bounds(path, size, workers)
    with multiprocessing.get_context("fork").Pool(len(bounds)) as pool:
        parts = pool.starmap(_read, [(path, a, b, name) for a, b in bounds])
    return _merge(path, parts)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _read(path: str, start: int, end: int, name: Optional[str]) -> Part:
    return read_part(path, start, end, name=name, source_lines=True)


def _bounds(path: str, size: int, workers: int) -> list[tuple[int, int]]:
    """Byte ranges of about equal size, each starting at the start of a line."""
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, workers):
            fh.seek(max(size * i // workers, cuts[-1]))
            fh.readline()  # to the start of the next line
            cuts.append(min(fh.tell(), size))
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a] or [(0, size)]


def _merge(path: str, parts: list[Part]) -> Cycle:
    """The parts of one file, in order, as one cycle; the first error (in file order) is raised."""
    offset = 0
    for part in parts:
        if part.error is not None:
            if part.error.line is not None:
                part.error.line += offset
            raise part.error
        _place(part.cycle, path, offset)
        offset += part.lines
    if not sum(p.records for p in parts):
        raise empty(path)
    whole = parts[0].cycle
    for part in parts[1:]:
        c = part.cycle
        _add_summary(whole.summary, c.summary)
        for key, s in c.by_transition.items():
            _add_summary(whole.by_transition.setdefault(key, Summary()), s)
        for track, v in c.by_track.items():
            _add_counts(whole.by_track.setdefault(track, dict.fromkeys(v, 0)), v)
        _add_counts(whole.calibration, c.calibration)
        for t, counts in c.criteria.items():
            into = whole.criteria.setdefault(t, {})
            for cid, n in counts.items():
                if cid in into:
                    into[cid].passed += n.passed
                    into[cid].failed += n.failed
                    into[cid].unknown += n.unknown
                else:
                    into[cid] = n
        for cid, person in c.people.items():
            if cid in whole.people:
                whole.duplicates += 1
            else:
                whole.people[cid] = person
        whole.duplicates += c.duplicates
        whole.ready_by.extend(c.ready_by)
        whole.as_of |= c.as_of
        whole.ladders |= c.ladders
    return whole


def _place(cycle: Cycle, path: str, offset: int) -> None:
    """Give each disagreement its file and line, now that the part's first line is known."""
    for summary in (cycle.summary, *cycle.by_transition.values()):
        for d in summary.disagreements:
            d["source"] = f"{path}:{int(d['source']) + offset}"


def _add_counts(into: dict, more: dict) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def _add_summary(into: Summary, more: Summary) -> None:
    for name in _SUMMED:
        setattr(into, name, getattr(into, name) + getattr(more, name))
    for name in _COUNTERS:
        _add_counts(getattr(into, name), getattr(more, name))
    for key, verdicts in more.transitions.items():
        _add_counts(into.transitions.setdefault(key, dict.fromkeys(verdicts, 0)), verdicts)
    for criterion, titles in more.titles.items():
        into.titles.setdefault(criterion, set()).update(titles)
    into.disagreements.extend(more.disagreements)
