"""Running the command line in-process for the tests in this folder."""

from __future__ import annotations

import json
from typing import Any, Optional

from click.testing import CliRunner, Result

from promoready.cli import main


def run(*args: str, input: Optional[str] = None) -> Result:
    """``promoready ARGS`` through click's CliRunner; stdout and stderr apart, exceptions not caught."""
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write(tmp_path: Any, name: str, data: Any) -> str:
    """Write ``data`` (text, or anything JSON can hold) to ``tmp_path/name``; returns the path."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)
