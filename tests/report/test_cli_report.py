"""``promoready report`` as a command: what it writes, its exit statuses, and its refusals."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from report_records import criterion, decision, write_jsonl

from promoready.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def cycle(tmp_path):
    return write_jsonl(tmp_path / "d.jsonl", [
        decision(f"c{i}", "ready" if i % 3 else "not_ready", [criterion("x", "pass" if i % 3 else "fail")],
                 committee="promoted" if i % 4 == 0 else None) for i in range(30)])


def test_writes_a_self_contained_page(tmp_path):
    out = tmp_path / "r.html"
    result = run("report", str(cycle(tmp_path)), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|srcset|action|data)=|@import|url\((?!#)|href=\"(?!#)|xlink:href=\"(?!#)", page)
    assert len(re.findall(r'<svg [^>]*class="chart"', page)) >= 3
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # charts inline in one document must not share clip-path or bar ids


def test_json_has_the_same_figures(tmp_path):
    out = tmp_path / "r.json"
    assert run("report", str(cycle(tmp_path)), "--out", str(out), "--format", "json").exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["verdicts"] == {"ready": 20, "not_ready": 10, "insufficient_evidence": 0}
    assert data["fairness"] is None and data["compare"] is None


def test_text_from_decisions_is_escaped_in_tables_and_charts(tmp_path):
    evil = '<script>alert(1)</script><img src="http://x">'
    path = write_jsonl(tmp_path / "d.jsonl", [
        decision(evil, "not_ready", [criterion("x", "fail", title=evil, missing=[evil])], committee="promoted")])
    groups = tmp_path / "g.csv"
    groups.write_text(f'candidate_id,team\n"{evil.replace(chr(34), chr(34) * 2)}",{evil.replace(",", "")}\n',
                      encoding="utf-8")
    out = tmp_path / "r.html"
    result = run("report", str(path), "--groups", str(groups), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_every_chart_label_is_escaped_once_on_one_path(monkeypatch):
    """Chart labels are made printable in one place (``_charts._x``): a label cut to fit was once escaped
    twice, by the cut and again by the bars (harmless only because ``printable`` is idempotent)."""
    from promoready.report import _charts

    monkeypatch.setattr(_charts, "printable", lambda text: f"QQ{text}QQ")
    svgs = [
        _charts.blocking({"top": [{"title": "Ships", "fail": 2, "unknown": 1}], "count": 3}, "blocking-0"),
        _charts.missing([{"path": "scope.products", "candidates": 2}]),
        _charts.verdicts([{"from": "pm", "to": "senior-pm", "track": "ic",
                           "verdicts": {"ready": 1, "not_ready": 1, "insufficient_evidence": 0}}]),
        _charts.pass_rate_change([{"from": "pm", "to": "senior-pm", "title": "Ships", "change": 0.25}]),
        _charts.ready_by([{"month": "2027-01", "candidates": 1}]),
    ]
    for svg, label in zip(svgs, ("QQShipsQQ", "QQscope.productsQQ", "QQpm → senior-pm  (ic)QQ",
                                 "QQpm → senior-pm: ShipsQQ", "QQ2027-01QQ")):
        assert label in svg and "QQQQ" not in svg, label


def test_min_group_below_three_is_a_usage_error(tmp_path):
    result = run("report", str(cycle(tmp_path)), "--out", str(tmp_path / "r.html"), "--min-group", "2")
    assert result.exit_code == 2
    assert "--min-group" in result.stderr and "[usage.min-group]" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_bad_input_exits_2_naming_the_file_and_line_and_writes_nothing(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(decision("a", "ready", [criterion("x", "pass")])) + "\n{\"verdict\": 1}\n",
                    encoding="utf-8")
    out = tmp_path / "r.html"
    result = run("report", str(path), "--out", str(out))
    assert result.exit_code == 2
    assert f"{path}:2: candidate_id:" in result.stderr and "[input.decision]" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_files_and_folders(tmp_path):
    result = run("report", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "[input.not-found]" in result.stderr
    result = run("report", str(cycle(tmp_path)), "--groups", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "nope.csv" in result.stderr and "[input.not-found]" in result.stderr
    result = run("report", str(cycle(tmp_path)), "--out", str(tmp_path / "no" / "r.html"))
    assert result.exit_code == 2 and "[usage.out]" in result.stderr


def test_an_earlier_report_stays_whole_when_the_new_one_fails(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("previous", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    assert run("report", str(bad), "--out", str(out)).exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_empty_decisions_file_is_bad_input_not_an_empty_report(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    result = run("report", str(empty), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "[input.empty]" in result.stderr and str(empty) in result.stderr
    result = run("report", str(cycle(tmp_path)), "--compare", str(empty), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "[input.empty]" in result.stderr


def test_the_same_decisions_give_the_same_bytes(tmp_path):
    path = cycle(tmp_path)
    pages = []
    for name in ("a.html", "b.html"):
        assert run("report", str(path), "--out", str(tmp_path / name)).exit_code == 0
        pages.append((tmp_path / name).read_bytes())
    assert pages[0] == pages[1]


def test_the_page_lists_the_criterion_a_group_fails_and_not_the_group_it_favours(tmp_path):
    from promoready.report._html import _flagged

    # Criterion x: group a passes 10 of 10, group b 1 of 10. b is listed (ratio 0.1); a, better off, is not.
    records = [decision(f"a{i}", "ready", [criterion("x", "pass")]) for i in range(10)]
    records += [decision(f"b{i}", "not_ready", [criterion("x", "pass" if i == 0 else "fail")]) for i in range(10)]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    groups = tmp_path / "g.csv"
    groups.write_text("candidate_id,team\n" + "".join(f"{r['candidate_id']},{r['candidate_id'][0]}\n" for r in records),
                      encoding="utf-8")
    out = tmp_path / "r.json"
    assert run("report", str(path), "--groups", str(groups), "--out", str(out), "--format", "json").exit_code == 0
    rows = _flagged(json.loads(out.read_text(encoding="utf-8"))["fairness"])
    assert [(r["group"], r["criterion"], r["hits"], r["n"]) for r in rows] == [("b", "x", 1, 10)]
    assert rows[0]["p_value"] < 0.05 and rows[0]["flag"]


def test_error_records_are_counted_and_listed_by_code(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [
        decision("a", "ready", [criterion("x", "pass")]),
        {"error": {"code": "packet.missing", "message": "m"}, "source": "p.yaml", "candidate_id": None},
        {"error": {"code": "packet.missing", "message": "m"}, "source": "q.yaml", "candidate_id": None},
    ])
    out = tmp_path / "r.html"
    assert run("report", str(path), "--out", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert '<dd data-s="errors">2</dd>' in page and '<dd data-s="packets">3</dd>' in page
    assert "<td><code>packet.missing</code></td><td>2</td>" in page


def test_control_and_bidi_characters_are_shown_escaped(tmp_path):
    """Jinja escapes HTML, not control or bidirectional-control characters: those are shown escaped too."""
    hostile = "emp-2071\x00\x1b[31m\u202e"
    title = "Ships\x1b[2J \u2066everything\u2069"
    rows = [decision(hostile, "not_ready", [criterion("x", "fail", title=title)], committee="promoted")]
    rows += [decision(f"c{i}", "ready", [criterion("x", "pass", title=title)]) for i in range(5)]
    source = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "r.html"
    result = run("report", str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "emp-2071\\x00\\x1b[31m\\u202e" in page and "Ships\\x1b[2J \\u2066everything\\u2069" in page
    assert not any(c in page for c in "\x00\x1b\u202e\u2066\u2069")


def test_a_groups_file_that_matches_no_decision_is_warned_about(tmp_path):
    path = cycle(tmp_path)  # candidates c0 … c29
    groups = tmp_path / "g.csv"
    groups.write_text("candidate_id,team\nC-01,a\nA-2,b\n", encoding="utf-8")  # the first in the file, not the least
    out = tmp_path / "r.json"
    result = run("report", str(path), "--groups", str(groups), "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"promoready: warning: {groups}: none of its 2 rows has a decision's candidate_id (the "
                             "first is 'C-01'; the closest a decision has is 'c0'), so every candidate is in "
                             '"(not recorded)" and the adverse-impact check compares nothing\n')
    fairness = json.loads(out.read_text(encoding="utf-8"))["fairness"]
    assert fairness["matched"] == 0
    assert fairness["unmatched_example"] == {"candidate_id": "C-01", "closest_decision": "c0"}

    groups.write_text("candidate_id,team\n", encoding="utf-8")
    result = run("report", str(path), "--groups", str(groups), "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"promoready: warning: {groups}: the groups file has a header and no rows, so every "
                             'candidate is in "(not recorded)" and the adverse-impact check compares nothing\n')


def test_a_groups_file_that_matches_some_decisions_is_not_warned_about(tmp_path):
    groups = tmp_path / "g.csv"
    groups.write_text("candidate_id,team\nc1,a\nsomeone-else,b\n", encoding="utf-8")
    out = tmp_path / "r.json"
    result = run("report", str(cycle(tmp_path)), "--groups", str(groups), "--out", str(out), "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    fairness = json.loads(out.read_text(encoding="utf-8"))["fairness"]
    assert (fairness["matched"], fairness["unmatched"], fairness["unmatched_example"]) == (1, 1, None)
