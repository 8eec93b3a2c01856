"""The suite's warning filters (pyproject's ``filterwarnings``): a deprecation warned about our own code,
a test module or a test helper fails the test; one inside a third-party library does not.

pytest matches a filter's module part against the warning's module name from its start, so the pattern
names every helper module and ends with ``\\Z``; a helper added under tests/ without being named would
let its deprecations pass as warnings, which the first test catches.
"""

from __future__ import annotations

import json
import os
import re
import warnings

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _deprecation_modules() -> re.Pattern[str]:
    # The filter's line read as it is written (a TOML basic string escapes as JSON does), so that this
    # runs on Python 3.10 too, which has no tomllib.
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as fh:
        lines = [line.strip().rstrip(",") for line in fh if line.strip().startswith('"error::DeprecationWarning:')]
    assert len(lines) == 1, lines
    return re.compile(json.loads(lines[0]).split(":", 3)[3])


def test_every_module_of_the_tests_is_named_by_the_deprecation_filter():
    pattern = _deprecation_modules()
    modules = sorted({name[:-3] for _, _, files in os.walk(os.path.join(ROOT, "tests"))
                      for name in files if name.endswith(".py")})
    assert "storekit" in modules and "conftest" in modules  # the walk found the helpers
    assert [m for m in modules if not pattern.match(m)] == []
    for ours in ("promoready", "promoready.engine.summary", "test_x"):
        assert pattern.match(ours)
    for theirs in ("referencing", "strategies_extra", "hypothesis.strategies", "sqlalchemy.orm", "promoreadyx"):
        assert not pattern.match(theirs), theirs  # third-party code (and look-alikes) stays a warning


@pytest.mark.parametrize("module, fails", [("storekit", True), ("promoready.store", True),
                                           ("referencing", False)])
def test_a_deprecation_fails_the_suite_only_in_our_modules(module, fails):
    def warn() -> None:
        warnings.warn_explicit("old", DeprecationWarning, f"{module}.py", 1, module=module)

    if fails:
        with pytest.raises(DeprecationWarning):
            warn()
    else:  # catch_warnings keeps the active filters (pytest.warns would set "always" over them)
        with warnings.catch_warnings(record=True) as seen:
            warn()
        assert [w.category for w in seen] == [DeprecationWarning]
