"""The README's "Use" section works as written (issue 14): every command line in it is run, with
PACKET, packets/, INPUT… and PATH standing for the example packet, a folder of packets and the
bundled startup ladder; `report` (which needs a groups file of the reader's) is left out."""

from __future__ import annotations

import os
import re
import shlex
import shutil

import pytest

from clirun import run
from conftest import EXAMPLE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _use_commands() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    block = re.search(r"## Use\n.*?```sh\n(.*?)```", text, re.S)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        code = re.sub(r"\s+#.*$", "", line).strip()
        if "promoready" in code and not code.startswith(".") and " report " not in code:
            commands.append(code)
    return commands


COMMANDS = _use_commands()


def test_the_use_section_shows_the_front_door_features():
    said = "\n".join(COMMANDS)
    for feature in ("--format jsonl", "evaluate -", "evaluate packets/", "batch INPUT…"):
        assert feature in said
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    assert "`--strict`" in text and "`--color auto|always|never`" in text and "`NO_COLOR`" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_use_command_runs_as_written(command, tmp_path):
    folder = tmp_path / "packets"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "a.yaml")
    stdin = None
    if command.startswith("cat PACKET | "):
        with open(EXAMPLE, encoding="utf-8") as fh:
            stdin = fh.read()
        command = command.removeprefix("cat PACKET | ")
    words = []
    for word in shlex.split(command)[1:]:
        word = {"PACKET…": EXAMPLE, "PACKET": EXAMPLE, "packets/": str(folder), "INPUT…": str(folder),
                "PATH": os.path.join(ROOT, "rules", "startup"), "[PATH]": os.path.join(ROOT, "rules", "startup"),
                "decisions.jsonl": str(tmp_path / "decisions.jsonl"),
                "packet|decision|ladder": "packet"}.get(word, word)
        words.append(word)
    result = run(*words, input=stdin)
    assert result.exit_code in ((0, 1) if "--fail-on" in words else (0,)), result.stderr
    assert result.stdout or words[0] == "batch"
