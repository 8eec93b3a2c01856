"""The command line as a whole: schema, --version, ``python -m``, help, start-up cost."""

from __future__ import annotations

import json
import subprocess
import sys

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
    assert out.startswith("promoready 0.1.0, default ladder product-management 2026.11.0")


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
