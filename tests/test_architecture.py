"""Which layer may import which: read from the source with ``ast``, so every import form is seen.

- The front ends (cli/, report/, service/) use only the engine's public names: no
  ``import promoready.engine._x``, ``from promoready.engine._x import …``,
  ``from promoready.engine import _x`` (nor the relative spellings of these), at any depth
  (``promoready.engine.batch._ipc`` is private too).
- The engine and the root package never import the command line (the engine is what the command
  line, the service and the report are built on), except ``pkg/__main__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folder → the package it is installed as (pyproject's package-dir).
PACKAGES = {"pkg": "promoready", "engine": "promoready.engine", "cli": "promoready.cli",
            "schemas": "promoready.schemas", "service": "promoready.service", "report": "promoready.report"}
FRONT_ENDS = ("cli", "report", "service")
#: ``python -m promoready`` is the command line's entry point: the one module of pkg/ that imports it.
MAY_IMPORT_CLI = {"pkg/_entry.py"}  # the entry point: it starts the fork server, then runs the command line


def module_of(path: Path) -> str:
    """The dotted module name of a source file (``cli/_inputs.py`` → ``promoready.cli._inputs``)."""
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:-1]]
    if rel.stem != "__init__":
        parts.append(rel.stem)
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, made absolute: (line, ``a.b.c``); ``from a import b`` gives
    ``a.b`` too, since ``b`` may be a module."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base: Optional[str] = node.module
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            assert base is not None
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"


def private_engine(name: str) -> bool:
    """``promoready.engine`` followed by a private segment anywhere below it."""
    parts = name.split(".")
    return parts[:2] == ["promoready", "engine"] and any(p.startswith("_") for p in parts[2:])


def violations(folders: tuple[str, ...], bad, allowed: frozenset[str] = frozenset()) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            for line, name in imports(text, module_of(path), path.name == "__init__.py"):
                if bad(name):
                    found.append(f"{rel}:{line}: imports {name}")
    return found


def test_the_front_ends_use_only_public_engine_names():
    assert violations(FRONT_ENDS, private_engine) == []


def test_the_engine_and_the_root_package_never_import_the_command_line():
    def cli(name: str) -> bool:
        return name == "promoready.cli" or name.startswith("promoready.cli.")

    assert violations(("engine", "pkg"), cli, frozenset(MAY_IMPORT_CLI)) == []
    # The exception is real: without it, the entry point would be reported.
    assert violations(("pkg",), cli) == ["pkg/_entry.py:26: imports promoready.cli",
                                         "pkg/_entry.py:26: imports promoready.cli.main"]


@pytest.mark.parametrize("source, module, expected", [
    ("from promoready.engine import _documents as docs", "promoready.cli._inputs", True),
    ("from promoready.engine._packet import Source", "promoready.cli._inputs", True),
    ("import promoready.engine._ladder", "promoready.report._cycle", True),
    ("from ..engine import _packet", "promoready.cli._inputs", True),
    ("from ..engine._documents import decode", "promoready.service._engine", True),
    ("from promoready.engine.batch import _ipc", "promoready.cli._batch", True),
    ("from promoready.engine import Source, decode", "promoready.cli._inputs", False),
    ("from promoready.engine.errors import UsageError", "promoready.cli._inputs", False),
    ("from . import _sinks", "promoready.cli._batch", False),
])
def test_the_scan_sees_every_form_of_a_private_import(source, module, expected):
    assert any(private_engine(name) for _, name in imports(source, module, False)) is expected
