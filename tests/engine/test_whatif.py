"""What-if: parsing ``PATH=VALUE`` / ``PATH+=VALUE``, applying changes to a copy of the packet, and
reporting which criteria (and the verdict) a change flips, on the tiny ladder."""

from __future__ import annotations

import copy
import json

import pytest

from promoready.engine import PacketError, UsageError, errors
from promoready.engine.whatif import apply_changes, parse_change, what_if

from conftest import TINY, evaluator


@pytest.mark.parametrize("text, path, append, value", [
    ("experience.product_years=5", ("experience", "product_years"), False, 5),
    ("reviews[0].rating=exceeds", ("reviews", 0, "rating"), False, "exceeds"),  # not JSON: a string
    ("reviews[1].rating = \"meets\"", ("reviews", 1, "rating"), False, "meets"),
    ("signals.documents_impact=null", ("signals", "documents_impact"), False, None),
    ('advocates+={"level": "ceo", "committed": true}', ("advocates",), True, {"level": "ceo", "committed": True}),
    ("influence.cross_functional_partners+=legal", ("influence", "cross_functional_partners"), True, "legal"),
])
def test_a_change_is_a_path_an_operation_and_a_value(text, path, append, value):
    change = parse_change(text)
    assert (change.path, change.append, change.value, change.text) == (path, append, value, text)


@pytest.mark.parametrize("text, words", [
    ("experience.product_years", "no '=' or '+='"),
    ("experience..product_years=1", "bad path segment ''"),
    ("reviews[x].rating=1", "bad path segment 'reviews[x]'"),
    ("[0].rating=1", "a path starts with a field name"),
])
def test_a_change_that_cannot_be_read_is_a_usage_error(text, words):
    with pytest.raises(UsageError) as err:
        parse_change(text)
    assert err.value.code == errors.USAGE_SET and err.value.path == "--set"
    assert words in err.value.message and repr(text) in err.value.message


def test_changes_apply_to_a_copy_creating_what_is_absent():
    data = {"candidate": {"id": "x"}, "reviews": [{"rating": "meets"}]}
    kept = copy.deepcopy(data)
    out = apply_changes(data, [parse_change(c) for c in (
        "scope.teams=3", "reviews[0].rating=exceeds", "advocates+={\"level\": \"ceo\"}", "advocates+=null",
        "leadership.pm_reports=2", "leadership.hires=null")])
    assert data == kept  # the caller's data is untouched
    assert out["scope"] == {"teams": 3}
    assert out["reviews"] == [{"rating": "exceeds"}]
    assert out["advocates"] == [{"level": "ceo"}, None]
    assert out["leadership"] == {"pm_reports": 2, "hires": None}


@pytest.mark.parametrize("text, words", [
    ("reviews[5].rating=meets", "reviews has no item [5] (it has 1)"),
    ("reviews.rating=meets", "reviews is a list, so it has no field 'rating' (name an item: reviews[0].rating)"),
    ("candidate.id.x=1", "candidate.id is text, so it has no field 'x'"),
    ("scope.teams.x=1", "scope.teams is a number, so it has no field 'x'"),
    ("scope[0]=1", "scope is not a list, so it has no item [0]"),
    ("scope+=1", "scope is not a list"),
])
def test_a_change_that_does_not_fit_the_packet_says_why(text, words):
    data = {"candidate": {"id": "x"}, "reviews": [{"rating": "meets"}], "scope": {"teams": 2}}
    with pytest.raises(UsageError) as err:
        apply_changes(data, [parse_change(text)])
    assert err.value.code == errors.USAGE_SET
    assert err.value.message.startswith(words), err.value.message


def test_what_if_reports_the_criteria_a_change_flips_and_the_verdict_before(tiny_packet):
    engine = evaluator(TINY)
    kept = copy.deepcopy(tiny_packet)
    result = what_if(engine, tiny_packet, ["reviews=[]", "signals.documents_impact=null"])
    assert tiny_packet == kept
    assert result.before.verdict == "ready" and result.after.verdict == "not_ready"
    assert [(s.id, s.before, s.after) for s in result.changed] == [
        ("next-level", "pass", "fail"), ("craft", "pass", "unknown"), ("not-stuck", "pass", "fail")]
    out = result.to_dict()
    assert out["verdict"] == "not_ready" and out["criteria"] == json.loads(result.after.to_json())["criteria"]
    assert out["what_if"] == {
        "set": ["reviews=[]", "signals.documents_impact=null"],
        "verdict_before": "ready",
        "changed": [{"id": s.id, "title": s.title, "before": s.before, "after": s.after} for s in result.changed],
    }


def test_appending_evidence_can_turn_a_fail_into_a_pass(tiny_packet):
    engine = evaluator(TINY)
    tiny_packet["advocates"] = []
    tiny_packet["influence"]["cross_functional_partners"] = ["eng"]
    tiny_packet["artifacts"] = [{"kind": "prd", "adopted_by_teams": 1, "horizon_months": 12}]
    result = what_if(engine, tiny_packet, ['advocates+={"level": "senior", "committed": true}'])
    assert [(s.id, s.before, s.after) for s in result.changed] == [("sponsors", "fail", "pass")]
    assert (result.before.verdict, result.after.verdict) == ("not_ready", "ready")


def test_a_change_that_flips_nothing_reports_nothing(tiny_packet):
    result = what_if(evaluator(TINY), tiny_packet, ["experience.product_years=3.6", "candidate.name=Someone Else"])
    assert result.changed == [] and result.before.verdict == result.after.verdict == "ready"
    assert result.after.criteria[1].actual != result.before.criteria[1].actual  # the figure did move


def test_a_change_that_makes_the_packet_invalid_is_blamed_on_the_change(tiny_packet):
    # The packet was valid: the change is at fault, and is named with the field it broke.
    from promoready.engine.whatif import ChangeInvalid

    with pytest.raises(ChangeInvalid) as err:
        what_if(evaluator(TINY), tiny_packet, ["experience.product_years=-1"])
    assert isinstance(err.value, PacketError)  # what the service answers 422 for, at packet.<path>
    assert err.value.code == errors.PACKET_GREATER_THAN_EQUAL and err.value.path == "experience.product_years"
    assert err.value.change == "experience.product_years=-1" and err.value.file is None
    assert str(err.value) == ("--set experience.product_years=-1: makes the packet invalid at experience.product_years: "
                              "must be at least 0, got -1 [packet.greater-than-equal]")
