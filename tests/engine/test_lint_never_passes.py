"""The ladder lint refuses a condition no packet can pass (ladder.never-passes): a bar beyond every value
the measure can take (read from the packet schema's bounds, a declared field's min/max, a scale), tests
of one measure in an `all` that contradict, a `where` no item can match (an empty date window). Such a
condition blocks every candidate and offers a next step no one can take ("raise strategy from 5 to 6").

A comparison that every known value passes (`gte: 0` on a count) is accepted: it still needs the
evidence, and is unknown without it.
"""

from __future__ import annotations

import copy

import pytest
from fixture_files import ladder_problems, write_ladder

from promoready.engine import load_ladder


def _criterion(cid: str, condition: dict) -> dict:
    return {"id": cid, "title": cid, "required": True, "rationale": "Because.",
            "source": {"file": "guide.txt", "section": "Promotions"}, "condition": condition,
            "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Add the evidence."}}


MEASURES = {
    "st": {"field": "competencies.strategy"},
    "craft": {"field": "competencies.product_craft"},
    "years": {"field": "experience.product_years", "unit": "years"},
    "years_grown": {"field": "experience.product_years", "unit": "years", "grows": True},
    "advocates": {"count": "advocates"},
    "partners": {"size": "influence.cross_functional_partners"},
    "since": {"months_since": "experience.current_level_since"},
    "months_24": {"review_months": {"at_or_above": "target", "within_months": 24}},
    "build": {"field": "evidence.build"},
    "teams": {"field": "evidence.teams"},
    "fit": {"field": "evidence.fit"},
    "pm": {"field": "evidence.pm"},
    "latest_rating": {"latest": "reviews", "of": "rating"},
    "lowest_rating": {"min": "reviews", "of": "rating"},
    "longest": {"max": "artifacts", "of": "horizon_months"},
    "total": {"sum_of": ["st", "craft"]},
    "mean": {"weighted_mean": [{"measure": "fit"}, {"measure": "build", "weight": 2}]},
}


def files_with(*conditions: dict, measures: dict | None = None) -> dict:
    return {
        "ladder.yaml": {
            "ladder": "never", "version": "1", "title": "Never passes",
            "levels": [{"id": "pm", "title": "PM", "track": "both", "rank": 1},
                       {"id": "senior-pm", "title": "Senior PM", "track": "both", "rank": 2}],
            "scales": {"fit-scale": [{"id": "low", "value": 1}, {"id": "mid", "value": 2}, {"id": "high", "value": 3}]},
            "evidence": {"build": {"type": "number", "min": 1, "max": 4}, "teams": {"type": "integer", "min": 0, "max": 9},
                         "fit": {"type": "rating", "scale": "fit-scale"}, "pm": {"type": "boolean"}},
            "measures": measures if measures is not None else copy.deepcopy(MEASURES),
        },
        "pm-to-senior-pm.yaml": {
            "transition": {"from": "pm", "to": "senior-pm", "track": "ic", "phase": "progressing-seniority",
                           "title": "PM to Senior PM"},
            "criteria": [_criterion(f"c{i}", c) for i, c in enumerate(conditions)],
        },
    }


def used_by(condition: dict) -> dict:
    """The measures ``condition`` names, with those they combine."""
    used = {k: v for k, v in MEASURES.items() if f"'{k}'" in repr(condition)}
    if "total" in used:
        used.update(st=MEASURES["st"], craft=MEASURES["craft"])
    if "mean" in used:
        used.update(fit=MEASURES["fit"], build=MEASURES["build"])
    return used


def refused(tmp_path, condition: dict, measures: dict | None = None):
    """The one problem a ladder whose only criterion has ``condition`` is refused for (unused measures
    are dropped, so that nothing else is said)."""
    (problem,) = ladder_problems(tmp_path, files_with(condition, measures=measures or used_by(condition)))
    assert problem.line is not None and "Traceback" not in problem.message, str(problem)
    return problem


@pytest.mark.parametrize("condition, path, words", [
    # the packet schema's bounds: competencies are whole numbers from 1 to 5
    ({"measure": "st", "gte": 6}, "criteria[0].condition.gte",
     "`gte: 6` can never pass: measure 'st' (competencies.strategy) is a whole number from 1 to 5"),
    ({"measure": "st", "gt": 5}, "criteria[0].condition.gt", "is a whole number from 1 to 5"),
    ({"measure": "st", "lt": 1}, "criteria[0].condition.lt", "is a whole number from 1 to 5"),
    ({"measure": "years", "gt": 100}, "criteria[0].condition.gt", "experience.product_years) is a number from 0 to 100"),
    # what the measure kind yields
    ({"measure": "advocates", "lt": 0}, "criteria[0].condition.lt", "(a count of advocates) is a whole number of at least 0"),
    ({"measure": "partners", "lte": -1}, "criteria[0].condition.lte", "is a whole number of at least 0"),
    ({"measure": "since", "lt": 0}, "criteria[0].condition.lt", "is a number of at least 0"),
    ({"measure": "months_24", "gt": 24}, "criteria[0].condition.gt",
     "(months of reviews in the last 24 months) is a number from 0 to 24"),
    ({"measure": "longest", "gt": 1200}, "criteria[0].condition.gt", "is a number from 0 to 1200"),
    # a declared field's min and max, and a declared integer
    ({"measure": "build", "gte": 5}, "criteria[0].condition.gte",
     "(evidence.build, as ladder.yaml declares it) is a number from 1 to 4"),
    ({"measure": "teams", "eq": 9.5}, "criteria[0].condition.eq",
     "is a whole number from 0 to 9"),
    # ordered words: no rating is above outstanding, or below the lowest step of a scale
    ({"measure": "latest_rating", "gt": "outstanding"}, "criteria[0].condition.gt",
     "is one of below, meets, exceeds, outstanding (lowest first)"),
    ({"measure": "fit", "lt": "low"}, "criteria[0].condition.lt", "is one of low, mid, high (lowest first)"),
    # arithmetic: a sum of two 1–5 ratings is at most 10; a mean of scale values 1–3 and a number 1–4, at most 4
    ({"measure": "total", "gt": 10}, "criteria[0].condition.gt", "(a sum of st, craft) is a whole number from 2 to 10"),
    ({"measure": "mean", "gt": 4}, "criteria[0].condition.gt", "(a weighted mean of fit, build) is a number from 1 to 4"),
    # under `not`, a comparison that always holds
    ({"not": {"measure": "st", "gte": 1}}, "criteria[0].condition.not.gte",
     "`not` of `gte: 1` can never pass: measure 'st' (competencies.strategy) is a whole number from 1 to 5, so the "
     "comparison always holds"),
    ({"not": {"measure": "lowest_rating", "in": ["below", "meets", "exceeds", "outstanding"]}},
     "criteria[0].condition.not.in", "can never pass"),
    # one measure in an `all` (nested, or a `not any`): contradictory constant bounds
    ({"all": [{"measure": "st", "gte": 5}, {"measure": "st", "lt": 3}]}, "criteria[0].condition.all",
     "`all` can never pass: measure 'st' cannot pass `gte: 5` (all[0]) and `lt: 3` (all[1]) at once"),
    ({"all": [{"measure": "st", "gt": 3}, {"all": [{"measure": "advocates", "gte": 1}, {"measure": "st", "lt": 4}]}]},
     "criteria[0].condition.all", "`gt: 3` (all[0]) and `lt: 4` (all[1].all[1])"),  # no whole number between
    ({"not": {"any": [{"measure": "st", "lt": 5}, {"measure": "st", "gt": 4}]}}, "criteria[0].condition.not.any",
     "`any` under `not` can never pass"),
    ({"all": [{"measure": "pm", "eq": True}, {"measure": "pm", "ne": True}]}, "criteria[0].condition.all",
     "`eq: true` (all[0]) and `ne: true` (all[1]) at once (evidence.pm is true or false)"),
])
def test_a_condition_no_packet_can_pass_is_refused(tmp_path, condition, path, words):
    problem = refused(tmp_path, condition)
    assert (problem.code, problem.path) == ("ladder.never-passes", path), str(problem)
    assert words in problem.message, problem.message
    assert "change" in problem.message  # says what to do


@pytest.mark.parametrize("where, path, words", [
    ({"date": {"after": {"months_before_as_of": 6}, "before": {"months_before_as_of": 12}}}, "measures.m.where.date",
     "no day is after 6 months before as_of and before 12 months before as_of"),
    ({"date": {"within_months": 6, "on_or_before": {"months_before_as_of": 7}}}, "measures.m.where.date",
     "no day is in the last 6 months and on or before 7 months before as_of"),
    ({"date": {"on_or_after": "2026-01-01", "before": "2025-06-01"}}, "measures.m.where.date",
     "no day is on or after 2026-01-01 and before 2025-06-01"),
    ({"date": {"before": "1900-01-01"}}, "measures.m.where.date", "on or after 1900-01-01 (the earliest date a packet"),
    ({"reach": {"gt": "company"}}, "measures.m.where.reach", "can never match"),
    ({"measured": {"eq": True, "ne": True}}, "measures.m.where.measured", "`eq: true` and `ne: true` can never match"),
])
def test_a_where_no_item_can_match_is_refused(tmp_path, where, path, words):
    problem = refused(tmp_path, {"measure": "m", "gte": 1}, measures={"m": {"count": "impact", "where": where}})
    assert (problem.code, problem.path) == ("ladder.never-passes", path), str(problem)
    assert words in problem.message and "would find no item" in problem.message, problem.message


def test_a_where_on_a_field_of_other_items_is_checked_against_its_bounds(tmp_path):
    problem = refused(tmp_path, {"measure": "m", "gte": 1},
                      measures={"m": {"count": "artifacts", "where": {"horizon_months": {"gt": 1200}}}})
    assert (problem.code, problem.path) == ("ladder.never-passes", "measures.m.where.horizon_months"), str(problem)
    assert "artifacts[].horizon_months is a number from 0 to 1200" in problem.message, problem.message


@pytest.mark.parametrize("condition", [
    {"measure": "st", "gte": 5}, {"measure": "st", "lte": 1},
    {"measure": "st", "gte": 1}, {"measure": "advocates", "gte": 0},  # always pass when known: accepted
    {"measure": "years", "gt": 4.5}, {"all": [{"measure": "years", "gt": 4}, {"measure": "years", "lt": 5}]},
    {"all": [{"measure": "st", "gte": 3}, {"measure": "st", "lte": 3}]},
    {"measure": "years_grown", "gte": 150},  # grows with time: past the packet's 100 years by as_of
    {"measure": "months_24", "gte": 24}, {"measure": "since", "gte": 1200},
    {"measure": "build", "gte": 4}, {"measure": "teams", "eq": 9},
    {"any": [{"measure": "st", "gte": 5}, {"measure": "st", "lt": 3}]},  # either may pass
    {"all": [{"measure": "st", "gte": 5}, {"measure": "craft", "lt": 3}]},  # two measures
    {"not": {"all": [{"measure": "st", "gte": 5}, {"measure": "st", "lt": 3}]}},
    {"measure": "lowest_rating", "gte": "below"}, {"measure": "fit", "in": ["high"]},
])
def test_a_condition_some_packet_can_pass_is_accepted(tmp_path, condition):
    load_ladder(write_ladder(tmp_path, files_with(condition, measures=used_by(condition))))


@pytest.mark.parametrize("where", [
    {"date": {"after": {"months_before_as_of": 12}, "before": {"months_before_as_of": 6}}},
    {"date": {"after": "2999-01-01"}}, {"date": {"on_or_after": "2025-01-01", "on_or_before": "2025-01-01"}},
    {"date": {"within_months": 6, "on_or_before": {"months_before_as_of": 5}}},
    {"date": {"after": "2026-01-01", "before": {"months_before_as_of": 12}}},  # fixed and relative: depends on as_of
    {"value": {"gte": -1e12, "lte": 1e12}},
])
def test_a_where_some_item_can_match_is_accepted(tmp_path, where):
    files = files_with({"measure": "m", "gte": 1}, measures={"m": {"count": "impact", "where": where}})
    load_ladder(write_ladder(tmp_path, files))


def test_every_problem_is_reported_in_one_run_and_the_bundled_ladders_still_load(tmp_path):
    found = ladder_problems(tmp_path, files_with({"measure": "st", "gte": 6}, {"measure": "advocates", "lt": 0},
                                                 measures={"st": MEASURES["st"], "advocates": MEASURES["advocates"]}))
    assert [p.path for p in found] == ["criteria[0].condition.gte", "criteria[1].condition.lt"]
    for name in ("product-management", "startup"):
        load_ladder(name)
