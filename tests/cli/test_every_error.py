"""Every error of a packet and of a ladder in one run (issue 14): shape errors no longer hide unknown
level names or unknown measures, each problem is on its own line with its field path and "did you
mean", and an alias clash is reported on the line of the clashing name."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from clirun import run, write
from conftest import EXAMPLE
from fixture_files import bundled_copy

from promoready.engine import Evaluator, PacketError, load_ladder
from promoready.engine.errors import LadderInvalid, PacketInvalid
from promoready.engine.registry import LadderRegistry

# Four shape errors and three unknown level names: each on its own line.
BAD = """\
candidate: {id: c1}
current_level: senior-pmm
target_level: directr
experience:
  product_years: -3
reviews:
  - {start: 2024-01-01, end: 2023-01-01, rating: exceedz, operating_level: senior-pm}
advocates:
  - {level: vpp, committed: yes}
"""

EXPECTED = [
    (2, "current_level", "packet.unknown-level", "'senior-pm'"),
    (3, "target_level", "packet.unknown-level", "'director'"),
    (5, "experience.product_years", "packet.greater-than-equal", None),
    (7, "reviews[0].end", "packet.end-before-start", None),
    (7, "reviews[0].rating", "packet.literal-error", "'exceeds'"),
    (9, "advocates[0].committed", "packet.bool-type", None),
    (9, "advocates[0].level", "packet.unknown-level", "'vp'"),
]


def _seen(problems) -> list[tuple]:
    return [(p.line, p.path, p.code, p.suggestion) for p in problems]


def test_the_library_reports_every_problem_of_a_packet_with_its_line(tmp_path):
    path = write(tmp_path, "bad.yaml", BAD)
    with pytest.raises(PacketInvalid) as caught:
        Evaluator(load_ladder()).evaluate(path)
    assert _seen(caught.value.problems) == EXPECTED
    assert all(p.file == path for p in caught.value.problems)
    # Read as one error, it is the first problem (code that knew one error still works).
    assert isinstance(caught.value, PacketError)
    assert (caught.value.line, caught.value.path) == (2, "current_level")
    with pytest.raises(PacketInvalid) as again:
        LadderRegistry().evaluate(path)
    assert _seen(again.value.problems) == EXPECTED


def test_a_valid_packet_gets_every_unknown_level_at_once(tmp_path):
    text = open(EXAMPLE, encoding="utf-8").read()
    text = text.replace("current_level: Senior PM", "current_level: Senoir PM").replace(
        "operating_level: director}", "operating_level: directr}")
    path = write(tmp_path, "levels.yaml", text)
    with pytest.raises(PacketInvalid) as caught:
        Evaluator(load_ladder()).evaluate(path)
    assert [(p.path, p.suggestion) for p in caught.value.problems] == [
        ("current_level", "'senior-pm'"), ("reviews[1].operating_level", "'director'")]


@pytest.mark.parametrize("how", ["file", "stdin"])
@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_the_command_line_prints_every_problem_on_its_own_line(tmp_path, how, command):
    path = write(tmp_path, "bad.yaml", BAD)
    result = run(command, path) if how == "file" else run(command, "-", input=BAD)
    assert result.exit_code == 2
    name = path if how == "file" else "<stdin>"
    lines = result.stderr.splitlines()
    assert lines[0] == "promoready: 7 problems in the packet:"
    assert [line.split(": ", 2)[:2] for line in lines[1:]] == [[f"  {name}:{n}", p] for n, p, _, _ in EXPECTED]
    assert "(did you mean 'exceeds'?) [packet.literal-error]" in lines[5]


def test_a_batch_error_record_lists_every_problem(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "bad.yaml", BAD)
    shutil.copy(EXAMPLE, folder / "ok.yaml")
    out = tmp_path / "out.jsonl"
    result = run("batch", str(folder), "--out", str(out))
    assert result.exit_code == 2
    records = [json.loads(x) for x in out.read_text().splitlines()]
    error = next(r for r in records if "error" in r)
    assert error["error"] == error["problems"][0]
    assert [(p["line"], p["path"], p["code"], p["suggestion"]) for p in error["problems"]] == EXPECTED
    # stderr: each problem with its file and line
    for line, path, _, _ in EXPECTED:
        assert f"{folder / 'bad.yaml'}:{line}: {path}: " in result.stderr


def test_the_problems_listed_are_capped(tmp_path):
    reviews = "\n".join(f"  - {{start: 2024-01-02, end: 2024-01-01, rating: r{i}}}" for i in range(40))
    path = write(tmp_path, "many.yaml", f"candidate: {{id: c1}}\ncurrent_level: pm\nreviews:\n{reviews}\n")
    with pytest.raises(PacketInvalid) as caught:
        Evaluator(load_ladder()).evaluate(path)
    assert len(caught.value.problems) == 20 and caught.value.more == 60
    assert str(caught.value).splitlines()[0] == "promoready: 80 problems in the packet:".removeprefix("promoready: ")
    assert str(caught.value).splitlines()[-1] == "  … and 60 more"


@pytest.fixture
def ladder(tmp_path) -> str:
    return bundled_copy(tmp_path)


def _edit(path: str, old: str, new: str) -> int:
    """Replace ``old`` once in the file; returns the line it is on."""
    text = open(path, encoding="utf-8").read()
    assert old in text
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text.replace(old, new, 1))
    return text[:text.index(old)].count("\n") + 1


def test_a_transition_files_shape_errors_do_not_hide_its_unknown_measures(ladder):
    t = os.path.join(ladder, "pm-to-senior-pm.yaml")
    shape = _edit(t, "    required: true", "    requird: true")
    first = _edit(t, "measure: months_at_target,", "measure: months_at_targt,")
    second = _edit(t, "measure: product_years,", "measure: product_yeers,")
    with pytest.raises(LadderInvalid) as caught:
        load_ladder(ladder)
    found = [(p.file, p.line, p.code, p.suggestion) for p in caught.value.problems]
    assert (t, shape, "ladder.shape", "'required'") in found
    assert (t, first, "ladder.unknown-measure", "'months_at_target'") in found
    assert (t, second, "ladder.unknown-measure", "'product_years'") in found


def test_a_ladder_files_shape_errors_do_not_hide_unknown_measures_elsewhere(ladder):
    head = os.path.join(ladder, "ladder.yaml")
    t = os.path.join(ladder, "pm-to-senior-pm.yaml")
    shape = _edit(head, "    rank: 1\n", "    rnk: 1\n")
    measure = _edit(t, "measure: product_years,", "measure: product_yeers,")
    result = run("ladder", "validate", ladder)
    assert result.exit_code == 2
    assert f"{head}:{shape}: levels[0].rnk: unknown key 'rnk' (did you mean 'rank'?)" in result.stderr
    assert (f"{t}:{measure}: criteria[2].condition.measure: unknown measure 'product_yeers' "
            f"(did you mean 'product_years'?)") in result.stderr


def test_an_alias_clash_is_on_the_line_of_the_clashing_name(ladder):
    head = os.path.join(ladder, "ladder.yaml")
    line = _edit(head, "aliases: [Head of Product, HoP,", "aliases: [Head of Product, SPM,")
    with pytest.raises(LadderInvalid) as caught:
        load_ladder(ladder)
    clash = [p for p in caught.value.problems if p.code == "ladder.alias-clash"]
    assert [(p.line, p.path) for p in clash] == [(line, "levels[2].aliases[1]")]
    assert clash[0].message == "the name 'SPM' means both 'senior-pm' and 'head-of-product'"
