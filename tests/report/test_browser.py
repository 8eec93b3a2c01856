"""The report in a real browser: headless Chromium, network off, the page must fetch nothing and draw
every chart; and the issue's done-when check on a generated 2,000-packet cycle.

The screenshot of the done-when page is kept under .ci/artifacts/ (git-ignored) as CI's artifact.
Without Chromium these tests fail, unless PROMOREADY_SKIP_BROWSER=1 (see report_browser.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from report_browser import open_page  # tests/report/report_browser.py (pytest puts this folder on sys.path)
from report_cycle import DISADVANTAGED, ROOT, SMALL_GROUP, Generated, shared_cycle

from promoready.report._html import CSP

ARTIFACTS = ROOT / ".ci" / "artifacts"

#: Evaluated in the page: drawn bars per chart (an element with a box), totals, and the fairness rows.
PROBE = """JSON.stringify({
  bars: Object.fromEntries([...document.querySelectorAll('svg.chart')].map(svg => [svg.dataset.chart,
        [...svg.querySelectorAll('[id*="-bar-"]')].filter(e => { const r = e.getBoundingClientRect();
                                                                  return r.width > 0 && r.height > 0; }).length])),
  totals: Object.fromEntries([...document.querySelectorAll('[data-s]')].map(e => [e.dataset.s, e.textContent.trim()])),
  fairness: [...document.querySelectorAll('table.fairness tr[data-group]')].map(tr => ({
        attribute: tr.closest('table').dataset.attribute, transition: tr.closest('table').dataset.transition,
        group: tr.dataset.group, flag: tr.dataset.flag || null, suppressed: tr.dataset.suppressed || null,
        text: tr.textContent})),
  width: document.documentElement.scrollWidth,
  csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content
})"""


@pytest.fixture(scope="module")
def cycle() -> Generated:
    return shared_cycle()


def probe(file: Path, **kwargs) -> tuple:
    page = open_page(file, PROBE, **kwargs)
    return page, json.loads(page.result)


def test_the_harness_sees_a_request_when_a_page_makes_one(tmp_path):
    page_file = tmp_path / "fetches.html"
    page_file.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png"><p>x</p>', encoding="utf-8")
    page = open_page(page_file, "1", full_page=False)
    assert page.requests == ["http://example.invalid/x.png"]


def test_the_reports_policy_blocks_a_fetch_and_the_harness_sees_both(tmp_path):
    # Chromium announces the attempt (Network.requestWillBeSent) and then blocks it: the report's
    # test counts attempts, so a page that tried to fetch anything would fail it even under the policy.
    page_file = tmp_path / "blocked.html"
    page_file.write_text(f'<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="{CSP}">'
                         '<img src="http://example.invalid/x.png"><p>x</p>', encoding="utf-8")
    page = open_page(page_file, "1", full_page=False)
    assert page.requests == ["http://example.invalid/x.png"]
    assert any("violates the following Content Security Policy" in json.dumps(entry) for entry in page.log), page.log


def expected_bars(data: dict) -> dict:
    """How many bars each chart must show, from the report's JSON form (zero values draw no bar)."""
    bars = {"verdicts": sum(1 for t in data["tracks"] for n in t["verdicts"].values() if n)}
    for i, b in enumerate(data["blocking"]):
        if b["top"]:
            bars[f"blocking-{i}"] = sum((r["fail"] > 0) + (r["unknown"] > 0) for r in b["top"])
    if data["summary"]["most_missing"]:
        bars["missing"] = min(15, len(data["summary"]["most_missing"]))
    if data["ready_by"]["by_month"]:
        bars["ready-by"] = len(data["ready_by"]["by_month"])
    if data["calibration"]["matrix"]:
        bars["calibration"] = sum(1 for m in data["calibration"]["matrix"] if m["decisions"])
    if data["compare"] and data["compare"]["criteria"]:
        bars["compare"] = sum(1 for r in data["compare"]["criteria"][:15] if r["change"])
    return bars


def an_earlier_cycle(decisions: Path, out: Path) -> Path:
    """The same decisions with every 7th ready candidate not ready yet, and a criterion they passed failed."""
    lines = []
    for i, line in enumerate(decisions.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        if i % 7 == 0 and record["verdict"] == "ready":
            record["verdict"] = "not_ready"
            record["criteria"][0]["status"] = "fail"
        elif i % 11 == 0 and record["verdict"] == "not_ready":
            record["verdict"] = "ready"
        lines.append(json.dumps(record))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_done_when_a_generated_cycle_renders_offline_with_every_chart_and_the_planted_findings(cycle, tmp_path):
    before = an_earlier_cycle(cycle.decisions, tmp_path / "before.jsonl")
    html, data_file = tmp_path / "report.html", tmp_path / "report.json"
    for out, fmt in ((html, "html"), (data_file, "json")):
        proc = subprocess.run([sys.executable, "-m", "promoready", "report", str(cycle.decisions), "--groups",
                               str(cycle.groups), "--compare", str(before), "--out", str(out), "--format", fmt],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
    data = json.loads(data_file.read_text(encoding="utf-8"))

    page, seen = probe(html, pdf=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(page.screenshot)
    (ARTIFACTS / "report.pdf").write_bytes(page.pdf)
    # It prints: a PDF of several A4 pages (the print styles keep charts and rows whole).
    assert page.pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", page.pdf)) >= 5

    assert page.requests == []  # nothing fetched, with the network off
    assert seen["csp"] == CSP
    assert not [e for e in page.log if "error" in json.dumps(e).lower()], page.log  # no CSP violation, no error
    assert seen["width"] <= 1280  # nothing overflows a laptop screen sideways

    # Every chart drawn, with the bars the figures call for.
    wanted = expected_bars(data)
    assert {"verdicts", "missing", "ready-by", "calibration", "compare"} <= set(wanted)
    assert seen["bars"] == wanted

    # The page's totals are the batch summary's.
    for key in ("packets", "errors", "verdicts.ready", "verdicts.not_ready", "verdicts.insufficient_evidence",
                "calibration.with_committee_outcome", "calibration.agree", "calibration.disagree"):
        value = cycle.summary
        for part in key.split("."):
            value = value[part]
        assert int(seen["totals"][key].replace(",", "")) == value, key

    # The planted disparity is flagged (four-fifths) in most transitions; the other group never is.
    attribute, group = DISADVANTAGED
    rows = [r for r in seen["fairness"] if r["attribute"] == attribute]
    flagged = {r["transition"] for r in rows if r["group"] == group and r["flag"] == "four-fifths"}
    transitions = {r["transition"] for r in rows}
    assert len(flagged) >= len(transitions) * 2 // 3, (flagged, transitions)
    assert not [r for r in rows if r["group"] != group and r["flag"]]

    # The planted small group is suppressed, with exactly one complementary group, and shows no figure.
    attribute, small, size = SMALL_GROUP
    where = "|".join(cycle.small_transition)
    table = [r for r in seen["fairness"] if r["attribute"] == attribute and r["transition"] == where]
    hidden = {r["group"]: r["suppressed"] for r in table if r["suppressed"]}
    assert hidden.pop(small) == "small"
    assert list(hidden.values()) == ["complementary"]
    for r in table:
        if r["suppressed"]:
            assert not any(ch.isdigit() for ch in r["text"].replace(str(5), "")), r["text"]
    # …and nowhere else does the small group appear (it exists in one transition only).
    assert all(r["group"] != small for r in seen["fairness"] if r["attribute"] == attribute and r["transition"] != where)
