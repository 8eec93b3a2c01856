"""A ``|`` or a line break in ladder or packet text stays inside its markdown table cell, heading or list
item: every markdown view escapes it through the one helper, ``render.text.escape_markdown``."""

from __future__ import annotations

import os
import re
import shutil

from clirun import run

from conftest import EXAMPLE, ROOT

#: A title with a pipe, a backslash before a pipe, and every kind of line break markdown knows.
TITLE = "Six | months\\|at\r\nPM\rlevel\nor\u2028more"
TITLE_MD = "Six \\| months\\\\\\|at PM level or more"
#: As the views show it: a carriage return is a control character, escaped visibly first (``printable``).
TITLE_SHOWN = "Six \\| months\\\\\\|at\\x0d PM\\x0dlevel or more"


def _cells(row: str) -> list[str]:
    """A pipe-table row's cells as GitHub's tables split them: at each pipe not escaped by a backslash."""
    return re.split(r"(?<!\\)(?:\\\\)*\|", row.strip())[1:-1]


def _ladder(tmp_path) -> str:
    folder = tmp_path / "ladder"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    step = folder / "senior-pm-to-director.yaml"
    text = step.read_text(encoding="utf-8")
    first = re.search(r"\n  - id: [^\n]+\n    title: ([^\n]+)\n", text)
    assert first is not None
    quoted = TITLE.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\u2028", "\\L")
    step.write_text(text.replace(f"    title: {first.group(1)}\n", f'    title: "{quoted}"\n', 1), encoding="utf-8")
    return str(folder)


def test_escape_markdown_keeps_text_in_one_cell():
    from promoready.cli.render.text import escape_markdown

    assert escape_markdown(TITLE) == TITLE_MD
    assert escape_markdown("a\\\\|b") == "a\\\\\\\\\\|b"  # two backslashes then a pipe: each doubled, then \|
    row = "| x | " + escape_markdown("a|b") + " | " + escape_markdown("c\\|d") + " |"
    assert _cells(row) == [" x ", " a\\|b ", " c\\\\\\|d "]
    assert escape_markdown("plain, with `code` and ≥") == "plain, with `code` and ≥"


def test_ladder_show_markdown_keeps_a_title_in_its_heading(tmp_path):
    result = run("ladder", "show", "senior-pm-to-director", "--ladder", _ladder(tmp_path), "--format", "markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"### {TITLE_SHOWN} (required)" in lines, result.stdout
    # Nothing of the title starts a line of its own (it used to: "PM", "level", "or" broke the heading).
    assert not [line for line in lines if line.startswith(("PM", "level", "or", "more"))], result.stdout


def test_evaluate_markdown_keeps_each_row_to_its_six_cells(tmp_path):
    ladder = _ladder(tmp_path)
    result = run("evaluate", EXAMPLE, "--ladder", ladder, "--format", "markdown")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) > 2 and all(len(_cells(row)) == 6 for row in rows), "\n".join(rows)
    assert any(f"| {TITLE_SHOWN} |" in row for row in rows), "\n".join(rows)
    explained = run("explain", EXAMPLE, "--ladder", ladder, "--format", "markdown")
    assert explained.exit_code == 0, explained.output
    assert any(line.startswith("### ") and TITLE_SHOWN in line for line in explained.stdout.splitlines())


def test_a_what_if_change_stays_in_its_list_item():
    result = run("evaluate", EXAMPLE, "--set", "candidate.name=A|B\nC", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "- What if: candidate.name=A\\|B C", result.stdout
