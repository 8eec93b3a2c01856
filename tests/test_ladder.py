"""Loading ladders: shape errors and meaning errors, each with file:line and a suggestion."""

from __future__ import annotations

import os
import shutil

import pytest

from promoready.engine import LadderInvalid, LadderError, ladder_digest, load_ladder
from promoready.schemas.ladder import Ladder

from conftest import TINY


@pytest.fixture
def broken(tmp_path):
    """A copy of the tiny ladder and a function that edits one of its files and loads it."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)

    def edit(file: str, old: str, new: str) -> LadderInvalid:
        path = folder / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))
        with pytest.raises(LadderInvalid) as err:
            load_ladder(str(folder))
        return err.value

    edit.folder = folder
    return edit


def only(err: LadderInvalid):
    assert len(err.problems) == 1, str(err)
    return err.problems[0]


def test_tiny_loads_and_round_trips():
    ladder = load_ladder(TINY)
    assert ladder.id == "tiny"
    assert [t.key for t in ladder.transitions] == ["junior-to-senior", "senior-to-head", "senior-to-lead"]
    dumped = ladder.model_dump(by_alias=True)
    again = Ladder.model_validate(dumped)
    assert again == ladder
    assert ladder_digest(again) == ladder_digest(ladder)


def test_digest_changes_with_content(broken):
    before = ladder_digest(load_ladder(TINY))
    path = broken.folder / "senior-to-lead.yaml"
    path.write_text(path.read_text().replace("gte: 6", "gte: 7"))
    assert ladder_digest(load_ladder(str(broken.folder))) != before


def test_unknown_measure_suggests(broken):
    p = only(broken("junior-to-senior.yaml", "measure: months_at_target", "measure: months_at_targt"))
    assert p.code == "ladder.unknown-measure"
    assert p.file.endswith("junior-to-senior.yaml") and p.line == 8
    assert p.path == "criteria[0].condition.measure"
    assert p.suggestion == "'months_at_target'"


def test_unknown_field_path_suggests(broken):
    err = broken("ladder.yaml", "field: experience.product_years", "field: experience.product_yers")
    p = only(err)
    assert (p.code, p.line, p.path) == ("ladder.unknown-field", 14, "measures.years.field")
    assert p.suggestion == "'experience.product_years'"
    assert "ladder.yaml:14: measures.years.field" in str(err)


def test_free_text_field_refused(broken):
    p = only(broken("ladder.yaml", "field: scope.owns_pnl", "field: candidate.name"))
    assert p.code == "ladder.free-text"


def test_unknown_key_suggests(broken):
    p = only(broken("junior-to-senior.yaml", "rationale: Consistency.", "rationnale: Consistency."))
    assert p.code == "ladder.shape"
    assert p.message == "unknown key 'rationnale'"
    assert p.suggestion == "'rationale'"


def test_missing_text_is_an_error(broken):
    p = broken("senior-to-lead.yaml", "unknown: Add reviews.", "")
    assert any(x.message == "missing required key 'unknown'" for x in p.problems)


def test_unknown_level_in_where_suggests(broken):
    p = only(broken("ladder.yaml", "level: {gte: target}", "level: {gte: senoir}"))
    assert p.code == "ladder.unknown-level" and p.suggestion == "'senior'"


def test_unknown_enum_operand(broken):
    p = only(broken("junior-to-senior.yaml", "in: [medium, high]", "in: [medium, hihg]"))
    assert p.code == "ladder.bad-operand" and p.suggestion == "'high'"
    assert p.path == "criteria[2].condition.all[1].any[1].in[1]"


def test_bool_compared_with_number(broken):
    p = only(broken("junior-to-senior.yaml", "{measure: documents, eq: true}", "{measure: documents, gte: 1}"))
    assert p.code == "ladder.bad-operand"


def test_rank_must_rise(broken):
    p = only(broken("ladder.yaml", "{id: lead, title: Lead PM, track: ic, rank: 3}",
                    "{id: lead, title: Lead PM, track: ic, rank: 2}"))
    assert p.code == "ladder.rank-not-rising"


def test_transition_to_wrong_track(broken):
    p = only(broken("senior-to-lead.yaml", "track: ic", "track: management"))
    assert p.code == "ladder.track"


def test_unused_measure(broken):
    err = broken("ladder.yaml", "measures:\n", "measures:\n  spare:\n    field: scope.teams\n")
    p = only(err)
    assert (p.code, p.path) == ("ladder.unused-measure", "measures.spare")


def test_unreachable_level(broken):
    os.remove(broken.folder / "senior-to-head.yaml")
    with pytest.raises(LadderInvalid) as err:
        load_ladder(str(broken.folder))
    codes = sorted((p.code, p.path) for p in err.value.problems)
    # Removing the only way to `head` leaves it unreachable and its two measures unused.
    assert codes == [("ladder.unreachable", "levels[3].id"), ("ladder.unused-measure", "measures.pnl"),
                     ("ladder.unused-measure", "measures.reports")]


def test_duplicate_ids(broken):
    p = only(broken("junior-to-senior.yaml", "id: experience", "id: next-level"))
    assert p.code == "ladder.duplicate-id"


def test_supporting_quota_beyond_supporting_criteria(broken):
    p = only(broken("junior-to-senior.yaml", "supporting_needed: 1", "supporting_needed: 4"))
    assert p.code == "ladder.supporting-quota"


def test_yaml_tags_refused(broken):
    p = only(broken("senior-to-lead.yaml", "title: Senior to Lead", "title: !!python/object/apply:os.system [echo]"))
    assert p.code == "input.yaml-tag" and p.line == 1


def test_duplicate_key_refused(broken):
    p = only(broken("senior-to-lead.yaml", "    required: true\n", "    required: true\n    required: false\n"))
    assert p.code == "input.duplicate-key"


def test_all_problems_reported_at_once(broken):
    (broken.folder / "senior-to-head.yaml").write_text(
        (broken.folder / "senior-to-head.yaml").read_text().replace("measure: reports", "measure: reprots"))
    err = broken("senior-to-lead.yaml", "measure: months_at_target", "measure: monthz")
    assert [p.code for p in err.problems] == ["ladder.unknown-measure", "ladder.unknown-measure"]
    assert str(err).startswith("2 problems in the ladder:")


def test_too_many_comparisons(broken):
    many = "\n".join(f"        - {{measure: reports, gte: {i}}}" for i in range(9))
    p = only(broken("senior-to-head.yaml", "    condition: {measure: reports, gte: 2}",
                    "    condition:\n      all:\n" + many))
    assert p.code == "ladder.too-complex"


def test_not_a_ladder(tmp_path):
    with pytest.raises(LadderError) as err:
        load_ladder(str(tmp_path))
    assert err.value.code == "ladder.not-a-ladder"
    with pytest.raises(LadderError) as err:
        load_ladder("product-managment")
    assert err.value.suggestion == "'product-management'"


def test_many_rules_together_load_and_evaluate(broken):
    """Each criterion fits and together they pass the old 500-rule limit of one ruleset: the compiler
    splits a transition's criteria across rulesets when needed, so such a ladder loads and decides."""
    from promoready.engine import Evaluator

    seven = "\n".join(f"          - {{measure: reports, gte: {i}}}" for i in range(7))  # 255 rules each
    extra = "".join(f"""  - id: big-{n}
    title: Big {n}
    required: false
    rationale: Size test.
    source: {{file: 003_5880cdde433e501b.txt, section: Phase 2}}
    condition:
      all:
{seven}
    text: {{pass: Yes., fail: No., unknown: Add it.}}
""" for n in range(2))
    path = broken.folder / "senior-to-head.yaml"
    path.write_text(path.read_text() + extra)
    engine = Evaluator(load_ladder(str(broken.folder)))
    for reports, status in ((None, "unknown"), (3, "fail"), (6, "pass")):
        packet = {"candidate": {"id": "emp-1"}, "current_level": "senior", "target_level": "head",
                  "as_of": "2026-11-01", "leadership": {"pm_reports": reports, "direct_reports": 9}}
        statuses = {c.id: c.status for c in engine.evaluate(packet).criteria}
        assert statuses["big-0"] == statuses["big-1"] == status


@pytest.mark.parametrize("link, code, words", [
    ("gone", "input.not-found", "no such file"),  # a link to a file that is not there
    ("loop", "input.unreadable", "cannot read"),  # a link to itself
    ("fifo", "input.unreadable", "not a plain file"),  # never opened: reading it waited for a writer for ever
])
def test_a_transition_file_that_cannot_be_read_is_named_not_skipped(tmp_path, link, code, words):
    # A name ending in .yaml that is not a readable file (a dangling link, a loop of links) was skipped
    # without a word: the ladder lost that transition, and validated "ok" when it had others.
    from fixture_files import bundled_copy

    folder = bundled_copy(tmp_path)
    path = os.path.join(folder, "zz-to-zz.yaml")
    if link == "fifo":
        os.mkfifo(path)
    else:
        os.symlink(os.path.join(tmp_path, "no-such-file.yaml") if link == "gone" else path, path)
    with pytest.raises(LadderError) as err:
        load_ladder(folder)
    assert (err.value.code, err.value.file) == (code, path) and words in str(err.value)
