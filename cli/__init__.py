"""The ``promoready`` command line: each command parses, calls one library function, renders.

Only this layer turns exceptions into exit codes (``PromoreadyError.exit_code``): 0 done, 1 done and
``--fail-on`` matched, 2 bad input or usage. Results go to stdout, diagnostics to stderr. Heavy
modules (the engine, rich) are imported inside the commands that need them, so ``--help`` is fast.
"""

from __future__ import annotations

import sys
from typing import Optional

import click

from promoready import __version__

FORMATS = ("table", "json", "markdown")
FAIL_ON = ("not-ready", "insufficient", "any")


class _Group(click.Group):
    """A group whose commands report ``PromoreadyError`` as one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context):
        from promoready.engine.errors import PromoreadyError

        try:
            return super().invoke(ctx)
        except PromoreadyError as exc:
            click.echo(f"promoready: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _version_text() -> str:
    from promoready.engine._ladder import DEFAULT_LADDER, bundled_ladders
    from promoready.engine._documents import load

    try:
        version = load(f"{bundled_ladders()[DEFAULT_LADDER]}/ladder.yaml").get("version", "?")
    except Exception:  # --version must never fail
        version = "?"
    return f"promoready {__version__}, default ladder {DEFAULT_LADDER} {version}"


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the package and default ladder versions.")
def main() -> None:
    """Explainable promotion readiness for product-management career ladders.

    \b
    Example:
      promoready evaluate packet.yaml --format table
    """


def fail_on_matched(fail_on: Optional[str], verdicts: list[str]) -> bool:
    """Whether any verdict matches ``--fail-on`` (exit status 1)."""
    wanted = {
        None: set(),
        "not-ready": {"not_ready"},
        "insufficient": {"insufficient_evidence"},
        "any": {"not_ready", "insufficient_evidence"},
    }[fail_on]
    return any(v in wanted for v in verdicts)


@main.command()
@click.argument("packets", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
@click.option("--ladder", "ladder_path", default=None, metavar="PATH",
              help="A ladder folder, its ladder.yaml, or a bundled ladder id (default: the packet's `ladder`, else product-management).")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Measure durations to this date (YYYY-MM-DD).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a verdict matches: not-ready, insufficient (evidence), or any of the two.")
def evaluate(packets: tuple[str, ...], fmt: Optional[str], ladder_path: Optional[str], as_of: Optional[str],
             fail_on: Optional[str]) -> None:
    """Evaluate promotion packets (JSON or YAML) and print a decision for each.

    \b
    Examples:
      promoready evaluate packet.yaml
      promoready evaluate packet.yaml --format json --fail-on not-ready
    """
    from promoready.engine.errors import PromoreadyError

    from ._common import Ladders, parse_date
    from . import _render

    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    day = parse_date(as_of, "--as-of")
    ladders = Ladders(ladder_path)
    decisions = []
    failed = False
    for path in packets:
        try:
            decisions.append(ladders.evaluate(path, as_of=day))
        except PromoreadyError as exc:
            if exc.exit_code != 2:
                raise
            click.echo(f"promoready: {exc}", err=True)
            failed = True
    if decisions:
        click.echo(_render.render(decisions, fmt))
    if failed:
        sys.exit(2)
    if fail_on_matched(fail_on, [d.verdict for d in decisions]):
        sys.exit(1)
