"""``promoready report --db URL --cycle NAME [--compare-cycle OTHER]``: a cycle that ``batch --cycle``
recorded reports exactly as the JSONL that same batch wrote, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from report_cycle import bench_packets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "store"))
from storekit import db_url, decide, packet  # noqa: E402,F401  (db_url: a fixture: an empty database)


def promoready(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promoready", *args], capture_output=True, text=True, timeout=900)


def packets(path: Path, count: int, seed: int) -> Path:
    """Generated packets, some with a committee outcome, and two that are error records."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i, line in enumerate(bench_packets.stream(bench_packets.pool(60), count)):
            packet = json.loads(line)
            if rng.random() < 0.3:
                packet["committee_outcome"] = rng.choice(["promoted", "not_promoted"])
            fh.write(json.dumps(packet) + "\n" if i not in (17, 140) else '{"candidate": {"id": "broken"\n')
    return path


def report(out: Path, *args: str) -> dict[str, Any]:
    done = promoready("report", *args, "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def without_sources(data: Any) -> Any:
    """The figures without where each decision came from (every ``source``/``sources``: a line of the JSONL,
    or the input the store names), without the cycles' names (a file's path, or the stored name) and without
    whether they are complete (the store knows; a file does not: None)."""
    if isinstance(data, list):
        return [without_sources(v) for v in data]
    if not isinstance(data, dict):
        return data
    out = {k: without_sources(v) for k, v in data.items() if k not in ("source", "sources")}
    if "cycle" in out and isinstance(out["cycle"], dict):
        out["cycle"] = {k: v for k, v in out["cycle"].items() if k not in ("name", "complete", "log")}
    if isinstance(out.get("compare"), dict):
        out["compare"] = {k: v for k, v in out["compare"].items() if k not in ("before", "after", "before_complete",
                                                                                 "before_log")}
    return out


@pytest.fixture
def recorded(db_url, tmp_path):  # noqa: F811
    """Two cycles recorded by batch in the store, and the JSONL each batch wrote."""
    for name, seed in (("2026-H1", 1), ("2026-H2", 2)):
        done = promoready("batch", str(packets(tmp_path / f"{name}.packets.jsonl", 240, seed)), "--cycle", name,
                          "--db", db_url, "--out", str(tmp_path / f"{name}.jsonl"), "--workers", "2")
        assert done.returncode == 2, done.stderr[-2000:]  # the two broken packets: error records
    return db_url, tmp_path


def test_a_stored_cycle_reports_exactly_as_its_jsonl(recorded):
    db, folder = recorded
    from_file = report(folder / "file.json", str(folder / "2026-H2.jsonl"), "--compare", str(folder / "2026-H1.jsonl"))
    from_store = report(folder / "store.json", "--db", db, "--cycle", "2026-H2", "--compare-cycle", "2026-H1")
    assert from_file["summary"]["packets"] == 240 and from_file["summary"]["errors"] == 2
    assert from_file["compare"]["in_both"] > 0
    assert without_sources(from_store) == without_sources(from_file)
    assert from_store["cycle"]["name"] == "2026-H2" and from_store["compare"]["before"] == "2026-H1"
    assert from_store["cycle"]["complete"] is True and from_store["compare"]["before_complete"] is True
    assert from_file["cycle"]["complete"] is None and from_file["compare"]["before_complete"] is None  # not known
    assert from_store["cycle"]["log"] is False and from_file["cycle"]["log"] is None
    assert from_store["compare"]["before_log"] is False and from_file["compare"]["before_log"] is None
    # A stored decision is named by its packet, as batch names it; the file's by its line.
    ready = [r for t in from_store["summary"]["transitions"] for r in t["ready_candidates"]]
    assert ready and all(r["source"].startswith(str(folder / "2026-H2.packets.jsonl:")) for r in ready)
    mixed = report(folder / "mixed.json", str(folder / "2026-H2.jsonl"), "--db", db, "--compare-cycle", "2026-H1")
    assert without_sources(mixed) == without_sources(from_file)
    page = promoready("report", "--db", db, "--cycle", "2026-H2", "--out", str(folder / "report.html"))
    assert page.returncode == 0 and page.stderr == "", page.stderr
    assert "2026-H2" in (folder / "report.html").read_text(encoding="utf-8")
    assert "Incomplete cycle" not in (folder / "report.html").read_text(encoding="utf-8")


def test_an_incomplete_cycle_says_so_in_the_json_the_page_and_on_stderr(db_url, tmp_path):  # noqa: F811
    """A cycle whose batch stopped partway (never marked complete) reports what it holds, exit 0, but never
    passes for the whole cycle: ``complete: false``, a notice atop the page, one warning line."""
    from promoready.store import decision_rows, open_store

    def rows(count: int) -> list:
        return [decision_rows(f"c-{i}.json", i, decide(packet(f"c-{i}", years=0.5 + i))) for i in range(count)]

    with open_store(db_url, create=True) as store:
        whole = store.start_cycle("whole")
        store.write(whole, rows(4))
        store.finish_cycle(whole)
        store.write(store.start_cycle("partial"), rows(2))  # interrupted: never finished
    done = promoready("report", "--db", db_url, "--cycle", "partial", "--format", "json",
                      "--out", str(tmp_path / "p.json"))
    assert done.returncode == 0
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert data["cycle"]["complete"] is False and data["summary"]["packets"] == 2
    assert done.stderr == ("promoready: warning: cycle 'partial' is incomplete in the store (its batch stopped before "
                           "the end): the report covers only the 2 packets recorded so far; the same 'promoready "
                           "batch … --cycle partial --resume' completes it\n")
    page = promoready("report", "--db", db_url, "--cycle", "partial", "--out", str(tmp_path / "p.html"))
    assert page.returncode == 0 and page.stderr == done.stderr
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    # The page's notice is the warning's sentence (one wording): names and commands as code, a capital, a stop.
    assert ('<p class="note incomplete" id="incomplete"><strong>Incomplete cycle.</strong> Cycle <code>partial</code> '
            "is incomplete in the store (its batch stopped before the end): the report covers only the 2 packets "
            "recorded so far; the same <code>promoready batch … --cycle partial --resume</code> completes it.</p>") in html
    compared = promoready("report", "--db", db_url, "--cycle", "whole", "--compare-cycle", "partial",
                          "--out", str(tmp_path / "c.html"))
    assert compared.returncode == 0 and compared.stderr.count("promoready: warning:") == 1
    said = ("cycle 'partial', compared with, is incomplete in the store (its batch stopped before the end): only the "
            "decisions recorded so far are compared, so candidates missing from it count as new")
    assert compared.stderr == f"promoready: warning: {said}\n"
    html = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert html.count('class="note incomplete"') == 1
    on_page = "C" + said[1:].replace("'partial'", "<code>partial</code>")
    assert f"<strong>Incomplete cycle.</strong> {on_page}.</p>" in html


def test_one_packet_recorded_is_one_packet_not_1_packets(db_url, tmp_path):  # noqa: F811
    from promoready.store import decision_rows, open_store

    with open_store(db_url, create=True) as store:
        store.write(store.start_cycle("one"), [decision_rows("c-0.json", 0, decide(packet("c-0")))])
    done = promoready("report", "--db", db_url, "--cycle", "one", "--out", str(tmp_path / "one.html"))
    assert done.returncode == 0 and "covers only the 1 packet recorded so far;" in done.stderr, done.stderr
    html = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert "only the 1 packet recorded so far" in html and "1 packets" not in html and "--resume" in html


def test_an_unknown_cycle_is_named_with_the_closest(recorded):
    db, folder = recorded
    done = promoready("report", "--db", db, "--cycle", "2026-H3", "--out", str(folder / "r.html"))
    assert done.returncode == 2 and "[usage.cycle]" in done.stderr and "'2026-H2'" in done.stderr
    assert not (folder / "r.html").exists()


@pytest.mark.parametrize("args, words", [
    ((), "a DECISIONS.jsonl"),
    (("x.jsonl", "--cycle", "c"), "not both"),
    (("--cycle", "c", "--compare", "x.jsonl", "--compare-cycle", "d"), "not both"),
    (("x.jsonl", "--db", "h.sqlite"), "--db needs --cycle"),
])
def test_sources_that_cannot_go_together_are_usage_errors(tmp_path, args, words):
    done = promoready("report", *args, "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "[usage.store-options]" in done.stderr and words in done.stderr


def test_a_notice_is_one_sentence_on_the_page_and_on_stderr_escaped_in_each():
    """The page's note and the warning come from one wording (``report.notices``); a hostile cycle name is
    escaped in both (``printable``), and HTML-escaped on the page."""
    from promoready.cli._report import incomplete
    from promoready.report import notices
    from promoready.report._html import _sentence

    data = {"cycle": {"name": "p\u202e<b>", "complete": False, "log": False}, "summary": {"packets": 2},
            "compare": {"before": "q\x1b[31m", "before_complete": False}}
    found = notices(data)
    assert [(n.where, n.kind, n.warn) for n in found] == [("cycle", "incomplete", True), ("compare", "incomplete", True)]
    lines = incomplete(data)
    assert lines[0].startswith("cycle 'p\\u202e<b>' is incomplete in the store") and "\u202e" not in lines[0]
    assert lines[1].startswith("cycle 'q\\x1b[31m', compared with, is incomplete") and "\x1b" not in lines[1]
    page = str(_sentence(found[0].sentence))
    assert page.startswith("Cycle <code>p\\u202e&lt;b&gt;</code> is incomplete in the store") and page.endswith(" completes it.")
    assert "<code>promoready batch … --cycle p\\u202e&lt;b&gt; --resume</code>" in page
