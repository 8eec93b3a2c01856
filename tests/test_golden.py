"""Golden outputs: reviewed renderings of the example packets. Regenerate with UPDATE_GOLDEN=1 after review."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from promoready.cli import main

from conftest import CONTRACT_EXAMPLE, EXAMPLE, HERE

GOLDEN = os.path.join(HERE, "golden")

CASES = [
    ("example.decision.json", ["evaluate", EXAMPLE, "--format", "json"]),
    ("example.explain.md", ["explain", EXAMPLE, "--format", "markdown"]),
    ("example.table.txt", ["evaluate", EXAMPLE, "--format", "table"]),
    ("example.fails.md", ["evaluate", EXAMPLE, "--format", "markdown", "--explain", "fails"]),
    ("shared-example.decision.json", ["evaluate", CONTRACT_EXAMPLE, "--format", "json"]),
    ("ladder-show.senior-pm-to-director.md", ["ladder", "show", "senior-pm-to-director"]),
]


@pytest.mark.parametrize("name, args", CASES, ids=[c[0] for c in CASES])
def test_golden(name, args):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Paths differ between machines: golden files hold them relative to the repository.
    out = result.output.replace(os.path.dirname(HERE) + os.sep, "")
    path = os.path.join(GOLDEN, name)
    if os.environ.get("UPDATE_GOLDEN"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(out)
    with open(path, encoding="utf-8") as fh:
        assert out == fh.read(), f"{name} differs from the reviewed golden file (UPDATE_GOLDEN=1 to accept)"
