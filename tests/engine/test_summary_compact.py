"""The cycle summary keeps little per candidate, and says exactly what a plain reading of the records says.

``reference`` below computes the summary the obvious way, from the whole list of records at once
(one dict per entry, every source string kept): the streaming ``Summary`` must give the same data,
key order and types included, and so byte-identical text, markdown and JSON, over a realistic
run: thousands of candidates over several JSONL files, packet files and stdin, duplicates across
files and lines, error records, warnings, committee outcomes that agree and disagree, several
transitions, blocking criteria and supporting quotas, and sources that only look like ``file:line``.
"""

from __future__ import annotations

import gc
import json
import pickle
import random
import tracemalloc
from typing import Any, Optional

from promoready.cli.render.summary import render_json, render_markdown, render_text
from promoready.engine.summary import VERDICTS, Outcome, Summary

TRANSITIONS = [("pm", "senior_pm"), ("senior_pm", "group_pm"), ("eng", "senior_eng"), ("senior_eng", "staff")]
CRITERIA = ["impact", "craft", "leadership", "scope", "reviews", "tenure", "delivery"]
GROUPS = [("", "supporting criteria in no group"), ("craft", "Craft"), ("influence", "Influence")]
FILES = ["cycle-2026/eng.jsonl", "cycle-2026/product.jsonl", "<stdin>", "C:\\cycle\\design.jsonl"]
# Sources that end in something other than a plain line number (or are no string at all): each must
# come back exactly as given.
ODD = [None, "", ":5", "x:0", "x:007", "a:b:3", "big:4294967296", "huge:12345678901", "digits:²", "line:١٢",
       "trail:", "spaces in name.jsonl:99999999", "x:+4", "x: 4", "x:4 ", "x:1_0", "-", "päckets/ö.yaml:12"]
CODES = ["packet.list-type", "input.json", "packet.missing", "input.too-large"]


def _title(transition: tuple[str, str], criterion: str) -> str:
    # The same criterion has a title of its own in some transitions (the summary joins them).
    return f"{criterion.title()} ({transition[1]})" if transition[0].startswith("senior") else criterion.title()


def records(n: int, seed: int = 2026) -> list[tuple]:
    """A run of ``n`` records: ("add", outcome, source) or ("error", code, source, candidate, message).
    Each outcome is pickled and read back, as it reaches the summary from a worker (its own strings)."""
    rnd = random.Random(seed)
    lines = dict.fromkeys(FILES, 0)
    ids: list[str] = []
    out: list[tuple] = []
    for i in range(n):
        r = rnd.random()
        if r < 0.8:
            file = rnd.choice(FILES)
            lines[file] += rnd.choice((1, 1, 1, 2, 7))  # blank lines are skipped
            source: Optional[str] = f"{file}:{lines[file]}"
        elif r < 0.95:
            source = f"cycle-2026/packets/{rnd.choice(['a', 'b', 'c:d'])}/p{i}.yaml"
        else:
            source = rnd.choice(ODD)
        if ids and rnd.random() < 0.06:
            candidate = rnd.choice(ids)  # seen before: in another file, or further down the same one
        else:
            candidate = rnd.choice([f"E{i:06d}", f"E{i:06d}", f"E{i:06d}", f"é-{i}", f"id with space {i}"])
            ids.append(candidate)
        if rnd.random() < 0.04:
            out.append(("error", rnd.choice(CODES), source, rnd.choice([candidate, candidate, None]),
                        rnd.choice([f"{source}: reviews: must be a list", None])))
            continue
        transition = rnd.choice(TRANSITIONS)
        verdict = rnd.choices(VERDICTS, weights=(25, 55, 20))[0]
        failed = tuple(rnd.sample(CRITERIA, rnd.randint(1, 3))) if verdict == "not_ready" else ()
        blocking = tuple((c, _title(transition, c)) for c in failed if rnd.random() < 0.6)
        unknown = tuple(rnd.sample(CRITERIA, rnd.randint(1, 2))) if verdict != "ready" and rnd.random() < 0.7 else ()
        missing = tuple(f"evidence.{c}" for c in unknown)
        short = tuple(g for g in GROUPS if rnd.random() < 0.2) if verdict == "not_ready" else ()
        committee = rnd.choice([None, None, "promoted", "not_promoted", "deferred"])
        warnings: tuple[str, ...] = ()
        at: tuple[Optional[int], ...] = ()
        if rnd.random() < 0.05:
            warnings = tuple(rnd.sample(["candidate.levle", "evidence.reviewz", "cycel"], rnd.randint(1, 2)))
            at = rnd.choice([tuple(rnd.randint(1, 40) for _ in warnings), (), (None,) * len(warnings), (3,)])
        outcome = Outcome(candidate, verdict, transition, blocking, failed, unknown, missing, committee,
                          warnings, at, short)
        out.append(("add", pickle.loads(pickle.dumps(outcome)), source))
    return out


def feed(rs: list[tuple]) -> Summary:
    s = Summary()
    for r in rs:
        if r[0] == "add":
            s.add(r[1], r[2])
        else:
            s.add_error(r[1], source=r[2], candidate_id=r[3], message=r[4])
    return s


def _ranked(counts: dict) -> list:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def reference(rs: list[tuple]) -> dict[str, Any]:
    """The summary of ``rs`` computed plainly from the whole list (what ``Summary.to_dict`` gave before
    it kept its entries compactly)."""
    adds = [(r[1], r[2]) for r in rs if r[0] == "add"]
    errs = [r[1:] for r in rs if r[0] == "error"]
    verdicts = dict.fromkeys(VERDICTS, 0)
    for o, _ in adds:
        verdicts[o.verdict] += 1
    steps: dict[tuple[str, str], list] = {}
    for o, src in adds:
        steps.setdefault(o.transition, []).append((o, src))
    transitions = []
    for (a, b), here in sorted(steps.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        counts = dict.fromkeys(VERDICTS, 0)
        blockers: dict[str, int] = {}
        titles: dict[str, str] = {}
        groups: dict[str, int] = {}
        group_titles: dict[str, str] = {}
        for o, _ in here:
            counts[o.verdict] += 1
            for c, title in dict.fromkeys(o.blocking):
                blockers[c] = blockers.get(c, 0) + 1
                titles.setdefault(c, title)
            for g, title in dict.fromkeys(o.short_groups):
                groups[g] = groups.get(g, 0) + 1
                group_titles.setdefault(g, title)
        entry = {"from": a, "to": b, "count": len(here), "verdicts": counts,
                 "ready_candidates": [{"candidate_id": o.candidate_id, "source": src}
                                      for o, src in here if o.verdict == "ready"],
                 "blockers": [{"criterion": c, "title": titles[c], "candidates": n} for c, n in _ranked(blockers)]}
        if groups:
            entry["blocking_groups"] = [{"group": g or None, "title": group_titles[g], "candidates": n}
                                        for g, n in _ranked(groups)]
        transitions.append(entry)
    top: dict[str, int] = {}
    all_titles: dict[str, set] = {}
    missing: dict[str, int] = {}
    for o, _ in adds:
        for c, title in dict.fromkeys(o.blocking):
            top[c] = top.get(c, 0) + 1
            all_titles.setdefault(c, set()).add(title)
        for p in o.missing:
            missing[p] = missing.get(p, 0) + 1
    codes: dict[str, int] = {}
    for code, *_ in errs:
        codes[code] = codes.get(code, 0) + 1
    sources: dict[str, list] = {}
    for r in rs:
        cid, src = (r[1].candidate_id, r[2]) if r[0] == "add" else (r[3], r[2])
        if cid is not None:
            sources.setdefault(cid, []).append(src)
    seconds = []  # the records at which a candidate turns out to be seen twice, in order
    count: dict[str, int] = {}
    for r in rs:
        cid = r[1].candidate_id if r[0] == "add" else r[3]
        if cid is not None:
            count[cid] = count.get(cid, 0) + 1
            if count[cid] == 2:
                seconds.append(cid)
    judged = [(o, src) for o, src in adds if o.committee_outcome in ("promoted", "not_promoted")]
    disagreements = [{"candidate_id": o.candidate_id, "source": src, "committee_outcome": o.committee_outcome,
                      "verdict": o.verdict, "failed": list(o.failed), "unknown": list(o.unknown)}
                     for o, src in judged if (o.committee_outcome == "promoted") != (o.verdict == "ready")]
    return {
        "packets": len(rs),
        "decisions": len(adds),
        "errors": len(errs),
        "verdicts": verdicts,
        "transitions": transitions,
        "top_blockers": [{"criterion": c, "title": " / ".join(sorted(all_titles[c])), "candidates": n}
                         for c, n in _ranked(top)],
        "most_missing": [{"path": p, "candidates": n} for p, n in _ranked(missing)],
        "errors_by_code": dict(_ranked(codes)),
        "errored": [{"source": src, "candidate_id": cid, "code": code, "message": message}
                    for code, src, cid, message in errs],
        "warned": [{"candidate_id": o.candidate_id, "source": src, "warnings": list(o.warnings),
                    "lines": list(o.warning_lines) if len(o.warning_lines) == len(o.warnings)
                    else [None] * len(o.warnings)}
                   for o, src in adds if o.warnings],
        "duplicate_candidates": [{"candidate_id": c, "sources": sources[c]} for c in seconds],
        "calibration": {"with_committee_outcome": len(judged), "agree": len(judged) - len(disagreements),
                        "disagree": len(disagreements), "disagreements": disagreements},
    }


def test_a_realistic_run_gives_the_plain_summary_byte_for_byte():
    rs = records(6000)
    got, want = feed(rs).to_dict(), reference(rs)
    # The run has every kind of entry, so the comparison below compares something.
    assert len(want["duplicate_candidates"]) > 100 and len(want["errored"]) > 100 and len(want["warned"]) > 100
    assert len(want["calibration"]["disagreements"]) > 500 and len(want["transitions"]) == len(TRANSITIONS)
    assert any(t.get("blocking_groups") for t in want["transitions"])
    assert len({s for d in want["duplicate_candidates"] for s in d["sources"]} & set(ODD)) >= 5
    assert any("/" in t["title"] for t in want["top_blockers"])
    assert got == want  # same values, lists as lists
    assert json.dumps(got) == json.dumps(want)  # same key order
    for render in (render_json, render_text, render_markdown):
        assert render(got) == render(want)


def test_every_source_comes_back_exactly_as_given():
    # A source is kept as its file (shared by the file's lines) and a line number only when it
    # reads back the same: a zero, a leading zero, a sign, a non-ASCII digit or a line too big
    # keeps the whole string.
    s = Summary()
    given = [*ODD, "f.jsonl:1", "f.jsonl:4294967295", "f.jsonl:999999999", "f.jsonl:2", ":1", "a.yaml"]
    for i, source in enumerate(given):
        s.add(Outcome(f"c{i}", "ready", ("a", "b"), (), (), (), ()), source)
        s.add(Outcome(f"c{i}", "not_ready", ("a", "b"), (), (), (), (), committee_outcome="promoted"), source)
        s.add_error("input.json", source=source, candidate_id=f"c{i}")
    d = s.to_dict()
    assert [r["source"] for r in d["transitions"][0]["ready_candidates"]] == given
    assert [r["source"] for r in d["calibration"]["disagreements"]] == given
    assert [r["source"] for r in d["errored"]] == given
    assert [r["sources"] for r in d["duplicate_candidates"]] == [[src] * 3 for src in given]


def test_a_summary_can_be_read_twice_and_added_to_after():
    rs = records(800, seed=5)
    s = feed(rs[:500])
    assert s.to_dict() == s.to_dict() == reference(rs[:500])
    for r in rs[500:]:
        (s.add(r[1], r[2]) if r[0] == "add" else s.add_error(r[1], source=r[2], candidate_id=r[3], message=r[4]))
    assert s.to_dict() == reference(rs)


def _retained_per_candidate(n: int) -> float:
    """Bytes the summary keeps per candidate after ``n`` decisions with distinct ids from one JSONL
    file, a quarter of them ready (tracemalloc: deterministic, unlike the process's RSS)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        s = Summary()
        for i in range(n):
            verdict = "ready" if i % 4 == 0 else "not_ready"
            blocking = () if verdict == "ready" else (("impact", "Impact"),)
            o = Outcome(f"bench-{i:07d}", verdict, TRANSITIONS[i % 2], blocking, tuple(c for c, _ in blocking), (), ())
            s.add(pickle.loads(pickle.dumps(o)), f"/tmp/promoready/cycle-2026/packets.jsonl:{i + 1}")
        del o
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()


def test_a_candidate_costs_its_id_and_a_few_bytes_more():
    # About 100 bytes on CPython 3.10 to 3.13: the id string (~64), its slot in one dict, 8 bytes for
    # where it was first seen, and 8 more for a ready one's entry. Keeping a source string per
    # candidate and a dict per ready entry cost about 250.
    assert _retained_per_candidate(20_000) < 150


def _place(source: Optional[str]) -> tuple[Any, Optional[int]]:
    """The (file, line) a batch knows a packet by, for a source as ``Item.source`` writes it."""
    if source is not None:
        file, colon, line = source.rpartition(":")
        if colon and line.isdigit() and line.isascii() and line[0] != "0" and int(line) < 4294967296:
            return file, int(line)
    return source, None


def _feed_in_parts(rs: list[tuple], rnd: random.Random) -> Summary:
    """``rs`` added as a batch adds them: runs of decisions without warnings as ``Part``s of random
    length (made from pickled outcomes, as a worker sends them), the rest one at a time."""
    from promoready.engine.summary import Part

    s = Summary()
    i = 0
    while i < len(rs):
        size = rnd.choice((1, 3, 17, 64, 200))
        run = []
        while i < len(rs) and len(run) < size and rs[i][0] == "add" and not rs[i][1].warnings:
            run.append(rs[i])
            i += 1
        if run:
            part = Part()
            for r in run:
                part.add(r[1])
            s.merge(pickle.loads(pickle.dumps(part)), [_place(r[2]) for r in run])
            continue
        r = rs[i]
        i += 1
        (s.add(r[1], r[2]) if r[0] == "add" else s.add_error(r[1], source=r[2], candidate_id=r[3], message=r[4]))
    return s


def test_chunks_of_decisions_merged_give_the_same_summary_as_one_at_a_time():
    # A batch's workers count their chunks (Part) and the coordinating process merges them: the
    # summary must be the one adding each decision in turn gives, byte for byte, whatever the chunks.
    rs = records(6000, seed=11)
    want = reference(rs)
    assert len(want["duplicate_candidates"]) > 100 and len(want["calibration"]["disagreements"]) > 500
    for seed in range(3):
        got = _feed_in_parts(rs, random.Random(seed)).to_dict()
        assert got == want
        assert json.dumps(got) == json.dumps(want)


def test_a_title_and_a_verdict_first_met_in_a_later_chunk_keep_their_order():
    from promoready.engine.summary import Part

    a = Outcome("a", "not_ready", ("pm", "spm"), (("impact", "Impact"),), ("impact",), (), ())
    b = Outcome("b", "not_ready", ("pm", "spm"), (("impact", "Impact, renamed"), ("craft", "Craft")),
                ("impact", "craft"), (), ())
    c = Outcome("c", "odd-verdict", ("pm", "spm"), (), (), (), ())
    first, second = Part(), Part()
    first.add(a)
    second.add(b)
    second.add(c)
    merged, plain = Summary(), Summary()
    merged.merge(first, [("f.jsonl", 1)])
    merged.merge(second, [("f.jsonl", 2), ("g.yaml", None)])
    for outcome, source in ((a, "f.jsonl:1"), (b, "f.jsonl:2"), (c, "g.yaml")):
        plain.add(outcome, source)
    assert json.dumps(merged.to_dict()) == json.dumps(plain.to_dict())
    assert merged.to_dict()["transitions"][0]["blockers"][0]["title"] == "Impact"  # the title its count started with


def test_a_part_refuses_what_it_cannot_carry():
    import pytest

    from promoready.engine.summary import Part

    with pytest.raises(ValueError, match="warnings"):
        Part().add(Outcome("a", "ready", ("a", "b"), (), (), (), (), warnings=("cycel",)))
    part = Part()
    part.add(Outcome("a", "ready", ("a", "b"), (), (), (), ()))
    with pytest.raises(ValueError, match="2 places for 1 decisions"):
        Summary().merge(part, [("f", 1), ("f", 2)])


def test_the_sources_of_a_chunk_found_at_once_are_those_found_one_by_one():
    from promoready.engine.summary import _Sources

    f, g = "in.jsonl", "other.jsonl"
    places = [(f, 1), (f, 2), (g, 3), (f, 4), (f, None), (f, 0), (f, 999_999_999), (f, 1_000_000_000),
              ("in.jsonl", 7), (g, None), ("x:1", None), (f, 5)]
    together, alone = _Sources(), _Sources()
    codes = together.codes(places)
    assert codes == [alone.code_at(file, line) for file, line in places]
    assert together.parts == alone.parts
    assert [together.source(c) for c in codes] == [file if line is None else f"{file}:{line}" for file, line in places]
