"""The condition and measure unions: each variant parses from the language as written, a bad node is
reported against the variant and key it was meant to be, and the ladder's digest keeps its v1 form."""

from __future__ import annotations

import hashlib
import json
import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from promoready.engine import ladder_digest
from promoready.schemas import json_schema
from promoready.schemas import ladder as L

CONDITION = TypeAdapter(L.Condition)
MEASURE = TypeAdapter(L.Measure)


def errors(adapter: TypeAdapter, data) -> list[tuple[tuple, str, str]]:
    """(location, type, message) of each error ``data`` gets, "Value error, " left out."""
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(data)
    return [(e["loc"], e["type"], e["msg"].removeprefix("Value error, ")) for e in caught.value.errors()]


def union_members(alias) -> tuple[type, ...]:
    """The models of an ``Annotated[Union[Annotated[Model, Tag], ...], ...]`` alias."""
    union = typing.get_args(alias)[0]
    return tuple(typing.get_args(member)[0] for member in typing.get_args(union))


# -- conditions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", L.COMPARISON_OPS)
def test_a_comparison_is_a_leaf_with_its_one_operator(op):
    value = ["a", "b"] if op == "in" else 3
    leaf = CONDITION.validate_python({"measure": "years", op: value})
    assert type(leaf) is L.Leaf
    assert (leaf.measure, leaf.op, leaf.operand) == ("years", op, value)
    assert leaf.children == () and leaf.located_children() == ()


def test_combinations_are_their_own_nodes_with_located_children():
    tree = CONDITION.validate_python({"all": [
        {"measure": "a", "gte": 1},
        {"any": [{"measure": "b", "eq": True}, {"not": {"measure": "c", "lt": 2}}]},
    ]})
    assert type(tree) is L.AllOf
    first, second = tree.children
    assert type(first) is L.Leaf and type(second) is L.AnyOf
    assert [loc for loc, _ in tree.located_children()] == [("all", 0), ("all", 1)]
    assert [loc for loc, _ in second.located_children()] == [("any", 0), ("any", 1)]
    negation = second.children[1]
    assert type(negation) is L.Not
    assert negation.located_children() == ((("not",), negation.not_),)
    assert (negation.not_.measure, negation.not_.op) == ("c", "lt")


def test_python_names_of_aliased_keys_are_read_alike():
    assert CONDITION.validate_python({"measure": "a", "in_": [1]}).op == "in"
    assert type(CONDITION.validate_python({"not_": {"measure": "a", "gte": 1}})) is L.Not


def test_null_means_not_given():
    leaf = CONDITION.validate_python({"measure": "a", "gte": 1, "eq": None, "all": None, "not": None})
    assert type(leaf) is L.Leaf and leaf.op == "gte"
    assert errors(CONDITION, {"all": None}) == [
        ((), "value_error", "a condition is a comparison (measure + operator) or exactly one of all, any, not, at_least; found none")]


@pytest.mark.parametrize("data, expected", [
    ({"measure": "a"}, [(("Leaf",), "value_error",
                         "a comparison needs exactly one operator of gte, gt, lte, lt, eq, ne, in, contains, contains_all, contains_any; found none")]),
    ({"measure": "a", "gte": 1, "lt": 3}, [(("Leaf",), "value_error",
                                            "a comparison needs exactly one operator of gte, gt, lte, lt, eq, ne, in, contains, contains_all, contains_any; "
                                            "found ['gte', 'lt']")]),
    ({"gte": 1}, [((), "value_error", "operator `gte` needs a `measure`")]),
    ({"measure": "a", "gte": 1, "any": [{"measure": "b", "gte": 1}]},
     [((), "value_error", "a comparison cannot also have `any`")]),
    ({"all": [{"measure": "a", "gte": 1}], "not": {"measure": "a", "gte": 1}},
     [((), "value_error", "a condition is a comparison (measure + operator) or exactly one of all, any, not, at_least; "
                          "found ['all', 'not']")]),
    ({"any": []}, [((), "value_error", "`any` needs at least one condition")]),
    (5, [((), "value_error", "expected a condition: a mapping with `measure` and an operator, or with one of "
                             "all, any, not, at_least; got 5")]),
    ({"foo": 1}, [((), "value_error", "a condition is a comparison (measure + operator) or exactly one of all, "
                                      "any, not, at_least; found none; unknown key 'foo'")]),
])
def test_a_bad_node_says_what_is_wrong_with_it(data, expected):
    assert errors(CONDITION, data) == expected


@pytest.mark.parametrize("data, loc", [
    ({"measure": "a", "gtee": 1}, ("Leaf", "gtee")),
    ({"measur": "a", "gte": 1}, ("Leaf", "measur")),
    ({"alll": [{"measure": "a", "gte": 1}]}, ("AllOf", "alll")),
    ({"anyy": [{"measure": "a", "gte": 1}]}, ("AnyOf", "anyy")),
    ({"nto": {"measure": "a", "gte": 1}}, ("Not", "nto")),
])
def test_a_misspelt_key_is_reported_by_the_variant_it_resembles(data, loc):
    found = errors(CONDITION, data)
    assert (loc, "extra_forbidden", "Extra inputs are not permitted") in found
    # The key the typo stands for is missing too: that is the same mistake, reported beside it.
    assert all(kind in ("extra_forbidden", "missing") and where[0] == loc[0] for where, kind, _ in found)


def test_an_error_deep_in_a_tree_is_located_through_each_variant():
    found = errors(CONDITION, {"not": {"all": [{"measure": "a", "gte": 1}, {"any": [{"measure": "b"}, 7]}]}})
    assert [(loc, msg.split(";")[0]) for loc, _, msg in found] == [
        (("Not", "not", "AllOf", "all", 1, "AnyOf", "any", 0, "Leaf"),
         "a comparison needs exactly one operator of gte, gt, lte, lt, eq, ne, in, contains, contains_all, contains_any"),
        (("Not", "not", "AllOf", "all", 1, "AnyOf", "any", 1),
         "expected a condition: a mapping with `measure` and an operator, or with one of all, any, not, at_least"),
    ]


# -- measures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, model", [
    ({"field": "experience.product_years"}, L.FieldMeasure),
    ({"count": "advocates", "where": {"committed": True}}, L.CountMeasure),
    ({"size": "influence.cross_functional_partners"}, L.SizeMeasure),
    ({"max": "artifacts", "of": "horizon_months"}, L.MaxMeasure),
    ({"min": "artifacts", "of": "horizon_months"}, L.MinMeasure),
    ({"sum": "artifacts", "of": "adopted_by_teams", "where": {"kind": "prd"}}, L.SumMeasure),
    ({"review_months": {"at_or_above": "target", "within_months": 12}}, L.ReviewMonthsMeasure),
    ({"months_since": "experience.current_level_since"}, L.MonthsSinceMeasure),
])
def test_each_measure_kind_is_its_own_model(data, model):
    measure = MEASURE.validate_python({**data, "unit": "u", "title": "t"})
    assert type(measure) is model
    assert measure.kind in data and (measure.unit, measure.title, measure.grows) == ("u", "t", False)
    if isinstance(measure, L.ListMeasure):
        assert measure.list_path == data[measure.kind]
    assert MEASURE.validate_python(measure.model_dump(by_alias=True)) == measure


@pytest.mark.parametrize("data, expected", [
    ({"max": "artifacts"}, [(("MaxMeasure",), "`max` needs `of`: the item field to aggregate")]),
    ({"count": "advocates", "of": "level"}, [((), "`of` belongs only to max, min, sum, latest and earliest")]),
    ({"size": "x", "where": {"a": 1}}, [((), "`where` belongs only to count, max, min, sum, latest and earliest")]),
    ({"field": "a", "count": "b"}, [((), "a measure needs exactly one of field, count, size, max, min, sum, "
                                         "latest, earliest, review_months, months_since, sum_of, weighted_mean; found ['field', 'count']")]),
    ({"unit": "years"}, [((), "a measure needs exactly one of field, count, size, max, min, sum, latest, earliest, review_months, "
                              "months_since, sum_of, weighted_mean; found none")]),
    ({"count": None, "unit": "x"}, [((), "a measure needs exactly one of field, count, size, max, min, sum, "
                                         "latest, earliest, review_months, months_since, sum_of, weighted_mean; found none")]),
    ("advocates", [((), "expected a measure: a mapping with one of field, count, size, max, min, sum, "
                        "latest, earliest, review_months, months_since, sum_of, weighted_mean; got the text 'advocates'")]),
    ({"review_months": {"at_or_above": "x", "within_months": 0}},
     [(("ReviewMonthsMeasure", "review_months", "within_months"), "Input should be greater than or equal to 1")]),
])
def test_a_bad_measure_says_what_is_wrong_with_it(data, expected):
    assert [(loc, msg) for loc, _, msg in errors(MEASURE, data)] == expected


def test_a_misspelt_measure_key_is_reported_by_the_kind_it_resembles():
    assert errors(MEASURE, {"cont": "advocates"}) == [
        (("CountMeasure", "count"), "missing", "Field required"),
        (("CountMeasure", "cont"), "extra_forbidden", "Extra inputs are not permitted")]
    # `off` for `of`: the typo, not "`sum` needs `of`".
    assert [(loc, kind) for loc, kind, _ in errors(MEASURE, {"sum": "artifacts", "off": "x"})] == [
        (("SumMeasure", "of"), "missing"), (("SumMeasure", "off"), "extra_forbidden")]


def test_grows_is_a_boolean_not_a_nullable_key():
    assert [loc for loc, _, _ in errors(MEASURE, {"count": "advocates", "grows": None})] == [("CountMeasure", "grows")]


# -- the unions as a whole ------------------------------------------------------------------------------


def test_the_registries_list_every_variant_of_each_union():
    assert union_members(L.Condition) == L.CONDITION_MODELS
    assert union_members(L.Measure) == L.MEASURE_MODELS
    assert L.MEASURE_KINDS == ("field", "count", "size", "max", "min", "sum", "latest", "earliest", "review_months",
                               "months_since", "sum_of", "weighted_mean")
    assert L.CONDITION_TAGS == {m.__name__ for m in L.CONDITION_MODELS}
    assert L.MEASURE_TAGS == {m.__name__ for m in L.MEASURE_MODELS}


def test_the_json_schema_offers_exactly_one_variant_per_node():
    schema = json_schema("ladder")
    defs = schema["$defs"]
    condition = defs["Criterion"]["properties"]["condition"]
    assert condition["oneOf"] == [{"$ref": f"#/$defs/{m.__name__}"} for m in L.CONDITION_MODELS]
    measures = schema["properties"]["measures"]["additionalProperties"]
    assert measures["oneOf"] == [{"$ref": f"#/$defs/{m.__name__}"} for m in L.MEASURE_MODELS]
    # Variants exclude each other: each requires its own key and allows no other variant's key.
    for model, key in [(L.Leaf, "measure"), (L.AllOf, "all"), (L.AnyOf, "any"), (L.Not, "not"),
                       *((m, m.kind) for m in L.MEASURE_MODELS)]:
        d = defs[model.__name__]
        assert key in d["required"] and d["additionalProperties"] is False, model
    for model, key in [(L.AllOf, "all"), (L.AnyOf, "any")]:
        assert defs[model.__name__]["properties"][key]["minItems"] == 1
        assert defs[model.__name__]["properties"][key]["items"]["oneOf"] == condition["oneOf"]
    assert defs["Not"]["properties"]["not"]["oneOf"] == condition["oneOf"]
    text = json.dumps(schema)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:]}:
        assert ref.split("/")[0] in defs, ref


# -- the digest's canonical form --------------------------------------------------------------------------


def _ladder() -> L.Ladder:
    return L.Ladder.model_validate({
        "id": "mini", "version": "1", "title": "Mini",
        "levels": [{"id": "a", "title": "A", "track": "both", "rank": 1},
                   {"id": "b", "title": "B", "track": "ic", "rank": 2}],
        "measures": {"n": {"count": "advocates", "where": {"level": {"gte": "target"}}}},
        "transitions": [{
            "from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B",
            "file": "a-to-b.yaml",
            "criteria": [{
                "id": "c", "title": "C", "required": True, "rationale": "R.",
                "source": {"file": "f.txt", "section": "S"},
                "condition": {"all": [{"measure": "n", "gte": {"by_org_size": {"startup": 1, "growth": 2,
                                                                                "enterprise": 3}}},
                                      {"not": {"measure": "n", "in": [{"level": "b"}]}}]},
                "text": {"pass": "P.", "fail": "F.", "unknown": "U."},
            }],
        }],
    })


def test_the_digest_hashes_every_v1_key_of_every_node_and_measure():
    """Decisions carry the ladder digest: it must not move when the models change shape. In the v1
    form every condition node and measure lists every key it had as one model, null where unused;
    keys the language gained later (sources, title patterns, scales, evidence, a criterion's threshold and group, a
    source's ref, supporting groups) appear only where a ladder uses them."""
    ladder = _ladder()
    none = dict.fromkeys(("measure", "gte", "gt", "lte", "lt", "eq", "ne", "in", "all", "any", "not"))
    data = ladder.model_dump(mode="json", by_alias=True)
    del data["sources"], data["title_patterns"], data["scales"], data["evidence"]
    for criterion in data["transitions"][0]["criteria"]:
        del criterion["threshold"], criterion["source"]["ref"], criterion["group"]
    del data["transitions"][0]["supporting_groups"]  # issue 12: present only where used
    data["measures"] = {"n": {"field": None, "count": "advocates", "size": None, "max": None, "min": None,
                              "sum": None, "review_months": None, "months_since": None, "of": None,
                              "where": {"level": {"gte": "target"}}, "unit": None, "grows": False, "title": None}}
    data["transitions"][0]["criteria"][0]["condition"] = {**none, "all": [
        {**none, "measure": "n", "gte": {"by_org_size": {"startup": 1, "growth": 2, "enterprise": 3}}},
        {**none, "not": {**none, "measure": "n", "in": [{"level": "b"}]}},
    ]}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert ladder_digest(ladder) == "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_ladder_round_trips_through_its_dump():
    ladder = _ladder()
    again = L.Ladder.model_validate(ladder.model_dump(by_alias=True))
    assert again == ladder and ladder_digest(again) == ladder_digest(ladder)
