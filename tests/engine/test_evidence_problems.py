"""Undeclared and mistyped `evidence:` values are reported with every other problem of the packet, all in
one run: not first-only, and not apart from its shape errors and unknown level names."""

from __future__ import annotations

import copy
import json
import os

import pytest
import yaml

from promoready.engine import errors
from promoready.engine.registry import LadderRegistry
from promoready.engine.errors import PacketInvalid

from conftest import ROOT, evaluator

MONZO = os.path.join(ROOT, "examples", "ladders", "monzo-product")


def packet() -> dict:
    """The first example case of the monzo ladder: a valid packet with declared evidence."""
    with open(os.path.join(MONZO, "examples", "product-1-to-product-2.yaml"), encoding="utf-8") as fh:
        return copy.deepcopy(yaml.safe_load(fh)["cases"][0]["packet"])


def problems_of(data: dict, via: str = "evaluator") -> list[tuple[str, str]]:
    with pytest.raises(PacketInvalid) as caught:
        if via == "evaluator":
            evaluator(MONZO).evaluate(data)
        else:
            LadderRegistry(MONZO).evaluate(data)
    return [(p.path, p.code) for p in caught.value.problems]


def test_every_evidence_problem_is_reported_not_the_first_only():
    data = packet()
    data["evidence"]["problem_solvng"] = "level-2"
    data["evidence"]["data_skills"] = "level-9"
    data["evidence"]["experiments"][1]["date"] = "soon"
    found = problems_of(data)
    assert sorted(found) == sorted([("evidence.problem_solvng", errors.PACKET_UNDECLARED_EVIDENCE),
                                    ("evidence.data_skills", errors.PACKET_LITERAL_ERROR),
                                    ("evidence.experiments[1].date", errors.PACKET_DATE_FORMAT)])


def test_evidence_problems_come_with_unknown_levels():
    data = packet()
    data["reviews"][0]["operating_level"] = "product-7"
    data["evidence"]["problem_solvng"] = "level-2"
    assert sorted(problems_of(data)) == [("evidence.problem_solvng", errors.PACKET_UNDECLARED_EVIDENCE),
                                         ("reviews[0].operating_level", errors.PACKET_UNKNOWN_LEVEL)]


@pytest.mark.parametrize("via", ["evaluator", "registry"])
def test_evidence_problems_come_with_shape_errors(via: str):
    data = packet()
    data["scope"]["ambiguity"] = "huge"
    data["evidence"]["data_skills"] = "level-9"
    data["evidence"]["audiences"] = "squad"  # a list of strings, given one string
    found = problems_of(data, via)
    assert sorted(found) == sorted([("scope.ambiguity", errors.PACKET_LITERAL_ERROR),
                                    ("evidence.data_skills", errors.PACKET_LITERAL_ERROR),
                                    ("evidence.audiences", errors.PACKET_LIST_TYPE)])


def test_the_problems_are_in_the_order_of_the_file_with_their_lines(tmp_path):
    data = packet()
    data["evidence"]["problem_solvng"] = "level-2"
    data["scope"]["ambiguity"] = "huge"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False))
    with pytest.raises(PacketInvalid) as caught:
        evaluator(MONZO).evaluate(str(path))
    lines = [p.line for p in caught.value.problems]
    assert None not in lines and lines == sorted(lines)
    text = path.read_text().splitlines()
    assert "problem_solvng" in text[lines[-1] - 1] and "ambiguity" in text[lines[0] - 1]
    assert caught.value.problems[-1].suggestion == "'problem_solving'"


def test_a_valid_evidence_section_adds_nothing():
    data = packet()
    data["scope"]["ambiguity"] = "huge"
    assert problems_of(data) == [("scope.ambiguity", errors.PACKET_LITERAL_ERROR)]
