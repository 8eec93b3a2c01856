"""The options several commands share (cli/_options.py): each command accepts exactly what it did.

``--format`` is declared once but each command keeps its own formats and default; ``--ladder``,
``--as-of`` and ``--fail-on`` read the same everywhere. Parsing only: no command runs here.
"""

from __future__ import annotations

import datetime

import click
import pytest

from promoready.cli import main
from promoready.cli._options import FAIL_ON, fail_on_matched, parse_as_of, parse_date
from promoready.engine.errors import UsageError

from conftest import EXAMPLE

#: command path → (its --format values in help order, the default); None: no --format.
FORMATS = {
    ("evaluate",): (["table", "json", "jsonl", "markdown"], None),
    ("explain",): (["table", "markdown", "json", "jsonl"], None),
    ("ladder", "list"): (["table", "json"], "table"),
    ("ladder", "show"): (["markdown", "table", "json"], None),
    ("ladder", "validate"): None,
    ("ladder", "test"): None,
    ("schema",): None,
}
EVERY_FORMAT = {"table", "json", "jsonl", "markdown"}
ARGUMENTS = {("evaluate",): [EXAMPLE], ("explain",): [EXAMPLE], ("schema",): ["packet"]}


def command(path: tuple[str, ...]) -> click.Command:
    """The click command at ``path`` (lazy commands are loaded as ``promoready`` would)."""
    cmd: click.Command = main
    ctx = click.Context(main)
    for name in path:
        assert isinstance(cmd, click.Group)
        found = cmd.get_command(ctx, name)
        assert found is not None, name
        cmd = found
    return cmd


def option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts), None)


def parse(path: tuple[str, ...], *args: str) -> dict:
    """The parameters ``promoready PATH ARGS`` would run with (click's usage errors raise)."""
    cmd = command(path)
    with cmd.make_context(path[-1], [*ARGUMENTS.get(path, []), *args]) as ctx:
        return dict(ctx.params)


@pytest.mark.parametrize("path", FORMATS, ids=" ".join)
def test_each_command_accepts_exactly_its_formats(path):
    declared = FORMATS[path]
    opt = option(command(path), "--format")
    if declared is None:
        assert opt is None
        with pytest.raises(click.NoSuchOption):
            parse(path, "--format", "json")
        return
    choices, default = declared
    assert opt is not None and isinstance(opt.type, click.Choice)
    assert list(opt.type.choices) == choices  # also the order its help lists them in
    assert parse(path)["fmt"] == default
    for fmt in choices:
        assert parse(path, "--format", fmt)["fmt"] == fmt
    assert parse(path, "--format", "text")["fmt"] == "table"  # the human format's other spelling
    assert "text" not in opt.get_help_record(click.Context(command(path)))[0]  # ...not listed
    for fmt in sorted(EVERY_FORMAT - set(choices)) + ["JSON", "html"]:
        with pytest.raises(click.BadParameter) as caught:
            parse(path, "--format", fmt)
        assert caught.value.param is opt


@pytest.mark.parametrize("path, default", [
    (("evaluate",), " (default: the packet's `ladder`, else product-management)"),
    (("explain",), ""),
    (("ladder", "show"), " (default: product-management)"),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_ladder_option(path, default):
    opt = option(command(path), "--ladder")
    assert opt is not None and opt.name == "ladder_path" and opt.metavar == "PATH" and opt.default is None
    assert opt.help == f"A ladder folder, its ladder.yaml, or a bundled ladder id{default}."
    assert parse(path, "--ladder", "startup")["ladder_path"] == "startup"


@pytest.mark.parametrize("path", [("evaluate",), ("explain",)], ids=" ".join)
def test_as_of_option_is_a_date_read_by_the_command(path):
    opt = option(command(path), "--as-of")
    assert opt is not None and opt.name == "as_of" and opt.metavar == "DATE"
    assert opt.help == ("Measure to this date (YYYY-MM-DD) instead of the packet's own: durations, and figures that "
                        "grow with time (years of experience, grown since the packet's date).")
    assert parse(path, "--as-of", "not a date")["as_of"] == "not a date"  # checked by parse_date, with its code


def test_fail_on_option():
    opt = option(command(("evaluate",)), "--fail-on")
    assert opt is not None and isinstance(opt.type, click.Choice) and tuple(opt.type.choices) == FAIL_ON
    with pytest.raises(click.BadParameter):
        parse(("evaluate",), "--fail-on", "ready")


@pytest.mark.parametrize("given, read", [
    ("not-ready", "not-ready"), ("not_ready", "not-ready"),
    ("insufficient", "insufficient"), ("insufficient_evidence", "insufficient"),
    ("insufficient-evidence", "insufficient"), ("any", "any"),
])
def test_fail_on_takes_the_verdicts_as_decisions_spell_them(given, read):
    assert parse(("evaluate",), "--fail-on", given)["fail_on"] == read
    help_text = option(command(("evaluate",)), "--fail-on").get_help_record(click.Context(command(("evaluate",))))
    assert "not_ready" not in help_text[0] and "any of the two" not in help_text[1]


def test_a_wrong_choice_names_the_closest():
    from clirun import run

    result = run("evaluate", EXAMPLE, "--fail-on", "not-redy")
    assert result.exit_code == 2 and result.stdout == ""
    assert ("Invalid value for '--fail-on': 'not-redy' is not one of 'not-ready', 'insufficient', 'any'; "
            "did you mean 'not-ready'?") in result.stderr
    result = run("evaluate", EXAMPLE, "--format", "JSON")
    assert "'JSON' is not one of 'table', 'json', 'jsonl', 'markdown'; did you mean 'json'?" in result.stderr


def test_the_ladder_commands_without_a_shared_option_have_none():
    for path in (("ladder", "validate"), ("ladder", "test"), ("ladder", "list"), ("schema",)):
        for flag in ("--as-of", "--fail-on"):
            assert option(command(path), flag) is None, (path, flag)
    assert option(command(("ladder", "list")), "--ladder") is None


def test_validate_and_test_take_the_shared_ladder_option():
    # `--ladder` "selects another ladder everywhere": these two take it beside their PATH argument.
    shared = option(command(("ladder", "show")), "--ladder")
    for path in (("ladder", "validate"), ("ladder", "test")):
        mine = option(command(path), "--ladder")
        assert mine is not None, path
        assert (mine.name, mine.metavar, mine.help) == (shared.name, shared.metavar, shared.help), path


def test_parse_date():
    assert parse_date(None, "--as-of") is None
    assert parse_date("2026-11-01", "--as-of") == datetime.date(2026, 11, 1)
    with pytest.raises(UsageError) as caught:
        parse_date("1/11/2026", "--as-of")
    assert caught.value.code == "usage.date" and caught.value.path == "--as-of"
    assert str(caught.value) == "--as-of: expected a date as YYYY-MM-DD, got '1/11/2026' [usage.date]"
    for other_form in ("20261101", "2026-W44-7", "٢٠٢٦-١١-٠١"):  # the first two read by Python 3.11+ only; Arabic-Indic digits
        with pytest.raises(UsageError) as caught:
            parse_date(other_form, "--as-of")
        assert str(caught.value) == f"--as-of: expected a date as YYYY-MM-DD, got {other_form!r} [usage.date]"


@pytest.mark.parametrize("fail_on, matches", [
    (None, set()),
    ("not-ready", {"not_ready"}),
    ("insufficient", {"insufficient_evidence"}),
    ("any", {"not_ready", "insufficient_evidence"}),
])
def test_fail_on_matched(fail_on, matches):
    for verdict in ("ready", "not_ready", "insufficient_evidence"):
        assert fail_on_matched(fail_on, [verdict]) is (verdict in matches)
        assert fail_on_matched(fail_on, ["ready", verdict]) is (verdict in matches)
    assert fail_on_matched(fail_on, []) is False
    if fail_on is not None:  # batch may pass the verdict's own spelling
        spelled = {"not-ready": "not_ready", "insufficient": "insufficient_evidence"}.get(fail_on, fail_on)
        assert fail_on_matched(spelled, ["not_ready"]) is ("not_ready" in matches)


def test_a_format_another_command_has_is_a_usage_error():
    from clirun import run

    result = run("ladder", "list", "--format", "markdown")
    assert result.exit_code == 2 and result.stdout == ""
    assert "Invalid value for '--format': 'markdown' is not one of 'table', 'json'." in result.stderr


@pytest.mark.parametrize("value, message", [
    ("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days, not 30"),
    ("2028-02-30", "2028-02-30 is not a date: February 2028 has 29 days, not 30"),
    ("2026-13-01", "2026-13-01 is not a date: months are 01 to 12, not 13"),
    ("2026-04-00", "2026-04-00 is not a date: days start at 01"),
    ("0000-01-01", "0000-01-01 is not a date: there is no year 0"),
])
def test_a_date_that_does_not_exist_says_so(value, message):
    with pytest.raises(UsageError) as caught:
        parse_date(value, "--as-of")
    assert str(caught.value) == f"--as-of: {message} [usage.date]"


@pytest.mark.parametrize("value", ["1899-12-31", "3000-01-01"])
def test_as_of_is_a_day_a_decision_can_be_made_for_and_other_dates_are_not_held_to_that(value):
    # --as-of is held to the dates a packet may carry, naming the option (the engine named its own as_of);
    # parse_date serves other options too (cycles prune --before), where an early or late day is no error.
    with pytest.raises(UsageError) as caught:
        parse_as_of(value)
    assert str(caught.value) == (f"--as-of: {value} is outside the dates a decision can be made for "
                                 f"(1900-01-01 to 2999-12-31) [usage.date]")
    assert parse_date(value, "--before") == datetime.date.fromisoformat(value)
    assert parse_as_of("2999-12-31") == datetime.date(2999, 12, 31) and parse_as_of(None) is None
