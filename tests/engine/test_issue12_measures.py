"""Issue 12, the measure side: ladder-declared evidence, dates in ``where``, ``earliest``, ``min``/``max``
of ordered fields, ``sum_of`` and ``weighted_mean``. Each construct decides (durable-rules), explains
itself, and refuses bad ladders and bad packets with file, line, field path and a "did you mean"."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from fixture_files import ladder_problems, write_ladder

from promoready.engine import Evaluator, LadderError, PacketError, load_ladder
from promoready.engine._evidence import packet_schema


def _criterion(cid: str, condition: dict, required: bool = True) -> dict:
    return {"id": cid, "title": cid.replace("-", " ").capitalize(), "required": required, "rationale": "Because.",
            "source": {"file": "guide.txt", "section": "Promotions"}, "condition": condition,
            "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Add the evidence."}}


LADDER = {
    "ladder.yaml": {
        "ladder": "lang12", "version": "1", "title": "Issue 12 measures",
        "levels": [{"id": "pm", "title": "Product Manager", "track": "both", "rank": 1},
                   {"id": "senior-pm", "title": "Senior PM", "track": "both", "rank": 2}],
        "scales": {"gitlab-level": [{"id": "below", "value": 1}, {"id": "developing", "value": 2},
                                    {"id": "meets", "value": 3}, {"id": "exceeds", "value": 4}]},
        "evidence": {
            "validation_track": {"type": "rating", "scale": "gitlab-level", "title": "Validation track competency"},
            "build_track": {"type": "number", "min": 1, "max": 4},
            "values_examples": {"type": "records", "fields": {"value": {"type": "string", "values": ["results", "iteration", "craft", "customers"]}, "date": {"type": "date"},
                                                              "measured": {"type": "boolean"}}},
            "partners": {"type": "strings"},
            "headcount_managed_since": {"type": "date"},
            "product_manager": {"type": "boolean"},
            "teams_led": {"type": "integer", "min": 0},
        },
        "measures": {
            "validation": {"field": "evidence.validation_track", "title": "validation track"},
            "build": {"field": "evidence.build_track", "title": "build track"},
            "results_examples": {"count": "evidence.values_examples",
                                 "where": {"value": "results", "date": {"after": {"months_before_as_of": 12}}},
                                 "title": "results examples in the last year"},
            "first_value": {"earliest": "evidence.values_examples", "of": "value", "title": "first value shown"},
            "lowest_rating": {"min": "reviews", "of": "rating", "title": "lowest review rating"},
            "score": {"weighted_mean": [{"measure": "validation", "weight": 2}, {"measure": "build"}],
                      "title": "weighted competency score"},
            "total": {"sum_of": ["validation", "build"], "title": "total of the two tracks"},
            "old_reviews": {"count": "reviews", "where": {"end": {"on_or_before": "2025-12-31"}}},
            "pm": {"field": "evidence.product_manager"},
            "managed": {"months_since": "evidence.headcount_managed_since", "unit": "months"},
        },
    },
    "pm-to-senior-pm.yaml": {
        "transition": {"from": "pm", "to": "senior-pm", "track": "ic", "phase": "progressing-seniority",
                       "title": "PM to Senior PM"},
        "criteria": [
            _criterion("score", {"measure": "score", "gte": 3.25}),
            _criterion("results", {"measure": "results_examples", "gte": 1}),
            _criterion("first-value", {"measure": "first_value", "eq": "results"}, required=False),
            _criterion("no-review-below", {"measure": "lowest_rating", "gte": "meets"}),
            _criterion("total", {"measure": "total", "gte": 7}, required=False),
            _criterion("old-reviews", {"measure": "old_reviews", "lte": 3}, required=False),
            _criterion("pm-and-managed", {"all": [{"measure": "pm", "eq": True}, {"measure": "managed", "gte": 6}]},
                       required=False),
        ],
    },
}

PACKET = {
    "candidate": {"id": "c-1"}, "current_level": "pm", "as_of": "2026-11-01",
    "reviews": [{"start": "2025-01-01", "end": "2025-12-31", "rating": "meets", "operating_level": "senior-pm"},
                {"start": "2026-01-01", "end": "2026-06-30", "rating": "exceeds", "operating_level": "senior-pm"}],
    "evidence": {"validation_track": "meets", "build_track": 4,
                 "values_examples": [{"value": "results", "date": "2026-03-01"},
                                     {"value": "iteration", "date": "2025-01-01"}],
                 "product_manager": True, "headcount_managed_since": "2026-01-15"},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return write_ladder(tmp_path_factory.mktemp("lang12"), LADDER)


@pytest.fixture(scope="module")
def engine(folder) -> Evaluator:
    return Evaluator(load_ladder(folder))


def decide(engine: Evaluator, evidence: dict | None = None, **changes) -> dict:
    packet = copy.deepcopy(PACKET)
    if evidence is not None:
        packet["evidence"] = {**packet["evidence"], **evidence}
    packet.update(changes)
    return {c.id: c for c in engine.evaluate(packet).criteria}


# -- decisions and words -------------------------------------------------------------------------------------


def test_the_weighted_mean_reads_a_rating_by_its_scale_value_and_words_its_parts(engine):
    assert decide(engine)["score"].status == "pass"  # (2 × 3 + 4) / 3 = 3.33…
    got = decide(engine, {"build_track": 3})["score"]  # (2 × 3 + 3) / 3 = 3
    assert got.status == "fail"
    assert got.expected == "weighted competency score ≥ 3.25"
    assert "weighted mean of validation meets = 3 ×2, build 3" in got.actual
    assert got.next_step == "raise weighted competency score from 3 to 3.25"
    assert got.evidence == ["evidence.validation_track", "evidence.build_track"]
    assert decide(engine, {"validation_track": "exceeds", "build_track": 1.75})["score"].status == "pass"  # 9.75/3


def test_a_weighted_mean_at_exactly_the_bar_passes_and_a_hair_below_fails(engine):
    # (2 × 3 + 3.75) / 3 = 3.25 exactly; 3.7499 gives 3.24996…, below 3.25 even though it rounds to it
    assert decide(engine, {"build_track": 3.75})["score"].status == "pass"
    assert decide(engine, {"build_track": 3.7499})["score"].status == "fail"


def test_an_unknown_part_makes_the_arithmetic_unknown_and_names_the_missing_evidence(engine):
    evidence = copy.deepcopy(PACKET["evidence"])
    del evidence["build_track"]
    got = {c.id: c for c in engine.evaluate({**PACKET, "evidence": evidence}).criteria}
    for cid in ("score", "total"):
        assert got[cid].status == "unknown"
        assert got[cid].missing == ["evidence.build_track"]
        assert got[cid].next_step == "add evidence.build_track to the packet"


def test_dates_in_where_compare_with_months_before_as_of(engine):
    # after 2025-11-01 (12 months before as_of): 2026-03-01 counts, 2025-11-01 itself does not
    assert decide(engine)["results"].status == "pass"
    on_the_day = [{"value": "results", "date": "2025-11-01"}]
    assert decide(engine, {"values_examples": on_the_day})["results"].status == "fail"
    day_after = [{"value": "results", "date": "2025-11-02"}]
    assert decide(engine, {"values_examples": day_after})["results"].status == "pass"
    undated = decide(engine, {"values_examples": [{"value": "results"}]})["results"]
    # An undated item may or may not be in the window: the count is 0 to 1, so the comparison is unknown.
    assert undated.status == "unknown" and "evidence.values_examples[0].date" in undated.actual
    assert undated.missing == ["evidence.values_examples[0].date"]


def test_a_fixed_date_in_where_is_compared_on_or_before(engine):
    # only the review ending 2025-12-31 ends on or before that day
    assert "1 (of 2 listed)" in decide(engine)["old-reviews"].actual


def test_earliest_reads_the_first_dated_item_and_is_unknown_when_an_item_has_no_date(engine):
    got = decide(engine)["first-value"]
    assert got.status == "fail" and "iteration" in got.actual and got.expected == "first value shown = results"
    examples = [{"value": "results", "date": "2024-01-01"}, {"value": "iteration", "date": "2025-01-01"}]
    assert decide(engine, {"values_examples": examples})["first-value"].status == "pass"
    examples.append({"value": "craft"})
    got = decide(engine, {"values_examples": examples})["first-value"]
    assert got.status == "unknown" and got.missing == ["evidence.values_examples[2].date"]


def test_min_of_review_ratings_is_the_lowest_word_not_a_crash(engine):
    """Regression: `min: reviews, of: rating` was refused (and, compiled, crashed with a TypeError on round)."""
    got = decide(engine)["no-review-below"]
    assert got.status == "pass" and got.actual == "meets (lowest of 2)"
    assert got.expected == "lowest review rating ≥ meets"
    reviews = copy.deepcopy(PACKET["reviews"]) + [{"start": "2024-01-01", "end": "2024-12-31", "rating": "below",
                                                   "operating_level": "pm"}]
    got = decide(engine, reviews=reviews)["no-review-below"]
    assert got.status == "fail" and got.next_step == "lowest review rating ≥ meets (now below)"
    assert got.evidence == ["reviews[2].rating"]
    no_ratings = [{"start": "2025-01-01", "end": "2025-12-31"}]
    got = decide(engine, reviews=no_ratings)["no-review-below"]
    assert got.status == "unknown" and got.missing == ["reviews[].rating"]


def test_declared_booleans_and_dates_decide(engine):
    assert decide(engine)["pm-and-managed"].status == "pass"  # 9.5 months since 2026-01-15
    assert decide(engine, {"product_manager": False})["pm-and-managed"].status == "fail"
    assert decide(engine, {"headcount_managed_since": "2026-06-01"})["pm-and-managed"].status == "fail"


def test_a_packet_without_evidence_leaves_every_evidence_criterion_unknown(engine):
    packet = {k: v for k, v in PACKET.items() if k != "evidence"}
    got = {c.id: c for c in engine.evaluate(packet).criteria}
    assert got["score"].status == "unknown" and got["score"].missing == ["evidence.validation_track",
                                                                          "evidence.build_track"]
    assert got["results"].missing == ["evidence.values_examples"]
    assert got["no-review-below"].status == "pass"  # the built-in evidence still decides


# -- packets: undeclared and mistyped evidence --------------------------------------------------------------


@pytest.mark.parametrize("evidence, path, code, words, suggestion", [
    ({"validaton_track": "meets"}, "evidence.validaton_track", "packet.undeclared-evidence",
     "unknown evidence field 'validaton_track': ladder 'lang12' declares validation_track", "validation_track"),
    ({"validation_track": "meats"}, "evidence.validation_track", "packet.literal-error",
     "'meats' is not one of below, developing, meets, exceeds", "meets"),
    ({"build_track": "4"}, "evidence.build_track", "packet.float-type", "must be a number", None),
    ({"build_track": 5}, "evidence.build_track", "packet.less-than-equal", "must be at most 4, got 5", None),
    ({"teams_led": 1.5}, "evidence.teams_led", "packet.int-type", "whole number", None),
    ({"product_manager": "yes"}, "evidence.product_manager", "packet.bool-type", "true or false", None),
    ({"headcount_managed_since": "2026-02-30"}, "evidence.headcount_managed_since", "packet.date-value",
     "not a calendar date", None),
    ({"values_examples": [{"value": "results", "dat": "2026-01-01"}]}, "evidence.values_examples[0].dat",
     "packet.undeclared-evidence", "unknown field 'dat' of evidence.values_examples records", "date"),
    ({"partners": "engineering"}, "evidence.partners", "packet.list-type", "must be a list", None),
])
def test_undeclared_and_mistyped_evidence_is_an_input_error_with_line_and_path(tmp_path, engine, evidence, path,
                                                                              code, words, suggestion):
    packet = copy.deepcopy(PACKET)
    packet["evidence"].update(evidence)
    (tmp_path / "p.json").write_text(json.dumps(packet, indent=1), encoding="utf-8")
    with pytest.raises(PacketError) as err:
        engine.evaluate(str(tmp_path / "p.json"))
    e = err.value
    assert (e.path, e.code) == (path, code) and words in e.message, str(e)
    assert e.file == str(tmp_path / "p.json") and e.line is not None and e.exit_code == 2
    lines = (tmp_path / "p.json").read_text().splitlines()
    assert path.split(".")[-1].split("[")[0] in lines[e.line - 1], (e.line, lines[e.line - 1])
    assert (e.suggestion or "").strip("'") == (suggestion or ""), e.suggestion


def test_a_ladder_that_declares_no_evidence_refuses_an_evidence_section(tmp_path):
    from strategies import TINY, evaluator

    packet = {"candidate": {"id": "c-1"}, "current_level": "junior", "as_of": "2026-11-01",
              "evidence": {"validation_track": "meets"}}
    with pytest.raises(PacketError) as err:
        evaluator(TINY).evaluate(packet)
    assert err.value.code == "packet.undeclared-evidence" and "declares no evidence fields" in err.value.message
    assert evaluator(TINY).evaluate({**packet, "evidence": {}}).verdict  # an empty section is fine


# -- the ladder lint -----------------------------------------------------------------------------------------


def problems(tmp_path, edit) -> list[LadderError]:
    files = copy.deepcopy(LADDER)
    edit(files)
    return ladder_problems(tmp_path, files)


def head(files):
    return files["ladder.yaml"]


def measures(files):
    return files["ladder.yaml"]["measures"]


@pytest.mark.parametrize("edit, code, path, words, suggestion", [
    (lambda f: measures(f)["validation"].update(field="evidence.validation_trak"), "ladder.unknown-field",
     "measures.validation.field", "'evidence.validation_trak' is not a field of the packet", "evidence.validation_track"),
    (lambda f: head(f)["evidence"]["validation_track"].update(scale="gitlab-levl"), "ladder.unknown-scale",
     "evidence.validation_track.scale", "unknown scale 'gitlab-levl'", "gitlab-level"),
    (lambda f: head(f)["evidence"].update(Bad_Name={"type": "boolean"}), "ladder.bad-name", "evidence.Bad_Name",
     "is not a field name", None),
    (lambda f: measures(f)["results_examples"]["where"].update(valu="results"), "ladder.unknown-field",
     "measures.results_examples.where.valu", "'valu' is not a field of evidence.values_examples items", "value"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"aftr": "as_of"}), "ladder.unknown-operator",
     "measures.results_examples.where.date.aftr", "is a date: test it with", "after"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": "2026-13-01"}), "ladder.bad-operand",
     "measures.results_examples.where.date.after", "needs a date (YYYY-MM-DD), as_of or", None),
    # Python 3.11+ reads an ISO week date as a day, 3.10 does not: a ladder reads alike on every Python
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": "2026-W01-1"}), "ladder.bad-operand",
     "measures.results_examples.where.date.after", "needs a date (YYYY-MM-DD), as_of or", None),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": "as-of"}), "ladder.bad-operand",
     "measures.results_examples.where.date.after", "needs a date", "as_of"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": {"months_before": 3}}),
     "ladder.bad-operand", "measures.results_examples.where.date.after", "unknown key 'months_before'",
     "months_before_as_of"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": {"months_before_as_of": -1}}),
     "ladder.bad-operand", "measures.results_examples.where.date.after.months_before_as_of", "from 0 to 1200", None),
    (lambda f: measures(f)["results_examples"]["where"].update(measured={"before": "as_of"}), "ladder.bad-operator",
     "measures.results_examples.where.measured.before", "before applies to dates", None),
    (lambda f: measures(f)["first_value"].update(of="vale"), "ladder.unknown-field", "measures.first_value.of",
     "'vale' is not a field of evidence.values_examples items", "value"),
    (lambda f: measures(f)["lowest_rating"].update(of="operating_lvl"), "ladder.unknown-field",
     "measures.lowest_rating.of", "not a field of reviews items", "operating_level"),
    (lambda f: measures(f).update(lowest_rating={"sum": "reviews", "of": "rating"}), "ladder.field-kind",
     "measures.lowest_rating.of", "'rating' is a rating; sum needs a number", None),
    (lambda f: measures(f)["score"]["weighted_mean"][1].update(measure="buld"), "ladder.unknown-measure",
     "measures.score.weighted_mean[1].measure", "unknown measure 'buld'", "build"),
    (lambda f: measures(f)["total"].update(sum_of=["validation", "pm"]), "ladder.field-kind",
     "measures.total.sum_of[1]", "'pm' is a true/false; sum_of needs numbers", None),
    (lambda f: measures(f)["total"].update(sum_of=["validation", "total"]), "ladder.measure-cycle",
     "measures.total.sum_of[1]", "a measure cannot be part of itself", None),
    (lambda f: head(f)["scales"]["gitlab-level"][1].pop("value"), "ladder.field-kind", "measures.score.weighted_mean[0].measure",
     "scale 'gitlab-level' gives no `value` to each step", None),
    (lambda f: measures(f)["score"]["weighted_mean"][0].update(weight=0.00001), "ladder.bad-operand",
     "measures.score.weighted_mean[0].weight", "more than 4 decimals", None),
    (lambda f: f["pm-to-senior-pm.yaml"]["criteria"][0]["condition"].update(gte="meets"), "ladder.bad-operand",
     "criteria[0].condition.gte", "expected a number", None),
    (lambda f: f["pm-to-senior-pm.yaml"]["criteria"][3]["condition"].update(gte="meet"), "ladder.bad-operand",
     "criteria[3].condition.gte", "'meet' is not a value of measure 'lowest_rating'", "meets"),
])
def test_each_construct_is_checked_with_file_line_and_did_you_mean(tmp_path, edit, code, path, words, suggestion):
    found = [p for p in problems(tmp_path, edit) if p.path == path]
    assert len(found) == 1, [str(p) for p in problems(tmp_path, edit)]
    p = found[0]
    assert p.code == code and words in p.message, str(p)
    assert p.file is not None and p.line is not None
    assert (p.suggestion or "").strip("'") == (suggestion or ""), str(p)


def _condition(f, i):
    return f["pm-to-senior-pm.yaml"]["criteria"][i]["condition"]


@pytest.mark.parametrize("edit, path, message", [
    (lambda f: measures(f)["score"]["weighted_mean"][0].update(weight=0.00001), "measures.score.weighted_mean[0].weight",
     "0.00001 has more than 4 decimals"),  # was 1e-05
    (lambda f: _condition(f, 0).update(gte=True), "criteria[0].condition.gte", "expected a number, got true"),
    (lambda f: _condition(f, 3).update({"in": ["meets", None]}) or _condition(f, 3).pop("gte"),
     "criteria[3].condition.in[1]",
     "null is not a value of measure 'lowest_rating' (below, meets, exceeds, outstanding)"),  # was None
    (lambda f: measures(f)["results_examples"]["where"].update(date={"within_months": False}),
     "measures.results_examples.where.date.within_months",
     "within_months needs a whole number of months from 1 to 1200, got false"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": {"months_before_as_of": None}}),
     "measures.results_examples.where.date.after.months_before_as_of",
     "months_before_as_of needs a whole number of months from 0 to 1200, got null"),
    (lambda f: measures(f)["results_examples"]["where"].update(date={"after": True}),
     "measures.results_examples.where.date.after",
     "after needs a date (YYYY-MM-DD), as_of or {months_before_as_of: N}, got true"),
    (lambda f: _condition(f, 0).update(gte={"by_org_size": {"startup": 1, "growth": 2, "enterprise": None}}),
     "criteria[0].condition.gte.by_org_size.enterprise", "expected a number, got null"),
    (lambda f: f["pm-to-senior-pm.yaml"]["criteria"].append(_criterion("n", {"at_least": {"two": 2}, "of": [
        {"measure": "build", "gte": 1}, {"measure": "total", "gte": 1}]})), "criteria[7].condition.at_least",
     "expected a whole number, got {two: 2}"),  # was {'two': 2}
])
def test_a_value_in_a_ladder_problem_is_quoted_in_the_files_words_not_pythons(tmp_path, edit, path, message):
    found = [p for p in problems(tmp_path, edit) if p.path == path]
    assert [p.message for p in found] == [message], [str(p) for p in problems(tmp_path, edit)]


@pytest.mark.parametrize("edit, path, words", [
    (lambda f: head(f)["evidence"]["validation_track"].pop("scale"), "evidence.validation_track", "a rating needs `scale`"),
    (lambda f: head(f)["evidence"]["build_track"].update(type="float"), "evidence.build_track.type",
         "'float' is not one of number, integer, rating"),
    (lambda f: head(f)["evidence"]["values_examples"].pop("fields"), "evidence.values_examples", "records need `fields`"),
    (lambda f: head(f)["evidence"]["partners"].update(min=1), "evidence.partners", "`min` and `max` belong only"),
    (lambda f: head(f)["scales"].update(one=["only"]), "scales.one", "at least 2"),
    (lambda f: measures(f)["first_value"].pop("of"), "measures.first_value", "`earliest` needs `of`"),
    (lambda f: measures(f)["score"]["weighted_mean"][0].update(weight=0), "measures.score.weighted_mean[0].weight",
     "must be more than 0, got 0"),  # was pydantic's "Input should be greater than 0"
    (lambda f: measures(f)["total"].update(sum_of=[]), "measures.total.sum_of", "needs at least 1 item, got none"),
])
def test_shape_errors_of_the_new_keys_name_the_key(tmp_path, edit, path, words):
    found = problems(tmp_path, edit)
    assert len(found) == 1 and found[0].code == "ladder.shape", [str(p) for p in found]
    assert found[0].path == path and words in found[0].message and found[0].line is not None, str(found[0])


def test_a_part_of_an_arithmetic_measure_counts_as_used(tmp_path):
    # `validation` and `build` are read only through `score` and `total`: not reported unused
    load_ladder(write_ladder(tmp_path, LADDER))
    found = problems(tmp_path, lambda f: measures(f).update(spare={"field": "evidence.teams_led"}))
    assert [p.code for p in found] == ["ladder.unused-measure"] and found[0].path == "measures.spare"


def test_a_ladder_without_the_new_blocks_keeps_its_digest():
    from promoready.engine import ladder_digest
    from promoready.engine._ladder import _canonical
    from strategies import TINY

    assert "scales" not in _canonical(TINY) and "evidence" not in _canonical(TINY)
    assert ladder_digest(TINY) == ladder_digest(TINY.model_copy(update={"scales": {}, "evidence": {}}))


# -- the packet schema for a ladder ----------------------------------------------------------------------------


def test_schema_packet_for_a_ladder_lists_its_evidence_and_validates_like_the_engine(folder):
    schema = packet_schema(load_ladder(folder))
    evidence = schema["properties"]["evidence"]["anyOf"][0]
    assert evidence["additionalProperties"] is False
    assert set(evidence["properties"]) == set(LADDER["ladder.yaml"]["evidence"])
    assert evidence["properties"]["validation_track"]["anyOf"][0]["enum"] == ["below", "developing", "meets", "exceeds"]
    record = schema["$defs"][evidence["properties"]["values_examples"]["anyOf"][0]["items"]["$ref"].split("/")[-1]]
    assert set(record["properties"]) == {"value", "date", "measured"} and record["additionalProperties"] is False
    jsonschema.validate(PACKET, schema, format_checker=jsonschema.FormatChecker())
    bad = copy.deepcopy(PACKET)
    bad["evidence"]["validaton_track"] = "meets"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_schema_packet_command_takes_a_ladder_and_keeps_the_plain_schema_open(folder):
    from click.testing import CliRunner
    from promoready.cli import main

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    plain = json.loads(run("schema", "packet").stdout)
    assert plain["properties"]["evidence"]["anyOf"][0] == {"additionalProperties": True, "type": "object"}
    result = run("schema", "packet", "--ladder", folder)
    assert result.exit_code == 0
    assert "values_examples" in json.loads(result.stdout)["properties"]["evidence"]["anyOf"][0]["properties"]
    refused = run("schema", "decision", "--ladder", folder)
    assert refused.exit_code == 2 and "--ladder applies to the packet schema only" in refused.stderr


# -- batch: each packet's evidence is checked against its own ladder ----------------------------------------------


def test_each_ladders_evaluator_checks_evidence_against_its_own_declarations(folder):
    """A batch may mix ladders (each packet's `ladder` field picks one from the registry): the evidence
    section is checked by the evaluator of the ladder the packet is evaluated with, never another's."""
    from promoready.engine.registry import LadderRegistry

    registry = LadderRegistry(allowed=[folder])
    ours = registry.evaluator_for_packet(_loaded({**copy.deepcopy(PACKET), "ladder": folder}))
    assert ours.ladder.id == "lang12" and ours.evaluate(copy.deepcopy(PACKET)).verdict
    default = {"candidate": {"id": "c-2"}, "current_level": "apm", "as_of": "2026-11-01",
               "evidence": {"validation_track": "meets"}}
    with pytest.raises(PacketError) as err:
        registry.evaluate(default)
    assert "ladder 'product-management' declares no evidence fields" in err.value.message
    with pytest.raises(PacketError) as err:
        ours.evaluate({**copy.deepcopy(PACKET), "evidence": {"segment": "consumer"}})
    assert "unknown evidence field 'segment': ladder 'lang12'" in err.value.message


def _loaded(packet: dict):
    from promoready.engine import load_packet

    return load_packet(packet)


@pytest.mark.parametrize("name, words", [("gender", "gender"), ("candidate_name", "name"), ("average_age", "age"),
                                         ("date_of_birth", "birth"), ("ethnicity", "ethnicity"),
                                         # accepted until found by a helper trying the tool: plurals, names
                                         # written as one word, and pairs of words
                                         ("fullname", "fullname"), ("nationalities", "nationalities"),
                                         ("sexuality", "sexuality"), ("pronouns", "pronouns"),
                                         ("national_origin", "national origin"), ("skin_color", "skin color"),
                                         ("years_old", "years old"), ("parental_leave", "parental leave"),
                                         ("sexes", "sexes"), ("birthplace", "birthplace"),
                                         ("country_of_origin", "of origin"), ("skin_tone", "skin tone"),
                                         ("mother_tongue", "mother tongue"), ("has_children", "children")])
def test_evidence_that_names_who_a_person_is_is_refused(tmp_path, name, words):
    files = copy.deepcopy(LADDER)
    files["ladder.yaml"]["evidence"][name] = {"type": "string", "values": ["a", "b"]}
    with pytest.raises(LadderError) as caught:
        load_ladder(write_ladder(tmp_path, files))
    (problem,) = [p for p in caught.value.problems if p.code == "ladder.protected-attribute"]
    assert problem.path == f"evidence.{name}" and problem.line is not None and f"({words})" in problem.message


def test_a_name_that_merely_contains_a_protected_word_is_allowed(tmp_path):
    files = copy.deepcopy(LADDER)
    files["ladder.yaml"]["evidence"]["page_views"] = {"type": "integer", "min": 0}
    files["ladder.yaml"]["evidence"]["usage_share"] = {"type": "number"}
    files["ladder.yaml"]["evidence"]["stages"] = {"type": "integer", "min": 0}  # not "age" made plural
    files["ladder.yaml"]["evidence"]["leave_days"] = {"type": "integer", "min": 0}  # "leave" alone is work time
    files["ladder.yaml"]["evidence"]["origin_share"] = {"type": "number"}  # "origin" alone is not "national origin"
    for name in ("messages", "images", "languages", "packages", "averages", "wages"):  # plurals of no protected word
        files["ladder.yaml"]["evidence"][name] = {"type": "integer", "min": 0}
    load_ladder(write_ladder(tmp_path, files))  # no problem: "page" and "usage" are not "age"


def test_an_open_string_is_free_text_that_no_rule_may_read(tmp_path):
    files = copy.deepcopy(LADDER)
    files["ladder.yaml"]["evidence"]["notes"] = {"type": "string"}
    load_ladder(write_ladder(tmp_path, files))  # a packet may carry it…
    files["ladder.yaml"]["measures"]["notes_read"] = {"field": "evidence.notes"}
    first = next(iter(k for k in files if k != "ladder.yaml"))
    files[first]["criteria"][0]["condition"] = {"measure": "notes_read", "eq": "great"}
    with pytest.raises(LadderError) as caught:
        load_ladder(write_ladder(tmp_path, files))
    assert any(p.code == "ladder.free-text" and p.path == "measures.notes_read.field" for p in caught.value.problems)


def test_a_hair_below_the_bar_is_never_shown_at_the_bar(tmp_path):
    # 3.7499 gives a mean of 3.24996…: it fails 3.25, and neither Found nor the next step may say 3.25
    files = copy.deepcopy(LADDER)
    files["pm-to-senior-pm.yaml"]["criteria"].append(_criterion("build", {"measure": "build", "gte": 3.75}, required=False))
    got = decide(Evaluator(load_ladder(write_ladder(tmp_path, files))), {"build_track": 3.7499})
    assert (got["score"].status, got["build"].status) == ("fail", "fail")
    assert got["score"].actual.startswith("3.24 (weighted mean of ")
    assert got["score"].next_step == "raise weighted competency score from 3.24 to 3.25"
    assert (got["build"].actual, got["build"].next_step) == ("3.74", "raise build track from 3.74 to 3.75")


def test_items_dated_the_same_day_that_disagree_leave_a_path_in_missing_and_the_reason_in_found(engine):
    tied = [{"value": "results", "date": "2025-01-01"}, {"value": "iteration", "date": "2025-01-01"}]
    got = decide(engine, {"values_examples": tied})["first-value"]
    assert got.status == "unknown"
    assert got.missing == ["evidence.values_examples[0].value"]  # a path, as a batch counts them
    assert got.actual == ("first value shown: unknown (items dated the same day disagree: date 2025-01-01; "
                          "missing evidence.values_examples[0].value)")


# -- every date test in `where` ends at as_of -------------------------------------------------------------------


@pytest.mark.parametrize("op, day", [("after", {"months_before_as_of": 12}), ("on_or_after", "2025-01-01"),
                                     ("before", "2027-06-01"), ("on_or_before", "2027-06-01")])
def test_an_item_dated_after_as_of_matches_no_date_test(tmp_path, op, day):
    """A packet's evidence is as of its `as_of`: an item dated later is not there yet, for a comparison
    with a day exactly as for `within_months` and `latest`."""
    files = copy.deepcopy(LADDER)
    measures(files)["results_examples"]["where"]["date"] = {op: day}
    engine = Evaluator(load_ladder(write_ladder(tmp_path, files)))
    later = [{"value": "results", "date": "2026-11-02"}]  # the day after as_of
    got = decide(engine, {"values_examples": later})["results"]
    assert got.status == "fail" and got.actual.startswith("0"), got.actual
    on_the_day = [{"value": "results", "date": "2026-11-01"}]
    assert decide(engine, {"values_examples": on_the_day})["results"].status == "pass"


def test_an_item_dated_after_as_of_is_not_counted_by_a_fixed_day_in_a_rerun_of_history(engine):
    # re-run as of 2025-06-01: the review ending 2025-12-31 is on or before that fixed day, but not there yet
    got = decide(engine, as_of="2025-06-01", reviews=[
        {"start": "2025-01-01", "end": "2025-12-31", "rating": "meets", "operating_level": "senior-pm"}])
    assert got["old-reviews"].actual.startswith("0"), got["old-reviews"].actual


@pytest.mark.parametrize("op, day", [("after", "as_of"), ("after", {"months_before_as_of": 0})])
def test_a_date_test_that_can_never_match_is_refused(tmp_path, op, day):
    found = problems(tmp_path, lambda f: measures(f)["results_examples"]["where"].update(date={op: day}))
    (p,) = [p for p in found if p.path == f"measures.results_examples.where.date.{op}"]
    assert p.code == "ladder.bad-operand" and "can never match" in p.message and p.line is not None, str(p)


@pytest.mark.parametrize("day", ["as_of", {"months_before_as_of": 0}])
def test_on_or_after_as_of_is_accepted_and_counts_what_is_dated_on_as_of(tmp_path, day):
    # An item dated on as_of itself is on or after it and not after it: the test can match (it was refused).
    files = copy.deepcopy(LADDER)
    measures(files)["results_examples"]["where"].update(date={"on_or_after": day})
    load_ladder(write_ladder(tmp_path, files))


# -- lint gaps: falling scales, a measure compared with itself, cascades -------------------------------------


def test_a_scale_whose_values_fall_with_the_order_is_refused(tmp_path):
    steps = [{"id": "below", "value": 5}, {"id": "developing", "value": 2}, {"id": "meets", "value": 3},
             {"id": "exceeds", "value": 3}]
    found = problems(tmp_path, lambda f: head(f)["scales"].update({"gitlab-level": steps}))
    assert [(p.code, p.path) for p in found] == [("ladder.bad-operand", "scales.gitlab-level[1].value"),
                                                 ("ladder.bad-operand", "scales.gitlab-level[3].value")]
    assert "'developing' (2) is not above 'below' (5)" in found[0].message and found[0].line is not None
    assert "'exceeds' (3) is not above 'meets' (3)" in found[1].message


def test_a_measure_compared_with_itself_is_refused(tmp_path):
    def edit(f):
        f["pm-to-senior-pm.yaml"]["criteria"][4]["condition"] = {"measure": "total", "lte": {"measure": "total"}}
    (p,) = problems(tmp_path, edit)
    assert p.code == "ladder.bad-operand" and p.path == "criteria[4].condition.lte.measure"
    assert "'total' is compared with itself" in p.message and p.file.endswith("pm-to-senior-pm.yaml") and p.line


def test_an_unknown_scale_is_reported_once_without_follow_on_messages(tmp_path):
    def edit(f):
        head(f)["evidence"]["validation_track"]["scale"] = "gitlab-levl"
        f["pm-to-senior-pm.yaml"]["criteria"].append(
            _criterion("validation", {"measure": "validation", "gte": "meets"}, required=False))
    found = problems(tmp_path, edit)
    assert [(p.code, p.path) for p in found] == [("ladder.unknown-scale", "evidence.validation_track.scale")], \
        [str(p) for p in found]


def test_criteria_that_all_have_shape_errors_are_not_also_reported_too_few(tmp_path):
    def edit(f):
        for criterion in f["pm-to-senior-pm.yaml"]["criteria"]:
            criterion["condition"] = {"measure": "score", "gtee": 3}
    found = problems(tmp_path, edit)
    assert len(found) == 7 and {(p.code, p.message) for p in found} == {("ladder.shape", "unknown key 'gtee'")}
    assert all(p.path.startswith("criteria[") and p.line for p in found)
    none = problems(tmp_path, lambda f: f["pm-to-senior-pm.yaml"].update(criteria=[]))
    assert [(p.path, p.code) for p in none] == [("criteria", "ladder.shape")] and "at least 1" in none[0].message


def test_a_yaml_timestamp_in_a_where_is_refused_not_a_crash(tmp_path):
    """An unquoted ``2026-11-01 10:00:00`` is a date and a time in YAML, not a day: it stopped the load
    with a ValueError from the window check; now it is refused like any other operand that is not a day."""
    files = copy.deepcopy(LADDER)
    measures(files)["results_examples"]["where"].update(date={"before": "STAMP"})
    folder = write_ladder(tmp_path, files)
    head_file, block = Path(folder) / "ladder.yaml", io.StringIO()
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    writer.dump(files["ladder.yaml"], block)  # block style: the stamp unquoted
    assert block.getvalue().count("STAMP") == 1
    head_file.write_text(block.getvalue().replace("STAMP", "2026-11-01 10:00:00"), encoding="utf-8")
    with pytest.raises(LadderError) as caught:
        load_ladder(folder)
    found = [p for p in getattr(caught.value, "problems", [caught.value])
             if p.path == "measures.results_examples.where.date.before"]
    assert [p.code for p in found] == ["ladder.bad-operand"]
    assert "needs a date (YYYY-MM-DD), as_of or {months_before_as_of: N}, got 2026-11-01" in found[0].message


def test_size_of_a_list_of_records_is_refused_it_would_read_their_names(tmp_path):
    # `size` counts distinct words; over records it told them apart by every field: two advocates alike but
    # for their `name` counted 2, the same two with one name counted 1 (found by a helper trying the tool).
    files = copy.deepcopy(LADDER)
    files["ladder.yaml"]["measures"]["sponsors"] = {"size": "advocates"}
    first = next(iter(k for k in files if k != "ladder.yaml"))
    criterion = files[first]["criteria"][0]
    criterion["condition"] = {"all": [criterion["condition"], {"measure": "sponsors", "gte": 2}]}
    with pytest.raises(LadderError) as caught:
        load_ladder(write_ladder(tmp_path, files))
    (problem,) = caught.value.problems
    assert problem.code == "ladder.field-kind" and "count: advocates" in problem.message
    files["ladder.yaml"]["measures"]["sponsors"] = {"size": "influence.cross_functional_partners"}  # words: fine
    load_ladder(write_ladder(tmp_path, files))
