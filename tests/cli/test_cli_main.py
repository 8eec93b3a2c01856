"""The command line as a whole: schema, --version, ``python -m``, help, start-up cost, exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from promoready.cli._status import BAD_INPUT, MATCHED, Finished
from promoready.engine.errors import EngineError, PacketError, UsageError

from batch_helpers import jsonl, packet
from clirun import run
from conftest import EXAMPLE, ROOT

PY = sys.executable


def test_schema_command():
    for name in ("packet", "decision", "ladder"):
        schema = json.loads(run("schema", name).stdout)
        assert schema["$schema"].endswith("2020-12/schema")
        assert schema["type"] == "object"
    packet = json.loads(run("schema", "packet").stdout)
    assert "current_level" in packet["required"] and "reviews" in packet["properties"]


def test_version():
    out = run("--version").stdout
    assert out.startswith("promoready 0.1.0, default ladder product-management 2026.12.2")


def test_python_dash_m_and_streams():
    proc = subprocess.run([PY, "-m", "promoready", "evaluate", EXAMPLE, "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0 and json.loads(proc.stdout)["candidate_id"] == "emp-2071"
    proc = subprocess.run([PY, "-m", "promoready", "evaluate", "missing.yaml"], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such file" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_help_does_not_import_the_engine():
    code = "import sys; from promoready.cli import main; print(sorted(m for m in ('durable_rules_engine', 'rich', 'pydantic') if m in sys.modules))"
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]"


def test_every_command_has_help_with_an_example():
    for args in (["evaluate"], ["explain"], ["batch"], ["ladder"], ["ladder", "show"], ["ladder", "test"],
                 ["ladder", "validate"], ["ladder", "list"], ["schema"]):
        result = run(*args, "--help")
        assert result.exit_code == 0, args
        assert "Example" in result.stdout, args


def _group_raising(exception):
    """The real group class, with one command that prints a line and raises ``exception``."""
    from promoready.cli import _Group

    @click.group(cls=_Group)
    def group() -> None:
        """A test group."""

    @group.command()
    def go() -> None:
        click.echo("output so far")
        raise exception

    return group


@pytest.mark.parametrize("exception, status, stderr", [
    (Finished(MATCHED), 1, ""),
    (Finished(BAD_INPUT), 2, ""),
    (UsageError("bad option", code="usage.x", path="--x"), 2, "promoready: --x: bad option [usage.x]\n"),
    (PacketError("bad packet", code="packet.x", file="p.json"), 2, "promoready: p.json: bad packet [packet.x]\n"),
    (EngineError("broken", code="engine.x"), 3, "promoready: broken [engine.x]\n"),
    (KeyboardInterrupt(), 130, "promoready: interrupted\n"),
], ids=["finished-1", "finished-2", "usage", "packet", "engine", "interrupt"])
def test_the_group_alone_turns_what_a_command_raises_into_the_exit_status(exception, status, stderr):
    result = CliRunner().invoke(_group_raising(exception), ["go"], catch_exceptions=False)
    assert result.exit_code == status
    assert result.stdout == "output so far\n"
    assert result.stderr == stderr


def test_no_command_calls_sys_exit():
    """Commands raise Finished; only the group decides the status (see cli/_status.py): its ``main``, the
    outermost layer, once, for a stdout that cannot be written (cli/_stdout.py), which fails outside click."""
    folder = os.path.join(ROOT, "cli")
    offenders = []
    for directory, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as fh:
                    offenders += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(fh, 1) if "sys.exit(" in line]
    [(name, _line, code)] = [offender.split(":", 2) for offender in offenders]
    assert (name, code) == ("__init__.py", " sys.exit(_stdout.failed(exc))")


@pytest.mark.parametrize("args, cpus, likely", [
    (["batch", "in.jsonl"], 4, True),
    (["batch", "in.jsonl"], 1, False),  # one CPU: one worker, in this process
    (["batch", "in.jsonl", "--workers", "1"], 4, False),
    (["batch", "--workers=1", "in.jsonl"], 4, False),
    (["batch", "--workers", "3", "in.jsonl"], 1, True),
    (["batch", "--workers", "1", "--timeout", "5", "in.jsonl"], 4, True),  # a timeout needs a worker process
    (["batch", "--timeout=5", "in.jsonl"], 1, True),
    (["batch", "in.jsonl", "-h"], 4, False),
    (["batch", "--help"], 4, False),
    (["batch", "--workers", "many"], 4, False),  # the command will refuse it
    (["batch", "--", "--workers", "1"], 4, True),  # after --, a file named --workers
    (["--color", "never", "batch", "in.jsonl"], 4, True),
    (["--color=always", "batch", "in.jsonl", "--workers", "1"], 4, False),
    (["--colour", "always", "batch", "in.jsonl"], 4, True),
    (["evaluate", "packet.yaml"], 4, False),
    (["--version"], 4, False),
    ([], 4, False),
])
def test_a_batch_pool_is_foreseen_from_the_raw_command_line(monkeypatch, args, cpus, likely):
    from promoready import _processes

    monkeypatch.setattr(_processes, "usable_cpus", lambda: cpus)
    assert _processes.pool_likely(args) is likely


def test_the_entry_point_starts_the_fork_server_before_it_imports_the_command_line(tmp_path):
    code = ("import sys\n"
            "from promoready import _entry, _processes\n"
            "_processes.start_early = lambda: print('early', 'click' in sys.modules, 'promoready.cli' in sys.modules)\n"
            f"sys.argv = ['promoready', 'batch', {str(tmp_path / 'none.jsonl')!r}, '--workers', '2']\n"
            "_entry.main()\n")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.splitlines()[0] == "early False False"  # then the command itself asks again
    code = code.replace("'--workers', '2'", "'--workers', '1'")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert not [line for line in proc.stdout.splitlines() if line.startswith("early")]
    assert proc.returncode == BAD_INPUT and '"input.not-found"' in proc.stdout  # an error record: it ran


@pytest.mark.parametrize("extra, status", [(["--as-of", "soon"], BAD_INPUT), ([], 0)])
def test_a_fork_server_started_on_a_guess_is_stopped_when_the_command_ends(tmp_path, extra, status):
    # A usage error (which the raw command line does not show) needed no server, and a batch that used
    # one is over: either way it is stopped at once, not left to finish its imports or wait.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(3)])
    code = ("import os, sys\n"
            "from promoready import _entry, _processes\n"
            "seen, stop = [], _processes.stop_server\n"
            "_processes.stop_server = lambda: (seen.append(_processes.server_pid()), stop())\n"
            f"sys.argv = ['promoready', 'batch', {str(source)!r}, '--workers', '2', *{extra!r}]\n"
            "try:\n"
            "    _entry.main()\n"
            "except SystemExit as exc:\n"
            "    print('exit', exc.code)\n"
            "import time\n"
            "deadline, done, status = time.monotonic() + 10, 0, 0\n"
            "while not done and time.monotonic() < deadline:\n"
            "    done, status = os.waitpid(seen[0], os.WNOHANG)\n"
            "    time.sleep(0.01)\n"
            "print('stopped by', (os.WTERMSIG(status) if os.WIFSIGNALED(status) else None) if done else 'running')\n")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stdout.splitlines()[-2:] == [f"exit {status}", "stopped by 15"], proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [["--help"], ["evaluate", EXAMPLE, "--format", "json"], ["evaluate", "-"]])
def test_the_entry_point_costs_other_commands_no_multiprocessing(args):
    # Importing multiprocessing takes some 15 ms: only a batch looks at whether to start a fork server.
    # (``evaluate -`` names stdin as batch does, without importing batch.)
    code = ("import sys, io\n"
            f"sys.stdin = io.TextIOWrapper(io.BytesIO(open({EXAMPLE!r}, 'rb').read()))\n"
            "from promoready import _entry\n"
            f"sys.argv = ['promoready', *{args!r}]\n"
            "try:\n"
            "    _entry.main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('multiprocessing' in sys.modules, file=sys.stderr)\n")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stderr.splitlines()[-1] == "False", proc.stderr
