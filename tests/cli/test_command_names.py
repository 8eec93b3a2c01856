"""A misspelt command gets a "did you mean" from every command's name, loaded or not, without loading any."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from clirun import run


@pytest.mark.parametrize("typed, meant", [
    ("evalute", "evaluate"), ("cylces", "cycles"), ("histroy", "history"), ("reprot", "report"),
    ("shcema", "schema"), ("btach", "batch"), ("decisons", "decisions"), ("laddr", "ladder"), ("serv", "serve"),
])
def test_a_misspelt_command_gets_the_closest_name(typed, meant):
    result = run(typed)
    assert result.exit_code == 2
    assert f"Error: No such command '{typed}'. Did you mean '{meant}'?" in result.stderr


def test_a_name_like_no_command_gets_no_suggestion_and_options_are_left_to_click():
    result = run("zzz")
    assert result.exit_code == 2 and "Error: No such command 'zzz'.\n" in result.stderr
    result = run("--no-such-option")
    assert result.exit_code == 2 and "No such option '--no-such-option'" in result.stderr
    result = run("cycles", "lsit")  # a group's own commands are loaded: click's suggestion, unchanged
    assert result.exit_code == 2 and "Did you mean 'list'?" in result.stderr


def test_the_suggestion_imports_no_command_module():
    code = ("import json, sys\nfrom promoready.cli import _Group, main\n"
            "try:\n    main(['cylces'], prog_name='promoready')\nexcept SystemExit as e:\n    code = e.code\n"
            "lazy = {target.split(':')[0] for target, _ in _Group.lazy.values()}\n"
            "print(json.dumps([code, len(lazy), sorted(lazy & set(sys.modules))]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Did you mean 'cycles'?" in proc.stderr
    assert json.loads(proc.stdout) == [2, 9, []]
