"""The adverse-impact arithmetic against hand-computed cases, and Fisher's exact test against
published values and an exact rational oracle."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from promoready.report._fairness import COMPLEMENTARY, SMALL, impact, suppressed_groups
from promoready.report._fisher import fisher_exact


def oracle(a: int, b: int, c: int, d: int) -> Fraction:
    """Two-sided Fisher p by brute force in exact rationals: every table with the same margins."""
    n1, n2, k = a + b, c + d, a + c
    total = math.comb(n1 + n2, k)
    probs = {x: Fraction(math.comb(n1, x) * math.comb(n2, k - x), total) for x in range(max(0, k - n2), min(k, n1) + 1)}
    observed = probs[a]
    return sum((p for p in probs.values() if p <= observed), Fraction(0))


@pytest.mark.parametrize("table, expected", [
    ((3, 1, 1, 3), 0.4857142857),      # Fisher's tea tasting (R: fisher.test, p = 0.4857)
    ((8, 2, 1, 5), 0.0349650350),      # SciPy's fisher_exact documentation example
    ((6, 2, 1, 4), 0.1025641026),      # SciPy's fisher_exact documentation example
    ((1, 9, 11, 3), 0.0027594562),     # the dieting/studying table of Fisher's exact test's usual exposition
    ((0, 10, 10, 0), 2 / math.comb(20, 10)),
    ((5, 0, 0, 0), 1.0),               # one possible table
])
def test_fisher_known_values(table, expected):
    assert fisher_exact(*table) == pytest.approx(expected, rel=1e-8)


def test_fisher_agrees_with_the_exact_oracle_on_every_small_table():
    for a, b, c, d in itertools.product(range(6), repeat=4):
        assert fisher_exact(a, b, c, d) == pytest.approx(float(oracle(a, b, c, d)), rel=1e-9, abs=1e-15), (a, b, c, d)


def test_fisher_agrees_with_the_oracle_on_larger_tables_and_is_symmetric():
    rng = random.Random(3)
    for _ in range(40):
        a, b, c, d = (rng.randrange(0, 120) for _ in range(4))
        p = fisher_exact(a, b, c, d)
        assert p == pytest.approx(float(oracle(a, b, c, d)), rel=1e-9, abs=1e-300)
        assert fisher_exact(c, d, a, b) == pytest.approx(p, rel=1e-9, abs=1e-300)  # rows swapped
        assert fisher_exact(a, c, b, d) == pytest.approx(p, rel=1e-9, abs=1e-300)  # transposed


def test_fisher_tiny_p_on_a_large_table_is_still_exact():
    # 30 of 100 against 70 of 100: far in the tail, where a naive sum would lose it.
    assert fisher_exact(30, 70, 70, 30) == pytest.approx(float(oracle(30, 70, 70, 30)), rel=1e-9)


def test_fisher_refuses_negative_counts():
    with pytest.raises(ValueError):
        fisher_exact(-1, 2, 3, 4)


def cells(table):
    return {c.group: c for c in table}


def test_four_fifths_flag_ratio_expected_and_shortfall_by_hand():
    # A: 50 of 100 ready (0.5); B: 30 of 100 (0.3). Ratio of B: 0.3 / 0.5 = 0.6 < 0.8: flagged.
    # Common rate 80 / 200 = 0.4: each group would have 40 ready; A has 10 more, B 10 fewer.
    out = cells(impact({"A": (100, 50), "B": (100, 30)}, {}))
    assert out["A"].ratio == pytest.approx(1.0) and not out["A"].flag
    assert out["B"].rate == pytest.approx(0.3)
    assert out["B"].ratio == pytest.approx(0.6) and out["B"].flag
    assert out["A"].expected == pytest.approx(40) and out["A"].shortfall == pytest.approx(-10)
    assert out["B"].expected == pytest.approx(40) and out["B"].shortfall == pytest.approx(10)
    # Group against the rest: B is [[30, 70], [50, 50]].
    assert out["B"].p_value == pytest.approx(float(oracle(30, 70, 50, 50)), rel=1e-9)
    assert out["A"].p_value == pytest.approx(out["B"].p_value, rel=1e-9)  # two groups: the same table, mirrored


def test_exactly_four_fifths_is_not_flagged_just_under_is():
    # 8/20 = 0.4 against 10/20 = 0.5: the ratio is 0.8 exactly (not "under"), though 0.4 / 0.5 in floats
    # is 0.8000000000000002 and a float comparison could go either way.
    at = cells(impact({"A": (20, 10), "B": (20, 8)}, {}))
    assert not at["B"].flag
    under = cells(impact({"A": (20, 10), "B": (20, 7)}, {}))
    assert under["B"].flag and under["B"].ratio == pytest.approx(0.7)
    # 3 of 5 against 3 of 4 (0.6 / 0.75 = 0.8 exactly, also 0.7999… in floats).
    assert not cells(impact({"A": (4, 3), "B": (5, 3)}, {}))["B"].flag


def test_no_ratio_without_a_positive_best_or_a_second_group():
    none_ready = cells(impact({"A": (10, 0), "B": (12, 0)}, {}))
    assert none_ready["A"].ratio is None and not none_ready["A"].flag
    alone = cells(impact({"A": (10, 3)}, {}))
    assert alone["A"].ratio is None and not alone["A"].flag and alone["A"].p_value == 1.0


def test_small_group_is_suppressed_with_its_complement():
    # c (4) is under 5; with only c hidden, total − a − b would give c: b, the smallest left, goes too.
    assert suppressed_groups({"a": 10, "b": 8, "c": 4}, 5) == {"c": SMALL, "b": COMPLEMENTARY}


def test_two_small_groups_need_no_complement():
    assert suppressed_groups({"a": 10, "b": 8, "c": 4, "d": 3}, 5) == {"c": SMALL, "d": SMALL}


def test_complement_ties_go_by_name_and_a_lone_survivor_is_hidden():
    assert suppressed_groups({"a": 10, "c": 8, "b": 8, "x": 2}, 5) == {"x": SMALL, "b": COMPLEMENTARY}
    assert suppressed_groups({"a": 10, "b": 4}, 5) == {"b": SMALL, "a": COMPLEMENTARY}


def test_nothing_hidden_when_every_group_is_large_enough_and_the_minimum_is_configurable():
    assert suppressed_groups({"a": 10, "b": 5}, 5) == {}
    assert suppressed_groups({"a": 10, "b": 8, "c": 4}, 3) == {}
    assert suppressed_groups({"a": 10, "b": 8, "c": 4}, 9) == {"b": SMALL, "c": SMALL}


def test_minimum_below_three_is_refused():
    with pytest.raises(ValueError):
        suppressed_groups({"a": 10}, 2)


def test_groups_hidden_in_the_parent_table_stay_hidden_and_trigger_a_complement():
    # The criterion table hides what its transition hides, even when its own counts would be large enough.
    assert suppressed_groups({"a": 10, "b": 8, "c": 6}, 5, also={"c": SMALL}) == {"c": SMALL, "b": COMPLEMENTARY}


def test_hidden_groups_show_no_figure_and_are_never_the_reference():
    # h has the best rate (4 of 4) but is hidden: the ratios compare with A (6 of 10), so B's 4 of 10 is 0.67.
    counts = {"A": (10, 6), "B": (10, 4), "h": (4, 4)}
    out = cells(impact(counts, {"h": SMALL}))
    assert out["h"].n is None and out["h"].rate is None and out["h"].p_value is None and out["h"].suppressed == SMALL
    assert out["B"].ratio == pytest.approx(4 / 6) and out["B"].flag
    # The test is still against everyone else, hidden people included: B against 10 of 14.
    assert out["B"].p_value == pytest.approx(float(oracle(4, 6, 10, 4)), rel=1e-9)
