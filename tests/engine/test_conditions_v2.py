"""Issue 12, the condition side: contains on lists of words, two measures compared, at_least N of,
thresholds keyed by track / current level / a packet field, and named supporting groups.

Each construct is decided by durable-rules exactly as the plain-Python reference decides it (generated
packets), compiles to a number of rules linear in its parts (at_least), is refused with file:line and a
"did you mean" when it is written wrong, and explains itself.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

import pytest
from hypothesis import given
from promoready.engine import Evaluator, LadderInvalid, load_ladder
from promoready.engine._capacity import Network, _fits_alone
from promoready.engine._compile import Compiler
from promoready.engine._levels import LevelIndex
from promoready.engine.whatif import what_if
from strategies import DEFAULT, examples, packets
from test_differential import assert_agrees


def _criterion(cid: str, condition: dict, required: bool = True, group: str | None = None) -> dict:
    out = {"id": cid, "title": cid.replace("-", " "), "required": required, "rationale": "Issue 12.",
           "source": {"file": "000_v2.txt", "section": "V2"}, "condition": condition,
           "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Unknown."}}
    if group is not None:
        out["group"] = group
    return out


LEVELS = [{"id": "a", "title": "Level A", "aliases": ["Alpha"], "track": "both", "rank": 1},
          {"id": "b", "title": "Level B", "track": "both", "rank": 2},
          {"id": "c", "title": "Level C", "track": "management", "rank": 3}]

MEASURES = {
    "partners": {"field": "influence.cross_functional_partners", "title": "partners"},
    "pm_reports": {"field": "leadership.pm_reports", "title": "PM reports"},
    "direct_reports": {"field": "leadership.direct_reports", "title": "direct reports"},
    "hires": {"field": "leadership.hires", "title": "hires"},
    "craft": {"field": "competencies.product_craft", "title": "craft"},
    "execution": {"field": "competencies.execution", "title": "execution"},
    "strategy": {"field": "competencies.strategy", "title": "strategy"},
    "communication": {"field": "competencies.communication", "title": "communication"},
    "business": {"field": "competencies.business_acumen", "title": "business"},
    "teams": {"field": "scope.teams", "title": "teams"},
    "ambiguity": {"field": "scope.ambiguity", "title": "ambiguity"},
    "size": {"field": "organization.size", "title": "organisation size"},
    # the same fields again: a measure compared with ITSELF is refused by the lint, with another one is not
    "ambiguity_stated": {"field": "scope.ambiguity", "title": "stated ambiguity"},
    "size_stated": {"field": "organization.size", "title": "stated organisation size"},
    "level_now": {"field": "current_level", "title": "current level"},
    "target_named": {"field": "target_level", "title": "target level"},
}

V2 = {
    "ladder.yaml": {"ladder": "v2", "version": "1", "title": "Issue 12 conditions", "levels": LEVELS,
                    "measures": MEASURES},
    "a-to-b.yaml": {
        "transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B",
                       "supporting_needed": 1,
                       "supporting_groups": {"values": {"needed": 2, "title": "Company values"},
                                             "craft": {"needed": 1}}},
        "criteria": [
            _criterion("partners-all", {"measure": "partners", "contains_all": ["Engineering", "design"]}),
            _criterion("partners-one", {"measure": "partners", "contains": "data"}, False, "values"),
            _criterion("partners-any", {"measure": "partners", "contains_any": ["sales", "legal"]}, False, "values"),
            _criterion("pm-within-direct", {"measure": "pm_reports", "lte": {"measure": "direct_reports"}}),
            _criterion("hires-vs-direct", {"any": [{"measure": "hires", "gt": {"measure": "direct_reports"}},
                                                   {"measure": "hires", "eq": {"measure": "pm_reports"}}]},
                       False, "values"),
            _criterion("three-of-five", {"at_least": 3, "of": [
                {"measure": "craft", "gte": 3}, {"measure": "execution", "gte": 3}, {"measure": "strategy", "gte": 3},
                {"measure": "communication", "gte": 3.5}, {"measure": "business", "gte": 3}]}),
            _criterion("nested", {"not": {"at_least": 2, "of": [
                {"at_least": 1, "of": [{"measure": "craft", "lt": 2}, {"measure": "execution", "lt": 2}]},
                {"measure": "partners", "contains": "nobody"},
                {"measure": "ambiguity", "ne": {"measure": "ambiguity_stated"}}]}}, False, "craft"),
            _criterion("by-field", {"measure": "teams", "gte": {"by": {"field": "scope.ambiguity",
                                                                       "values": {"low": 1, "high": 3}, "default": 2}}}),
            _criterion("by-size-field", {"measure": "teams", "lt": {"by": {"field": "organization.size", "values": {
                "startup": 4, "growth": 6, "enterprise": 9}}}}, False),
            _criterion("by-track", {"measure": "teams", "gte": {"by_track": {"ic": 1, "management": 4}}}, False, "craft"),
            _criterion("by-level", {"measure": "teams", "gte": {"by_level": {"Alpha": 2, "default": 5}}}, False),
            _criterion("levels-compared", {"measure": "level_now", "lt": {"measure": "target_named"}}, False, "craft"),
            _criterion("words-compared", {"measure": "ambiguity", "eq": {"measure": "ambiguity_stated"}}, False),
        ],
    },
    "b-to-c.yaml": {
        "transition": {"from": "b", "to": "c", "track": "management", "phase": "product-leader-canyon",
                       "title": "B to C"},
        "criteria": [
            _criterion("by-track-mgmt", {"measure": "teams", "gte": {"by_track": {"ic": 1, "management": 4}}}),
            _criterion("by-level-b", {"measure": "teams", "gte": {"by_level": {"a": 2, "b": 3}}}),
            _criterion("by-current-level", {"measure": "hires", "gte": {"by": {"field": "target_level",
                                                                               "values": {"c": 2}, "default": 9}}}),
            _criterion("size-vs-size", {"measure": "size", "gte": {"measure": "size_stated"}}),
        ],
    },
}


def _write(files: dict) -> str:
    folder = tempfile.mkdtemp(prefix="promoready-v2-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, content in files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=1)  # JSON is YAML: each key on its own line
    return folder


V2_LADDER = load_ladder(_write(V2))
V2_ENGINE = Evaluator(V2_LADDER)

BASE = {"candidate": {"id": "e-1"}, "current_level": "a", "as_of": "2026-11-01"}


def _packet(**sections) -> dict:
    return {**BASE, **sections}


# -- the engine decides as the reference does -------------------------------------------------------------


@examples(500)
@given(packet=packets(V2_LADDER))
def test_v2_ladder_engine_matches_reference(packet):
    assert_agrees(V2_LADDER, V2_ENGINE, packet)


def _at_least_ladder(need: int, parts: int) -> dict:
    names = list(MEASURES)[4:9] + ["teams", "hires", "direct_reports", "pm_reports"]
    conds = [{"measure": names[q % len(names)], "gte": 1 + q % 4} for q in range(parts)]
    used = [n for n in names if any(c["measure"] == n for c in conds)]
    return {
        "ladder.yaml": {"ladder": "quota", "version": "1", "title": "Quota", "levels": LEVELS[:2],
                        "measures": {n: MEASURES[n] for n in used}},
        "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                       "title": "A to B"},
                        "criteria": [_criterion("quota", {"at_least": need, "of": conds})]},
    }


@pytest.mark.parametrize("need, parts", [(3, 8), (6, 16), (10, 20)])
def test_at_least_compiles_to_rules_linear_in_its_parts(need, parts):
    """3-of-8 as a flat disjunction is C(8,3) = 56 alternatives per region (10-of-20: 184,756): here it is
    three rules per comparison part plus three for the node, and fits the engine's tables."""
    ladder = load_ladder(_write(_at_least_ladder(need, parts)))
    transition = ladder.transitions[0]
    compiler = Compiler(ladder, transition, LevelIndex(ladder))
    tree = compiler.tree(0, transition.criteria[0].condition)
    rules = compiler.own_rules(0, tree)
    assert len(rules) == 3 * parts + 3
    assert _fits_alone(Network(), rules, compiler.own_keys(tree)) is None
    assert compiler.rule_count(transition.criteria[0]) == 3 * parts + 3


_QUOTA_LADDER = load_ladder(_write(_at_least_ladder(3, 8)))
_QUOTA_ENGINE = Evaluator(_QUOTA_LADDER)


@examples(150)
@given(packet=packets(_QUOTA_LADDER))
def test_three_of_eight_decides_as_the_reference(packet):
    assert_agrees(_QUOTA_LADDER, _QUOTA_ENGINE, packet)


def test_many_comparisons_of_two_measures_stay_within_the_engine():
    """The engine shares no node that compares with another property, and keeps every such node a
    fact reaches pending: 90 criteria alike up to that test (code 303 before the compiler put it last
    and the capacity model counted it unshared) are split and decided."""
    files = {"ladder.yaml": {"ladder": "pairs", "version": "1", "title": "Pairs", "levels": LEVELS[:2],
                             "measures": {n: MEASURES[n] for n in ("teams", "hires", "direct_reports")}},
             "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                            "title": "A to B"},
                             "criteria": [_criterion(f"c-{i}", {"all": [{"measure": "teams", "ne": i},
                                                                        {"measure": "hires", "lt": {"measure": "direct_reports"}}]})
                                          for i in range(90)]}}
    ladder = load_ladder(_write(files))
    engine = Evaluator(ladder)
    packet = _packet(scope={"teams": 5}, leadership={"hires": 1, "direct_reports": 3})
    decision = engine.evaluate(packet)
    assert [c.status for c in decision.criteria] == ["pass"] * 5 + ["fail"] + ["pass"] * 84
    assert_agrees(ladder, engine, packet)


# -- verdicts with named groups ---------------------------------------------------------------------------


def _strong(**over) -> dict:
    """Every required criterion of a-to-b passes; the groups depend on ``over``."""
    packet = _packet(
        influence={"cross_functional_partners": ["Engineering", "design", "data", "sales"]},
        leadership={"pm_reports": 1, "direct_reports": 2, "hires": 3},
        competencies={"product_craft": 4, "execution": 4, "strategy": 4, "communication": 4, "business_acumen": 4},
        scope={"teams": 3, "ambiguity": "high"}, organization={"size": "startup"}, target_level="b")
    for key, value in over.items():
        packet[key] = value
    return packet


def test_groups_are_decided_by_the_engine_and_listed_in_the_decision():
    decision = V2_ENGINE.evaluate(_strong())
    assert decision.verdict == "ready"
    assert [(g.id, g.title, g.needed, g.passed, g.unknown) for g in decision.groups or []] == [
        ("values", "Company values", 2, 3, 0), ("craft", None, 1, 3, 0)]
    # `supporting` is the quota of the supporting criteria in no group, as before
    assert (decision.supporting.needed, decision.supporting.passed) == (1, 3)
    assert '"groups":[{"id":"values"' in decision.to_json()


def test_a_group_out_of_reach_blocks_and_one_reachable_only_through_unknowns_is_insufficient():
    out_of_reach = V2_ENGINE.evaluate(_strong(influence={"cross_functional_partners": ["Engineering", "design"]},
                                              leadership={"pm_reports": 1, "direct_reports": 2, "hires": 0}))
    assert [(g.id, g.passed, g.unknown) for g in out_of_reach.groups or []][0] == ("values", 0, 0)
    assert out_of_reach.verdict == "not_ready"
    assert out_of_reach.projection is not None and "of Company values must pass" in out_of_reach.projection.reason
    unknown = V2_ENGINE.evaluate(_strong(leadership={"pm_reports": 1, "direct_reports": 2},
                                         influence={"cross_functional_partners": ["Engineering", "design", "data"]}))
    assert [(g.id, g.passed, g.unknown) for g in unknown.groups or []][0] == ("values", 1, 1)
    assert unknown.verdict == "insufficient_evidence"


def test_decisions_without_named_groups_keep_their_bytes():
    decision = Evaluator(DEFAULT).evaluate(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                                                        "packet.example.yaml"))
    assert decision.groups is None and '"groups"' not in decision.to_json()
    assert b'"groups"' not in decision.to_json_bytes()


def test_what_if_follows_a_group():
    result = what_if(V2_ENGINE, _strong(), ["leadership.hires=0", "influence.cross_functional_partners=[\"x\"]"])
    assert result.before.verdict == "ready" and result.after.verdict == "not_ready"
    assert {c.id for c in result.changed} >= {"partners-one", "hires-vs-direct"}


# -- explanations ---------------------------------------------------------------------------------------


def _result(packet: dict, cid: str):
    return next(c for c in V2_ENGINE.evaluate(packet).criteria if c.id == cid)


def test_at_least_says_how_many_pass_which_and_the_closest_part():
    weak = _strong(competencies={"product_craft": 4, "execution": 4, "strategy": 2, "communication": 3,
                                 "business_acumen": 1})
    r = _result(weak, "three-of-five")
    assert r.status == "fail"
    assert r.expected == ("at least 3 of 5: craft ≥ 3; execution ≥ 3; strategy ≥ 3; communication ≥ 3.5; "
                          "business ≥ 3")
    # A rating is whole: a bar of 3.5 needs 4.
    assert r.next_step == "needs 3 of 5: has 2 (craft, execution); closest: raise communication from 3 to 4"


def test_contains_names_the_missing_words_and_what_the_list_holds():
    r = _result(_strong(influence={"cross_functional_partners": ["engineering", "Sales"]}), "partners-all")
    assert (r.status, r.expected) == ("fail", "partners include engineering and design")
    assert r.next_step == "add design to partners (now engineering, sales)"  # words as contains compares them
    assert r.actual == "engineering, Sales"
    missing = _result(_strong(influence={}), "partners-all")
    assert (missing.status, missing.missing) == ("unknown", ["influence.cross_functional_partners"])


def test_two_measures_compared_say_both_values():
    r = _result(_strong(leadership={"pm_reports": 3, "direct_reports": 3, "hires": 0}), "hires-vs-direct")
    assert r.expected == "hires > direct reports or hires = PM reports"
    assert r.status == "fail"
    r = _result(_strong(leadership={"pm_reports": 2, "direct_reports": 2}), "hires-vs-direct")
    assert (r.status, r.missing) == ("unknown", ["leadership.hires"])


def test_keyed_thresholds_say_which_case_applies():
    known = _result(_strong(scope={"teams": 1, "ambiguity": "high"}), "by-field")
    assert known.expected == "teams ≥ 3 (ambiguity: high)"
    assert (known.status, known.next_step) == ("fail", "raise teams from 1 to 3")
    unknown = _result(_strong(scope={"teams": 2}), "by-field")
    assert unknown.expected == "teams ≥ 1 (low), 3 (high) or 2 (any other ambiguity)"
    assert (unknown.status, unknown.missing) == ("unknown", ["scope.ambiguity"])
    assert _result(_strong(scope={"teams": 3}), "by-field").status == "pass"  # every case holds
    assert _result(_strong(), "by-track").expected == "teams ≥ 1 (ic track)"
    assert _result(_strong(), "by-level").expected == "teams ≥ 2 (at a)"


def test_a_negated_ceiling_states_the_real_requirement():
    """not (x ≥ 3) failing at 4 is "below 3", never "at most 3"."""
    files = {"ladder.yaml": {"ladder": "neg", "version": "1", "title": "Neg", "levels": LEVELS[:2],
                             "measures": {"teams": MEASURES["teams"]}},
             "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                            "title": "A to B"},
                             "criteria": [_criterion("not-three", {"not": {"measure": "teams", "gte": 3}}),
                                          _criterion("at-most", {"measure": "teams", "lte": 3})]}}
    decision = Evaluator(load_ladder(_write(files))).evaluate(_packet(scope={"teams": 4}))
    assert [c.next_step for c in decision.criteria] == ["2 less teams (now 4, below 3)",
                                                         "1 less teams (now 4, at most 3)"]


# -- validation: file:line, the field path, and the closest name ------------------------------------------


def _refused(criteria: list[dict], header: dict | None = None) -> list:
    files = {"ladder.yaml": V2["ladder.yaml"],
             "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                            "title": "A to B", **(header or {})}, "criteria": criteria}}
    with pytest.raises(LadderInvalid) as caught:
        load_ladder(_write(files))
    # the ladder's other measures are unused here: only the transition's problems are of interest
    return [p for p in caught.value.problems if p.code not in ("ladder.unused-measure", "ladder.unreachable")]


@pytest.mark.parametrize("condition, code, path, words, suggestion", [
    ({"measure": "teams", "contains": "x"}, "ladder.bad-operator", "criteria[0].condition.contains",
     "needs a measure of a list of words", None),
    ({"measure": "partners", "gte": 2}, "ladder.bad-operator", "criteria[0].condition.gte",
     "is a list of words: compare it with contains, contains_all or contains_any", None),
    ({"measure": "partners", "contains_all": []}, "ladder.bad-operand", "criteria[0].condition.contains_all",
     "non-empty list of words", None),
    ({"measure": "teams", "lte": {"measure": "hirse"}}, "ladder.unknown-measure", "criteria[0].condition.lte.measure",
     "unknown measure 'hirse'", "'hires'"),
    ({"measure": "teams", "lte": {"measure": "ambiguity"}}, "ladder.bad-operand", "criteria[0].condition.lte",
     "only measures of one kind compare", None),
    ({"measure": "teams", "gte": {"by_level": {"b": 2}}}, "ladder.bad-operand", "criteria[0].condition.gte.by_level",
     "no threshold for level 'a'", None),
    ({"measure": "teams", "gte": {"by_level": {"bb": 2, "default": 1}}}, "ladder.unknown-level",
     "criteria[0].condition.gte.by_level.bb", "unknown level 'bb'", "'b'"),
    ({"measure": "teams", "gte": {"by_track": {"management": 2}}}, "ladder.bad-operand",
     "criteria[0].condition.gte.by_track", "no threshold for the ic track", None),
    ({"measure": "teams", "gte": {"by": {"field": "scope.ambiguty", "values": {"low": 1}, "default": 2}}},
     "ladder.unknown-field", "criteria[0].condition.gte.by.field", "not a field of the packet", "'scope.ambiguity'"),
    ({"measure": "teams", "gte": {"by": {"field": "scope.ambiguity", "values": {"hgh": 1}, "default": 2}}},
     "ladder.bad-operand", "criteria[0].condition.gte.by.values.hgh", "is not a value of scope.ambiguity", "'high'"),
    ({"measure": "teams", "gte": {"by": {"field": "scope.ambiguity", "values": {"high": 1}}}},
     "ladder.bad-operand", "criteria[0].condition.gte.by", "add a `default`", None),
])
def test_bad_conditions_are_refused_with_line_path_and_suggestion(condition, code, path, words, suggestion):
    (problem,) = _refused([_criterion("c", condition)])
    assert (problem.code, problem.path) == (code, path)
    assert words in problem.message
    assert problem.line is not None and problem.file.endswith("a-to-b.yaml")
    assert problem.suggestion == suggestion


def test_at_least_more_than_its_parts_is_refused():
    problem = _refused([_criterion("c", {"at_least": 3, "of": [{"measure": "teams", "gte": 1},
                                                               {"measure": "hires", "gte": 1}]})])[0]
    assert "`at_least: 3` of 2 conditions can never pass" in problem.message and problem.line is not None
    assert problem.path.startswith("criteria[0].condition")


def test_groups_are_checked():
    problems = _refused([_criterion("c", {"measure": "teams", "gte": 1}, False, "valeus"),
                         _criterion("d", {"measure": "hires", "gte": 1}, True, "values"),
                         _criterion("e", {"measure": "craft", "gte": 1}, False, "values")],
                        {"supporting_groups": {"values": {"needed": 2}}})
    found = {(p.code, p.path, p.suggestion) for p in problems}
    assert ("ladder.unknown-group", "criteria[0].group", "'values'") in found
    assert ("ladder.unknown-group", "criteria[1].group", None) in found
    assert ("ladder.supporting-quota", "transition.supporting_groups.values.needed", None) in found
    assert all(p.line is not None for p in problems)


# -- on a ladder's declared evidence ----------------------------------------------------------------------

DECLARED = {
    "ladder.yaml": {"ladder": "declared", "version": "1", "title": "Declared", "levels": LEVELS[:2],
                    "scales": {"level": [{"id": "below", "value": 1}, {"id": "meets", "value": 3},
                                         {"id": "exceeds", "value": 4}]},
                    "evidence": {"partners": {"type": "strings"},
                                 "segment": {"type": "string", "values": ["consumer", "platform"]},
                                 "validation": {"type": "rating", "scale": "level"},
                                 "build": {"type": "rating", "scale": "level"}},
                    "measures": {"partners": {"field": "evidence.partners"},
                                 "validation": {"field": "evidence.validation"},
                                 "build": {"field": "evidence.build"},
                                 "teams": MEASURES["teams"]}},
    "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                   "title": "A to B"},
                    "criteria": [
                        _criterion("declared-words", {"measure": "partners", "contains_any": ["Design", "data"]}),
                        _criterion("declared-pair", {"measure": "validation", "gte": {"measure": "build"}}),
                        _criterion("declared-key", {"measure": "teams", "gte": {"by": {
                            "field": "evidence.segment", "values": {"consumer": 2, "platform": 4}}}}),
                    ]},
}


@pytest.mark.parametrize("evidence, teams, statuses", [
    ({"partners": ["design"], "validation": "exceeds", "build": "meets", "segment": "platform"}, 4,
     ["pass", "pass", "pass"]),
    ({"partners": [], "validation": "below", "build": "meets", "segment": "consumer"}, 1, ["fail", "fail", "fail"]),
    ({"validation": "meets"}, 3, ["unknown", "unknown", "unknown"]),
    ({"segment": None}, 5, ["unknown", "unknown", "pass"]),
])
def test_declared_evidence_works_with_every_new_condition(evidence, teams, statuses):
    ladder = load_ladder(_write(DECLARED))
    engine = Evaluator(ladder)
    packet = _packet(evidence=evidence, scope={"teams": teams})
    decision = engine.evaluate(packet)
    assert [c.status for c in decision.criteria] == statuses
    assert_agrees(ladder, engine, packet)


def test_parts_of_an_at_least_are_named_by_their_own_titles():
    groups = {"at_least": 2, "of": [
        {"title": "validation", "all": [{"measure": "craft", "gte": 3}, {"measure": "strategy", "gte": 3}]},
        {"title": "build", "measure": "execution", "gte": 3},
        {"title": "business", "any": [{"measure": "business", "gte": 3.5}, {"measure": "teams", "gte": 3}]}]}
    used = {name: MEASURES[name] for name in ("craft", "strategy", "execution", "business", "teams")}
    files = {"ladder.yaml": {**V2["ladder.yaml"], "levels": LEVELS[:2], "measures": used},
             "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                            "title": "A to B"},
                             "criteria": [_criterion("groups", groups)]}}
    ladder = load_ladder(_write(files))
    r = Evaluator(ladder).evaluate(_packet(competencies={"product_craft": 4, "strategy": 3, "execution": 2,
                                                         "business_acumen": 3}, scope={"teams": 1}))
    assert r.verdict == "not_ready"
    (c,) = r.criteria
    assert c.status == "fail"
    assert c.next_step.startswith("needs 2 of 3: has 1 (validation); closest: ")
    # A title changes the words, never the decision or what the ladder's digest covers of v1 ladders.
    untitled = {**files, "a-to-b.yaml": {**files["a-to-b.yaml"], "criteria": [_criterion("groups", {
        "at_least": 2, "of": [{k: v for k, v in part.items() if k != "title"} for part in groups["of"]]})]}}
    plain = Evaluator(load_ladder(_write(untitled))).evaluate(_packet(
        competencies={"product_craft": 4, "strategy": 3, "execution": 2, "business_acumen": 3}, scope={"teams": 1}))
    assert plain.criteria[0].status == "fail" and "validation" not in plain.criteria[0].next_step


@pytest.mark.parametrize("need, got", [(True, "true"), ("2", "'2'"), (2.0, "2.0")])
def test_at_least_takes_a_whole_number_only(need, got):
    problems = _refused([_criterion("n-of", {"at_least": need, "of": [{"measure": "craft", "gte": 3},
                                                                      {"measure": "strategy", "gte": 3}]})])
    (problem,) = [p for p in problems if p.path.endswith("at_least")]
    assert problem.path == "criteria[0].condition.at_least"
    assert problem.message == f"expected a whole number, got {got}" and problem.line is not None


def test_a_titled_part_is_named_by_its_title_in_expected_and_in_the_closest_step():
    groups = {"at_least": 2, "of": [
        {"title": "validation", "all": [{"measure": "craft", "gte": 3}, {"measure": "strategy", "gte": 3}]},
        {"title": "build", "measure": "execution", "gte": 3},
        {"title": "business", "any": [{"measure": "business", "gte": 3.5}, {"measure": "teams", "gte": 3}]},
        {"title": "hires", "measure": "hires", "gte": 2},  # titled as its measure: said once
        {"all": [{"measure": "pm_reports", "gte": 1}, {"measure": "communication", "gte": 3}]}]}  # untitled
    used = {name: MEASURES[name] for name in ("craft", "strategy", "execution", "business", "teams", "hires",
                                              "pm_reports", "communication")}
    files = {"ladder.yaml": {**V2["ladder.yaml"], "levels": LEVELS[:2], "measures": used},
             "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                            "title": "A to B"},
                             "criteria": [_criterion("groups", {**groups, "at_least": 3})]}}
    r = Evaluator(load_ladder(_write(files))).evaluate(_packet(
        competencies={"product_craft": 4, "strategy": 3, "execution": 2, "business_acumen": 3, "communication": 2},
        scope={"teams": 1}, leadership={"hires": 0, "pm_reports": 0}))
    (c,) = r.criteria
    assert c.status == "fail"
    assert c.expected == ("at least 3 of 5: validation (craft ≥ 3 and strategy ≥ 3); build (execution ≥ 3); "
                          "business (business ≥ 3.5 or teams ≥ 3); hires ≥ 2; (PM reports ≥ 1 and communication ≥ 3)")
    # The two cheapest parts to turn, cheapest first, each named by its title, its step in the measure's words (a
    # rating is whole: a bar of 3.5 needs 4).
    assert c.next_step == "needs 3 of 5: has 1 (validation); closest: business: raise business from 3 to 4; " \
                          "build: raise execution from 2 to 3"
    # Found lists what the packet shows, measure by measure (a part may read several).
    assert "execution: 2" in c.actual


@pytest.mark.parametrize("values", [{"current": 2, "a": 5}, {"Alpha": 2, "a": 5}])
def test_a_by_key_naming_a_level_another_key_names_is_refused(values):
    # The engine keeps the first threshold for the level; the second could never apply, and with the
    # key unknown it must not count as a possible threshold either: the ladder is refused instead.
    problems = _refused([_criterion("keyed", {"measure": "teams", "gte": {"by": {
        "field": "current_level", "values": values, "default": 9}}})])
    (problem,) = [p for p in problems if p.code == "ladder.duplicate-id"]
    assert problem.path == "criteria[0].condition.gte.by.values.a" and problem.line is not None
    assert "could never apply" in problem.message
