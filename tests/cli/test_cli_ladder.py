"""``promoready ladder list|show|validate|test``, and a ladder customised by editing YAML only."""

from __future__ import annotations

import json
import os

from clirun import run
from conftest import ROOT, TINY


def test_ladder_commands():
    listing = json.loads(run("ladder", "list", "--format", "json").stdout)
    assert {row["id"] for row in listing} == {"product-management", "startup"}
    assert run("ladder", "validate").exit_code == 0
    tested = run("ladder", "test", TINY)
    assert tested.exit_code == 2  # the tiny fixture has no examples
    result = run("ladder", "test")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("156 passed, 0 failed")
    show = json.loads(run("ladder", "show", "apm-to-pm", "--format", "json").stdout)
    assert [t["key"] for t in show["transitions"]] == ["apm-to-pm"]


def test_ladder_validate_rejects_broken_copy(tmp_path):
    import shutil

    folder = tmp_path / "pm"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    path = folder / "apm-to-pm.yaml"
    path.write_text(path.read_text().replace("measure: months_at_target", "measure: months_at_targt", 1))
    result = run("ladder", "validate", str(folder))
    assert result.exit_code == 2
    assert "apm-to-pm.yaml:" in result.stderr and "unknown measure 'months_at_targt'" in result.stderr
    assert "did you mean 'months_at_target'?" in result.stderr


def test_custom_ladder_by_editing_yaml_only(tmp_path):
    """The walk-through of docs/ladders.md: copy, rename, change a threshold, add a criterion, test."""
    import shutil

    folder = tmp_path / "acme"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    head = folder / "ladder.yaml"
    head.write_text(head.read_text().replace("ladder: product-management", "ladder: acme").replace(
        "measures:\n", "measures:\n  design_reviews:\n    count: artifacts\n"
        "    where: {kind: framework, adopted_by_teams: {gte: 1}}\n    title: design reviews run\n", 1).replace(
        "sources:\n", "sources:\n  - {id: acme, file: acme-handbook.md, title: Acme product handbook}\n", 1))
    step = folder / "senior-pm-to-director.yaml"
    step.write_text(step.read_text().replace(
        "gte: {by_org_size: {startup: 5, growth: 7, enterprise: 10}}", "gte: 8") + """\
  - id: runs-a-design-review
    title: Runs the product area's design review
    required: false
    rationale: Our directors own design quality across teams.
    source: {ref: acme, section: Director expectations}
    condition: {measure: design_reviews, gte: 6}
    text: {pass: Yes., fail: Run the design review., unknown: Add design reviews.}
""")
    assert run("ladder", "validate", str(folder)).exit_code == 0
    result = run("ladder", "test", str(folder))
    assert result.exit_code == 1
    assert "product-experience: expected pass, got fail (actual: 6 years)" in result.stdout
    assert "runs-a-design-review: expected pass, got fail" in result.stdout
    assert result.stdout.rstrip().endswith("141 passed, 15 failed")
    shown = json.loads(run("ladder", "show", "senior-pm-to-director", "--ladder", str(folder), "--format", "json").stdout)
    assert shown["id"] == "acme"
    assert shown["transitions"][0]["criteria"][-1]["expected"] == "≥ 6 design reviews run"


def test_validate_and_test_take_the_shared_ladder_option():
    # `--ladder PATH` selects another ladder everywhere; PATH keeps working; two different ladders
    # named at once are refused rather than one silently chosen.
    for command in ("validate", "test"):
        by_option = run("ladder", command, "--ladder", "startup")
        by_argument = run("ladder", command, "startup")
        assert by_option.exit_code == 0, by_option.stderr
        assert by_option.stdout == by_argument.stdout
        assert run("ladder", command, "startup", "--ladder", "startup").stdout == by_argument.stdout
        both = run("ladder", command, "startup", "--ladder", "product-management")
        assert both.exit_code == 2
        assert both.stdout == ""
        assert "two ladders given" in both.stderr and "[usage.invalid]" in both.stderr
    assert "startup" in run("ladder", "validate", "--ladder", "startup").stdout


def test_ladder_show_given_a_ladder_id_says_how_to_select_that_ladder_in_a_way_that_works(tmp_path):
    # A misspelt ladder id got no hint; a ladder loaded from a path was to be given "as --ladder
    # monzo-product", which --ladder cannot find (ladder.not-found): only bundled ids resolve.
    import shutil

    folder = tmp_path / "monzo-product"
    shutil.copytree(os.path.join(ROOT, "examples", "ladders", "monzo-product"), folder)
    misspelt = run("ladder", "show", "product-managment")
    assert misspelt.exit_code == 2
    assert misspelt.stderr.strip() == (
        "promoready: TRANSITION: no transition 'product-managment' in ladder 'product-management'; "
        "'product-managment' is close to the ladder 'product-management': give it as --ladder product-management "
        "and leave TRANSITION out [usage.transition]")
    for said in ("monzo-product", "monzo-prodct"):
        by_path = run("ladder", "show", said, "--ladder", str(folder))
        assert by_path.exit_code == 2
        assert by_path.stderr.strip().endswith(f": give it as --ladder {folder} and leave TRANSITION out "
                                               "[usage.transition]")
    assert run("ladder", "show", "--ladder", str(folder), "--format", "json").exit_code == 0  # the hint works
    typo = run("ladder", "show", "senior-pm-to-directer")  # a transition's typo: its did-you-mean, no ladder hint
    assert typo.stderr.strip() == ("promoready: TRANSITION: no transition 'senior-pm-to-directer' in ladder "
                                   "'product-management' (did you mean 'senior-pm-to-director'?) [usage.transition]")
