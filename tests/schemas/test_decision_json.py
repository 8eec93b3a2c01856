"""A decision's JSON is pydantic's, byte for byte, whichever encoder wrote it.

``Decision.to_json`` and ``to_json_bytes`` write through orjson where that surely gives pydantic's bytes,
and through pydantic otherwise. Every test here asks pydantic for its text directly (``reference``) and
says which path it expects to have run (``same``), so that a fast path that runs where it must not, or
stops running where it should, fails a test even when the bytes happen to agree.
"""

from __future__ import annotations

import ast
import copy
import datetime
import enum
import json
import os
import sys
import uuid
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from hypothesis import given, strategies as st
from pydantic import field_serializer

from promoready.engine import bundled_ladders
from promoready.engine._build import build
from promoready.schemas import decision as D
from promoready.schemas.decision import (CriterionResult, Decision, Group, LadderRef, Projection, Summary,
                                         Supporting, TransitionRef)

from conftest import ROOT, evaluator
from strategies import examples

sys.path.insert(0, os.path.join(ROOT, "bench"))
import packets as bench_packets  # noqa: E402

#: The example ladder with named supporting groups (``supporting_groups``).
GROUPED = os.path.join(ROOT, "examples", "ladders", "monzo-product")
#: Every ASCII character, C1 controls, the JavaScript line separators, a BOM, non-characters, non-BMP
#: characters, and what JSON escapes or an HTML page cares about.
HOSTILE = ("".join(chr(i) for i in range(0x80)) + "\x80\x9f\xa0é\u2028\u2029\ufeff\ufffe\uffff😀\U0010ffff"
           + '"\\/\\"</script>\\u0000')


def reference(decision: Decision) -> tuple[Optional[str], Optional[bytes], Optional[BaseException]]:
    """What pydantic writes for ``decision`` (the text, the bytes) or the error it raises: asked for
    here as ``to_json``/``to_json_bytes`` asked for it before they had a fast path."""
    try:
        text = decision.model_dump_json(by_alias=True, exclude=decision._left_out())
        data = decision.__pydantic_serializer__.to_json(decision, by_alias=True, exclude=decision._left_out())
    except Exception as exc:  # noqa: BLE001 - any error: the fast path must give the same
        return None, None, exc
    return text, data, None


def same(decision: Decision, *, fast: bool) -> bytes:
    """Assert that ``to_json`` and ``to_json_bytes`` give pydantic's text and bytes (or its error), and
    that the fast path ran (``fast``) or did not; the bytes."""
    text, data, error = reference(decision)
    assert (D._fast_json(decision) is not None) == fast
    if error is not None:
        for write in (decision.to_json, decision.to_json_bytes):
            with pytest.raises(type(error)) as caught:
                write()
            assert str(caught.value) == str(error)
        return b""
    assert data is not None and text == data.decode("utf-8")  # the reference's two halves agree
    out_text, out_data = decision.to_json(), decision.to_json_bytes()
    assert type(out_text) is str and type(out_data) is bytes
    assert out_data == data
    assert out_text == text
    return out_data


def case_packets(folder: str) -> list[dict]:
    """Every example case's packet of a ladder folder, its ``ladder`` left out as ``run_examples`` does."""
    out = []
    for name in sorted(os.listdir(os.path.join(folder, "examples"))):
        with open(os.path.join(folder, "examples", name), encoding="utf-8") as fh:
            for case in yaml.safe_load(fh)["cases"]:
                out.append({k: v for k, v in case["packet"].items() if k != "ladder"})
    return out


@lru_cache(maxsize=None)
def grouped_decisions() -> tuple[Decision, ...]:
    """The decisions on the grouped ladder's example cases (frozen models: shared by the tests)."""
    ev = evaluator(GROUPED)
    return tuple(ev.evaluate(p) for p in case_packets(GROUPED))


@lru_cache(maxsize=None)
def a_decision() -> Decision:
    """A not-ready decision of the default ladder, without named groups."""
    ev = evaluator()
    return next(d for d in map(ev.evaluate, case_packets(bundled_ladders()["product-management"]))
                if d.verdict == "not_ready")


# -- decisions as the engine makes them --------------------------------------------------------------------


@pytest.mark.parametrize("ladder_id", sorted(bundled_ladders()))
def test_every_example_case_of_the_bundled_ladders(ladder_id):
    ev = evaluator(ladder_id)
    decisions = [ev.evaluate(p) for p in case_packets(bundled_ladders()[ladder_id])]
    assert len(decisions) >= 6
    for decision in decisions:
        same(decision, fast=True)


def test_generated_benchmark_packets():
    ev = evaluator()
    texts = bench_packets.texts(bench_packets.pool(300))
    verdicts = set()
    for text in texts:
        decision = ev.evaluate_json(text, source="b.json")
        same(decision, fast=True)
        verdicts.add(decision.verdict)
    assert verdicts == {"ready", "not_ready", "insufficient_evidence"}


def test_named_supporting_groups():
    decisions = grouped_decisions()
    for decision in decisions:
        assert decision.groups is not None
        out = json.loads(same(decision, fast=True))
        assert [c.get("group") for c in out["criteria"]] == [c.group for c in decision.criteria]
    groups = [c.group for d in decisions for c in d.criteria]
    assert None in groups and {g for g in groups if g is not None}  # both kinds of criterion are written


def test_generated_packets_for_a_ladder_with_named_groups():
    ev = evaluator(GROUPED)
    verdicts = set()
    for packet in bench_packets.pool(200, ladder_dir=Path(GROUPED)):
        decision = ev.evaluate({k: v for k, v in packet.items() if k != "ladder"})
        same(decision, fast=True)
        verdicts.add(decision.verdict)
    assert verdicts == {"ready", "not_ready", "insufficient_evidence"}


def test_a_hostile_candidate_id_and_misspelt_field_through_the_engine():
    packet = copy.deepcopy(case_packets(bundled_ladders()["product-management"])[0])
    packet["candidate"]["id"] = HOSTILE
    packet["candidat\u2028e😀"] = "x"  # worded in a typo warning
    decision = evaluator().evaluate(packet)
    assert decision.candidate_id == HOSTILE and decision.warnings
    same(decision, fast=True)


# -- the engine's builder writes every model's keys in field order -----------------------------------------


def test_every_build_call_in_the_engine_gives_its_fields_in_order():
    # The fast path checks the order at run time (any other falls back to pydantic); this keeps the
    # engine's own decisions on the fast path, and sees call sites no example reaches.
    models = {m.__name__: m for m in D._FIELDS}
    seen = 0
    for folder, _, files in os.walk(os.path.join(ROOT, "engine")):
        for name in files:
            if not name.endswith(".py"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "build":
                    model, values = node.args
                    assert isinstance(model, ast.Name) and isinstance(values, ast.Dict), (name, node.lineno)
                    keys = [k.value for k in values.keys if isinstance(k, ast.Constant)]
                    assert keys == list(models[model.id].model_fields), (name, node.lineno)
                    seen += 1
    assert seen >= 9  # CriterionResult, Group, Decision, Summary, Supporting, and Projection four times


# -- decisions made by validation --------------------------------------------------------------------------


def test_decisions_validated_from_json_in_any_key_order():
    for decision in [a_decision(), *grouped_decisions()[:3]]:
        data = json.loads(decision.to_json())
        for doc in (data, _reversed(data)):
            again = Decision.model_validate(doc)
            assert same(again, fast=True) == decision.to_json_bytes()
        assert same(Decision.model_validate_json(json.dumps(_reversed(data))), fast=True) == decision.to_json_bytes()


def _reversed(value: Any) -> Any:
    """``value`` with every mapping's keys in reverse order."""
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(value)}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def _hostile(value: Any, key: str = "") -> Any:
    """``value`` with every string but the few a Literal restricts made hostile."""
    if isinstance(value, dict):
        return {k: _hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile(v, key) for v in value]
    if isinstance(value, str) and key not in ("status", "verdict", "threshold_basis"):
        return value + HOSTILE
    return value


def test_hostile_text_in_every_text_field():
    for decision in (a_decision(), grouped_decisions()[0]):
        doc = _hostile(json.loads(decision.to_json()))
        out = same(Decision.model_validate(doc), fast=True)
        assert json.loads(out) == doc


@examples(200)
@given(text=st.text())
def test_any_text_in_the_candidate_id_and_an_explanation(text):
    decision = a_decision()
    first = decision.criteria[0].model_copy(update={"explanation": text, "evidence": [text, "x"]})
    same(decision.model_copy(update={"candidate_id": text, "criteria": [first, *decision.criteria[1:]]}),
         fast=True)


def test_a_lone_surrogate_raises_pydantics_error():
    decision = a_decision().model_copy(update={"candidate_id": "a\ud800b"})
    assert reference(decision)[2] is not None
    same(decision, fast=False)


# -- what is left out --------------------------------------------------------------------------------------


def test_a_criterion_with_a_group_in_a_decision_without_groups():
    grouped = next(d for d in grouped_decisions() if any(c.group for c in d.criteria))
    without = {k: v for k, v in json.loads(grouped.to_json()).items() if k != "groups"}
    for decision in (grouped.model_copy(update={"groups": None}), Decision.model_validate(without)):
        assert decision.groups is None and any(c.group for c in decision.criteria)
        out = same(decision, fast=True)
        assert b'"group"' not in out and b'"groups"' not in out


def test_empty_groups_are_written_and_ungrouped_criteria_leave_their_group_out():
    decision = a_decision().model_copy(update={"groups": []})
    out = json.loads(same(decision, fast=True))
    assert out["groups"] == [] and all("group" not in c for c in out["criteria"])


def test_without_orjson_pydantic_writes(monkeypatch):
    decision = grouped_decisions()[0]
    fast = decision.to_json_bytes()
    monkeypatch.setattr(D, "_orjson", None)
    assert same(decision, fast=False) == fast


# -- what only pydantic writes -----------------------------------------------------------------------------


class _Shouting(Decision):
    @field_serializer("verdict")
    def _loud(self, verdict: str) -> str:
        return verdict.upper()


class _Plain(Decision):
    pass


def test_a_subclass_of_decision():
    data = json.loads(a_decision().to_json())
    for cls in (_Shouting, _Plain):
        same(cls.model_validate(data), fast=False)
    assert b'"verdict":"NOT_READY"' in _Shouting.model_validate(data).to_json_bytes()


class _MyCriterion(CriterionResult):
    pass


class _MyGroup(Group):
    pass


@pytest.mark.parametrize("model", [LadderRef, TransitionRef, Summary, Supporting, Projection])
def test_a_subclass_of_a_nested_model(model):
    decision = a_decision()
    field = {LadderRef: "ladder", TransitionRef: "transition", Summary: "summary", Supporting: "supporting",
             Projection: "projection"}[model]
    sub = type(f"_My{model.__name__}", (model,), {})
    value = getattr(decision, field)
    same(decision.model_copy(update={field: sub.model_validate(value.model_dump())}), fast=False)


def test_a_subclass_of_a_criterion_or_a_group():
    decision = grouped_decisions()[0]
    criteria = [*decision.criteria[:-1], _MyCriterion.model_validate(decision.criteria[-1].model_dump())]
    same(decision.model_copy(update={"criteria": criteria}), fast=False)
    assert decision.groups
    groups = [_MyGroup.model_validate(decision.groups[0].model_dump()), *decision.groups[1:]]
    same(decision.model_copy(update={"groups": groups}), fast=False)


@pytest.mark.parametrize("big", [2**64, 2**70, -(2**63) - 1])
def test_an_integer_beyond_64_bits(big):
    decision = a_decision()
    summary = Summary.model_construct(pass_=big, fail=0, unknown=0)
    out = same(decision.model_copy(update={"summary": summary}), fast=False)
    assert f'"pass":{big},'.encode() in out


def _flipped(model: Any) -> Any:
    """A twin of ``model`` made by the builder with its ``__dict__``'s keys in reverse order."""
    return build(type(model), dict(reversed(model.__dict__.items())))


def test_keys_out_of_field_order_or_not_fields():
    decision = grouped_decisions()[0]
    assert decision.projection is not None and decision.groups
    top = decision.__dict__
    first = decision.criteria[0]
    odd = [
        _flipped(decision),
        *(build(Decision, {**top, name: _flipped(getattr(decision, name))})
          for name in ("ladder", "transition", "summary", "supporting", "projection")),
        build(Decision, {**top, "criteria": [_flipped(first), *decision.criteria[1:]]}),
        build(Decision, {**top, "groups": [_flipped(decision.groups[0]), *decision.groups[1:]]}),
        build(Decision, {k: v for k, v in top.items() if k != "warnings"}),  # a field missing
        decision.model_copy(update={"not_a_field": 1}),
        decision.model_copy(update={"criteria": [first.model_copy(update={"not_a_field": 1}), *decision.criteria[1:]]}),
        decision.model_copy(update={"summary": decision.summary.model_copy(update={"pass": 99})}),  # the alias
    ]
    for made in odd:
        same(made, fast=False)


class _Colour(enum.Enum):
    RED = "red"


class _Size(enum.IntEnum):
    BIG = 7


class _Word(str):
    pass


#: Values of types no field declares, which an unvalidated model can hold.
ODD_VALUES = [True, False, 0, 1, 3.0, 1.5, 1e20, 1e-7, -0.0, float("nan"), float("inf"), "1", "ready", None, [],
              ["x"], ("x", 1), {"a": 1}, {1: "a"}, _Colour.RED, _Size.BIG, _Word("w"), uuid.UUID(int=1),
              datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4, 5),
              datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc), {1, 2}, b"x"]


def _with(decision: Decision, where: str, name: str, value: Any) -> Decision:
    """``decision`` with one field of its own, of its first criterion or group, or of a nested model, set
    to ``value`` without validation."""
    if where == "decision":
        return decision.model_copy(update={name: value})
    if where in ("criteria", "groups"):
        items = getattr(decision, where)
        return decision.model_copy(update={where: [items[0].model_copy(update={name: value}), *items[1:]]})
    return decision.model_copy(update={where: getattr(decision, where).model_copy(update={name: value})})


def test_values_of_undeclared_types_in_every_field():
    # pydantic writes most such values as orjson does (with a warning); a bool in a count it writes as
    # 1 or 0, and some types (a str subclass, datetimes) orjson is told to refuse: those fall back.
    decision = grouped_decisions()[0]
    nested = {"criteria": CriterionResult, "groups": Group, "ladder": LadderRef, "transition": TransitionRef,
              "summary": Summary, "supporting": Supporting, "projection": Projection}
    places = [("decision", f) for f in Decision.model_fields if f not in nested]
    places += [(where, f) for where, model in nested.items() for f in model.model_fields]
    fast = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic's warnings about the unexpected types
        for where, name in places:
            for value in ODD_VALUES:
                made = _with(decision, where, name, value)
                text, data, error = reference(made)
                out = D._fast_json(made)
                if out is not None:
                    assert error is None and out == data, (where, name, value)
                    fast += 1
                else:
                    same(made, fast=False)
    assert fast > len(places) * len(ODD_VALUES) // 2  # most still take the fast path


def test_a_bool_where_a_count_belongs():
    decision = grouped_decisions()[0]
    assert decision.groups
    for made in (_with(decision, "summary", "fail", True), _with(decision, "supporting", "needed", False),
                 _with(decision, "groups", "passed", True), _with(decision, "decision", "decision_version", True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = same(made, fast=False)
        counts = json.loads(out)
        counts = [counts["decision_version"], *counts["summary"].values(), *counts["supporting"].values(),
                  *(n for g in counts["groups"] for n in (g["needed"], g["passed"], g["unknown"]))]
        assert all(type(n) is int for n in counts), counts
