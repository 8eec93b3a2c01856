"""Options several commands share, each declared once: ``--format``, ``--ladder``, ``--as-of``,
``--fail-on``, ``--strict`` and ``--color``.

Each is a decorator factory; a command passes what differs (the formats it can print, what its
``--ladder`` defaults to). Values are checked in the command body (``parse_date``), not in click
callbacks, so errors keep their order and their ``[usage.*]`` codes. Only click is imported here:
this module loads for ``--help``.

A choice may have other spellings (``not_ready`` for ``not-ready``, ``text`` for ``table``): they are
accepted and turned into the listed name, but only the listed names show in ``--help``.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

#: ``--fail-on`` values, as ``--help`` lists them.
FAIL_ON = ("not-ready", "insufficient", "any")
#: Other spellings ``--fail-on`` accepts: the verdicts as decisions spell them, and with hyphens.
FAIL_ON_ALIASES: Mapping[str, str] = {
    "not_ready": "not-ready",
    "insufficient_evidence": "insufficient",
    "insufficient-evidence": "insufficient",
}
#: The verdicts each ``--fail-on`` value matches.
_FAIL_ON_VERDICTS: dict[Optional[str], frozenset[str]] = {
    None: frozenset(),
    "not-ready": frozenset({"not_ready"}),
    "insufficient": frozenset({"insufficient_evidence"}),
    "any": frozenset({"not_ready", "insufficient_evidence"}),
}

#: The human format's name in every command (a terminal's view); ``text`` is its other spelling.
HUMAN = "table"
FORMAT_ALIASES: Mapping[str, str] = {"text": HUMAN}

#: ``--color`` values.
COLORS = ("auto", "always", "never")


class Choice(click.Choice):
    """A choice that also takes other spellings (``aliases``: spelling → listed name).

    ``--help`` lists only the listed names; a value that is neither gets the closest listed name.
    """

    def __init__(self, choices: Sequence[str], aliases: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(list(choices))
        self.aliases = {k: v for k, v in (aliases or {}).items() if v in choices}

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        if isinstance(value, str):
            spelled = value.strip()
            if spelled in self.choices:
                return spelled
            if spelled in self.aliases:
                return self.aliases[spelled]
            from promoready.engine.errors import nearest, suggestion

            listed = ", ".join(repr(c) for c in self.choices)
            near = dict.fromkeys(self.aliases.get(n, n) for n in nearest(spelled, [*self.choices, *self.aliases]))
            hint = suggestion(near)
            self.fail(f"{value!r} is not one of {listed}" + (f"; did you mean {hint}?" if hint else "."), param, ctx)
        return super().convert(value, param, ctx)


def format_option(choices: Sequence[str], *, default: Optional[str] = None,
                  help: Optional[str] = None) -> Callable[[F], F]:
    """``--format`` (parameter ``fmt``) with the formats this command can print, in the order its help lists them.

    ``text`` is accepted for ``table`` wherever ``table`` is listed (and the other way round), unlisted.
    """
    aliases = dict(FORMAT_ALIASES)
    if HUMAN not in choices and "text" in choices:
        aliases = {HUMAN: "text"}
    return click.option("--format", "fmt", type=Choice(choices, aliases), default=default, help=help)


def ladder_option(default: Optional[str] = None) -> Callable[[F], F]:
    """``--ladder PATH`` (parameter ``ladder_path``); ``default`` says in the help what is used without it."""
    text = "A ladder folder, its ladder.yaml, or a bundled ladder id"
    return click.option("--ladder", "ladder_path", default=None, metavar="PATH",
                        help=f"{text} (default: {default})." if default else f"{text}.")


def as_of_option() -> Callable[[F], F]:
    """``--as-of DATE`` (parameter ``as_of``, a string: ``parse_date`` reads it in the command)."""
    return click.option("--as-of", "as_of", default=None, metavar="DATE",
                        help="Measure to this date (YYYY-MM-DD) instead of the packet's own: durations, and figures that "
                             "grow with time (years of experience, grown since the packet's date).")


def fail_on_option() -> Callable[[F], F]:
    """``--fail-on`` (parameter ``fail_on``): which verdicts make the command exit 1.

    ``not_ready`` and ``insufficient_evidence`` (the verdicts as a decision spells them) are accepted too.
    """
    return click.option("--fail-on", type=Choice(FAIL_ON, FAIL_ON_ALIASES), default=None,
                        help="Exit 1 when a verdict matches: not-ready, insufficient (evidence), or any (either).")


def _set_color(ctx: click.Context, _param: click.Parameter, value: Optional[str]) -> None:
    from .render import terminal

    if value is not None:
        terminal.set_color(value)
    elif ctx.parent is None:
        terminal.set_color("auto")  # the group: every run starts from the default


def color_option() -> Callable[[F], F]:
    """``--color auto|always|never``: colours on a terminal unless ``NO_COLOR`` is set (auto), always, or never.

    Declared on the group and on each command that prints colours, so it goes before or after the command name.
    """
    return click.option("--color", "--colour", type=Choice(COLORS), default=None, expose_value=False,
                        is_eager=True, callback=_set_color, metavar="WHEN",
                        help="Colours: auto (on a terminal, unless NO_COLOR is set), always or never.")


def strict_option() -> Callable[[F], F]:
    """``--strict`` (parameter ``strict``): a packet field that looks like a typo of a known one is an error."""
    return click.option("--strict", is_flag=True, default=False,
                        help="Refuse a packet with a field that looks like a typo of a known one (reveiws: for "
                             "reviews:) instead of warning on stderr and ignoring the field.")


def parse_as_of(value: Optional[str]) -> Optional[datetime.date]:
    """``--as-of``: a day as ``parse_date`` reads it, and one a decision can be made for (the dates a packet
    may carry), as the engine checks it, but naming the option and before any packet is read."""
    from promoready.engine import errors
    from promoready.schemas.packet import outside_decision_dates

    day = parse_date(value, "--as-of")
    refused = outside_decision_dates(day) if day is not None else None
    if refused is not None:
        raise errors.UsageError(refused, code=errors.USAGE_DATE, path="--as-of")
    return day


def parse_date(value: Optional[str], option: str) -> Optional[datetime.date]:
    """A YYYY-MM-DD option value, or a usage error naming the option (and saying why when the day doesn't
    exist, in the words a packet's dates get)."""
    if value is None:
        return None
    from promoready.engine import errors
    from promoready.schemas._types import ISO_DAY, not_a_day

    if ISO_DAY.fullmatch(value) is None:  # Python 3.11+ also reads 20260101 and 2026-W01-1: not every Python
        raise errors.UsageError(f"expected a date as YYYY-MM-DD, got {value!r}", code=errors.USAGE_DATE, path=option)
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise errors.UsageError(f"{value} is not a date: {not_a_day(value)}", code=errors.USAGE_DATE,
                                path=option) from None
    return day


def fail_on_matched(fail_on: Optional[str], verdicts: Iterable[str]) -> bool:
    """Whether any verdict matches ``--fail-on`` (exit status 1); ``not_ready`` is read as ``not-ready``."""
    wanted = _FAIL_ON_VERDICTS[FAIL_ON_ALIASES.get(fail_on, fail_on) if fail_on is not None else None]
    return any(v in wanted for v in verdicts)
