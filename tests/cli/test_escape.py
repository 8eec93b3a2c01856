"""Control and bidirectional-control characters of a packet's text reach people escaped, never raw.

A hostile candidate id (or field name) carrying NUL, ESC[31m or U+202E RIGHT-TO-LEFT OVERRIDE must not
colour, reorder or hide what a committee member reads ("Trojan Source"): every human-facing rendering
shows them as ``\\x00``, ``\\x1b``, ``\\u202e``; JSON carries the exact value (JSON escapes it itself).
"""

from __future__ import annotations

import json

import pytest
from batch_helpers import invoke, jsonl, packet, records
from clirun import run

from conftest import EXAMPLE

HOSTILE = "emp-2071\x00\x1b[31m\u202e"
SHOWN = "emp-2071\\x00\\x1b[31m\\u202e"
#: A field name close to ``scope.products`` (so it is warned about, and the warning names it).
FIELD = "produc\x1b[31mts\u202e"
FIELD_SHOWN = "produc\\x1b[31mts\\u202e"
RAW = ("\x00", "\x1b", "\u202e")


def _packet(tmp_path) -> str:
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    text = text.replace("  id: emp-2071", '  id: "emp-2071\\u0000\\u001b[31m\\u202e"', 1)
    text = text.replace("\n  teams: 3\n", '\n  teams: 3\n  "produc\\u001b[31mts\\u202e": 3\n', 1)
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _assert_escaped(text: str, *shown: str) -> None:
    for s in shown:
        assert s in text
    for raw in RAW:
        assert raw not in text, repr(raw)


@pytest.mark.parametrize("command", ["explain", "evaluate"])
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_human_formats_show_control_and_bidi_characters_escaped(tmp_path, command, fmt):
    for color in ("never", "always"):
        result = run(command, _packet(tmp_path), "--format", fmt, "--color", color)
        assert result.exit_code == 0, result.output
        if fmt == "markdown":  # the warning naming the misspelt field is in the markdown
            _assert_escaped(result.stdout, SHOWN, FIELD_SHOWN)
        else:
            assert SHOWN in result.stdout
            # The table's own colours are the only escape sequences: none comes from the packet.
            assert "\x00" not in result.stdout and "\u202e" not in result.stdout
            assert "\x1b[31m\\u202e" not in result.stdout and "emp-2071\\x00\x1b" not in result.stdout
            if color == "never":
                assert "\x1b" not in result.stdout


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_the_exact_value(tmp_path, fmt):
    result = run("evaluate", _packet(tmp_path), "--format", fmt)
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["candidate_id"] == HOSTILE
    assert any(FIELD in w for w in d["warnings"])
    assert "\\u0000\\u001b[31m" in result.stdout  # JSON's own escapes, as before


def test_the_batch_summary_shows_them_escaped(tmp_path):
    hostile = packet(0)
    hostile["candidate"]["id"] = HOSTILE
    hostile.setdefault("scope", {})[FIELD] = 3
    source = jsonl(tmp_path / "in.jsonl", [hostile, hostile, packet(1)])
    out = tmp_path / "out.jsonl"
    result = invoke(source, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    # The text summary on stderr (ids seen twice, typo warnings) and each packet's warning line.
    _assert_escaped(result.stderr, f"ready: {SHOWN}, {SHOWN}", f"    {SHOWN}:", f"'scope.{FIELD_SHOWN}'")
    assert invoke(source, "--out", out, "--workers", 1, "--summary", tmp_path / "s.md").exit_code == 0
    _assert_escaped((tmp_path / "s.md").read_text(encoding="utf-8"), f"| {SHOWN} |", FIELD_SHOWN)
    assert [r["candidate_id"] for r in records(out.read_text(encoding="utf-8"))][:2] == [HOSTILE, HOSTILE]
    assert invoke(source, "--out", tmp_path / "o2.jsonl", "--workers", 1, "--summary", tmp_path / "s.json").exit_code == 0
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["duplicate_candidates"][0]["candidate_id"] == HOSTILE  # the JSON summary is exact


def test_printable_escapes_only_controls_and_bidi_and_is_idempotent():
    from promoready.engine.words import printable

    every = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F),
                              *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))
    once = printable(every)
    assert once.isascii() and once.isprintable() is False  # tab and newline stay
    assert once.replace("\t", "").replace("\n", "").isprintable()
    assert printable(once) == once
    assert printable("\x00\x1b[31m\u202e") == "\\x00\\x1b[31m\\u202e"
    ordinary = "Zoë Ångström 陈静 مرحبا 👩🏽‍💻 a|b `c` \\x00 tab\tnew\nline \u200d\u00a0"
    assert printable(ordinary) == ordinary


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_an_error_quoting_packet_text_is_escaped_like_batch_escapes_it(tmp_path, command):
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    text = text.replace("organization:\n", 'organization:\n  "x\\u202ey": 1\n  "x\\u202ey": 1\n', 1)
    path = tmp_path / "duplicate.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(command, str(path), "--format", "table")
    assert result.exit_code == 2
    assert "duplicate key 'x\\u202ey'" in result.stderr and "\u202e" not in result.stderr


def test_the_store_commands_show_stored_text_escaped(tmp_path):
    hostile = packet(0)
    hostile["candidate"]["id"] = HOSTILE
    source = jsonl(tmp_path / "in.jsonl", [hostile])
    db = str(tmp_path / "h.sqlite")
    second = "B\u202e"  # a cycle's name is shown too (a column of `cycles diff`)
    assert invoke(source, "--cycle", "A", "--db", db, "--out", tmp_path / "a.jsonl", "--workers", 1).exit_code == 0
    # The second cycle masks every criterion, so its decision is shown as stored (JSON, but for people).
    assert invoke(source, "--cycle", second, "--db", db, "--out", tmp_path / "b.jsonl", "--workers", 1,
                  "--mask", "/decision/criteria").exit_code == 0
    for fmt in ("markdown", "table"):
        history = run("history", HOSTILE, "--db", db, "--format", fmt)
        assert history.exit_code == 0, history.output
        _assert_escaped(history.stdout, SHOWN, "B\\u202e")
        diff = run("cycles", "diff", "A", second, "--db", db, "--format", fmt)
        assert diff.exit_code == 0, diff.output
        _assert_escaped(diff.stdout, "B\\u202e")
        shown = run("decisions", "show", "--candidate", HOSTILE, "--cycle", second, "--db", db, "--format", fmt)
        assert shown.exit_code == 0, shown.output
        # JSON writes the C0 controls as \\u00XX itself; U+202E, which it leaves raw, is escaped too.
        _assert_escaped(shown.stdout, '"emp-2071\\u0000\\u001b[31m\\u202e"', "B\\u202e", "(masked when stored")
        listed = run("cycles", "list", "--db", db, "--format", fmt)
        _assert_escaped(listed.stdout, "B\\u202e")
    exact = json.loads(run("history", HOSTILE, "--db", db, "--format", "json").stdout)
    assert exact["candidate_id"] == HOSTILE and exact["entries"][1]["cycle"] == second  # JSON stays exact


def _example_decision():
    from promoready.schemas.decision import Decision

    result = run("evaluate", EXAMPLE, "--format", "json")
    return Decision.model_validate(json.loads(result.stdout))


def test_a_decision_with_nothing_to_escape_is_shown_as_it_is_without_being_walked(monkeypatch):
    from promoready.cli.render import text

    d = _example_decision()

    def walked(_value):
        raise AssertionError("a decision with nothing to escape was dumped and walked")

    monkeypatch.setattr(text, "shown_values", walked)
    assert text.shown(d) is d  # its text has dashes, quotes and signs (’ — ≥), none escaped
    plain = d.model_copy(update={"candidate_id": "Zoë 陈静 a\tb", "warnings": ["a\nb"]})  # tab and newline are kept
    assert text.shown(plain) is plain
    # ... but not a newline in the candidate id, which names the decision on one line: that needs no walk.
    assert text.shown(d.model_copy(update={"candidate_id": "a\nb"})).candidate_id == "a\\x0ab"
    with pytest.raises(AssertionError, match="walked"):  # a control character: looked at closer
        text.shown(d.model_copy(update={"candidate_id": "emp\x1b"}))


def test_every_character_printable_escapes_is_found_in_a_decision():
    from promoready.cli.render.text import shown
    from promoready.engine.words import _SHOWN

    d = _example_decision()
    for code, escape in _SHOWN.items():
        there = shown(d.model_copy(update={"candidate_id": f"emp{chr(code)}x"}))
        assert there.candidate_id == f"emp{escape}x", hex(code)


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_what_if_shows_the_change_as_typed_escaped(tmp_path, fmt):
    # The change is quoted as typed in the what-if's heading (`shown_values(head)` in render/whatif.py).
    result = run("evaluate", EXAMPLE, "--set", "candidate.name=A\u202eB\x1b[31m", "--format", fmt, "--color", "never")
    assert result.exit_code == 0, result.output
    assert "What if: candidate.name=A\\u202eB\\x1b[31m" in result.stdout
    assert "\u202e" not in result.stdout and "\x1b" not in result.stdout


def _hostile_ladder(tmp_path) -> str:
    """A copy of the bundled ladder whose title, version, a criterion's title and an example case's
    name and candidate id carry ESC and U+202E."""
    import os
    import shutil

    from conftest import ROOT

    folder = tmp_path / "hostile-ladder"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    head = folder / "ladder.yaml"
    head.write_text(head.read_text(encoding="utf-8").replace(
        "title: Product management career ladder", 'title: "Product\\e[31m ladder\\u202e"', 1).replace(
        'version: "2026.12.2"', 'version: "2026.12.2\\u202e"', 1), encoding="utf-8")
    step = folder / "apm-to-pm.yaml"
    step.write_text(step.read_text(encoding="utf-8").replace(
        "title: Working at PM level for 6+ months", 'title: "Six\\e[31m months\\u202e"', 1), encoding="utf-8")
    cases = folder / "examples" / "apm-to-pm.yaml"
    cases.write_text(cases.read_text(encoding="utf-8").replace("  - name: ready\n", '  - name: "ready\\e[31m\\u202e"\n', 1)
                     .replace("id: ex-apm-pm-ready", 'id: "ex\\e[31m\\u202e"', 1), encoding="utf-8")
    return str(folder)


LADDER_RAW = ("\x1b[31m", "\u202e")


def _assert_ladder_escaped(text: str, *shown: str) -> None:
    for s in shown:
        assert s in text, s
    for raw in LADDER_RAW:
        assert raw not in text, repr(raw)


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_ladder_show_shows_ladder_text_escaped(tmp_path, fmt):
    folder = _hostile_ladder(tmp_path)
    for color in ("never", "always"):
        result = run("ladder", "show", "apm-to-pm", "--ladder", folder, "--format", fmt, "--color", color)
        assert result.exit_code == 0, result.output
        _assert_ladder_escaped(result.stdout, "Six\\x1b[31m months\\u202e")
        if fmt == "markdown":
            _assert_ladder_escaped(result.stdout, "Product\\x1b[31m ladder\\u202e", "2026.12.2\\u202e")
    exact = json.loads(run("ladder", "show", "apm-to-pm", "--ladder", folder, "--format", "json").stdout)
    assert exact["title"] == "Product\x1b[31m ladder\u202e"  # JSON stays exact


def test_ladder_show_on_a_terminal_shows_ladder_text_escaped(tmp_path, monkeypatch):
    from promoready.cli.render import terminal

    monkeypatch.setattr(terminal, "is_terminal", lambda: True)
    result = run("ladder", "show", "apm-to-pm", "--ladder", _hostile_ladder(tmp_path), "--color", "never")
    assert result.exit_code == 0, result.output
    _assert_ladder_escaped(result.stdout, "Six\\x1b[31m months\\u202e", "Product\\x1b[31m ladder\\u202e")


def test_ladder_list_shows_ladder_text_escaped(tmp_path, monkeypatch):
    import promoready.engine

    folder = _hostile_ladder(tmp_path)
    monkeypatch.setattr(promoready.engine, "bundled_ladders", lambda: {"product-management": folder})
    listed = run("ladder", "list", "--format", "table")
    assert listed.exit_code == 0, listed.output
    _assert_ladder_escaped(listed.stdout, "2026.12.2\\u202e: Product\\x1b[31m ladder\\u202e")
    exact = json.loads(run("ladder", "list", "--format", "json").stdout)
    assert exact[0]["title"] == "Product\x1b[31m ladder\u202e" and exact[0]["version"] == "2026.12.2\u202e"


def test_ladder_validate_and_test_show_ladder_text_escaped(tmp_path):
    folder = _hostile_ladder(tmp_path)
    validated = run("ladder", "validate", folder)
    assert validated.exit_code == 0, validated.output
    _assert_ladder_escaped(validated.stdout, "2026.12.2\\u202e:")
    tested = run("ladder", "test", folder, "--transition", "apm-to-pm")
    assert tested.exit_code == 0, tested.output
    _assert_ladder_escaped(tested.stdout, "ok   apm-to-pm / ready\\x1b[31m\\u202e (ex\\x1b[31m\\u202e)")


def test_the_db_commands_show_the_store_escaped(tmp_path):
    db = str(tmp_path / "h\x1b[31m\u202e.sqlite")
    upgraded = run("db", "upgrade", "--db", db)
    assert upgraded.exit_code == 0, upgraded.output
    _assert_ladder_escaped(upgraded.stdout, "h\\x1b[31m\\u202e.sqlite: schema version (none) → ")
    status = run("db", "status", "--db", db)
    assert status.exit_code == 0, status.output
    _assert_ladder_escaped(status.stdout, "h\\x1b[31m\\u202e.sqlite: schema version ")


def _newline_packet(tmp_path) -> str:
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    path = tmp_path / "newline.yaml"
    path.write_text(text.replace("  id: emp-2071", '  id: "emp\\n2071"', 1), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", ["evaluate", "explain"])
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_newline_in_a_candidate_id_never_breaks_a_headline(tmp_path, command, fmt):
    result = run(command, _newline_packet(tmp_path), "--format", fmt, "--color", "never")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not any(line.startswith("2071") for line in lines), result.stdout  # no line starts inside the id
    assert "emp\\x0a2071: not ready for senior-pm → director" in result.stdout
    if command == "evaluate" and fmt == "markdown":
        assert lines[0] == "## emp\\x0a2071: senior-pm → director"
    elif fmt == "table":
        assert lines[0].startswith("emp\\x0a2071: not ready for ")
    exact = json.loads(run(command, _newline_packet(tmp_path), "--format", "json").stdout)
    assert exact["candidate_id"] == "emp\n2071"


def test_a_newline_in_a_candidate_id_stays_escaped_in_the_batch_summary_and_the_store(tmp_path):
    newline = packet(0)
    newline["candidate"]["id"] = "emp\n2071"
    source = jsonl(tmp_path / "in.jsonl", [newline, newline])
    db = str(tmp_path / "h.sqlite")
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--workers", 1, "--cycle", "A", "--db", db)
    assert result.exit_code == 0, result.stderr
    # Wrapping the summary's lines once made the newline a space: "emp 2071", an id no packet has.
    assert "    emp\\x0a2071: " in result.stderr and "emp 2071" not in result.stderr
    history = run("history", "emp\n2071", "--db", db, "--format", "table")
    assert history.exit_code == 0, history.output
    assert "History of emp\\x0a2071" in history.stdout
    shown = run("decisions", "show", "--candidate", "emp\n2071", "--cycle", "A", "--db", db, "--format", "markdown")
    assert shown.exit_code == 0, shown.output
    assert "## emp\\x0a2071: " in shown.stdout and "\n2071" not in shown.stdout


def test_printable_on_one_line_escapes_the_newline_too_and_is_idempotent():
    from promoready.engine.words import printable

    once = printable("a\nb\tc\x1b\u202e", one_line=True)
    assert once == "a\\x0ab\tc\\x1b\\u202e" and printable(once, one_line=True) == once
    assert printable("a\nb") == "a\nb"  # elsewhere a newline stays a newline


@pytest.mark.parametrize("command", ["evaluate", "explain"])
@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_unicode_line_separator_in_a_candidate_id_is_escaped_in_every_view(tmp_path, command, fmt):
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    path = tmp_path / "separators.yaml"
    path.write_text(text.replace("  id: emp-2071", '  id: "emp\\L20\\P71"', 1), encoding="utf-8")
    result = run(command, str(path), "--format", fmt, "--color", "never")
    assert result.exit_code == 0, result.output
    assert "emp\\u202820\\u202971: not ready for senior-pm → director" in result.stdout
    assert "\u2028" not in result.stdout and "\u2029" not in result.stdout  # an editor or splitlines breaks there
    assert json.loads(run(command, str(path), "--format", "json").stdout)["candidate_id"] == "emp\u202820\u202971"


def test_shown_keeps_the_candidate_id_to_one_line_for_every_view():
    from promoready.cli.render.text import shown

    d = _example_decision()
    for raw, one_line in (("emp\n2071", "emp\\x0a2071"), ("emp\u20282071", "emp\\u20282071"),
                          ("emp\x1b\n2071", "emp\\x1b\\x0a2071")):
        there = shown(d.model_copy(update={"candidate_id": raw}))
        assert there.candidate_id == one_line
        assert there.criteria == d.criteria  # nothing else touched
