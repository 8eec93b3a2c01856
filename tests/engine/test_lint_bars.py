"""A bar reaches as far as a packet's figures do (±1e15: schemas/_types.py Figure, a declared number's
bounds): a value a packet can carry can be compared with a bar of that value, and a bar beyond is
refused with the limit in the message (it was refused past 1e12 as "expected a number, got 1000000000000000",
which neither said the limit nor let a bar reach the figures packets carry)."""

from __future__ import annotations

import pytest
from fixture_files import ladder_problems, write_ladder

from promoready.engine import Evaluator, load_ladder
from test_lint_never_passes import files_with


def _files(condition: dict, where: dict | None = None) -> dict:
    measures = {"v": {"field": "evidence.v"}, "biggest": {"max": "impact", "of": "value", **({"where": where} if where else {})}}
    files = files_with(condition, measures={k: m for k, m in measures.items() if f"'{k}'" in repr(condition)})
    files["ladder.yaml"]["evidence"]["v"] = {"type": "number"}
    return files


@pytest.mark.parametrize("bar", [1e15, -1e15, 999_999_999_999_999, 123_456_789_012_345.5])
def test_a_bar_as_far_as_packet_figures_go_decides(tmp_path, bar):
    engine = Evaluator(load_ladder(write_ladder(tmp_path, _files({"measure": "v", "gte": bar}))))
    packet = {"candidate": {"id": "c"}, "current_level": "pm", "as_of": "2026-01-01"}
    assert engine.evaluate({**packet, "evidence": {"v": bar}}).criteria[0].status == "pass"
    below = bar - 1 if abs(bar) < 1e15 else bar - 1000  # a float holds 1e15 to the eighth
    if below >= -1e15:  # a packet may carry it
        assert engine.evaluate({**packet, "evidence": {"v": below}}).criteria[0].status == "fail"
    assert engine.evaluate({**packet, "impact": [{"value": bar}]}).criteria[0].status == "unknown"


@pytest.mark.parametrize("edit, path", [
    ({"measure": "v", "gte": 1_000_000_000_000_001}, "criteria[0].condition.gte"),
    ({"measure": "v", "lt": -2e15}, "criteria[0].condition.lt"),
    ({"measure": "v", "gte": {"by_org_size": {"startup": 1, "growth": 1e16, "enterprise": 2}}},
     "criteria[0].condition.gte.by_org_size.growth"),
])
def test_a_bar_beyond_packet_figures_is_refused_with_the_limit(tmp_path, edit, path):
    (p,) = ladder_problems(tmp_path, _files(edit))
    assert (p.code, p.path) == ("ladder.bad-operand", path), str(p)
    assert "expected a number from -1e15 to 1e15 (as far as a packet's figures go), got " in p.message, p.message


def test_a_where_bar_has_the_same_limit(tmp_path):
    (p,) = ladder_problems(tmp_path, _files({"measure": "biggest", "gte": 1}, where={"value": {"gte": 1.5e15}}))
    assert (p.code, p.path) == ("ladder.bad-operand", "measures.biggest.where.value.gte"), str(p)
    assert "from -1e15 to 1e15" in p.message and "got 1500000000000000" in p.message, p.message
