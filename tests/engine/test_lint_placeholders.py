"""`{current}` and `{target}` become the transition's level ids in a measure's title, and nowhere else: the
lint refuses a `{…}` that would reach a candidate as written (ladder.placeholder): an unknown one in a
measure's title (with the closest known one), any in a criterion's title or texts, a condition's title, a
transition's or a supporting group's title, and a brace that opens or closes none."""

from __future__ import annotations

import copy

import pytest
from fixture_files import ladder_problems, write_ladder

from promoready.engine import Evaluator, load_ladder


def _criterion(cid: str, condition: dict, **extra) -> dict:
    return {"id": cid, "title": cid, "required": True, "rationale": "Because {x} is fine in a rationale.",
            "source": {"file": "guide.txt", "section": "Promotions"}, "condition": condition,
            "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Add the evidence."}, **extra}


LADDER = {
    "ladder.yaml": {
        "ladder": "words", "version": "1", "title": "Placeholders",
        "levels": [{"id": "pm", "title": "PM", "track": "both", "rank": 1},
                   {"id": "senior-pm", "title": "Senior PM", "track": "both", "rank": 2}],
        "measures": {"years": {"field": "experience.product_years", "unit": "years",
                               "title": "years from {current} to {target}"},
                     "teams": {"field": "scope.teams", "title": "teams"}},
    },
    "pm-to-senior-pm.yaml": {
        "transition": {"from": "pm", "to": "senior-pm", "track": "ic", "phase": "progressing-seniority",
                       "title": "PM to Senior PM", "supporting_groups": {"craft": {"needed": 0, "title": "Craft"}}},
        "criteria": [_criterion("years", {"measure": "years", "gte": 3}),
                     _criterion("teams", {"at_least": 1, "of": [{"title": "teams led", "measure": "teams", "gte": 2}]})],
    },
}


def test_a_measure_title_says_its_levels_and_the_rest_as_written(tmp_path):
    ladder = load_ladder(write_ladder(tmp_path, LADDER))
    got = Evaluator(ladder).evaluate({"candidate": {"id": "c"}, "current_level": "pm", "as_of": "2026-01-01",
                                      "experience": {"product_years": 1}})
    (years,) = [c for c in got.criteria if c.id == "years"]
    assert "years from pm to senior-pm" in years.expected, years.expected


@pytest.mark.parametrize("title, words, suggestion", [
    ("years at {targt}", "unknown placeholder '{targt}' in the title of measure 'years': a measure's title may say "
                         "{current} or {target}", "'{target}'"),
    ("years {foo} {0} {}", "unknown placeholders '{foo}', '{0}', '{}'", None),
    ("teams {current", "a brace that opens or closes no placeholder in the title of measure 'years'", None),
    ("{{target}}", "a brace that opens or closes no placeholder", None),
])
def test_a_measure_title_with_another_placeholder_is_refused(tmp_path, title, words, suggestion):
    files = copy.deepcopy(LADDER)
    files["ladder.yaml"]["measures"]["years"]["title"] = title
    (p,) = ladder_problems(tmp_path, files)
    assert (p.code, p.path, p.suggestion) == ("ladder.placeholder", "measures.years.title", suggestion), str(p)
    assert words in p.message and p.line is not None, p.message


@pytest.mark.parametrize("edit, path, words", [
    (lambda t: t["criteria"][0].update(title="Years at {target}"), "criteria[0].title",
     "'{target}' in the title of criterion 'years' would be shown as written: only a measure's title replaces "
     "{current} and {target}; write the level itself ('senior-pm')"),
    (lambda t: t["criteria"][0]["text"].update(fail="Spend a year at {current}."), "criteria[0].text.fail",
     "'{current}' in the fail text of criterion 'years' would be shown as written"),
    (lambda t: t["criteria"][0]["text"].update(unknown="Add {foo}."), "criteria[0].text.unknown",
     "'{foo}' in the unknown text of criterion 'years' would be shown as written: only a measure's title replaces "
     "{current} and {target}; remove the braces"),
    (lambda t: t["criteria"][1]["condition"]["of"][0].update(title="teams at {target}"),
     "criteria[1].condition.of[0].title", "in a condition's title in criterion 'teams'"),
    (lambda t: t["transition"].update(title="{current} to {target}"), "transition.title",
     "'{current}', '{target}' in the transition's title would be shown as written: only a measure's title replaces "
     "{current} and {target}; write the level itself ('pm', 'senior-pm')"),
    (lambda t: t["transition"]["supporting_groups"]["craft"].update(title="Craft at {target}"),
     "transition.supporting_groups.craft.title", "in the title of group 'craft'"),
])
def test_a_placeholder_where_nothing_is_replaced_is_refused(tmp_path, edit, path, words):
    files = copy.deepcopy(LADDER)
    edit(files["pm-to-senior-pm.yaml"])
    (p,) = ladder_problems(tmp_path, files)
    assert (p.code, p.path) == ("ladder.placeholder", path), str(p)
    assert words in p.message and p.line is not None, p.message
