"""Where one packet's time goes: the pipeline of ``bench/run.py`` (a), phase by phase.

    .venv/bin/python bench/breakdown.py               # 1,000 packets, 5 rounds, then a cProfile
    .venv/bin/python bench/breakdown.py --packets 200 --rounds 3
    .venv/bin/python bench/breakdown.py --clock cpu   # this process's CPU time instead of wall time

Two views of the same pipeline over the same generated packets (``bench/packets.py``):

1. Phases, timed with ``perf_counter`` around promoready's own functions (an ``Evaluator`` subclass
   and stand-ins for ``plan.ruleset`` and ``plan.explainer``; two module functions are wrapped):
   read in one pass (``packet_in_one_pass``: pydantic-core parses and validates the text), then for
   the packets it leaves to the careful reading (none of the generated ones, as a rule): parse
   (``parse_json``), depth check (``check_depth``), validate (``to_packet``: pydantic); measures
   (``_evaluate`` before the engine: transition, levels, measures, encoding), engine
   (``plan.ruleset.run``, with every argument: a ladder using at_least passes its stages), tally and
   checks (the rest of ``_decide``), explanation (the ``Explainer`` calls: ``actual``, ``gaps``, ``expected``),
   packet digest and typo warnings (called by ``_decision``), decision construction (the rest of
   ``_decision``: building the models, the loops, ``texts_for``), serialisation (``Decision.to_json``).
   Medians over rounds, in µs per packet of wall time (``time.perf_counter``), or of this process's
   CPU time with ``--clock cpu`` (``time.process_time``: other jobs on a shared machine do not count,
   but each read is a system call, ≈2.6 µs on this VM against 0.2 µs, and there are ~30 a packet).
   The timers add a little (a wrapper call and two clock reads per timed call, ~15 calls a packet):
   compare the instrumented total with the plain one.
2. A cProfile of the uninstrumented pipeline, top functions by own time (the profiler inflates
   Python-heavy code relative to C, so use it to find functions, and view 1 for the shares).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import packets as packet_gen  # noqa: E402

PHASES = ("read in one pass", "parse", "depth check", "validate", "measures", "engine", "tally and checks", "explanation", "packet digest",
          "typo warnings", "decision construction", "serialisation")

clock = time.perf_counter  # --clock cpu: time.process_time
T: dict[str, float] = {}


def _add(key: str, dt: float) -> None:
    T[key] = T.get(key, 0.0) + dt


def _timed(key: str, fn):
    def wrapper(*args, **kwargs):
        t = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(key, clock() - t)

    return wrapper


class _TimedRuleset:
    def __init__(self, ruleset) -> None:
        self._ruleset = ruleset

    def run(self, *args, **kwargs):  # every argument: a ladder using at_least passes its stages
        t = clock()
        try:
            return self._ruleset.run(*args, **kwargs)
        finally:
            _add("engine", clock() - t)


class _TimedExplainer:
    """Forwards everything to the explainer; times the calls ``_decision`` makes."""

    def __init__(self, explainer) -> None:
        self._explainer = explainer
        for name in ("expected", "actual", "gaps"):
            setattr(self, name, _timed("explanation", getattr(explainer, name)))

    def __getattr__(self, name):
        return getattr(self._explainer, name)


def instrumented_evaluator(ladder):
    from promoready.engine import Evaluator
    from promoready.engine import evaluator as evaluator_module

    # Module functions _decision calls (patched in this process only, until ``undo``).
    packet_module = evaluator_module._packet
    saved = [(packet_module, "packet_digest"), (packet_module, "typo_warnings")]
    saved = [(module, name, getattr(module, name)) for module, name in saved]
    packet_module.packet_digest = _timed("packet digest", packet_module.packet_digest)
    packet_module.typo_warnings = _timed("typo warnings", packet_module.typo_warnings)

    def undo() -> None:
        for module, name, fn in saved:
            setattr(module, name, fn)

    class Timed(Evaluator):
        def _evaluate(self, packet, source, as_of, **kwargs):
            t = clock()
            try:
                return super()._evaluate(packet, source, as_of, **kwargs)
            finally:
                _add("_evaluate", clock() - t)

        def _decide(self, plan, fact):
            t = clock()
            try:
                return super()._decide(plan, fact)
            finally:
                _add("_decide", clock() - t)

        def _decision(self, packet, plan, *args, **kwargs):
            t = clock()
            try:
                return super()._decision(packet, plan, *args, **kwargs)
            finally:
                _add("_decision", clock() - t)

    timed = Timed(ladder)
    # Stand-ins on every compiled plan, set once (single-threaded use only).
    for plan in timed._plans.values():
        plan.ruleset = _TimedRuleset(plan.ruleset)
        plan.explainer = _TimedExplainer(plan.explainer)

    return timed, undo


def phases(texts: list[str], rounds: int, ladder_dir=None) -> tuple[dict[str, float], float, float]:
    """Median µs per packet of each phase, of the instrumented pipeline and of the plain one.

    Each round runs the plain pipeline (a) and then the instrumented one over the same packets, so
    that both see the same machine.
    """
    from run import pipeline

    from promoready.engine import Evaluator, load_ladder

    ladder = load_ladder(str(ladder_dir) if ladder_dir is not None else None)
    plain = pipeline(Evaluator(ladder))
    ev, undo = instrumented_evaluator(ladder)
    try:
        return _phases(ev, plain, texts, rounds)
    finally:
        undo()


def _phases(ev, plain, texts: list[str], rounds: int) -> tuple[dict[str, float], float, float]:
    from promoready.engine import _documents as docs
    from promoready.engine import _jsonpacket, _packet

    name = "<bench>.json"
    per_round: list[dict[str, float]] = []
    totals, plains = [], []
    for text in texts[:50]:  # warm up
        ev.evaluate_json(text, source=name).to_json()
        plain(text)
    for _ in range(rounds):
        start = clock()
        for text in texts:
            plain(text)
        plains.append((clock() - start) / len(texts) * 1e6)
        T.clear()
        start = clock()
        for text in texts:
            t0 = clock()
            packet = _jsonpacket.packet_in_one_pass(text)
            t1 = clock()
            _add("read in one pass", t1 - t0)
            source = _packet.Source(name, text)
            one_pass = packet is not None  # then no model has extra fields: no typo warnings to look for
            if packet is None:  # the careful reading, as evaluate_json does it
                raw = docs.parse_json(text, name)
                t01 = clock()
                docs.check_depth(raw, name, text)
                t02 = clock()
                packet = _packet.to_packet(raw, source)
                t2 = clock()
                _add("parse", t01 - t1)
                _add("depth check", t02 - t01)
                _add("validate", t2 - t02)
            t2 = clock()
            decision = ev._evaluate(packet, source, None, plain=one_pass)
            t3 = clock()
            decision.to_json()
            t4 = clock()
            _add("serialisation", t4 - t3)
        totals.append((clock() - start) / len(texts) * 1e6)
        explained = T.get("explanation", 0.0)
        r = {
            "read in one pass": T["read in one pass"],
            "parse": T.get("parse", 0.0),
            "depth check": T.get("depth check", 0.0),
            "validate": T.get("validate", 0.0),
            "measures": T["_evaluate"] - T["_decide"] - T["_decision"],
            "engine": T["engine"],
            "tally and checks": T["_decide"] - T["engine"],
            "explanation": explained,
            "packet digest": T.get("packet digest", 0.0),
            "typo warnings": T.get("typo warnings", 0.0),
            "decision construction": T["_decision"] - explained - T.get("packet digest", 0.0)
            - T.get("typo warnings", 0.0),
            "serialisation": T["serialisation"],
        }
        per_round.append({k: v / len(texts) * 1e6 for k, v in r.items()})
    medians = {k: statistics.median(r[k] for r in per_round) for k in PHASES}
    return medians, statistics.median(totals), statistics.median(plains)


def profile(texts: list[str], top: int, ladder_dir=None) -> str:
    from run import pipeline

    from promoready.engine import Evaluator, load_ladder

    run = pipeline(Evaluator(load_ladder(str(ladder_dir) if ladder_dir is not None else None)))
    for text in texts[:50]:
        run(text)
    prof = cProfile.Profile()
    prof.enable()
    for text in texts:
        run(text)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = []
    n = len(texts)
    lines.append(f"cProfile over {n:,} packets, top {top} functions by own time (µs per packet):")
    lines.append("")
    lines.append("| own µs | cumulative µs | calls/packet | function |")
    lines.append("|---:|---:|---:|---|")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    root = str(Path(__file__).resolve().parent.parent)
    for (file, line, name), (cc, nc, tt, ct, _callers) in rows:
        where = file.replace(root + "/", "").split("site-packages/")[-1]
        lines.append(f"| {tt / n * 1e6:,.1f} | {ct / n * 1e6:,.1f} | {nc / n:,.1f} | `{name}` ({where}:{line}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Where a packet's time goes in promoready's pipeline.")
    parser.add_argument("--packets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--ladder", metavar="DIR", type=Path, default=None,
                        help="a ladder folder (with examples/ for the packets); default: the bundled ladder")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="wall",
                        help="wall: elapsed time (the default); cpu: this process's CPU time (each read costs more)")
    args = parser.parse_args(argv)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    if args.ladder is not None:
        texts = packet_gen.texts(packet_gen.pool(args.packets, args.seed, args.ladder))
    else:
        texts = packet_gen.texts(packet_gen.pool(args.packets, args.seed))
    result, total, plain = phases(texts, args.rounds, args.ladder)
    summed = sum(result.values())
    print(f"{len(texts):,} packets, {args.rounds} rounds (medians, {args.clock} time); "
          f"uninstrumented pipeline {plain:,.0f} µs/packet "
          f"({1e6 / plain:,.0f} packets/s); instrumented {total:,.0f} µs/packet")
    print()
    print("| phase | µs/packet | share |")
    print("|---|---:|---:|")
    for k in PHASES:
        print(f"| {k} | {result[k]:,.1f} | {result[k] / summed:.1%} |")
    print(f"| **sum of phases** | **{summed:,.1f}** | 100% |")
    print()
    print(profile(texts, args.top, args.ladder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
