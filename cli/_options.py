"""Options several commands share, each declared once: ``--format``, ``--ladder``, ``--as-of``, ``--fail-on``.

Each is a decorator factory; a command passes what differs (the formats it can print, what its
``--ladder`` defaults to). Values are checked in the command body (``parse_date``), not in click
callbacks, so errors keep their order and their ``[usage.*]`` codes. Only click is imported here:
this module loads for ``--help``.
"""

from __future__ import annotations

import datetime
from typing import Callable, Iterable, Optional, Sequence, TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

#: ``--fail-on`` values.
FAIL_ON = ("not-ready", "insufficient", "any")
#: The verdicts each ``--fail-on`` value matches.
_FAIL_ON_VERDICTS: dict[Optional[str], frozenset[str]] = {
    None: frozenset(),
    "not-ready": frozenset({"not_ready"}),
    "insufficient": frozenset({"insufficient_evidence"}),
    "any": frozenset({"not_ready", "insufficient_evidence"}),
}


def format_option(choices: Sequence[str], *, default: Optional[str] = None,
                  help: Optional[str] = None) -> Callable[[F], F]:
    """``--format`` (parameter ``fmt``) with the formats this command can print, in the order its help lists them."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, help=help)


def ladder_option(default: Optional[str] = None) -> Callable[[F], F]:
    """``--ladder PATH`` (parameter ``ladder_path``); ``default`` says in the help what is used without it."""
    text = "A ladder folder, its ladder.yaml, or a bundled ladder id"
    return click.option("--ladder", "ladder_path", default=None, metavar="PATH",
                        help=f"{text} (default: {default})." if default else f"{text}.")


def as_of_option() -> Callable[[F], F]:
    """``--as-of DATE`` (parameter ``as_of``, a string: ``parse_date`` reads it in the command)."""
    return click.option("--as-of", "as_of", default=None, metavar="DATE",
                        help="Measure durations to this date (YYYY-MM-DD).")


def fail_on_option() -> Callable[[F], F]:
    """``--fail-on`` (parameter ``fail_on``): which verdicts make the command exit 1."""
    return click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                        help="Exit 1 when a verdict matches: not-ready, insufficient (evidence), or any of the two.")


def parse_date(value: Optional[str], option: str) -> Optional[datetime.date]:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        from promoready.engine import errors

        raise errors.UsageError(f"expected a date as YYYY-MM-DD, got {value!r}", code=errors.USAGE_DATE,
                                path=option) from None


def fail_on_matched(fail_on: Optional[str], verdicts: Iterable[str]) -> bool:
    """Whether any verdict matches ``--fail-on`` (exit status 1)."""
    wanted = _FAIL_ON_VERDICTS[fail_on]
    return any(v in wanted for v in verdicts)
