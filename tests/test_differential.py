"""Differential tests: the durable-rules ``Evaluator`` against the plain-Python reference (``reference.py``).

For every generated packet, every criterion's status and the verdict must be the same. Three ladders:

- the tiny fixture ladder (every measure kind);
- the default ladder, transition by transition (skipped, with the reason, only if it does not load);
- a synthetic ladder written below, whose criteria each read one independent field, so that every
  combination of required/supporting statuses (and so every branch of the verdict, the supporting
  quota included) is common, and which uses the operators and forms the other two ladders do not
  (``lt``, ``ne``, ``eq``/``in`` on words, ``{level: …}`` operands, level fields, ``where`` with
  ``lte``/``ne``/ordered-enum ``gte``/``in [current, …]``, ``min`` with ``where``, windowed reviews
  with ``min_rating: exceeds``, ``not`` over ``any``, ``latest`` of an ordered, a level and an
  unordered field, ``within_months`` windows on item dates).

About 2,250 packets per run (``strategies.examples``: a fixed sequence in CI; set
``PROMOREADY_HYPOTHESIS_RANDOM=1`` for fresh ones).
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import tempfile

import pytest
from hypothesis import given
from promoready.engine import Evaluator, LadderError, load_ladder
from promoready.schemas.ladder import Ladder
from reference import reference_decide
from strategies import DEFAULT, DEFAULT_UNAVAILABLE, TINY, evaluator, examples, packets

# -- a synthetic ladder: one field per criterion, and the operators the real ladders leave out ----------


def _criterion(cid: str, required: bool, condition: dict) -> dict:
    return {"id": cid, "title": cid, "required": required, "rationale": "Synthetic.",
            "source": {"file": "000_synthetic.txt", "section": "Synthetic"}, "condition": condition,
            "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Unknown."}}


SYNTHETIC = {
    "ladder.yaml": {
        "ladder": "synthetic", "version": "1", "title": "Synthetic ladder for verdicts and operators",
        "levels": [
            {"id": "a", "title": "Level A", "aliases": ["Alpha", "Level-A One"], "track": "both", "rank": 1},
            {"id": "b", "title": "Level B", "aliases": ["Beta"], "track": "both", "rank": 2},
            {"id": "c", "title": "Level C", "aliases": ["Gamma IC"], "track": "ic", "rank": 3},
            {"id": "d", "title": "Level D", "aliases": ["Delta Manager"], "track": "management", "rank": 3},
        ],
        "titles": [
            {"id": "chief", "title": "Chief Officer", "aliases": ["Chief"], "rank": 9},
            {"id": "mentor", "title": "Outside Mentor", "rank": 2},
        ],
        "measures": {
            "documents": {"field": "signals.documents_impact"},
            "steps_up": {"field": "signals.steps_up_unasked"},
            "gaps": {"field": "signals.addresses_skill_gaps"},
            "beyond": {"field": "signals.works_beyond_current_level"},
            "craft": {"field": "competencies.product_craft"},
            "execution": {"field": "competencies.execution"},
            "strategy": {"field": "competencies.strategy"},
            "communication": {"field": "competencies.communication"},
            "ambiguity": {"field": "scope.ambiguity"},
            "org_size": {"field": "organization.size"},
            "hires": {"field": "leadership.hires"},
            "years": {"field": "experience.people_management_years"},
            "level_now": {"field": "current_level"},
            "target_named": {"field": "target_level"},
            "exec_sponsors": {"count": "advocates",
                              "where": {"relationship": "executive", "level": {"lte": "chief"}, "committed": {"ne": False}}},
            "peer_sponsors": {"count": "advocates", "where": {"level": {"in": ["current", "mentor"]}}},
            "big_reach": {"count": "impact", "where": {"reach": {"gte": "org"}, "kind": {"ne": "delivery"}}},
            "value_total": {"sum": "impact", "of": "value", "where": {"measured": True}},
            "worst_value": {"min": "impact", "of": "value"},
            "best_adoption": {"max": "artifacts", "of": "adopted_by_teams", "where": {"kind": {"in": ["framework", "okr"]}}},
            "short_plan": {"min": "artifacts", "of": "horizon_months", "where": {"adopted_by_teams": {"lt": 3}}},
            "partners": {"size": "influence.cross_functional_partners"},
            "recent_good": {"review_months": {"at_or_above": "b", "min_rating": "exceeds", "within_months": 8}},
            "any_reviews": {"review_months": {"at_or_above": "current"}},
            "in_level": {"months_since": "experience.current_level_since"},
            # issue 13: the latest item of a list, and date windows relative to as_of
            "latest_rating": {"latest": "reviews", "of": "rating", "where": {"end": {"within_months": 12}}},
            "latest_level": {"latest": "reviews", "of": "operating_level", "by": "start"},
            "recent_impact": {"count": "impact", "where": {"measured": True, "date": {"within_months": 6}}},
            "recent_value": {"max": "impact", "of": "value", "where": {"date": {"within_months": 24}}},
            "latest_kind": {"latest": "impact", "of": "kind"},
            # issue 12: declared evidence, date comparisons in where, earliest, min/max of ordered fields,
            # arithmetic over measures
            "ev_validation": {"field": "evidence.validation_track"},
            "ev_build": {"field": "evidence.build_track"},
            "ev_teams": {"field": "evidence.teams_led"},
            "ev_pm": {"field": "evidence.product_manager"},
            "ev_segment": {"field": "evidence.segment"},
            "ev_managed": {"months_since": "evidence.managed_since"},
            "ev_partners": {"size": "evidence.partners"},
            "ev_results": {"count": "evidence.examples",
                           "where": {"value": "results", "measured": True, "date": {"after": {"months_before_as_of": 12}}}},
            "ev_between": {"count": "evidence.examples", "where": {"date": {"on_or_after": "2025-06-01", "before": "as_of"}}},
            "ev_first": {"earliest": "evidence.examples", "of": "value"},
            "ev_last_level": {"latest": "evidence.examples", "of": "level"},
            "ev_low_level": {"min": "evidence.examples", "of": "level"},
            "ev_high_level": {"max": "evidence.examples", "of": "level", "where": {"measured": True}},
            "ev_best_score": {"max": "evidence.examples", "of": "score", "where": {"date": {"on_or_before": "as_of"}}},
            "low_rating": {"min": "reviews", "of": "rating"},
            "high_reach": {"max": "impact", "of": "reach"},
            "top_advocate": {"max": "advocates", "of": "level"},
            "first_review_level": {"earliest": "reviews", "of": "operating_level"},
            "old_impact": {"count": "impact", "where": {"date": {"before": {"months_before_as_of": 6}}}},
            "score": {"weighted_mean": [{"measure": "ev_validation", "weight": 2}, {"measure": "ev_build"},
                                        {"measure": "ev_teams", "weight": 0.5}]},
            "total": {"sum_of": ["ev_build", "ev_teams", "in_level"]},
        },
        "scales": {"gl": [{"id": "below", "value": 1}, {"id": "developing", "value": 2}, {"id": "meets", "value": 3},
                          {"id": "exceeds", "value": 4.5}]},
        "evidence": {
            "validation_track": {"type": "rating", "scale": "gl"},
            "build_track": {"type": "number", "min": 1, "max": 4},
            "teams_led": {"type": "integer", "min": 0, "max": 50},
            "product_manager": {"type": "boolean"},
            "segment": {"type": "string", "values": ["consumer", "platform"]},
            "managed_since": {"type": "date"},
            "partners": {"type": "strings"},
            "examples": {"type": "records", "fields": {
                "value": {"type": "string", "values": ["results", "customers", "other"]}, "date": {"type": "date"}, "measured": {"type": "boolean"},
                "level": {"type": "rating", "scale": "gl"}, "score": {"type": "number", "min": 0, "max": 5}}},
        },
    },
    "a-to-b.yaml": {
        "transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B",
                       "supporting_needed": 2},
        "criteria": [
            _criterion("r-documents", True, {"measure": "documents", "eq": True}),
            _criterion("r-execution", True, {"measure": "execution", "gte": 3}),
            _criterion("s-strategy-lt", False, {"measure": "strategy", "lt": 4}),
            _criterion("s-communication-ne", False, {"measure": "communication", "ne": 3}),
            _criterion("s-ambiguity-eq", False, {"measure": "ambiguity", "eq": "high"}),
            _criterion("s-steps-up", False, {"measure": "steps_up", "eq": True}),
            _criterion("s-size-in", False, {"measure": "org_size", "in": ["growth", "enterprise"]}),
            _criterion("s-sized-lt", False, {"measure": "strategy", "lt": {"by_org_size": {"startup": 2, "growth": 4,
                                                                                        "enterprise": 4}}}),
            _criterion("s-sized-eq", False, {"measure": "execution", "eq": {"by_org_size": {"startup": 3, "growth": 3,
                                                                                          "enterprise": 5}}}),
            _criterion("s-sized-ne", False, {"measure": "hires", "ne": {"by_org_size": {"startup": 0, "growth": 1,
                                                                                       "enterprise": 2}}}),
        ],
    },
    "b-to-c.yaml": {
        "transition": {"from": "b", "to": "c", "track": "ic", "phase": "progressing-seniority", "title": "B to C",
                       "supporting_needed": 3},
        "criteria": [
            _criterion("r-craft-lte", True, {"measure": "craft", "lte": 4}),
            _criterion("s-exec-sponsors", False, {"measure": "exec_sponsors", "gte": 1}),
            _criterion("s-reach", False, {"measure": "big_reach", "gte": 2}),
            _criterion("s-value", False, {"measure": "value_total", "gt": 1000}),
            _criterion("s-worst-value", False,
                       {"measure": "worst_value", "gte": {"by_org_size": {"startup": -10, "growth": 0, "enterprise": 10}}}),
            _criterion("s-adoption-or-plan", False, {"any": [
                {"measure": "best_adoption", "gte": 2},
                {"all": [{"measure": "short_plan", "lte": 6}, {"not": {"measure": "partners", "lt": 3}}]},
            ]}),
            _criterion("s-target-named", False, {"measure": "target_named", "eq": {"level": "target"}}),
            _criterion("r-ev-score", True, {"any": [{"measure": "score", "gte": 3.25}, {"measure": "ev_pm", "eq": True}]}),
            _criterion("s-ev-results", False, {"measure": "ev_results", "gte": 1}),
            _criterion("s-ev-first", False, {"measure": "ev_first", "eq": "results"}),
            _criterion("s-ev-levels", False, {"all": [{"measure": "ev_low_level", "gte": "meets"},
                                                      {"measure": "ev_high_level", "ne": "below"}]}),
            _criterion("s-ev-last", False, {"measure": "ev_last_level", "in": ["meets", "exceeds"]}),
            _criterion("s-ev-segment", False, {"measure": "ev_segment", "eq": "platform"}),
            _criterion("s-ev-total", False, {"measure": "total", "gt": 10}),
            _criterion("s-ev-partners", False, {"all": [{"measure": "ev_partners", "gte": 2},
                                                        {"measure": "ev_managed", "gte": 6}]}),
            _criterion("s-ev-score-or-between", False, {"any": [{"measure": "ev_best_score", "gte": 3.5},
                                                                {"measure": "ev_between", "gte": 2}]}),
            _criterion("s-ev-validation", False, {"measure": "ev_validation", "gte": "developing"}),
            _criterion("s-low-rating", False, {"measure": "low_rating", "gte": "meets"}),
            _criterion("s-high-reach", False, {"measure": "high_reach", "gte": "org"}),
            _criterion("s-top-advocate", False, {"measure": "top_advocate", "gte": {"level": "target"}}),
            _criterion("s-first-review-level", False, {"measure": "first_review_level", "lt": {"level": "target"}}),
            _criterion("s-old-impact", False, {"measure": "old_impact", "lte": 2}),
        ],
    },
    "b-to-d.yaml": {
        "transition": {"from": "b", "to": "d", "track": "management", "phase": "product-leader-canyon",
                       "title": "B to D"},
        "criteria": [
            _criterion("r-not-gaps", True, {"not": {"any": [{"measure": "gaps", "eq": False},
                                                            {"measure": "beyond", "eq": False}]}}),
            # 121 days are 3.9754 months: 3.98 only after rounding to two decimals
            _criterion("r-recent-good", True, {"measure": "recent_good", "gte": 3.98}),
            _criterion("s-hires", False, {"measure": "hires", "gte": {"by_org_size": {"startup": 1, "growth": 2,
                                                                                     "enterprise": 3}}}),
            _criterion("s-peers", False, {"measure": "peer_sponsors", "gt": 0}),
            _criterion("s-years-reviews", False, {"all": [
                {"measure": "years", "lte": 12.5},
                {"measure": "any_reviews", "gte": 1},
                {"not": {"measure": "in_level", "lte": 3.48}},  # 106 days: 3.4825 months, 3.48 rounded
            ]}),
            _criterion("s-level", False, {"measure": "level_now", "gte": {"level": "Beta"}}),
            _criterion("r-latest-not-below", True, {"measure": "latest_rating", "gte": "meets"}),
            _criterion("s-latest-level", False, {"measure": "latest_level", "gte": {"level": "target"}}),
            _criterion("s-recent-impact", False, {"any": [{"measure": "recent_impact", "gte": 1},
                                                          {"measure": "recent_value", "gt": 100}]}),
            _criterion("s-latest-kind", False, {"measure": "latest_kind", "in": ["revenue", "growth"]}),
            _criterion("s-not-sized", False, {"any": [
                {"not": {"measure": "hires", "gte": {"by_org_size": {"startup": 1, "growth": 2, "enterprise": 3}}}},
                {"measure": "documents", "eq": False},
            ]}),
        ],
    },
}


def _write_ladder(files: dict) -> Ladder:
    folder = tempfile.mkdtemp(prefix="promoready-synthetic-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, content in files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=1)  # JSON is YAML
    return load_ladder(folder)


SYNTHETIC_LADDER = _write_ladder(SYNTHETIC)

# Each Evaluator is compiled once for the module (rulesets are never unloaded).
TINY_EVALUATOR = evaluator(TINY)
SYNTHETIC_EVALUATOR = evaluator(SYNTHETIC_LADDER)
DEFAULT_TRANSITIONS = [t.key for t in DEFAULT.transitions] if DEFAULT is not None else ["(default ladder unavailable)"]


def default_evaluator():
    if DEFAULT is None:
        pytest.skip(DEFAULT_UNAVAILABLE)
    return evaluator(DEFAULT)  # built on first use; an engine error here fails the test, never skips


def assert_agrees(ladder: Ladder, engine, packet: dict) -> None:
    """The engine and the reference agree on every criterion and on the verdict."""
    statuses, verdict = reference_decide(ladder, packet)
    decision = engine.evaluate(packet)
    shown = json.dumps(packet, indent=1, sort_keys=True, ensure_ascii=False, default=str)
    got = {c.id: c.status for c in decision.criteria}
    assert list(got) == list(statuses), f"criteria differ: engine {list(got)} vs reference {list(statuses)}\n{shown}"
    for criterion, expected in statuses.items():
        assert got[criterion] == expected, (
            f"criterion {criterion!r} ({decision.transition.from_}→{decision.transition.to}): "
            f"engine says {got[criterion]!r}, reference says {expected!r}\npacket: {shown}")
    assert decision.verdict == verdict, (
        f"verdict: engine says {decision.verdict!r}, reference says {verdict!r} "
        f"(statuses {statuses})\npacket: {shown}")


@examples(600)
@given(packet=packets(TINY))
def test_tiny_ladder_engine_matches_reference(packet):
    assert_agrees(TINY, TINY_EVALUATOR, packet)


@examples(450)
@given(packet=packets(SYNTHETIC_LADDER))
def test_synthetic_ladder_engine_matches_reference(packet):
    assert_agrees(SYNTHETIC_LADDER, SYNTHETIC_EVALUATOR, packet)


@pytest.mark.parametrize("key", DEFAULT_TRANSITIONS)
def test_default_ladder_engine_matches_reference(key):
    engine = default_evaluator()
    transition = next(t for t in DEFAULT.transitions if t.key == key)

    @examples(max(60, 1200 // len(DEFAULT.transitions)))
    @given(packet=packets(DEFAULT, transition))
    def check(packet):
        assert_agrees(DEFAULT, engine, packet)

    check()


# -- engine bugs found by these tests (minimal cases) -----------------------------------------------------

DUPLICATE_IN = {
    "ladder.yaml": {
        "ladder": "duplicate-in", "version": "1", "title": "An `in` list whose values coincide",
        "levels": [{"id": "a", "title": "Level A", "track": "both", "rank": 1},
                   {"id": "b", "title": "Level B", "track": "both", "rank": 2}],
        "titles": [{"id": "mentor", "title": "Outside Mentor", "rank": 1}],
        "measures": {"org_size": {"field": "organization.size"}, "level_now": {"field": "current_level"}},
    },
    "a-to-b.yaml": {
        "transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B"},
        "criteria": [
            # the same word twice (the ladder lint accepts it) ...
            _criterion("size-twice", True, {"measure": "org_size", "in": ["growth", "growth"]}),
            # ... or two different names of equal rank: a level and a peer title
            _criterion("peer-levels", False, {"measure": "level_now", "in": [{"level": "a"}, {"level": "mentor"}]}),
        ],
    },
}


def test_in_with_coinciding_values_is_decided():
    """Regression: duplicate `in` values compiled to two pass rules that both fired (engine.ambiguous)."""
    ladder = _write_ladder(DUPLICATE_IN)
    packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
              "organization": {"size": "growth"}}
    assert reference_decide(ladder, packet) == ({"size-twice": "pass", "peer-levels": "pass"}, "ready")
    assert_agrees(ladder, evaluator(ladder), packet)


def _sized(measure: str) -> dict:
    return {"measure": measure, "gte": {"by_org_size": {"startup": 2, "growth": 3, "enterprise": 4}}}


FOUR_SIZED = {
    "ladder.yaml": {
        "ladder": "four-sized", "version": "1", "title": "Four organisation-dependent thresholds in one `all`",
        "levels": [{"id": "a", "title": "Level A", "track": "both", "rank": 1},
                   {"id": "b", "title": "Level B", "track": "both", "rank": 2}],
        "measures": {f"c{i}": {"field": f"competencies.{name}"}
                     for i, name in enumerate(("product_craft", "execution", "strategy", "communication"))},
    },
    "a-to-b.yaml": {
        "transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B"},
        "criteria": [_criterion("four-sized", True, {"all": [_sized(f"c{i}") for i in range(4)]})],
    },
}


def test_all_of_four_org_size_thresholds_is_refused_when_loading():
    """Regression: four `by_org_size` comparisons in one `all` passed the lint, then the engine failed (code 106).

    Now the lint compiles each criterion and refuses one that needs more rules than the engine holds.
    """
    with pytest.raises(LadderError) as err:
        _write_ladder(FOUR_SIZED)
    assert err.value.code == "ladder.too-complex"
    assert err.value.path == "criteria[0].condition" and err.value.line is not None


def test_all_of_three_org_size_thresholds_compiles_and_agrees():
    three = copy.deepcopy(FOUR_SIZED)
    three["ladder.yaml"]["ladder"] = "three-sized"
    three["a-to-b.yaml"]["criteria"][0]["condition"]["all"].pop()
    del three["ladder.yaml"]["measures"]["c3"]
    ladder = _write_ladder(three)
    for size in (None, "startup", "growth", "enterprise"):
        for ratings in ((4, 3, 5), (2, 3, 4), (3, 3, 3), (1, 5, 5)):
            packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                      "competencies": dict(zip(("product_craft", "execution", "strategy"), ratings))}
            if size:
                packet["organization"] = {"size": size}
            assert_agrees(ladder, evaluator(ladder), packet)


# -- measure names the engine or the compiler use themselves (issue 11, item 2) ---------------------------

#: Names the measure id pattern allows that durable-rules (sid, id), the compiler (k, e, t, rf, ru, sp,
#: spu) or the generated engine keys (m0, m1) use, and names outside that pattern that YAML allows.
PATTERN_NAMES = ("sid", "id", "k", "e", "t", "m", "m0", "m1", "rf", "ru", "sp", "spu", "release")
ODD_NAMES = ("_size", "_release", "$s", "$nex", "a.b", "Sid", "with space", "naïve", "")

_FIELDS = (("experience.product_years", "gte", 3), ("scope.ambiguity", "in", ["medium", "high"]),
           ("signals.documents_impact", "eq", True), ("competencies.execution", "lt", 4),
           ("current_level", "gte", {"level": "a"}), ("organization.size", "ne", "startup"))


def _named_ladder(lid: str, names: tuple[str, ...]) -> dict:
    """A ladder whose measures are called ``names``: a comparison on each, one with org-size thresholds."""
    measures: dict = {}
    criteria = []
    for i, name in enumerate(names):
        field, op, operand = _FIELDS[i % len(_FIELDS)]
        measures[name] = {"field": field}
        criteria.append(_criterion(f"c{i}", i % 3 != 2, {"measure": name, op: operand}))
    measures["years_by_size"] = {"field": "experience.product_years"}
    criteria.append(_criterion("sized", False, {"all": [
        {"measure": "years_by_size", "gte": {"by_org_size": {"startup": 1, "growth": 2, "enterprise": 4}}},
        {"not": {"measure": names[0], "lt": 1}}]}))  # names[0] is a number: experience.product_years
    return {
        "ladder.yaml": {"ladder": lid, "version": "1", "title": "Measure names the engine uses",
                        "levels": [{"id": "a", "title": "Level A", "track": "both", "rank": 1},
                                   {"id": "b", "title": "Level B", "track": "both", "rank": 2}],
                        "measures": measures},
        "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                       "title": "A to B", "supporting_needed": 1},
                        "criteria": criteria},
    }


RESERVED_LADDER = _write_ladder(_named_ladder("reserved-names", PATTERN_NAMES))


def test_reserved_measure_names_decide_like_any_other():
    """Regression: a measure named ``sid`` shared the fact's state id (wrong verdicts), ``id`` its
    message id, ``k`` the compiler's fact kind (engine.undecided, or a segfault). The engine now
    sees only generated keys."""
    engine = evaluator(RESERVED_LADDER)
    (plan,) = engine._plans.values()
    from promoready.engine._compile import RESERVED_KEYS, engine_hash

    keys = list(plan.keys.values())
    assert set(plan.keys) == {*PATTERN_NAMES, "years_by_size"}
    assert all(k.startswith("m") and k[1:].isdigit() for k in keys)
    hashes = [engine_hash(k) for k in keys] + [engine_hash(r) for r in RESERVED_KEYS]
    assert len(set(hashes)) == len(hashes)
    # the case the issue reported: `sid` known and passing, everything else unknown
    packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
              "experience": {"product_years": 4}}
    statuses, verdict = reference_decide(RESERVED_LADDER, packet)
    assert statuses["c0"] == "pass" and verdict == "insufficient_evidence"
    assert_agrees(RESERVED_LADDER, engine, packet)


@examples(150)
@given(packet=packets(RESERVED_LADDER))
def test_reserved_measure_names_engine_matches_reference(packet):
    assert_agrees(RESERVED_LADDER, evaluator(RESERVED_LADDER), packet)


@pytest.mark.parametrize("name", ODD_NAMES, ids=lambda n: repr(n))
def test_any_measure_name_works_or_is_refused_with_its_line(name):
    """Whatever YAML lets an author write as a measure name either decides exactly as the reference
    does, or is refused by validate with file:line."""
    files = _named_ladder("odd-name", (name, "plain"))
    try:
        ladder = _write_ladder(files)
    except LadderError as err:
        assert err.file and err.line, str(err)
        return
    engine = evaluator(ladder)
    for packet in ({"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01"},
                   {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                    "organization": {"size": "growth"}, "experience": {"product_years": 2},
                    "scope": {"ambiguity": "high"}},
                   {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                    "experience": {"product_years": 0.5}, "scope": {"ambiguity": "low"}}):
        assert_agrees(ladder, engine, packet)


# -- transitions wider than one ruleset (issue 11, item 3) -------------------------------------------------

_COMPETENCIES = ("product_craft", "execution", "strategy", "communication", "stakeholder_management",
                 "people_leadership", "business_acumen", "executive_presence")
_SIGNALS = ("documents_impact", "steps_up_unasked", "addresses_skill_gaps", "works_beyond_current_level")
_SHARED = {"years": "experience.product_years", "teams": "scope.teams", "ambiguity": "scope.ambiguity",
           "size": "organization.size", **{f"sig_{s}": f"signals.{s}" for s in _SIGNALS}}


def _matrix_condition(i: int, simple: bool = False) -> tuple[dict, dict]:
    """The i-th cell of a competency matrix (its own rating measure, as a matrix has one per cell), alone
    or with a signal, scope or experience; and the measures it declares."""
    competency = _COMPETENCIES[i % len(_COMPETENCIES)]
    cell, level = f"cell_{i}_{competency}", 1 + (i // len(_COMPETENCIES)) % 5
    measures = {cell: {"field": f"competencies.{competency}"}}
    signal = f"sig_{_SIGNALS[i % len(_SIGNALS)]}"
    shape = 0 if simple else i % 5
    if shape == 0:
        return {"measure": cell, "gte": level}, measures
    if shape == 1:
        return {"all": [{"measure": cell, "gte": level}, {"measure": signal, "eq": True}]}, measures
    if shape == 2:
        # (a rating is at most 5: `gt: 5` could never pass, which the lint refuses)
        return {"any": [{"measure": cell, "gt": min(level, 4)}, {"not": {"measure": "years", "lt": (i % 7) + 0.5}}]}, measures
    if shape == 3:
        return {"all": [{"measure": cell, "gte": level},
                        {"measure": "teams", "gte": {"by_org_size": {"startup": i % 3, "growth": 1 + i % 4,
                                                                     "enterprise": 2 + i % 5}}}]}, measures
    return {"all": [{"measure": cell, "lte": level}, {"any": [{"measure": "ambiguity", "in": ["medium", "high"]},
                                                              {"measure": "size", "ne": "startup"}]}]}, measures


def _matrix_ladder(n: int, simple: bool = False) -> dict:
    criteria, measures = [], {}
    for i in range(n):
        condition, own = _matrix_condition(i, simple)
        measures.update(own)
        criteria.append(_criterion(f"cell-{i}", i % 4 == 0, condition))
    text = json.dumps(criteria)
    measures.update({m: {"field": f} for m, f in _SHARED.items() if f'"{m}"' in text})
    return {
        "ladder.yaml": {"ladder": f"matrix-{n}{'-simple' if simple else ''}", "version": "1", "title": f"A competency matrix of {n} cells",
                        "levels": [{"id": "a", "title": "Level A", "track": "both", "rank": 1},
                                   {"id": "b", "title": "Level B", "track": "both", "rank": 2}],
                        "measures": measures},
        "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                       "title": "A to B", "supporting_needed": n // 8},
                        "criteria": criteria},
    }


@pytest.mark.parametrize("n, simple", [(65, True), (160, True), (65, False), (128, False), (200, False)])
def test_wide_transitions_are_split_and_agree(n, simple):
    """Regression: more than 64 one-comparison criteria validated, then every packet with evidence
    failed with engine.303 (the engine's 64-entry alpha stack); richer criteria were refused past 500
    rules in all. Such a transition is now split across rulesets, each within every table of the
    engine, and decides exactly as the reference."""
    from promoready.engine._compile import CAPACITY, Network

    ladder = _write_ladder(_matrix_ladder(n, simple))
    engine = evaluator(ladder)
    (plan,) = engine._plans.values()
    from promoready.engine._compile import Compiler
    from promoready.engine._levels import LevelIndex

    chunks, _ = Compiler(ladder, ladder.transitions[0], LevelIndex(ladder)).chunks()
    assert len(plan.ruleset.rulesets) == len(chunks) >= 2
    assert [i for c in chunks for i in c.criteria] == list(range(n))
    whole = Network()
    assert whole.add_all(r for c in chunks for r in c.rules.values()) is not None  # one ruleset would overflow
    for chunk in chunks:
        network = Network()
        assert network.add_all(chunk.rules.values()) is None
        assert network.bound() <= CAPACITY.stack

    @examples(60)
    @given(packet=packets(ladder))
    def check(packet):
        assert_agrees(ladder, engine, packet)

    check()


def test_many_identical_criteria_are_decided():
    """300 copies of one condition end on the same engine nodes: past 255 rules on one node the
    engine cannot compile the ruleset (code 108), so the copies are split too."""
    files = _matrix_ladder(1)
    files["ladder.yaml"]["ladder"] = "copies"
    files["a-to-b.yaml"]["criteria"] = [_criterion(f"copy-{i}", True, {"measure": "cell_0_product_craft", "gte": 3})
                                        for i in range(300)]
    ladder = _write_ladder(files)
    engine = evaluator(ladder)
    for rating, status in ((None, "unknown"), (2, "fail"), (3, "pass")):
        packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                  "competencies": {"product_craft": rating}}
        decision = engine.evaluate(packet)
        assert {c.status for c in decision.criteria} == {status}
        assert_agrees(ladder, engine, packet)


def test_the_default_ladder_needs_no_split():
    """Splitting costs a state per ruleset: the bundled ladder's transitions each stay one ruleset."""
    from promoready.engine._durable import Ruleset

    engine = default_evaluator()
    assert all(type(plan.ruleset) is Ruleset for plan in engine._plans.values())


# -- absurd thresholds (issue 11, item 5: a ladder threshold of 1e12 months) --------------------------------

_THRESHOLD_HEAD = """ladder: thresholds
version: "1"
title: Absurd thresholds
levels:
  - {id: a, title: Level A, track: both, rank: 1}
  - {id: b, title: Level B, track: both, rank: 2}
measures:
  in_level: {months_since: experience.current_level_since, unit: months, grows: true}
  years: {field: experience.product_years, unit: years, grows: true}
"""

_THRESHOLD_TRANSITION = """transition: {from: a, to: b, track: ic, phase: progressing-seniority, title: A to B}
criteria:
  - id: months
    title: Months in level
    required: true
    rationale: R.
    source: {file: x.txt, section: S}
    condition: {measure: in_level, CONDITION}
    text: {pass: P., fail: F., unknown: U.}
  - id: years
    title: Years
    required: false
    rationale: R.
    source: {file: x.txt, section: S}
    condition: {measure: years, gte: 1}
    text: {pass: P., fail: F., unknown: U.}
"""


def _threshold_ladder(tmp_path, condition: str):
    (tmp_path / "ladder.yaml").write_text(_THRESHOLD_HEAD)
    (tmp_path / "a-to-b.yaml").write_text(_THRESHOLD_TRANSITION.replace("CONDITION", condition))
    return load_ladder(str(tmp_path))


@pytest.mark.parametrize("condition", ["gte: 1e12", "gte: 1.0e12", "gt: 999999999999.9999",
                                       "gte: {by_org_size: {startup: 1, growth: 1e12, enterprise: 1e12}}",
                                       "lte: 1e12", "ne: 1e12", "gte: 1e15"])  # (lte: -1e12 months can never pass: refused)
def test_a_threshold_of_1e12_months_decides(tmp_path, condition):
    """Regression: 1e12 months passed validate, then the next step's projected date overflowed
    (a traceback). It is a number validate accepts, so it must decide: the criterion fails, agrees
    with the reference, and the next step says no calendar date reaches it."""
    ladder = _threshold_ladder(tmp_path, condition)
    engine = Evaluator(ladder)
    for since in ("2025-01-01", None):
        packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                  "organization": {"size": "growth"},
                  "experience": {"current_level_since": since, "product_years": 2}}
        assert_agrees(ladder, engine, packet)
        decision = engine.evaluate(packet)
        decision.to_json()
        if since is not None and condition.startswith("gte"):
            assert "beyond any calendar date" in decision.criteria[0].next_step


@pytest.mark.parametrize("operand, shown", [("1e300", "got 1e300"), ("1.0e+300", "got 1e300"), ("-1e20", "got -1e20"),
                                            ("9223372036854775807", "9223372036854775807"),
                                            ("9223372036854775808", "9223372036854775808"),
                                            ("99999999999999999999999999999", "99999999999999999999999999999"),
                                            ("1e-5", "0.00001 has"), ("1.0e-300", "1e-300"), ("0.00001", "0.00001 has"),
                                            (".inf", "got infinity"), ("-.inf", "got -infinity"),
                                            (".nan", "got NaN (not a number)")])  # the file's words, not Python's
def test_absurd_thresholds_are_refused_with_file_line_and_path(tmp_path, operand, shown):
    """Numbers the engine cannot hold (past 2^63, exponent notation it rejects with code 204, more
    decimals than the 4 it compares) are a validate error naming file, line and field path."""
    with pytest.raises(LadderError) as err:
        _threshold_ladder(tmp_path, f"gte: {operand}")
    problem = err.value
    assert problem.code == "ladder.bad-operand"
    assert problem.file.endswith("a-to-b.yaml") and problem.line == 8
    assert problem.path == "criteria[0].condition.gte"
    assert shown in problem.message
    with pytest.raises(LadderError) as err:
        _threshold_ladder(tmp_path, f"gte: {{by_org_size: {{startup: 1, growth: {operand}, enterprise: 2}}}}")
    assert err.value.path == "criteria[0].condition.gte.by_org_size.growth" and err.value.line == 8


def test_where_compares_numbers_at_4_decimals_like_conditions():
    """Found by the generated ladders: a `where` test on a number compared the raw value (5.99996 is
    not 6) while every condition, and the reference, compare at 4 decimals (5.99996 is 6.0)."""
    files = {
        "ladder.yaml": {"ladder": "where-decimals", "version": "1", "title": "Where at 4 decimals",
                        "levels": [{"id": "a", "title": "Level A", "track": "both", "rank": 1},
                                   {"id": "b", "title": "Level B", "track": "both", "rank": 2}],
                        "measures": {"six_month_plans": {"count": "artifacts", "where": {"horizon_months": 6}},
                                     "short_plans": {"sum": "artifacts", "of": "horizon_months",
                                                     "where": {"horizon_months": {"lte": 6}}}}},
        "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority",
                                       "title": "A to B"},
                        "criteria": [_criterion("six", True, {"measure": "six_month_plans", "gte": 1}),
                                     _criterion("short", True, {"measure": "short_plans", "gte": 6})]},
    }
    ladder = _write_ladder(files)
    for horizon in (5.99996, 6.00004, 6, 5.9999, 6.0001):
        packet = {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                  "artifacts": [{"kind": "roadmap", "horizon_months": horizon}]}
        assert_agrees(ladder, evaluator(ladder), packet)
    statuses, _ = reference_decide(ladder, {"candidate": {"id": "emp-1"}, "current_level": "a", "as_of": "2026-11-01",
                                            "artifacts": [{"kind": "roadmap", "horizon_months": 6.00004}]})
    assert statuses == {"six": "pass", "short": "pass"}
