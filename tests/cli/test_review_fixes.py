"""Small fixes from the last review of issue 14, each with what it fixes."""

from __future__ import annotations

import datetime
import json
import os
from fractions import Fraction

import pytest

from clirun import run
from conftest import EXAMPLE
from fixture_files import bundled_copy

from promoready.engine import load_ladder
from promoready.engine.errors import LadderInvalid

D = datetime.date


# -- a --set that makes the packet invalid is blamed on the --set, with the field -----------------------


@pytest.mark.parametrize("change, field, message", [
    ("experience.product_years=-3", "experience.product_years", "must be at least 0, got -3"),
    ("reviews[0].rating=great", "reviews[0].rating", "'great' is not one of below, meets, exceeds, outstanding"),
    ("current_level=senoir-pm", "current_level", "unknown level 'senoir-pm' (did you mean 'senior-pm'?)"),
])
def test_a_set_that_breaks_the_packet_names_the_set_and_the_field(change, field, message):
    result = run("evaluate", EXAMPLE, "--set", "leadership.mentees=3", "--set", change, "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"promoready: --set {change}: makes the packet invalid at {field}: {message}")
    assert EXAMPLE not in result.stderr  # the packet file is not the one at fault


def test_a_set_that_breaks_another_field_is_still_named():
    result = run("evaluate", EXAMPLE, "--set", "reviews[0].start=2027-01-01", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.startswith("promoready: --set reviews[0].start=2027-01-01: makes the packet invalid at "
                                    "reviews[0].end: end 2025-12-31 is before start 2027-01-01")


# -- a shortfall under half a month is said so, not "0.5 more months" ------------------------------------


def test_a_shortfall_of_days_is_less_than_half_a_month():
    # The example's Director-level period ends ten days short of six months.
    result = run("evaluate", EXAMPLE, "--set", "reviews[1].end=2026-06-20", "--format", "json")
    assert result.exit_code == 0
    criteria = {c["id"]: c for c in json.loads(result.stdout)["criteria"]}
    step = criteria["sustained-next-level-performance"]["next_step"]
    assert step.startswith("months of reviews (last 24 months, rated meets or better) at director or above: "
                           "less than half a month more;")
    assert "0.5 more months" not in result.stdout


# -- a field's kind in words ("a word", "a rating"), never "is a enum" -----------------------------------


@pytest.fixture
def ladder(tmp_path) -> str:
    return bundled_copy(tmp_path)


def _edit(folder: str, old: str, new: str) -> None:
    path = os.path.join(folder, "ladder.yaml")
    text = open(path, encoding="utf-8").read()
    assert old in text
    open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))


def test_the_lint_names_a_fields_kind_in_words(ladder):
    _edit(ladder, "    max: artifacts\n    of: horizon_months\n", "    max: artifacts\n    of: kind\n")
    with pytest.raises(LadderInvalid) as caught:
        load_ladder(ladder)
    assert [p.message for p in caught.value.problems] == [
        "'kind' is a word; max needs a number or an ordered field (a rating, a scale, a level)"]
    _edit(ladder, "    max: artifacts\n    of: kind\n", "    max: artifacts\n    of: horizon_months\n")
    _edit(ladder, "  ambiguity:\n    field: scope.ambiguity\n", "  ambiguity:\n    months_since: scope.ambiguity\n")
    with pytest.raises(LadderInvalid) as since:
        load_ladder(ladder)
    messages = [p.message for p in since.value.problems]
    assert "'scope.ambiguity' is a rating; expected a date" in messages
    assert not any(" a enum" in m for m in messages)


# -- review_months.within_months out of range: worded as a where's within_months ------------------------


@pytest.mark.parametrize("value", ["0", "2000", "1.5", "soon"])
def test_review_months_within_months_is_worded_as_in_a_where(ladder, value):
    _edit(ladder, "min_rating: meets, within_months: 24}", f"min_rating: meets, within_months: {value}}}")
    with pytest.raises(LadderInvalid) as caught:
        load_ladder(ladder)
    shown = repr(json.loads(value)) if value != "soon" else "'soon'"
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("measures.months_at_target.review_months.within_months",
         f"within_months needs a whole number of months from 1 to 1200, got {shown}")]
    _edit(ladder, f"min_rating: meets, within_months: {value}}}", "min_rating: meets, within_months: 24}")
    _edit(ladder, "where: {end: {within_months: 12}}", f"where: {{end: {{within_months: {value}}}}}")
    with pytest.raises(LadderInvalid) as where:
        load_ladder(ladder)
    assert where.value.problems[0].message == caught.value.problems[0].message


# -- ladder show: the calibration reason goes on after the dash in lower case ---------------------------


def test_the_calibration_reason_after_the_dash_starts_in_lower_case():
    shown = run("ladder", "show", "senior-pm-to-director", "--format", "markdown").stdout
    reasons = [line.split(" — ", 1)[1] for line in shown.splitlines() if "this ladder's calibration — " in line]
    assert reasons and all(not r[:1].isupper() or r.split()[0].isupper() for r in reasons)
    assert "calibration — the bar (meets or better) is the source's" in shown


# -- calendar months: the month from the 31st ends with the shorter month -------------------------------


@pytest.mark.parametrize("first, last, expected", [
    (D(2026, 1, 31), D(2026, 2, 28), Fraction(1)),  # 29 days, one month: not 1 1/31
    (D(2026, 2, 1), D(2026, 2, 28), Fraction(1)),  # as the 1st to the last day is
    (D(2026, 1, 30), D(2026, 2, 28), Fraction(1)),
    (D(2026, 3, 31), D(2026, 4, 30), Fraction(1)),
    (D(2026, 1, 31), D(2026, 2, 27), Fraction(28, 29)),  # a day short of it
    (D(2026, 1, 31), D(2026, 3, 30), Fraction(2)),  # then to the day before the 31st
])
def test_a_period_from_the_31st_counts_as_the_documented_rule_says(first, last, expected):
    from promoready.engine._calendar import add_months, months_through

    assert months_through(first, last) == expected
    # a projection is the inverse: the day the count reaches a whole number of months
    if expected.denominator == 1:
        assert add_months(first, int(expected)) == last + datetime.timedelta(days=1)


@pytest.mark.parametrize("first, last, expected", [
    (D(2026, 1, 31), D(2026, 2, 28), Fraction(1)),
    (D(2026, 3, 31), D(2026, 4, 30), Fraction(1)),
    (D(2026, 1, 31), D(2026, 2, 27), Fraction(28, 29)),
])
def test_a_review_period_from_the_31st_counts_a_month_to_the_end_of_the_next(first, last, expected, tmp_path):
    from promoready.engine import Evaluator

    evaluator = Evaluator(load_ladder())
    packet = {"candidate": {"id": "c"}, "current_level": "senior-pm", "target_level": "director",
              "as_of": "2026-06-01",
              "reviews": [{"start": first.isoformat(), "end": last.isoformat(), "rating": "meets",
                           "operating_level": "director"}]}
    decision = evaluator.evaluate(packet)
    months = next(c for c in decision.criteria if c.id == "sustained-next-level-performance").actual
    assert months.startswith("1 month" if expected == 1 else "0.5 months")
