"""When stdout cannot be written (cli/_stdout.py): a full disk and a stdout closed before the program
started are one line on stderr and exit 4, for every command that prints, --help and --version included.
They were a Python traceback with exit 1 (the --fail-on status), and with stdout closed, exit 0 with nothing
printed anywhere: the run's work silently lost. Real processes: the failure is the operating system's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "packet.example.yaml")
COMMANDS = {
    "evaluate": ["evaluate", EXAMPLE],
    "explain": ["explain", EXAMPLE],
    "what-if": ["evaluate", EXAMPLE, "--set", "experience.product_years=12"],
    "ladder list": ["ladder", "list"],
    "schema": ["schema", "packet"],
    "--help": ["--help"],
    "--version": ["--version"],
}


def promoready(args: list[str], stdout: str) -> subprocess.CompletedProcess:
    """``python -m promoready ARGS`` with stdout on /dev/full ("full") or closed ("closed")."""
    command = [sys.executable, "-m", "promoready", *args]
    if stdout == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    # fd 1 closed in the child before Python starts (its sys.stdout is then None)
    return subprocess.run(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_full_disk_under_stdout_is_one_line_and_exit_4(name):
    done = promoready(COMMANDS[name], "full")
    assert done.returncode == 4, done.stderr
    assert done.stderr == "promoready: cannot write the output: no space left on device [system.disk-full]\n"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_closed_stdout_is_one_line_and_exit_4_not_a_silent_success(name):
    done = promoready(COMMANDS[name], "closed")
    assert done.returncode == 4, done.stderr
    assert done.stderr == "promoready: cannot write the output: stdout is closed [system.io]\n"


def test_a_command_that_writes_no_stdout_runs_with_stdout_closed(tmp_path):
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    done = promoready(["batch", EXAMPLE, "--out", str(out), "--summary", str(summary)], "closed")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and len(out.read_text().splitlines()) == 1 and summary.exists()


def test_only_a_failed_write_with_no_file_named_is_taken_for_stdout():
    # Any other OSError reaching the top is a fault of its own, not "cannot write the output" (found in
    # review: a ladder folder that could not be listed was reported so, and exit 4).
    import errno

    from promoready.cli._stdout import is_output

    assert is_output(OSError(errno.ENOSPC, "No space left on device"))
    assert is_output(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    assert not is_output(PermissionError(errno.EACCES, "Permission denied", "/some/folder"))
    assert not is_output(OSError(errno.ENOSPC, "No space left on device", "decisions.jsonl"))
    assert not is_output(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))


def test_a_ladder_folder_that_cannot_be_listed_is_an_input_error_naming_it(tmp_path, monkeypatch):
    from fixture_files import bundled_copy

    from promoready.engine import PromoreadyError, load_ladder

    folder = bundled_copy(tmp_path)
    real = os.listdir

    def refuse(path: "str | os.PathLike[str]" = ".") -> list[str]:
        if os.fspath(path) == folder:
            raise PermissionError(13, "Permission denied", folder)
        return real(path)

    monkeypatch.setattr(os, "listdir", refuse)
    with pytest.raises(PromoreadyError) as caught:
        load_ladder(folder)
    assert (caught.value.code, caught.value.file) == ("input.unreadable", folder)
    assert "cannot list the ladder folder: permission denied" in str(caught.value)
