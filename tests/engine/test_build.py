"""engine/_build: output models made without validation are the models validation would make."""

from __future__ import annotations

import json
import os

from pydantic import BaseModel

from promoready.engine._build import build
from promoready.schemas.decision import CriterionResult, Decision

from conftest import evaluator

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(HERE, "..", "rules", "product-management", "examples")


def _models(model: BaseModel):
    yield model
    for value in model.__dict__.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                yield from _models(item)


def _example_packets():
    import yaml

    for name in sorted(os.listdir(EXAMPLES)):
        with open(os.path.join(EXAMPLES, name), encoding="utf-8") as fh:
            for case in yaml.safe_load(fh)["cases"]:
                yield json.loads(json.dumps(case["packet"], default=str))


def test_every_built_model_gives_every_field_and_equals_its_validated_twin():
    ev = evaluator()
    seen = 0
    for packet in _example_packets():
        decision = ev.evaluate(packet)
        for model in _models(decision):
            # build's shared fields-set is right only when every field is given: each one is
            assert set(model.__dict__) == set(type(model).model_fields), type(model).__name__
            assert model.model_fields_set == set(type(model).model_fields)
            seen += 1
        again = Decision.model_validate_json(decision.to_json())
        assert again.to_json() == decision.to_json()
    assert seen > 100


def test_a_model_built_from_some_fields_has_only_those_set():
    partial = build(CriterionResult, {"id": "x", "title": "X"})
    assert partial.model_fields_set == {"id", "title"}
    full = build(CriterionResult, {name: None for name in CriterionResult.model_fields})
    assert full.model_fields_set == set(CriterionResult.model_fields)
    assert partial.model_fields_set != full.model_fields_set
