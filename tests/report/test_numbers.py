"""Every number the page shares with the batch summary is the batch summary's, for the same input.

The cycle is generated (tests/report/report_cycle.py) and evaluated by ``promoready batch --summary
FILE.json``; the report is then drawn from the decisions that batch wrote, and both the JSON form and
the page are checked against that summary file.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from report_cycle import Generated, shared_cycle


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "promoready", "report", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def cycle() -> Generated:
    return shared_cycle()


@pytest.fixture(scope="module")
def drawn(cycle, tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("drawn")
    html, data = out / "report.html", out / "report.json"
    for path, fmt in ((html, "html"), (data, "json")):
        proc = report(str(cycle.decisions), "--groups", str(cycle.groups), "--out", str(path), "--format", fmt)
        assert proc.returncode == 0, proc.stderr
    return {"html": html.read_text(encoding="utf-8"), "data": json.loads(data.read_text(encoding="utf-8"))}


def without_sources(summary: dict) -> dict:
    """The batch summary names each decision's packet file; the report, reading decisions, its line there.

    (Error records carry their packet's source, so the report's ``errored`` entries name it too.)
    """
    s = copy.deepcopy(summary)
    for d in s["calibration"]["disagreements"] + s["warned"]:
        d.pop("source")
    for t in s["transitions"]:
        for r in t["ready_candidates"]:
            r.pop("source")
    for d in s["duplicate_candidates"]:
        d.pop("sources")
    return s


def test_json_summary_is_the_batch_summary(cycle, drawn):
    assert cycle.summary["calibration"]["with_committee_outcome"] > 100  # the cycle does exercise calibration
    assert without_sources(drawn["data"]["summary"]) == without_sources(cycle.summary)


def test_tracks_and_blocking_add_up_to_the_batch_summary(cycle, drawn):
    data, s = drawn["data"], cycle.summary
    per_transition: dict = {}
    for t in data["tracks"]:
        row = per_transition.setdefault((t["from"], t["to"]), {v: 0 for v in s["verdicts"]})
        for v, n in t["verdicts"].items():
            row[v] += n
    assert per_transition == {(t["from"], t["to"]): t["verdicts"] for t in s["transitions"]}
    blockers: dict = {}
    for b in data["blocking"]:
        for r in b["required_fail"]:
            blockers[r["criterion"]] = blockers.get(r["criterion"], 0) + r["candidates"]
    assert blockers == {b["criterion"]: b["candidates"] for b in s["top_blockers"]}
    assert [b["required_fail"] for b in data["blocking"]] == [t["blockers"] for t in s["transitions"]]


class Cells(HTMLParser):
    """Text of every element with a ``data-s`` (a batch-summary key) and of every row with ``data-track``/``data-blocking``."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[str, str]] = []
        self.rows: dict[str, list[str]] = {}
        self._key: Any = None
        self._row: Any = None
        self._cell: Any = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if "data-s" in a:
            self._key = [a["data-s"], ""]
        if tag == "tr" and ("data-track" in a or "data-blocking" in a):
            self._row = ("track:" + a["data-track"]) if "data-track" in a else ("blocking:" + a["data-blocking"])
            self.rows[self._row] = []
        if tag == "td" and self._row is not None:
            self._cell = ""

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            self._key[1] += data
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag: str) -> None:
        if self._key is not None and tag in ("dd", "span", "td"):
            self.keys.append(tuple(self._key))
            self._key = None
        if tag == "td" and self._cell is not None:
            self.rows[self._row].append(self._cell.strip())
            self._cell = None
        if tag == "tr":
            self._row = None


def number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def lookup(summary: dict, key: str) -> Any:
    value: Any = summary
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_every_summary_number_in_the_page_is_the_batch_summarys(cycle, drawn):
    cells = Cells()
    cells.feed(drawn["html"])
    assert len(cells.keys) >= 10
    for key, text in cells.keys:
        assert number(text) == lookup(cycle.summary, key), key
    tracks = {k: v for k, v in cells.rows.items() if k.startswith("track:")}
    per_transition: dict = {}
    for key, row in tracks.items():
        a, b, _track = key[len("track:"):].split("|")
        counts = per_transition.setdefault((a, b), [0, 0, 0, 0])
        for i, text in enumerate(row[2:6]):
            counts[i] += number(text)
    expected = {(t["from"], t["to"]): [t["count"], t["verdicts"]["ready"], t["verdicts"]["not_ready"],
                                       t["verdicts"]["insufficient_evidence"]] for t in cycle.summary["transitions"]}
    assert per_transition == expected
    # Each transition's blocking rows: the required fails are the batch summary's code on that transition.
    blocking = {k[len("blocking:"):]: v for k, v in cells.rows.items() if k.startswith("blocking:")}
    assert blocking
    by_data = {f"{t['from']}|{t['to']}|{r['criterion']}": r for t in cycle.summary["transitions"] for r in t["blockers"]}
    for key, row in blocking.items():
        assert number(row[1]) == (by_data[key]["candidates"] if key in by_data else 0), key

