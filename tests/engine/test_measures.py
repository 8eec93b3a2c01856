"""Each kind of measure, computed straight from a packet: its value, the packet paths that counted, and
unknown (with the missing paths) when the evidence is absent. Measures of the tiny ladder, for the
junior → senior transition (``current`` is junior, rank 1; ``target`` is senior, rank 2)."""

from __future__ import annotations

import datetime

import pytest

from promoready.engine import load_ladder
from promoready.engine._levels import LevelIndex
from fractions import Fraction

from promoready.engine._measures import Context, Measured, compile_measure
from promoready.schemas.packet import Packet

from conftest import TINY

AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture(scope="module")
def measure():
    """``measure(name, **packet fields)`` → the tiny ladder's measure ``name`` for that packet."""
    ladder = load_ladder(TINY)
    index = LevelIndex(ladder)
    levels = {"current": index.rung("junior").rank, "target": index.rung("senior").rank}

    def compute(name: str, **fields) -> Measured:
        packet = Packet.model_validate({"candidate": {"id": "m-1"}, "current_level": "junior", **fields})
        fn = compile_measure(ladder.measures[name], levels, index)
        return fn(packet, Context(as_of=AS_OF, index=index, ranks={}))

    return compute


def review(start: str, end: str, level: str | None = "senior", rating: str | None = "meets") -> dict:
    out = {"start": start, "end": end}
    if level is not None:
        out["operating_level"] = level
    if rating is not None:
        out["rating"] = rating
    return out


# -- field ------------------------------------------------------------------------------------------------


def test_field_is_the_value_with_its_path_as_evidence(measure):
    m = measure("years", experience={"product_years": 3.5})
    assert (m.value, m.evidence, m.missing) == (3.5, ["experience.product_years"], [])
    assert measure("documents", signals={"documents_impact": False}).value is False  # known and false
    assert measure("ambiguity", scope={"ambiguity": "high"}).value == "high"


@pytest.mark.parametrize("fields", [{}, {"experience": None}, {"experience": {}}, {"experience": {"product_years": None}}])
def test_field_absent_or_null_anywhere_on_its_path_is_unknown(measure, fields):
    m = measure("years", **fields)
    assert (m.value, m.evidence, m.missing) == (None, [], ["experience.product_years"])


# -- months_since -----------------------------------------------------------------------------------------


def test_months_since_counts_calendar_months_to_as_of(measure):
    m = measure("in_level", experience={"current_level_since": "2024-11-01"})
    assert m.value == 24  # two calendar years, not 730 days / 30.4375 = 23.98
    assert measure("in_level", experience={"current_level_since": "2026-10-17"}).value == Fraction(15, 31)
    assert m.evidence == ["experience.current_level_since"] and m.detail == "since 2024-11-01"
    assert measure("in_level", experience={"current_level_since": "2026-11-01"}).value == 0
    assert measure("in_level", experience={}).missing == ["experience.current_level_since"]


# -- count, size --------------------------------------------------------------------------------------------


def test_count_keeps_the_items_matching_every_where_test(measure):
    # where: {committed: true, level: {gte: target}}, levels compared by rank (titles included)
    advocates = [
        {"level": "ceo", "committed": True},  # a title, rank 9: counts
        {"level": "Sr PM", "committed": True},  # senior by alias, rank 2 = target: counts
        {"level": "junior", "committed": True},  # below target
        {"level": "senior", "committed": False},  # not committed
        {"committed": True},  # level unknown: an item missing a where field does not match
        {"level": "head"},  # committed unknown
    ]
    m = measure("advocates", advocates=advocates)
    # A count ranked by level names each counted title as resolved, with its rank (issue 13, item 9),
    # and the items that lack only a `where` field, by the field; then those one test short, with the value
    # that fails it (the junior and the uncommitted), in list order.
    assert (m.value, m.evidence, m.detail) == (2, ["advocates[0]", "advocates[1]"],
                                               "of 6 listed: Chief Executive Officer, rank 9; Senior PM, rank 2; "
                                               "in doubt for want of advocates[4].level, advocates[5].committed; "
                                               "one test short: advocates[2].level is 'junior', "
                                               "advocates[3].committed is false")
    assert m.near == [("advocates[2].level", "junior"), ("advocates[3].committed", False)]


def test_matching_gives_what_every_caller_reads():
    # `_matching` returned three lists; the third (items lacking a `where` field) was dropped by
    # `min`/`max`/`sum` and `latest`/`earliest`. Now they have a pair; a count sorts its items itself (`_counted`).
    from promoready.engine._where import _matching

    items = [{"end": "2026-01-01", "ok": True}, {"ok": None}, {"end": "2026-02-01", "ok": False}]
    where = {"end": {"within_months": 6}}
    ctx = Context(as_of=AS_OF, index=None, ranks={})  # no level is read

    def match(item, ctx):
        return item["ok"]

    assert _matching(items, match, ctx, "reviews", where) == ([0], ["reviews[1].end"])


def test_a_count_runs_each_items_tests_once(measure):
    # The near misses were found by running an item's `where` tests a second time (and the items lacking a
    # field, a third): the count now sorts its items in one pass. Each test is counted per item.
    from promoready.engine import _where

    calls = []
    real = _where._compile_test

    def counting(key, *args):
        test = real(key, *args)

        def counted(item, ctx):
            calls.append((id(item), key))
            return test(item, ctx)
        return counted

    advocates = [{"level": "ceo", "committed": True}, {"level": "junior", "committed": True},
                 {"level": "senior", "committed": False}, {"level": "junior", "committed": False}, {"level": "head"}]
    import unittest.mock as mock

    with mock.patch.object(_where, "_compile_test", counting):
        m = measure("advocates", advocates=advocates)
    assert m.value == 1
    assert len(calls) == len(set(calls)), "an item's test ran twice"
    assert m.near == [("advocates[1].level", "junior"), ("advocates[2].committed", False)]
    assert "in doubt for want of advocates[4].committed" in m.detail
    assert (m.upper, m.unsure) == (2, ["advocates[4].committed"])


@pytest.mark.parametrize("kind, missing", [("latest", ["reviews"]), ("min", ["reviews[].rating"])])
def test_items_that_all_fall_outside_a_window_are_said_to_be_there_not_missing(kind, missing):
    from pydantic import TypeAdapter

    from promoready.schemas.ladder import Measure

    ladder = load_ladder(TINY)
    index = LevelIndex(ladder)
    spec = TypeAdapter(Measure).validate_python({kind: "reviews", "of": "rating", "where": {
        "operating_level": {"gte": "senior"}, "end": {"within_months": 12}}})
    fn = compile_measure(spec, {"current": 1, "target": 2}, index, ladder)

    def measured(*reviews: dict) -> Measured:
        packet = Packet.model_validate({"candidate": {"id": "m-1"}, "current_level": "junior", "reviews": list(reviews)})
        return fn(packet, Context(as_of=AS_OF, index=index, ranks={}))

    old, older = review("2025-01-01", "2025-06-30"), review("2024-07-01", "2024-12-31")
    m = measured(old, older)  # both at senior, both ended before 2025-11-01
    assert (m.value, m.missing, m.outside, m.detail) == (
        None, missing, "end in the last 12 months", "the 2 listed fall outside the window: end in the last 12 months")
    assert measured(old).detail == "the one listed falls outside the window: end in the last 12 months"
    # One also below the level: not kept out by the window alone, so worded as before.
    m = measured(old, review("2024-07-01", "2024-12-31", level="junior"))
    assert (m.value, m.missing, m.outside, m.detail) == (None, missing, "", "none of the 2 listed matches")
    assert measured(review("2026-01-01", "2026-06-30")).value == "meets"  # in the window: read


def test_an_undated_item_is_not_said_to_fall_outside_a_window():
    from pydantic import TypeAdapter

    from promoready.schemas.ladder import Measure

    ladder = load_ladder(TINY)
    index = LevelIndex(ladder)
    spec = TypeAdapter(Measure).validate_python({"min": "impact", "of": "value", "where": {"date": {"within_months": 12}}})
    fn = compile_measure(spec, {"current": 1, "target": 2}, index, ladder)

    def measured(*impact: dict) -> Measured:
        packet = Packet.model_validate({"candidate": {"id": "m-1"}, "current_level": "junior", "impact": list(impact)})
        return fn(packet, Context(as_of=AS_OF, index=index, ranks={}))

    old = {"summary": "x", "value": 2, "date": "2024-01-01"}
    assert measured(old).detail == "the one listed falls outside the window: date in the last 12 months"
    m = measured(old, {"summary": "y", "value": 3})  # the second has no date: not outside, not in
    assert (m.value, m.outside, m.detail) == (None, "", "none of the 2 listed matches")


def test_count_of_an_empty_list_is_zero_and_of_an_absent_one_unknown(measure):
    assert measure("advocates", advocates=[]).value == 0
    m = measure("advocates")
    assert (m.value, m.missing) == (None, ["advocates"])


def test_size_counts_distinct_items(measure):
    m = measure("partners", influence={"cross_functional_partners": ["eng", "design", "eng"]})
    assert (m.value, m.evidence) == (2, ["influence.cross_functional_partners"])
    assert measure("partners", influence={"cross_functional_partners": []}).value == 0
    assert measure("partners", influence={}).missing == ["influence.cross_functional_partners"]


# -- max, min, sum ------------------------------------------------------------------------------------------

ARTIFACTS = [
    {"kind": "strategy", "horizon_months": 12, "adopted_by_teams": 3},
    {"kind": "prd", "horizon_months": 30, "adopted_by_teams": 2},  # not a plan: max's where leaves it out
    {"kind": "roadmap", "horizon_months": 12},
    {"kind": "vision"},  # no horizon: left out
    {"kind": "okr", "horizon_months": 6, "adopted_by_teams": 0},
]


def test_max_over_matching_items_with_every_item_at_the_maximum_as_evidence(measure):
    m = measure("horizon", artifacts=ARTIFACTS)  # max of horizon_months where kind in [strategy, vision, roadmap]
    assert (m.value, m.evidence) == (12, ["artifacts[0].horizon_months", "artifacts[2].horizon_months"])


def test_max_of_nothing_is_zero_and_min_of_nothing_unknown(measure):
    none = [{"kind": "prd", "horizon_months": 40}]  # no item that counts (a roadmap, strategy or vision)
    m = measure("horizon", artifacts=none)
    assert (m.value, m.evidence, m.detail) == (0, ["artifacts"], "none")
    # A vision that says nothing of its horizon counts, and its horizon is not known: unknown, not 0 (it
    # was 0, "none", failing a criterion for missing evidence; found by a helper trying the tool)
    m = measure("horizon", artifacts=[*none, {"kind": "vision"}])
    assert (m.value, m.missing) == (None, ["artifacts[].horizon_months"])
    m = measure("shortest", artifacts=[{"kind": "prd"}])  # min of horizon_months, no where
    assert (m.value, m.missing) == (None, ["artifacts[].horizon_months"])


def test_min_and_sum(measure):
    m = measure("shortest", artifacts=ARTIFACTS)
    assert (m.value, m.evidence) == (6, ["artifacts[4].horizon_months"])
    m = measure("adoption", artifacts=ARTIFACTS)  # sum of adopted_by_teams, items without it left out
    assert (m.value, m.evidence) == (5, ["artifacts[0]", "artifacts[1]", "artifacts[4]"])
    assert measure("adoption", artifacts=[]).value == 0


@pytest.mark.parametrize("name", ["horizon", "shortest", "adoption"])
def test_aggregates_of_an_absent_list_are_unknown(measure, name):
    assert measure(name).missing == ["artifacts"] and measure(name).value is None


# -- review_months ------------------------------------------------------------------------------------------


def test_overlapping_review_periods_are_merged(measure):
    # months_at_target: at or above target (senior), rating at least meets
    m = measure("months_at_target", reviews=[review("2026-01-01", "2026-03-31"), review("2026-02-01", "2026-04-30"),
                                              review("2026-02-10", "2026-02-20")])
    assert m.value == 4  # Jan 1 – Apr 30, each day once: four calendar months
    assert m.evidence == ["reviews[0]", "reviews[1]", "reviews[2]"] and m.detail == "3 periods"


def test_reviews_are_clipped_to_as_of_and_judged_by_level_and_rating(measure):
    m = measure("months_at_target", reviews=[
        review("2026-10-01", "2027-03-31"),  # runs past as_of: Oct 1 – Nov 1 counts
        review("2026-01-01", "2026-01-31", level="junior"),  # below target
        review("2026-02-01", "2026-02-28", level="ceo"),  # a title above target: counts
        review("2026-03-01", "2026-03-31", rating="below"),  # below min_rating
        review("2026-12-01", "2027-01-31"),  # entirely after as_of
    ])
    assert m.value == 2 + Fraction(1, 30)  # Feb (1 month) + Oct 1 – Nov 1 (1 month and 1 of November's 30 days)
    assert m.evidence == ["reviews[0]", "reviews[2]"] and m.detail == "2 periods"


def test_a_review_that_would_count_if_it_said_its_level_or_rating_makes_the_measure_unknown(measure):
    m = measure("months_at_target", reviews=[review("2026-01-01", "2026-06-30"),
                                              review("2026-07-01", "2026-08-31", level=None),
                                              review("2026-09-01", "2026-09-30", rating=None)])
    assert m.value is None
    assert m.missing == ["reviews[1].operating_level", "reviews[2].rating"] and m.evidence == ["reviews[0]"]
    # Without a min_rating, a missing rating is no gap: recent_months has none.
    assert measure("recent_months", reviews=[review("2026-09-01", "2026-09-30", rating=None)]).value == 1


def test_within_months_keeps_only_the_window_before_as_of(measure):
    # recent_months: at or above current (junior), within the last 12 calendar months up to as_of
    # (2026-11-01): the window is 2025-11-02 – 2026-11-01, twelve months exactly
    m = measure("recent_months", reviews=[
        review("2025-05-01", "2025-12-31", level="junior"),  # Nov 2 – Dec 31 2025 inside the window
        review("2024-01-01", "2024-12-31", level=None),  # before the window: its missing level does not matter
    ])
    # Nov 2 – Dec 1 is one month; Dec 2 – Dec 31 is 30 of the 31 days of the month from Dec 2
    assert m.value == 1 + Fraction(30, 31)
    assert m.missing == [] and m.evidence == ["reviews[0]"] and m.detail == "1 period"


def test_no_reviews_is_unknown_and_an_empty_list_zero(measure):
    assert measure("months_at_target").missing == ["reviews"]
    m = measure("months_at_target", reviews=[])
    assert (m.value, m.detail) == (0, "0 periods")


def test_months_between_is_whole_anniversaries_then_the_fraction_of_the_next_month():
    # The count is built as one Fraction from integers: held here to its definition on many spans.
    from promoready.engine._calendar import anniversary, months_between

    start = datetime.date(2023, 1, 31)
    for offset in range(0, 800, 7):
        stop = start + datetime.timedelta(days=offset)
        months = months_between(start, stop)
        assert type(months) is Fraction
        whole = int(months)
        assert anniversary(start, whole) <= stop < anniversary(start, whole + 1)
        last, following = anniversary(start, whole), anniversary(start, whole + 1)
        assert months - whole == Fraction((stop - last).days, (following - last).days)


@pytest.mark.parametrize("days", [1, 2, 3, 7, 100, 365, 4000, 2_000_000])
def test_the_first_day_a_growing_figure_passes_is_found_wherever_it_lies(days):
    # The search tries days 1, 2, 4… ahead, then halves: the day found is the first that passes, near or far,
    # and the search asks about few days (it used to start at the calendar's end).
    from promoready.engine._calendar import _first_day

    first = AS_OF + datetime.timedelta(days=days)
    asked = []

    def passes(day):
        asked.append(day)
        return day >= first

    assert _first_day(AS_OF, datetime.date.max, passes, "never") == (first, "")
    assert len(asked) <= 2 * days.bit_length() + 1
    assert _first_day(AS_OF, first - datetime.timedelta(days=1), passes, "never") == (None, "never")
    assert _first_day(AS_OF, first, passes, "never") == (first, "")
    assert _first_day(first, first, passes, "never") == (None, "never")  # an empty range


def test_the_first_day_is_none_when_no_day_passes():
    from promoready.engine._calendar import _first_day

    assert _first_day(AS_OF, datetime.date.max, lambda day: False, "beyond") == (None, "beyond")
    assert _first_day(datetime.date.max - datetime.timedelta(days=1), datetime.date.max,
                      lambda day: day == datetime.date.max, "beyond") == (datetime.date.max, "")
