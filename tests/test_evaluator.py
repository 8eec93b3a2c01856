"""The Evaluator on the tiny ladder: statuses, three-valued logic, verdicts, explanations, errors."""

from __future__ import annotations

import datetime
import json

import pytest

from promoready.engine import PacketError, PromoreadyError
from promoready.schemas.packet import Packet



def statuses(decision) -> dict[str, str]:
    return {c.id: c.status for c in decision.criteria}


def by_id(decision, cid):
    return next(c for c in decision.criteria if c.id == cid)


def test_full_packet_is_ready(tiny, tiny_packet):
    d = tiny.evaluate(tiny_packet)
    assert statuses(d) == {
        "next-level": "pass", "experience": "pass", "craft": "pass",
        "sponsors": "pass", "breadth": "pass", "not-stuck": "pass",
    }
    assert d.verdict == "ready"
    assert d.transition.from_ == "junior" and d.transition.to == "senior"
    assert d.summary.pass_ == 6 and d.next_steps == []


def test_absent_reviews_make_review_criteria_unknown_not_fail(tiny, tiny_packet):
    del tiny_packet["reviews"]
    d = tiny.evaluate(tiny_packet)
    assert by_id(d, "next-level").status == "unknown"
    assert by_id(d, "next-level").missing == ["reviews"]
    assert by_id(d, "not-stuck").status == "unknown"
    assert d.verdict == "insufficient_evidence"


def test_empty_reviews_are_known_and_fail(tiny, tiny_packet):
    tiny_packet["reviews"] = []
    d = tiny.evaluate(tiny_packet)
    assert by_id(d, "next-level").status == "fail"
    assert d.verdict == "not_ready"
    assert "6 more months of reviews at senior or above" in by_id(d, "next-level").next_step


def test_null_is_unknown_like_absent(tiny, tiny_packet):
    tiny_packet["reviews"] = None
    assert by_id(tiny.evaluate(tiny_packet), "next-level").status == "unknown"


def test_review_months_merge_overlaps_and_clip_to_as_of(tiny, tiny_packet):
    tiny_packet["reviews"] = [
        {"start": "2026-01-01", "end": "2026-03-31", "rating": "meets", "operating_level": "senior"},
        {"start": "2026-02-01", "end": "2026-04-30", "rating": "meets", "operating_level": "senior"},
        {"start": "2026-10-01", "end": "2027-03-31", "rating": "meets", "operating_level": "senior"},
    ]
    c = by_id(tiny.evaluate(tiny_packet), "next-level")
    # Jan 1 – Apr 30 is 4 calendar months; Oct 1 – Nov 1 (as_of) is 1 month and 1 day of November's 30:
    # 5 1/30 months, shown rounded down to the half month
    assert c.actual == "5 months (3 periods)"
    assert c.status == "fail"
    # The shortfall (29/30 of a month) rounds up to a whole month. The third period is under way until
    # 2027-03-31, so a date can be projected: Oct 1 – Nov 30 makes two whole months.
    assert c.next_step.startswith("1 more month of reviews at senior or above, projected 2026-11-30 if it continues")


def test_review_below_min_rating_does_not_count(tiny, tiny_packet):
    tiny_packet["reviews"][0]["rating"] = "below"
    tiny_packet["reviews"][1]["rating"] = "below"
    assert by_id(tiny.evaluate(tiny_packet), "next-level").status == "fail"


def test_review_missing_level_is_unknown_evidence(tiny, tiny_packet):
    del tiny_packet["reviews"][1]["operating_level"]
    c = by_id(tiny.evaluate(tiny_packet), "next-level")
    assert c.status == "unknown"
    assert c.missing == ["reviews[1].operating_level"]


@pytest.mark.parametrize(
    "size, years, expected",
    [
        ("startup", 2, "pass"), ("startup", 1.9999, "fail"), ("growth", 2.5, "fail"), ("enterprise", 4, "pass"),
        (None, 4, "pass"), (None, 1.5, "fail"), (None, 3, "unknown"),
    ],
)
def test_thresholds_by_organization_size(tiny, tiny_packet, size, years, expected):
    if size is None:
        del tiny_packet["organization"]
    else:
        tiny_packet["organization"]["size"] = size
    tiny_packet["experience"]["product_years"] = years
    c = by_id(tiny.evaluate(tiny_packet), "experience")
    assert c.status == expected
    if expected == "unknown":
        assert c.missing == ["organization.size"]


def test_all_any_not_three_valued(tiny, tiny_packet):
    # craft = documents AND (strategy >= 3 OR ambiguity in [medium, high])
    tiny_packet["competencies"] = {"strategy": 1}
    assert by_id(tiny.evaluate(tiny_packet), "craft").status == "pass"  # ambiguity high carries the any
    tiny_packet["scope"] = {}
    assert by_id(tiny.evaluate(tiny_packet), "craft").status == "unknown"  # any: fail or unknown → unknown
    tiny_packet["signals"]["documents_impact"] = False
    assert by_id(tiny.evaluate(tiny_packet), "craft").status == "fail"  # all: one fail → fail


def test_not_swaps_pass_and_fail(tiny, tiny_packet):
    tiny_packet["experience"]["current_level_since"] = "2020-01-01"  # > 60 months in level
    c = by_id(tiny.evaluate(tiny_packet), "not-stuck")
    assert c.status == "fail"


def test_supporting_quota_decides_verdict(tiny, tiny_packet):
    # Quota 1: fail all three supporting criteria → not ready though every required passes.
    tiny_packet["advocates"] = []
    tiny_packet["influence"]["cross_functional_partners"] = []
    tiny_packet["artifacts"] = []
    d = tiny.evaluate(tiny_packet)
    assert [c.status for c in d.criteria if c.required] == ["pass", "pass", "pass"]
    assert d.verdict == "not_ready"
    assert d.supporting.passed == 0 and d.supporting.needed == 1
    # One supporting criterion unknown and none passing → the quota is reachable only with evidence.
    del tiny_packet["advocates"]
    assert tiny.evaluate(tiny_packet).verdict == "insufficient_evidence"


def test_required_fail_beats_unknown(tiny, tiny_packet):
    tiny_packet["reviews"] = []
    del tiny_packet["signals"]
    d = tiny.evaluate(tiny_packet)
    assert by_id(d, "craft").status == "unknown"
    assert d.verdict == "not_ready"


def test_count_where_uses_level_ranks_and_titles(tiny, tiny_packet):
    tiny_packet["advocates"] = [
        {"level": "junior", "committed": True},  # below target
        {"level": "CEO", "committed": False},  # not committed
        {"level": "Sr PM", "committed": True},  # alias of the target: counts
    ]
    c = by_id(tiny.evaluate(tiny_packet), "sponsors")
    assert c.status == "pass"
    assert c.evidence == ["advocates[2]"]


def test_next_steps_are_ordered_smallest_first(tiny, tiny_packet):
    tiny_packet["reviews"] = []  # 6 months short: relative gap 1.0
    tiny_packet["experience"]["product_years"] = 2.9  # 0.1 short of 3: relative gap 0.03
    del tiny_packet["signals"]  # unknown: add evidence, gap 0
    steps = tiny.evaluate(tiny_packet).next_steps
    assert steps[0].startswith("Documents and rates well: add signals.documents_impact")
    assert steps[1].startswith("Years by organisation size: 0.1 more years")
    assert steps[2].startswith("Six months at the next level: 6 more months")


def test_as_of_fixes_the_clock(tiny, tiny_packet):
    del tiny_packet["as_of"]
    d1 = tiny.evaluate(tiny_packet, as_of=datetime.date(2026, 11, 1))
    tiny_packet["as_of"] = "2026-11-01"
    d2 = tiny.evaluate(tiny_packet)
    assert d1.as_of == d2.as_of == "2026-11-01"
    assert json.loads(d1.to_json())["criteria"] == json.loads(d2.to_json())["criteria"]


def test_same_packet_gives_identical_bytes(tiny, tiny_packet):
    assert tiny.evaluate(tiny_packet).to_json() == tiny.evaluate(dict(tiny_packet)).to_json()


def test_accepts_packet_model_and_path(tiny, tiny_packet, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(tiny_packet))
    a = tiny.evaluate(tiny_packet).to_json()
    assert tiny.evaluate(Packet.model_validate(tiny_packet)).to_json() == a
    assert tiny.evaluate(str(path)).to_json() == a
    assert tiny.evaluate(path).to_json() == a


def test_target_defaults_to_nearest_next_level_and_track(tiny, tiny_packet):
    tiny_packet["current_level"] = "senior"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.code == "packet.ambiguous-target"
    assert "'lead' (ic)" in err.value.message and "'head' (management)" in err.value.message
    tiny_packet["track"] = "management"
    assert tiny.evaluate(tiny_packet).transition.to == "head"


def test_unknown_level_names_path_and_suggests(tiny, tiny_packet):
    tiny_packet["current_level"] = "juniorr"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.path == "current_level"
    assert err.value.suggestion == "'junior'"
    assert err.value.exit_code == 2


def test_unknown_review_level_names_item_path(tiny, tiny_packet):
    tiny_packet["reviews"][1]["operating_level"] = "seniour"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.path == "reviews[1].operating_level"
    assert "'senior'" in err.value.suggestion


def test_no_transition_lists_options(tiny, tiny_packet):
    tiny_packet["target_level"] = "head"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.code == "packet.no-transition"
    assert "goes to senior" in err.value.message


def test_top_of_ladder_has_no_step(tiny, tiny_packet):
    tiny_packet["current_level"] = "lead"
    with pytest.raises(PacketError, match="no step up from 'lead'"):
        tiny.evaluate(tiny_packet)


def test_ladder_mismatch(tiny, tiny_packet):
    tiny_packet["ladder"] = "product-management"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.code == "packet.ladder-mismatch"


def test_current_level_since_after_as_of(tiny, tiny_packet):
    tiny_packet["experience"]["current_level_since"] = "2027-01-01"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.path == "experience.current_level_since"


@pytest.mark.parametrize(
    "mutate, path, code",
    [
        (lambda p: p["reviews"][1].update(end="2026-04-01"), "reviews[1].end", "packet.end-before-start"),
        (lambda p: p["experience"].update(product_years=-1), "experience.product_years", "packet.greater-than-equal"),
        (lambda p: p["experience"].update(product_years="9"), "experience.product_years", "packet.float-type"),
        (lambda p: p["experience"].update(product_years=float("nan")), "experience.product_years", "packet.finite-number"),
        (lambda p: p["experience"].update(product_years=1e308), "experience.product_years", "packet.less-than-equal"),
        (lambda p: p["scope"].update(ambiguity="hgh"), "scope.ambiguity", "packet.literal-error"),
        (lambda p: p.update(as_of="01/11/2026"), "as_of", "packet.date-format"),
        (lambda p: p.update(as_of="2026-02-30"), "as_of", "packet.date-value"),
        (lambda p: p["signals"].update(documents_impact=1), "signals.documents_impact", "packet.bool-type"),
        (lambda p: p["candidate"].pop("id"), "candidate.id", "packet.missing"),
        (lambda p: p.update(leadership={"direct_reports": 1, "pm_reports": 2}), "leadership.pm_reports",
         "packet.more-than-direct-reports"),
        (lambda p: p.update(leadership={"hires": 2**64}), "leadership.hires", "packet.less-than-equal"),
        (lambda p: p.update(reviews={"start": "2026-01-01"}), "reviews", "packet.list-type"),
    ],
)
def test_bad_values_name_the_field_path(tiny, tiny_packet, mutate, path, code):
    mutate(tiny_packet)
    with pytest.raises(PromoreadyError) as err:
        tiny.evaluate(tiny_packet)
    assert (err.value.path, err.value.code) == (path, code)
    assert path in str(err.value)


def test_enum_typo_suggests_closest(tiny, tiny_packet):
    tiny_packet["scope"]["ambiguity"] = "hgh"
    with pytest.raises(PacketError) as err:
        tiny.evaluate(tiny_packet)
    assert err.value.suggestion == "'high'"


def test_file_errors_carry_line_numbers(tiny, tiny_packet, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("candidate: {id: x}\ncurrent_level: junior\nexperience:\n  product_years: -2\n")
    with pytest.raises(PacketError) as err:
        tiny.evaluate(str(path))
    assert (err.value.file, err.value.line, err.value.path) == (str(path), 4, "experience.product_years")


def test_typo_fields_are_kept_ignored_and_warned(tiny, tiny_packet):
    tiny_packet["experiance"] = {"product_years": 30}
    tiny_packet["signals"]["documents_impakt"] = False
    d = tiny.evaluate(tiny_packet)
    assert d.verdict == "ready"
    assert d.warnings == [
        "unknown field 'experiance' is ignored (did you mean 'experience'?)",
        "unknown field 'signals.documents_impakt' is ignored (did you mean 'documents_impact'?)",
    ]


def test_a_size_counts_a_name_once_in_any_case_width_or_spacing_and_a_blank_name_not_at_all(tiny, tiny_packet):
    # "Engineering" and "engineering " are one function: listing a partner twice must not make breadth.
    tiny_packet["artifacts"] = []  # breadth's other way out is closed: only the partners decide it
    partners = tiny_packet["influence"]
    partners["cross_functional_partners"] = ["Engineering", "engineering ", "ＥＮＧＩＮＥＥＲＩＮＧ", "design", " "]
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert c.status == "fail"
    assert c.actual.startswith("cross-functional partner functions: 2 (of 5 listed; a name listed more than once "
                               "(in any case or spacing) counts once, and a blank name not at all)")
    partners["cross_functional_partners"] = ["Engineering", "design", "sales"]  # three distinct: a pass, as before
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert c.status == "pass" and "listed" not in c.actual
    partners["cross_functional_partners"] = ["design", "Design", "sales", "legal"]
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert c.status == "pass" and "of 4 listed; a name listed more than once" in c.actual


def test_a_count_names_the_listed_items_one_test_short_and_offers_them_as_the_next_step(tiny, tiny_packet):
    # An uncommitted CEO is one test short of an advocate: the committee checks that first, and getting their
    # commitment is as small a step as finding a new advocate.
    tiny_packet["advocates"] = [{"name": "Cy", "level": "ceo", "committed": False},
                                {"name": "Di", "level": "junior", "committed": False}]  # short of two tests
    c = by_id(tiny.evaluate(tiny_packet), "sponsors")
    assert c.status == "fail"
    assert c.actual.endswith("(of 2 listed; one test short: advocates[0].committed is false)")
    assert c.next_step.endswith(", or get a listed one to count: advocates[0].committed (now false)")
    tiny_packet["advocates"].append({"name": "Ed", "level": "junior", "committed": True})  # short on its level
    c = by_id(tiny.evaluate(tiny_packet), "sponsors")
    assert "one test short: advocates[0].committed is false, advocates[2].level is 'junior')" in c.actual
    assert c.next_step.endswith(", or get 1 of the 2 listed that are one test short to count")
    tiny_packet["advocates"] += [{"name": "Fa", "level": "junior", "committed": True}] * 2  # past the three named
    c = by_id(tiny.evaluate(tiny_packet), "sponsors")
    assert c.actual.endswith("one test short: 4 items (1 on committed, 3 on level))")
    tiny_packet["advocates"][0]["committed"] = True  # it counts now: a pass, and no words about the others
    c = by_id(tiny.evaluate(tiny_packet), "sponsors")
    assert c.status == "pass" and c.next_step is None


def test_a_where_of_one_field_has_no_near_misses(tiny, tiny_packet):
    # Every item a one-field where leaves out fails on that field: naming them all would say nothing.
    tiny_packet["artifacts"] = [{"kind": "prd", "title": "Spec", "horizon_months": 6, "adopted_by_teams": 1}]
    tiny_packet["influence"]["cross_functional_partners"] = []
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert "one test short" not in c.actual and "listed one" not in (c.next_step or "")


def test_a_size_tells_names_apart_as_contains_reads_words(tiny, tiny_packet):
    # "Customer Success", "customer-success" and "customer_success" are one word to `contains`: one to `size` too.
    tiny_packet["artifacts"] = []
    partners = tiny_packet["influence"]
    partners["cross_functional_partners"] = ["Customer Success", "customer-success", "customer_success", "design"]
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert c.status == "fail" and c.actual.startswith("cross-functional partner functions: 2 (of 4 listed; a name "
                                                      "listed more than once")
    # Two blanks (one of them a zero-width space) are not a name listed twice.
    partners["cross_functional_partners"] = [" ", "\u200b", "Design", "sales", "legal"]
    c = by_id(tiny.evaluate(tiny_packet), "breadth")
    assert c.status == "pass"
    assert c.actual.startswith("cross-functional partner functions: 3 (of 5 listed; a blank name does not count)")
