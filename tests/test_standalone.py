"""The project stands alone on a new machine.

It refers to nothing outside its checkout, its documents link to files it has, its own copies of the
workspace's specification (the contract, the example packet, the facts about the seed articles) are
in step with the originals, and a durable-rules build that cannot be loaded is explained, with the
command that fixes it, instead of a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import CONTRACT_EXAMPLE, EXAMPLE, ROOT, SHARED

import seed_facts

#: What a user reads or runs. tests/ is left out: the in-step check below reads ../shared on purpose.
PROJECT = ["README.md", "pyproject.toml", "docs", "engine", "cli", "schemas", "pkg", "report", "service", "rules",
           "examples", "bench"]
OUTSIDE = ("../shared", "shared/spec", "shared/seeds")


def _project_files():
    for entry in PROJECT:
        path = os.path.join(ROOT, entry)
        if os.path.isfile(path):
            yield path
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", "out")]
            yield from (os.path.join(folder, f) for f in sorted(files) if f.endswith((".py", ".md", ".yaml", ".toml")))


def test_nothing_refers_to_files_outside_the_checkout():
    found = []
    for path in _project_files():
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                found += [f"{os.path.relpath(path, ROOT)}:{number}: {word}" for word in OUTSIDE if word in line]
    assert not found, "\n".join(found)


def test_every_relative_link_in_the_documents_resolves():
    documents = [os.path.join(ROOT, "README.md")] + [
        os.path.join(ROOT, "docs", f) for f in sorted(os.listdir(os.path.join(ROOT, "docs"))) if f.endswith(".md")]
    broken = []
    for document in documents:
        with open(document, encoding="utf-8") as fh:
            text = fh.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not os.path.exists(os.path.join(os.path.dirname(document), target.split("#")[0])):
                broken.append(f"{os.path.relpath(document, ROOT)}: {target}")
    assert not broken, "\n".join(broken)


def _without_note(ours: str) -> str:
    """docs/contract.md less the note under its title that says whose copy it is."""
    title, rest = ours.split("\n", 1)
    note = re.match(r"\n(?:> .*\n)+", rest)
    assert note, "docs/contract.md: the note under the title (a quote block) is missing"
    return title + "\n" + rest[note.end():]


def _lines_not_kept(original: str, copy: str) -> list[str]:
    """The lines of ``original`` that ``copy`` does not have in the same order (added lines are allowed)."""
    remaining = iter(copy.splitlines())
    missing = []
    for line in original.splitlines():
        if not any(line == kept for kept in remaining):
            missing.append(line)
            remaining = iter(copy.splitlines())  # report each missing line, not everything after it
    return missing


def test_contract_copy_check_allows_growth_and_catches_loss():
    original = "# Contract\n\nA.\nB.\n"
    assert _lines_not_kept(original, "# Contract\n\nA.\nAdded.\nB.\n") == []
    assert _lines_not_kept(original, "# Contract\n\nA.\n") == ["B."]
    assert _lines_not_kept(original, "# Contract\n\nB.\nA.\n") != []


def test_copies_are_in_step_with_the_workspace_specification():
    """The contract, its example packet and the seed facts, against the originals (which may only grow)."""
    if not os.path.isdir(SHARED):
        pytest.skip("../shared is not beside this checkout: no originals to compare the project's copies with")
    stale = []
    with open(os.path.join(ROOT, "docs", "contract.md"), encoding="utf-8") as fh:
        ours = _without_note(fh.read())
    with open(os.path.join(SHARED, "spec", "CONTRACT.md"), encoding="utf-8") as fh:
        missing = _lines_not_kept(fh.read(), ours)
    if missing:
        # The project's contract may grow ahead of the specification, never lose any of it.
        stale.append("docs/contract.md lacks these lines of spec/CONTRACT.md (in order): " + " | ".join(missing[:5]))
    with open(os.path.join(SHARED, "spec", "packet.example.yaml"), "rb") as theirs, open(CONTRACT_EXAMPLE, "rb") as mine:
        if theirs.read() != mine.read():
            stale.append("examples/packet.example.yaml: copy spec/packet.example.yaml again")
    if os.path.isdir(seed_facts.SEEDS):
        with open(seed_facts.FIXTURE, encoding="utf-8") as fh:
            if fh.read() != seed_facts.dumps(seed_facts.build()):
                stale.append("tests/fixtures/seeds.json: run python tests/seed_facts.py")
    else:
        stale.append("../shared has no seeds/ folder")
    assert not stale, "\n".join(stale)


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
