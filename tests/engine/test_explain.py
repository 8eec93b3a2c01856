"""The explainer's words, for each kind of condition: what is expected, what the packet shows, and the
smallest change that would pass (with a projected date for a figure that grows with time).

Conditions are compiled against the tiny ladder's junior → senior transition, whose measures carry
titles and units ("months of reviews at {target} or above", unit months, grows)."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from promoready.engine import load_ladder
from promoready.engine._compile import Compiler
from promoready.engine._explain import Explainer, _exact, fmt_beside, leaves, measure_names
from promoready.engine._levels import LevelIndex
from promoready.engine._measures import Measured, add_months
from promoready.schemas.ladder import Condition

from conftest import TINY

AS_OF = datetime.date(2026, 11, 1)
GROWTH = 1  # organisation size position: startup 0, growth 1, enterprise 2


@pytest.fixture(scope="module")
def tiny():
    ladder = load_ladder(TINY)
    transition = ladder.transitions[0]
    assert transition.key == "junior-to-senior"
    index = LevelIndex(ladder)
    return ladder, Compiler(ladder, transition, index), index


@pytest.fixture(scope="module")
def words(tiny):
    """``words(condition)`` → (explainer, compiled tree) for a condition over the tiny ladder's measures."""
    ladder, compiler, index = tiny

    def make(condition: dict):
        tree = compiler.node(TypeAdapter(Condition).validate_python(condition))
        return Explainer(ladder.measures, index, {"current": "junior", "target": "senior"}, [tree]), tree

    return make


# -- expected ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition, expected", [
    # a title that starts with its unit reads after the number
    ({"measure": "months_at_target", "gte": 6}, "≥ 6 months of reviews at senior or above"),
    ({"measure": "in_level", "gt": 60}, "> 60 months in the current level"),
    # a measure of items with no unit: after the number too (without a unit, nothing says which word
    # is the noun, so the title stays as written)
    ({"measure": "advocates", "gte": 1}, "≥ 1 committed advocates at senior or above"),
    # the unit agrees with the number: one month, two months
    ({"measure": "months_at_target", "gte": 1}, "≥ 1 month of reviews at senior or above"),
    ({"measure": "horizon", "gte": 1}, "horizon of the longest plan: ≥ 1 month"),
    # a title that does not start with its unit reads before the number, the unit after
    ({"measure": "horizon", "gte": 6}, "horizon of the longest plan: ≥ 6 months"),
    # a field with no unit reads before the number
    ({"measure": "reports", "lt": 2.5}, "PM reports < 2.5"),
    ({"measure": "ambiguity", "gte": "medium"}, "ambiguity handled ≥ medium"),
    ({"measure": "ambiguity", "in": ["medium", "high"]}, "ambiguity handled: medium or high"),
    ({"measure": "documents", "eq": True}, "documents impact: yes"),
    ({"measure": "documents", "ne": True}, "documents impact: no"),
    ({"measure": "documents", "ne": False}, "documents impact: yes"),
    ({"not": {"measure": "in_level", "gt": 60}}, "not (> 60 months in the current level)"),
    ({"all": [{"measure": "documents", "eq": True},
              {"any": [{"measure": "strategy", "gte": 3}, {"not": {"measure": "reports", "eq": 0}}]}]},
     "documents impact: yes and (strategy rating ≥ 3 or not (PM reports = 0))"),
])
def test_expected_says_the_condition_in_words(words, condition, expected):
    explainer, tree = words(condition)
    assert explainer.expected(tree, None) == expected


def test_a_threshold_by_organisation_size(words):
    explainer, tree = words({"measure": "years", "gte": {"by_org_size": {"startup": 2, "growth": 3, "enterprise": 4}}})
    assert explainer.expected(tree, GROWTH) == "≥ 3 years of product experience (growth organisation)"
    assert explainer.expected(tree, None) == "≥ 2 (startup), 3 (growth) or 4 (enterprise) years of product experience"


# -- actual ----------------------------------------------------------------------------------------------


def test_actual_gives_each_measure_read_with_its_unit_and_detail(words):
    explainer, tree = words({"all": [{"measure": "months_at_target", "gte": 6}, {"measure": "ambiguity", "gte": "medium"},
                                     {"measure": "advocates", "gte": 1}]})
    names = measure_names(tree)
    assert names == ["months_at_target", "ambiguity", "advocates"]
    measured = {"months_at_target": Measured(Fraction(47, 10), detail="2 periods"), "ambiguity": Measured("low"),
                "advocates": Measured(None, missing=["advocates"])}
    encoded = {"months_at_target": 4.7, "ambiguity": 0, "advocates": None}  # shown rounded down to half months
    assert explainer.actual(names, measured, encoded) == (
        "months of reviews at senior or above: 4.5 months (2 periods); ambiguity handled: low; "
        "committed advocates at senior or above: unknown (missing advocates)")
    # One measure: just its value.
    assert explainer.actual(["months_at_target"], measured, encoded) == "4.5 months (2 periods)"
    # The unit agrees with the value.
    one = {"months_at_target": Measured(1, detail="1 period")}
    assert explainer.actual(["months_at_target"], one, {"months_at_target": 1}) == "1 month (1 period)"



@pytest.mark.parametrize("value, bars, shown", [
    (3.2499, [3.25], "3.24"),           # a hair below a lower bar: rounded down, never "3.25"
    (3.24995, [3.25], "3.24"),          # the engine's midpoint encoding of an exact 3.2499666…
    (3.7501, [3.75], "3.76"),           # a hair above an upper bar: rounded up
    (3.25, [3.25], "3.25"),             # at the bar: as it is
    (2.3, [2.3], "2.3"),                # a bar typed like the value compares as typed
    (3.246, [3.24, 3.25], "3.246"),     # two bars a step apart: as many decimals as it takes
    (3.333333, [3], "3.33"),            # nowhere near a bar: the usual two decimals
    (5e-05, [0], "0.01"),               # a shortfall of a hair is shown, never "0"
    (7, [7.5], "7"),
])
def test_a_found_number_is_never_shown_on_the_wrong_side_of_a_bar(value, bars, shown):
    assert fmt_beside(value, bars) == shown


def test_found_and_next_step_never_show_a_failing_value_equal_to_its_bar(words):
    explainer, tree = words({"measure": "reports", "gte": 3.25})
    measured = {"reports": Measured(3.2499)}
    assert explainer.status(tree, {"reports": 3.2499}, None) == "fail"
    assert explainer.actual(["reports"], measured, {"reports": 3.2499}) == "3.24"
    assert gap_words(words, {"measure": "reports", "gte": 3.25}, {"reports": 3.2499}) == [
        "raise PM reports from 3.24 to 3.25"]
    assert gap_words(words, {"measure": "shortest", "lte": 24.5}, {"shortest": 24.501}) == [
        "0.01 less horizon of the shortest artifact (now 24.51, at most 24.5)"]
    # compared with another measure: each shown on its own side of the other
    assert gap_words(words, {"measure": "reports", "gte": {"measure": "shortest"}}, {"reports": 3.2499, "shortest": 3.25}) == [
        "PM reports ≥ horizon of the shortest artifact (now 3.24 and 3.25)"]


# -- gaps: the next step ------------------------------------------------------------------------------------


def gap_words(words, condition: dict, encoded: dict, size=None) -> list[str]:
    explainer, tree = words(condition)
    return [g.words for g in explainer.gaps(tree, encoded, size, AS_OF)]


def test_a_shortfall_in_calendar_months_is_rounded_up_to_half_months_and_projected_only_within_reach(words):
    explainer, tree = words({"measure": "months_at_target", "gte": 6})
    # Without the measured figure there is nothing to project from: the amount alone.
    assert [g.words for g in explainer.gaps(tree, {"months_at_target": 5.96775}, None, AS_OF)] == [
        "months of reviews at senior or above: less than half a month more"]  # not "0.5 more months"
    assert [g.words for g in explainer.gaps(tree, {"months_at_target": 5.4}, None, AS_OF)] == [
        "1 more month of reviews at senior or above"]
    day = datetime.date(2027, 1, 5)
    reaches = Measured(Fraction(39, 10), when=lambda ok: (day, "") if ok(Fraction(6)) else (None, "never"))
    ended = Measured(Fraction(179, 30), when=lambda ok: (None, "no qualifying review period is under way on as_of"))
    assert [g.words for g in explainer.gaps(tree, {"months_at_target": 3.9}, None, AS_OF,
                                            measured={"months_at_target": reaches})] == [
        "2.5 more months of reviews at senior or above, projected 2027-01-05 if it continues"]
    assert [g.words for g in explainer.gaps(tree, {"months_at_target": 5.96665}, None, AS_OF,
                                            measured={"months_at_target": ended})] == [
        "months of reviews at senior or above: less than half a month more; no date can be projected: no qualifying "
        "review period is under way on as_of"]
    # years grow too: a year is twelve months
    found = gap_words(words, {"measure": "years", "gte": 4}, {"years": 3})
    assert found == [f"1 more year of product experience, projected {add_months(AS_OF, 12)} at the current pace"]


@pytest.mark.parametrize("condition, encoded, expected", [
    ({"measure": "advocates", "gte": 2}, {"advocates": 0}, "2 more committed advocates at senior or above"),
    ({"measure": "horizon", "gte": 6}, {"horizon": 4}, "horizon of the longest plan: 2 more months"),
    ({"measure": "horizon", "gte": 6}, {"horizon": 5}, "horizon of the longest plan: 1 more month"),
    ({"measure": "reports", "gte": 2}, {"reports": 1}, "raise PM reports from 1 to 2"),
    ({"measure": "reports", "gt": 2}, {"reports": 1}, "raise PM reports from 1 to 3"),  # the next whole number
    ({"measure": "shortest", "lte": 24}, {"shortest": 30}, "6 less horizon of the shortest artifact (now 30, at most 24)"),
    ({"measure": "documents", "eq": True}, {"documents": 0}, "documents impact: yes (now no)"),
    ({"measure": "ambiguity", "in": ["medium", "high"]}, {"ambiguity": 0}, "ambiguity handled: medium or high (now low)"),
    ({"measure": "ambiguity", "gte": "high"}, {"ambiguity": 1}, "ambiguity handled ≥ high (now medium)"),
    ({"measure": "strategy", "gte": 3}, {"strategy": None}, "add evidence for strategy rating"),
    # not: the negated comparison must hold
    ({"not": {"measure": "in_level", "gt": 60}}, {"in_level": 70}, "10 less months in the current level (now 70, at most 60)"),
])
def test_the_gap_of_each_kind_of_comparison(words, condition, encoded, expected):
    assert gap_words(words, condition, encoded) == [expected]


def test_all_needs_every_failing_part_and_any_the_cheapest_alternative(words):
    all_of = {"all": [{"measure": "reports", "gte": 2}, {"measure": "documents", "eq": True},
                      {"measure": "strategy", "gte": 3}]}
    assert gap_words(words, all_of, {"reports": 1, "documents": 1, "strategy": 1}) == [
        "raise PM reports from 1 to 2", "raise strategy rating from 1 to 3"]
    any_of = {"any": [{"measure": "partners", "gte": 3}, {"measure": "adoption", "gt": 2}]}
    # partners: 2 more of 3 (0.67 of the bar); adoption: 1 more than 2 (0.5): the cheaper one
    assert gap_words(words, any_of, {"partners": 1, "adoption": 2}) == ["1 more teams adopting the candidate's artifacts"]
    assert gap_words(words, any_of, {"partners": 3, "adoption": 0}) == []  # one alternative already holds
    # not (any): every alternative must fail. not (partners ≥ 3) is partners < 3: 2 less than 4.
    partners, adoption = gap_words(words, {"not": any_of}, {"partners": 4, "adoption": 3})
    assert partners.startswith("2 less cross-functional partner functions (now 4, ")
    assert adoption == "1 less teams adopting the candidate's artifacts (now 3, at most 2)"


def test_with_the_size_unknown_the_hardest_threshold_is_the_gap(words):
    condition = {"measure": "years", "gte": {"by_org_size": {"startup": 2, "growth": 3, "enterprise": 4}}}
    assert gap_words(words, condition, {"years": 2.5}, size=GROWTH)[0].startswith("0.5 more years of product experience")
    assert gap_words(words, condition, {"years": 2.5})[0].startswith("1.5 more years of product experience")


def test_status_is_the_three_valued_reading_used_for_wording(words):
    explainer, tree = words({"any": [{"measure": "reports", "gte": 2}, {"measure": "strategy", "gte": 3}]})
    assert explainer.status(tree, {"reports": 1, "strategy": None}, None) == "unknown"
    assert explainer.status(tree, {"reports": 2, "strategy": None}, None) == "pass"
    assert explainer.status(tree, {"reports": 1, "strategy": 2}, None) == "fail"
    assert [leaf.measure for leaf in leaves(tree)] == ["reports", "strategy"]


# -- in a decision ------------------------------------------------------------------------------------------


def by_id(decision, criterion_id):
    return next(c for c in decision.criteria if c.id == criterion_id)


def test_a_decision_carries_evidence_missing_and_next_steps(tiny_packet):
    from conftest import evaluator

    engine = evaluator(TINY)
    tiny_packet["reviews"] = [{"start": "2026-06-01", "end": "2026-08-31", "rating": "meets", "operating_level": "senior"}]
    del tiny_packet["organization"]
    tiny_packet["experience"]["product_years"] = 3
    del tiny_packet["signals"]
    d = engine.evaluate(tiny_packet)

    next_level = by_id(d, "next-level")
    assert (next_level.status, next_level.evidence, next_level.missing) == ("fail", ["reviews[0]"], [])
    assert next_level.actual == "3 months (1 period)"  # June, July, August: three calendar months
    # The period ended on 31 August, before as_of: it cannot grow, so no date is projected.
    assert next_level.next_step == ("3 more months of reviews at senior or above; no date can be projected: no "
                                    "qualifying review period is under way on as_of (one that has ended cannot grow)")
    experience = by_id(d, "experience")  # 3 years: passes at a growth organisation, not at an enterprise
    assert (experience.status, experience.missing) == ("unknown", ["organization.size"])
    assert experience.next_step == "add organization.size to the packet"
    craft = by_id(d, "craft")
    assert (craft.status, craft.missing, craft.next_step) == (
        "unknown", ["signals.documents_impact"], "add signals.documents_impact to the packet")
    # Unknown evidence first (nothing to do but add it), then the smallest gap.
    assert d.next_steps == ["Years by organisation size: " + experience.next_step,
                            "Documents and rates well: " + craft.next_step,
                            "Six months at the next level: " + next_level.next_step]


def test_a_measure_with_no_item_to_read_says_why_it_is_unknown():
    import yaml

    from conftest import EXAMPLE, evaluator

    with open(EXAMPLE, encoding="utf-8") as f:
        packet = yaml.safe_load(f)
    engine = evaluator()

    def criterion(reviews: list):
        decision = engine.evaluate({**packet, "reviews": reviews})
        return next(c for c in decision.criteria if c.id == "latest-period-not-below")

    def found(reviews: list) -> str:
        return criterion(reviews).actual

    # Reviews that are there but ended before the window (12 months to as_of, 2026-11-01) are said to
    # be outside it, the window named; they were "missing reviews". The status is the engine's: unknown.
    old = [{"start": "2024-07-01", "end": "2024-12-31", "rating": "exceeds", "operating_level": "senior-pm"},
           {"start": "2025-01-01", "end": "2025-06-30", "rating": "below", "operating_level": "senior-pm"}]
    assert found(old).endswith(": unknown (the 2 listed fall outside the window: end in the last 12 months)")
    assert found(old[:1]).endswith(": unknown (the one listed falls outside the window: end in the last 12 months)")
    result = criterion(old)
    assert (result.status, result.missing) == ("unknown", ["reviews"])  # the path to add to, as before
    assert result.next_step == "add reviews (end in the last 12 months) to the packet"  # was "add reviews to the packet"
    assert found([]).endswith(": unknown (none listed; missing reviews)")
    assert criterion([]).next_step == "add reviews to the packet"


# Numbers as people record them (up to six decimals), as ints and floats, and any float in between.
_numbers = st.one_of(st.integers(-10**6, 10**6),
                     st.builds(lambda n, k: n / 10**k, st.integers(-10**9, 10**9), st.integers(0, 6)),
                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or abs(f) >= 1))


@settings(max_examples=400, deadline=None)
@given(value=_numbers, bars=st.lists(_numbers, min_size=1, max_size=3))
def test_a_shown_number_is_on_the_side_of_every_bar_the_value_is(value, bars):
    # Whichever way it is worded (shown as it is, or rounded towards its side), the shown text reads as
    # a number on the same side of each bar as the value, or on the bar when the value is.
    shown = Fraction(fmt_beside(value, bars))
    exact = _exact(value)
    for bar in bars:
        b = _exact(bar)
        assert (shown > b) - (shown < b) == (exact > b) - (exact < b), (value, bar, shown)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**20, max_value=10**20),
       st.lists(st.one_of(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False), st.fractions()), max_size=4))
def test_a_whole_number_is_shown_as_it_is_whatever_the_bars(value, bars):
    # ``Explainer.actual`` shows a whole number with ``str`` and does not look its bars up: this is why.
    assert fmt_beside(value, bars) == str(value)


def _arithmetic_ladder(tmp_path) -> str:
    """The tiny ladder with a ``sum_of`` and a ``weighted_mean`` over a windowed measure (the smallest
    impact of the last 12 months) and a criterion reading each."""
    import shutil

    import yaml

    from conftest import TINY

    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    head = yaml.safe_load((folder / "ladder.yaml").read_text(encoding="utf-8"))
    head["measures"].update({
        "recent_impact": {"min": "impact", "of": "value", "where": {"date": {"within_months": 12}},
                          "title": "smallest impact of the last 12 months"},
        "reach": {"sum_of": ["recent_impact", "adoption"], "title": "impact and adoption"},
        "balance": {"weighted_mean": [{"measure": "recent_impact", "weight": 2}, {"measure": "years"}],
                    "title": "impact and years, weighted"},
    })
    (folder / "ladder.yaml").write_text(yaml.safe_dump(head, sort_keys=False), encoding="utf-8")
    step = yaml.safe_load((folder / "junior-to-senior.yaml").read_text(encoding="utf-8"))
    for cid, measure in (("reach", "reach"), ("balance", "balance")):
        step["criteria"].append({
            "id": cid, "title": f"Enough {cid}", "required": False, "rationale": "Arithmetic.",
            "source": {"file": "004_ea827febef3f916d.txt", "section": "How to Get Promoted"},
            "condition": {"measure": measure, "gte": 1},
            "text": {"pass": "Enough.", "fail": "More.", "unknown": "Add impact."}})
    (folder / "junior-to-senior.yaml").write_text(yaml.safe_dump(step, sort_keys=False), encoding="utf-8")
    return str(folder)


def test_sum_of_and_weighted_mean_say_their_items_fall_outside_the_window(tmp_path):
    from promoready.engine import Evaluator, load_ladder

    from conftest import TINY_PACKET

    engine = Evaluator(load_ladder(_arithmetic_ladder(tmp_path)))
    old = [{"summary": "a", "value": 2, "date": "2024-06-01"}, {"summary": "b", "value": 3, "date": "2025-01-01"}]

    def criteria(**changes):
        decision = engine.evaluate({**TINY_PACKET, **changes})
        return {c.id: c for c in decision.criteria}

    # Every impact item ended before the window (12 months to as_of, 2026-11-01): the impact is there,
    # outside the window; it was "unknown (missing impact[].value)". Statuses and `missing` are the engine's.
    found = criteria(impact=old)
    window = "recent_impact: the 2 listed fall outside the window: date in the last 12 months"
    assert found["reach"].actual == f"impact and adoption: unknown ({window})"
    assert found["balance"].actual == f"impact and years, weighted: unknown ({window})"
    for cid in ("reach", "balance"):
        assert (found[cid].status, found[cid].missing) == ("unknown", ["impact[].value"])
        assert found[cid].next_step == "add impact[].value (date in the last 12 months) to the packet"
    # One part outside its window, another without evidence: each said as it is.
    experience = {k: v for k, v in TINY_PACKET["experience"].items() if k != "product_years"}
    balance = criteria(impact=old[:1], experience=experience)["balance"]
    assert balance.actual == ("impact and years, weighted: unknown (recent_impact: the one listed falls outside the "
                              "window: date in the last 12 months; missing experience.product_years)")
    assert (balance.status, balance.missing) == ("unknown", ["impact[].value", "experience.product_years"])
    assert balance.next_step == ("add impact[].value (date in the last 12 months), experience.product_years "
                                 "to the packet")
    # No impact at all: missing, as before.
    none = criteria(impact=[])["reach"]
    assert none.actual == "impact and adoption: unknown (missing impact[].value)"
    assert none.next_step == "add impact[].value to the packet"
