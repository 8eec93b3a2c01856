"""A durable-rules build that cannot be loaded is explained, with the command that fixes it, instead of
a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import EXAMPLE


def _run_with_engine_module(tmp_path, body: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``python *args`` with a stand-in for durable-rules' compiled module whose source is ``body``."""
    (tmp_path / "durable_rules_engine.py").write_text(textwrap.dedent(body), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, timeout=120)


# What loading durable-rules 2.0.28 compiled for Python 3.13 without the fix raises.
UNFIXED = """
    raise ImportError("/venv/lib/python3.13/site-packages/durable_rules_engine.cpython-313-x86_64-linux-gnu.so:"
                      " undefined symbol: PyEval_CallObject")
"""


@pytest.mark.parametrize("command", [["evaluate", EXAMPLE], ["batch", EXAMPLE, "--out", "decisions.jsonl"]],
                         ids=["evaluate", "batch"])
def test_a_durable_rules_build_without_the_fix_is_explained(tmp_path, command):
    result = _run_with_engine_module(tmp_path, UNFIXED, "-m", "promoready", *command)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "durable-rules was compiled without the fix Python 3.13 needs" in result.stderr
    assert (f"CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject {sys.executable} -m pip install --no-cache-dir "
            "--force-reinstall --no-deps durable-rules==2.0.28") in result.stderr


def test_other_import_failures_of_durable_rules_are_not_disguised(tmp_path):
    result = _run_with_engine_module(tmp_path, 'raise ImportError("libfoo.so: cannot open shared object file")',
                                     "-c", "import promoready.engine._durable")
    assert result.returncode == 1
    assert "ImportError: libfoo.so: cannot open shared object file" in result.stderr
    assert "PyEval_CallObject" not in result.stderr
