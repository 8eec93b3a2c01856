"""The distribution ships every Python package of the checkout.

``pyproject.toml`` lists packages by hand (the folders map into one namespace through package-dir),
so a new sub-package that is not listed works in a default editable install and is missing from a
real one. This test reads the list and the folders and names what is missing.
"""

from __future__ import annotations

import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    tomllib = None

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _setuptools_table() -> dict:
    if tomllib is None:
        pytest.skip("tomllib is in the standard library from Python 3.11")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]


def test_every_python_package_folder_is_listed():
    table = _setuptools_table()
    listed = set(table["packages"])
    missing = []
    for package, folder in table["package-dir"].items():
        for here, dirs, files in os.walk(os.path.join(ROOT, folder)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if "__init__.py" not in files:
                continue
            relative = os.path.relpath(here, os.path.join(ROOT, folder))
            name = package if relative == "." else package + "." + relative.replace(os.sep, ".")
            if name not in listed:
                missing.append(f"{name} ({os.path.relpath(here, ROOT)})")
    assert not missing, "not in [tool.setuptools] packages: " + ", ".join(missing)
