"""Reading a decisions file: who time alone makes ready, comparisons, per-criterion group tables,
and bad input named by file, line and field."""

from __future__ import annotations

import datetime

import pytest

from report_records import criterion, decision, projected, write_jsonl

from promoready.engine.errors import PromoreadyError
from promoready.report._analysis import build
from promoready.report._cycle import read_cycle, time_alone
from promoready.report._groups import Groups, read_groups

TIME = projected("6 more months of reviews", "2027-03-01")
LATER = projected("1 more years of product management experience", "2027-09-15")


def test_time_alone_takes_the_last_date_of_the_required_gaps():
    record = decision("a", "not_ready", [criterion("reviews", "fail", next_step=TIME),
                                         criterion("years", "fail", next_step=LATER), criterion("craft", "pass")])
    assert time_alone(record) == datetime.date(2027, 9, 15)


def test_time_alone_takes_the_decisions_own_projection_when_it_has_one():
    record = decision("a", "not_ready", [criterion("reviews", "fail", next_step=TIME)])
    record["projection"] = {"date": "2028-01-31", "reason": "r", "waiting_on": ["reviews"], "blocked_by": []}
    assert time_alone(record) == datetime.date(2028, 1, 31)
    record["projection"] = {"date": None, "reason": "r", "waiting_on": [], "blocked_by": ["reviews"]}
    assert time_alone(record) is None  # the engine says time is not enough, whatever the words look like
    record["verdict"] = "ready"
    record["projection"]["date"] = "2026-11-01"  # ready now: not someone time would make ready
    assert time_alone(record) is None


def test_time_alone_needs_every_part_of_every_required_gap_to_be_time():
    mixed = f"{TIME}; raise product craft from 2 to 3"
    assert time_alone(decision("a", "not_ready", [criterion("reviews", "fail", next_step=mixed)])) is None
    assert time_alone(decision("a", "not_ready", [criterion("reviews", "fail", next_step=TIME),
                                                  criterion("craft", "fail", next_step="raise craft")])) is None
    # Required evidence missing: time will not bring it.
    assert time_alone(decision("a", "not_ready", [criterion("reviews", "fail", next_step=TIME),
                                                  criterion("advocate", "unknown")])) is None
    # Only not-ready candidates are projected.
    assert time_alone(decision("a", "ready", [criterion("reviews", "pass")])) is None


def test_time_alone_meets_a_short_supporting_quota_with_the_earliest_time_gaps():
    record = decision("a", "not_ready", [
        criterion("reviews", "fail", next_step=TIME),
        criterion("s1", "fail", required=False, next_step=projected("2 more years managing people", "2029-01-01")),
        criterion("s2", "fail", required=False, next_step=projected("0.5 more years", "2027-06-01")),
        criterion("s3", "fail", required=False, next_step="write a strategy document"),
    ], needed=1)
    assert time_alone(record) == datetime.date(2027, 6, 1)
    record["supporting"]["needed"] = 3  # s3 is not closed by time: the quota cannot be met
    assert time_alone(record) is None


def test_summary_counts_tracks_and_calibration(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [
        decision("a", "ready", [criterion("x", "pass")], committee="promoted"),
        decision("b", "not_ready", [criterion("x", "fail", missing=["reviews"])], committee="promoted"),
        decision("c", "insufficient_evidence", [criterion("x", "unknown", missing=["reviews"])], track="mgmt"),
        {"error": {"code": "packet.missing"}, "source": "p.yaml", "candidate_id": None},
    ])
    data = build(read_cycle(str(path)))
    s = data["summary"]
    assert (s["packets"], s["decisions"], s["errors"]) == (4, 3, 1)
    assert s["most_missing"] == [{"path": "reviews", "candidates": 2}]
    assert {(t["track"], t["count"]) for t in data["tracks"]} == {("ic", 2), ("mgmt", 1)}
    assert data["calibration"]["disagree"] == 1
    assert data["calibration"]["disagreements"][0]["candidate_id"] == "b"
    assert data["calibration"]["disagreements"][0]["source"] == f"{path}:2"
    block = data["blocking"][0]
    assert block["top"] == [{"criterion": "x", "title": "x", "fail": 1, "unknown": 1}]


def test_compare_finds_who_became_ready_who_regressed_and_how_criteria_moved(tmp_path):
    before = write_jsonl(tmp_path / "before.jsonl", [
        decision("a", "not_ready", [criterion("x", "fail")]),
        decision("b", "ready", [criterion("x", "pass")]),
        decision("c", "ready", [criterion("x", "pass")]),
        decision("gone", "ready", [criterion("x", "pass")]),
    ])
    after = write_jsonl(tmp_path / "after.jsonl", [
        decision("a", "ready", [criterion("x", "pass")]),
        decision("b", "not_ready", [criterion("x", "fail")]),
        decision("c", "ready", [criterion("x", "pass")]),
        decision("new", "not_ready", [criterion("x", "fail")]),
    ])
    c = build(read_cycle(str(after)), before=read_cycle(str(before)))["compare"]
    assert [r["candidate_id"] for r in c["became_ready"]] == ["a"]
    assert [r["candidate_id"] for r in c["regressed"]] == ["b"]
    assert (c["in_both"], c["new"], c["gone"]) == (3, 1, 1)
    (x,) = c["criteria"]
    assert (x["before"]["passed"], x["before"]["evaluated"], x["after"]["passed"], x["after"]["evaluated"]) == (3, 4, 2, 4)
    assert x["change"] == pytest.approx(-0.25)


def test_group_tables_per_transition_and_per_criterion(tmp_path):
    # 10 "a" all pass x; 10 "b" of whom 2 pass x; y passes for everyone. 3 "c": suppressed, "a" or "b" with it.
    records = [decision(f"a{i}", "ready", [criterion("x", "pass"), criterion("y", "pass")]) for i in range(10)]
    records += [decision(f"b{i}", "ready" if i < 2 else "not_ready",
                         [criterion("x", "pass" if i < 2 else "fail"), criterion("y", "pass")]) for i in range(10)]
    records += [decision(f"c{i}", "ready", [criterion("x", "pass"), criterion("y", "pass")]) for i in range(3)]
    cycle = read_cycle(str(write_jsonl(tmp_path / "d.jsonl", records)))
    groups = Groups(["g"], {r["candidate_id"]: {"g": r["candidate_id"][0]} for r in records})
    f = build(cycle, groups=groups)["fairness"]
    (table,) = f["attributes"][0]["transitions"]
    cells = {c["group"]: c for c in table["groups"]}
    assert cells["c"]["suppressed"] == "small" and cells["c"]["n"] is None
    assert cells["a"]["suppressed"] == "complementary"  # a and b both 10: the tie goes by name
    assert cells["b"]["n"] == 10 and cells["b"]["hits"] == 2
    by_criterion = {c["criterion"]: {g["group"]: g for g in c["groups"]} for c in table["criteria"]}
    assert by_criterion["x"]["b"]["rate"] == pytest.approx(0.2)
    assert by_criterion["x"]["c"]["suppressed"] == "small" and by_criterion["x"]["a"]["suppressed"] == "complementary"
    # With --min-group 3 nothing is hidden: b's x pass rate is a fifth of a's, flagged; y is the same for all.
    f3 = build(cycle, groups=groups, min_group=3)["fairness"]
    by_criterion = {c["criterion"]: {g["group"]: g for g in c["groups"]} for c in f3["attributes"][0]["transitions"][0]["criteria"]}
    assert by_criterion["x"]["b"]["flag"] and by_criterion["x"]["b"]["ratio"] == pytest.approx(0.2)
    assert not any(g["flag"] for g in by_criterion["y"].values())


@pytest.mark.parametrize("line, where, words", [
    ('{"candidate_id": "a", "verdict": "maybe"}', "verdict", "expected one of"),
    ('{"verdict": "ready"}', "candidate_id", "candidate_id"),
    ('{"candidate_id": "a", "verdict": "ready", "transition": {"from": "pm", "to": "x"}, "criteria": [{"id": "x", "status": "passed"}]}',
     "criteria[0].status", "pass, fail or unknown"),
    ("[1, 2]", None, "JSON object"),
    ("{not json", None, "not JSON"),
])
def test_a_bad_line_is_named_by_file_line_and_field(tmp_path, line, where, words):
    good = decision("ok", "ready", [criterion("x", "pass")])
    path = tmp_path / "d.jsonl"
    path.write_text(__import__("json").dumps(good) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(PromoreadyError) as info:
        read_cycle(str(path))
    err = info.value
    assert (err.file, err.line, err.path) == (str(path), 2, where)
    assert words in err.message and err.exit_code == 2


@pytest.mark.parametrize("text, line, words, suggestion", [
    ("candidate,gender\na,f\n", 1, "no candidate_id column", "if 'candidate' holds the ids"),
    ("candidate_id\na\n", 1, "no attribute column", None),
    ("candidate_id,gender\na,f\na,m\n", 3, "has a row already", None),
    ("candidate_id,gender\na,f,extra\n", 2, "2 columns", None),
    ("candidate_id,gender,gender\na,f,m\n", 1, "two columns", None),
])
def test_a_bad_groups_file_is_named_by_line(tmp_path, text, line, words, suggestion):
    path = tmp_path / "groups.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromoreadyError) as info:
        read_groups(str(path))
    assert info.value.line == line and words in info.value.message and info.value.code == "input.groups"
    if suggestion:
        assert suggestion in info.value.message


@pytest.mark.parametrize("text, line, path, words", [
    # A quote left open would take every later row into one cell, and the analysis would run over nothing.
    ('candidate_id,gender,band\na,f,<30\nb,f,"<30\nc,m,<30\nd,m,30-45\n', 3, "band",
     "column 3: a quote opens here and is never closed, so the cell would take in the rest of the file (lines 3 to 5)"),
    ('candidate_id,gender,band\na,f,<30\nb,"f,<30\nc,m,<30\n', 3, "gender", "column 2: a quote opens here"),
    ('candidate_id,gender,band\na,"f\nx",<30\nb,m,<30\n', 2, "gender", "runs from here onto line 3"),
    ('candidate_id,gender,band\r\na,"f\r\nx",<30\r\nb,m,<30\r\n', 2, "gender", "runs from here onto line 3"),
    ('candidate_id,gender,band\na,f,<30\nb,m\x00,<30\n', 3, "gender", "column 2: a NUL byte"),
    ('candidate_id,"gen\nder",band\na,f,<30\n', 1, None, "column 2: a quoted cell runs from here onto line 2"),
])
def test_a_groups_cell_may_not_hold_a_line_break_or_a_nul(tmp_path, text, line, path, words):
    file = tmp_path / "groups.csv"
    file.write_bytes(text.encode("utf-8"))
    with pytest.raises(PromoreadyError) as info:
        read_groups(str(file))
    err = info.value
    assert (err.file, err.line, err.path, err.code) == (str(file), line, path, "input.groups")
    assert words in err.message


def test_a_quote_left_open_in_a_large_groups_file_is_named_as_such_at_its_line(tmp_path):
    # Past csv's field limit (128 KiB) the reader fails before the cell is whole: still the open quote.
    file = tmp_path / "groups.csv"
    rows = "".join(f"c-{n:05d},m,<30\n" for n in range(12_000))
    file.write_text(f'candidate_id,gender,band\na,f,<30\nb,f,"<30\n{rows}', encoding="utf-8")
    with pytest.raises(PromoreadyError) as info:
        read_groups(str(file))
    err = info.value
    assert (err.file, err.line, err.code) == (str(file), 3, "input.groups")
    assert "a quote opens on this line and is not closed within" in err.message


def test_a_groups_file_not_in_utf8_is_named_by_line_and_byte_as_a_packet_is(tmp_path):
    file = tmp_path / "groups.csv"
    file.write_bytes("\ufeffcandidate_id,gender\na,f\nb,Ren\u00e9e\n".encode("utf-8") + "c,Zo\u00eb\n".encode("latin-1"))
    with pytest.raises(PromoreadyError) as info:
        read_groups(str(file))
    err = info.value
    assert (err.file, err.line, err.code) == (str(file), 4, "input.encoding")
    assert err.message == "not UTF-8 text: byte 0xeb at column 5"


def test_a_groups_file_past_its_limit_is_refused_and_a_pipe_is_not_read_past_it(tmp_path, monkeypatch):
    # It is held in memory whole: bounded, so a huge export or an endless stream is refused, not read forever.
    from promoready.report import _groups

    monkeypatch.setattr(_groups, "MAX_BYTES", 1_000)
    file = tmp_path / "groups.csv"
    file.write_text("candidate_id,gender\n" + "".join(f"c-{n:04d},f\n" for n in range(200)), encoding="utf-8")
    with pytest.raises(PromoreadyError) as info:
        read_groups(str(file))
    err = info.value
    assert (err.file, err.code, err.path) == (str(file), "input.too-large", "--groups")
    assert err.message == "more than 1,000 bytes, the limit for a groups file"
    with pytest.raises(PromoreadyError) as info:  # a stream without an end
        read_groups("/dev/zero")
    assert info.value.code == "input.too-large"
    file.write_text("candidate_id,gender\na,f\n", encoding="utf-8")  # under the limit: read as before
    assert read_groups(str(file)).values == {"a": {"gender": "f"}}


def test_a_groups_file_may_start_with_a_bom(tmp_path):
    file = tmp_path / "groups.csv"
    file.write_bytes("\ufeffcandidate_id,gender\na,f\n".encode("utf-8"))
    assert read_groups(str(file)).values == {"a": {"gender": "f"}}


def test_groups_file_empty_cells_are_not_recorded(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("candidate_id,gender,band\na,f,\nb,,30-45\n", encoding="utf-8")
    groups = read_groups(str(path))
    assert groups.of("a", "band") == groups.of("b", "gender") == groups.of("zz", "gender") == "(not recorded)"
    assert groups.of("b", "band") == "30-45"
