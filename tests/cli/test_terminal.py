"""The terminal (issue 14): tables wrap instead of cutting, colours follow --color and NO_COLOR,
markdown is laid out on a terminal and left as markdown in a pipe."""

from __future__ import annotations

import json
import re

import pytest
from ruamel.yaml import YAML

from promoready.cli.render import render_decisions, render_explanation, terminal

from clirun import run
from conftest import EXAMPLE, evaluator

ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: A field path longer than any column of a 120-column table could hold.
LONG_PATH = "influence.cross_functional_partners." + "very_long_segment_" * 5 + "end"


@pytest.fixture
def on_a_terminal(monkeypatch):
    """stdout as a terminal, for the renderers and the commands (CliRunner's stdout is not one)."""
    monkeypatch.setattr(terminal, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _column(table: str, index: int) -> str:
    """The text of one column of a rich table, its lines joined without spaces (folds and wraps undone)."""
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    return "".join(row[index].strip().replace(" ", "") for row in rows)


def test_tables_fold_long_cells_and_never_cut_them():
    d = evaluator().evaluate(EXAMPLE)
    first = d.criteria[0].model_copy(update={"next_step": f"add {LONG_PATH} to the packet"})
    d = d.model_copy(update={"criteria": [first, *d.criteria[1:]]})
    table = render_decisions([d], "table")
    assert "…" not in table
    assert LONG_PATH in _column(table, 6)  # the next step column: every character kept, in order
    assert all(len(line) <= 120 for line in table.splitlines())


def test_steps_and_explanations_wrap_under_their_own_text():
    # The example packet with its Director-level period a day short of six months: that step (the
    # half month and why no date can be projected) is longer than a line.
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read().replace("{start: 2026-01-01, end: 2026-06-30,", "{start: 2026-01-01, end: 2026-06-29,")
    d = evaluator().evaluate(YAML(typ="safe").load(text))
    text = render_decisions([d], "table")
    steps = text[text.index("Next steps, smallest first:"):].splitlines()[1:]
    steps = steps[:next((i for i, line in enumerate(steps) if not line.startswith(" ")), len(steps))]
    assert text[text.rindex("\nWhen: "):].startswith("\nWhen: no date yet; ")  # the projection, after the steps
    numbered = [line for line in steps if re.match(r"^ +\d+\. ", line)]
    continued = [line for line in steps if not re.match(r"^ +\d+\. ", line)]
    assert len(numbered) == len(d.next_steps) and continued  # the example has a step longer than a line
    indent = len(numbered[0]) - len(numbered[0].lstrip(" ")) + len("1. ")
    assert all(line.startswith(" " * indent) and line[indent] != " " for line in continued)
    assert all(line == line.rstrip() for line in text.splitlines())  # no padding at line ends


def test_without_a_terminal_there_are_no_colours():
    d = evaluator().evaluate(EXAMPLE)
    assert not ANSI.search(render_decisions([d], "table"))


def test_on_a_terminal_there_are_colours_unless_no_color_is_set(on_a_terminal, monkeypatch):
    d = evaluator().evaluate(EXAMPLE)
    terminal.set_color("auto")
    assert ANSI.search(render_decisions([d], "table"))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(render_decisions([d], "table"))
    assert not ANSI.search(render_explanation(d, "table"))
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no-color.org says it does not count
    assert ANSI.search(render_decisions([d], "table"))


@pytest.mark.parametrize("where", ["before", "after"])
def test_color_always_and_never(where, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)

    def evaluate(color: str):
        options = ["--color", color]
        args = [*options, "evaluate", EXAMPLE, "--format", "table"] if where == "before" else \
            ["evaluate", EXAMPLE, "--format", "table", *options]
        return run(*args)

    always = evaluate("always")
    assert always.exit_code == 0 and ANSI.search(always.stdout)  # even into a pipe
    never = evaluate("never")
    assert never.exit_code == 0 and not ANSI.search(never.stdout)
    assert ANSI.sub("", always.stdout) == never.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI.search(evaluate("always").stdout)  # asked for by name: the option wins over the variable


def test_each_run_starts_without_the_last_runs_colour():
    assert ANSI.search(run("--color", "always", "evaluate", EXAMPLE, "--format", "table").stdout)
    assert not ANSI.search(run("evaluate", EXAMPLE, "--format", "table").stdout)


def test_color_is_checked_with_a_suggestion():
    result = run("--color", "allways", "ladder", "list")
    assert result.exit_code == 2
    assert "'allways' is not one of 'auto', 'always', 'never'; did you mean 'always'?" in result.stderr


def test_ladder_show_lays_out_markdown_on_a_terminal(on_a_terminal):
    terminal.set_color("never")
    shown = run("ladder", "show", "apm-to-pm", "--color", "never")
    assert shown.exit_code == 0
    assert "### " not in shown.stdout and "**Expected:**" not in shown.stdout
    assert "Expected:" in shown.stdout
    view = json.loads(run("ladder", "show", "apm-to-pm", "--format", "json").stdout)
    for c in view["transitions"][0]["criteria"]:
        assert c["title"].split()[0] in shown.stdout
    asked = run("ladder", "show", "apm-to-pm", "--format", "markdown")
    assert asked.stdout.startswith("# ") and "- **Expected:**" in asked.stdout  # asked for: markdown text


def test_ladder_show_in_a_pipe_is_markdown_text():
    shown = run("ladder", "show", "apm-to-pm")
    assert shown.stdout.startswith("# ") and "### " in shown.stdout and "- **Expected:**" in shown.stdout


def test_ladder_list_is_by_rank():
    shown = run("ladder", "list").stdout.splitlines()
    pm = shown[1:shown.index(next(line for line in shown[1:] if not line.startswith("  ")))]
    keys = [line.strip() for line in pm]
    assert keys[:3] == ["apm-to-pm", "pm-to-senior-pm", "senior-pm-to-pm-manager"] and keys[-1] == "vp-to-cpo"
    listing = json.loads(run("ladder", "list", "--format", "json").stdout)
    assert listing[0]["transitions"] == keys


def test_ladder_show_is_by_rank_too():
    listing = json.loads(run("ladder", "list", "--format", "json").stdout)[0]["transitions"]
    shown = json.loads(run("ladder", "show", "--format", "json").stdout)
    assert [t["key"] for t in shown["transitions"]] == listing


def test_the_progress_bar_follows_color(monkeypatch):
    from promoready.cli._progress import Progress

    monkeypatch.delenv("NO_COLOR", raising=False)
    for mode, no_color in (("never", True), ("always", False)):
        terminal.set_color(mode)
        bar = Progress(1)
        try:
            assert bar.bar.console.no_color is no_color
        finally:
            bar.stop()
    terminal.set_color("auto")
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progress(1)
    try:
        assert bar.bar.console.no_color is True  # rich reads NO_COLOR itself
    finally:
        bar.stop()
