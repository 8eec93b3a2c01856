"""Files the tests write, shared across suites: ladder folders (from dicts, or a copy of a bundled
ladder), the problems a ladder folder is refused for, and device nodes to write through; and which
modules a fresh interpreter imports for a statement.

Imported as a sibling module (``from fixture_files import write_ladder``), as ``strategies`` is.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from promoready.engine import LadderError, bundled_ladders, load_ladder


def write_ladder(tmp_path, files: dict) -> str:
    """A ladder folder under ``tmp_path`` holding ``files`` (file name → document), written as JSON."""
    folder = tmp_path / "ladder"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=1), encoding="utf-8")  # JSON is YAML
    return str(folder)


def ladder_problems(tmp_path, files: dict) -> list[LadderError]:
    """The problems ``load_ladder`` reports for a ladder of ``files`` (it must refuse it)."""
    with pytest.raises(LadderError) as err:
        load_ladder(write_ladder(tmp_path, files))
    return list(getattr(err.value, "problems", [err.value]))


def bundled_copy(tmp_path, name: str = "startup") -> str:
    """A copy of bundled ladder ``name`` under ``tmp_path``, without its examples, free to edit."""
    folder = tmp_path / "ladder"
    shutil.copytree(bundled_ladders()[name], folder)
    shutil.rmtree(folder / "examples", ignore_errors=True)
    return str(folder)


def device_node(tmp_path, name: str = "null", minor: int = 3) -> str:
    """A system device that replacing would be a disaster (null: 1,3; zero: 1,5; full: 1,7): a node of
    our own as root, so that a regression replaces only that; else the system's (which a non-root run
    cannot replace, and would fail on: the test would see it)."""
    if os.geteuid() == 0:
        path = str(tmp_path / name)
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        return path
    return f"/dev/{name}"


def imported_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported once it has run ``statement``."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
