"""The ``promoready`` command line: each command parses, calls one library function, renders.

Only this layer turns exceptions into exit codes (``PromoreadyError.exit_code``, ``_status.Finished``):
0 done, 1 done and ``--fail-on`` matched, 2 bad input or usage. Results go to stdout, diagnostics to
stderr. Heavy modules (the engine, rich) are imported inside the commands that need them, so
``--help`` is fast. Options shared by several commands are declared in ``_options``; every rendering
is in ``render``.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from promoready import __version__

from ._options import (FAIL_ON, as_of_option, color_option, fail_on_matched, fail_on_option, format_option,
                       ladder_option, parse_as_of, parse_date, strict_option)

__all__ = ["main", "FORMATS", "FAIL_ON", "parse_date", "fail_on_matched"]

#: ``evaluate --format`` values (``text`` is accepted for ``table``).
FORMATS = ("table", "json", "jsonl", "markdown")


def error_line(exc: Exception) -> None:
    """The one way the command line reports a ``PromoreadyError``: ``promoready: <message>`` on stderr,
    its control and bidirectional-control characters escaped (a message may quote packet text)."""
    from promoready.engine.words import printable

    click.echo(printable(f"promoready: {exc}"), err=True)


def warning_line(message: str) -> None:
    """The one way the command line warns: ``promoready: warning: <message>`` on stderr, escaped as
    ``error_line`` is (a warning may quote a file name, a cycle name or a groups file's id)."""
    from promoready.engine.words import printable

    click.echo(printable(f"promoready: warning: {message}"), err=True)


class _Group(click.Group):
    """A group whose commands report ``PromoreadyError`` as one line on stderr and its exit code.

    Commands listed in ``lazy`` live in their own modules and are imported only when run, so that
    ``promoready --help`` does not pay for the engine, rich or multiprocessing.
    """

    #: name → ("module:attribute", one-line help shown in the command list)
    lazy: dict[str, tuple[str, str]] = {
        "batch": ("promoready.cli._batch:batch", "Evaluate a whole promotion cycle: JSONL out, a summary at the end."),
        "cycles": ("promoready.cli._cycles:cycles", "Promotion cycles in the store: list, show, diff two, prune."),
        "db": ("promoready.cli._db:db", "The store's schema version, and migrating it (upgrade, downgrade)."),
        "decisions": ("promoready.cli._history:decisions", "Show a stored decision, by id or by candidate and cycle."),
        "explain": ("promoready.cli._explain:explain", "Explain every criterion of one packet: what is missing, and how much."),
        "history": ("promoready.cli._history:history", "A candidate's decisions across cycles, and what changed."),
        "ladder": ("promoready.cli._ladder:ladder", "Inspect ladders: list, show, validate, test their examples."),
        "report": ("promoready.cli._report:report", "Draw a cycle report: one offline HTML page, with an adverse-impact check."),
        "schema": ("promoready.cli._schema:schema", "Print the JSON Schema of the packet, the decision or the ladder."),
        "serve": ("promoready.cli._serve:serve", "Serve the HTTP API: evaluate, what-if, batch, ladders, metrics."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name][0].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[Optional[str], Optional[click.Command], list[str]]:
        # click suggests only among the commands loaded so far (here only evaluate): an unknown name is
        # compared with every command's name instead, and no command module is imported for it.
        no_such: Any = getattr(click.exceptions, "NoSuchCommand", None)  # click 8.4 and later
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            name = click.utils.make_str(args[0]) if args else ""
            known = self.list_commands(ctx)
            if (no_such is not None and not isinstance(exc, no_such)) or not name or name.startswith("-") \
                    or name in known:  # not an unknown command's name
                raise
            from promoready.engine.errors import closest

            hint = closest(name, known)
            message = f"No such command {name!r}." + (f" Did you mean {hint}?" if hint else "")
            if no_such is not None:
                raise no_such(name, message, ctx=ctx) from None
            raise click.UsageError(message, ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
            else:
                rows.append((name, self.commands[name].get_short_help_str(limit=80)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Results go to stdout: a write that fails there (a full disk, a reader gone, no stdout at all) is
        # one line and a status, wherever it fails (--help and --version print before any command runs;
        # what is still buffered is written here, not by Python at exit).
        from . import _stdout

        _stdout.guard()
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                sys.stdout.flush()
        except OSError as exc:
            if not _stdout.is_output(exc):
                raise
            sys.exit(_stdout.failed(exc))

    def invoke(self, ctx: click.Context) -> Any:
        from promoready.engine.errors import PromoreadyError

        from . import _stdout
        from ._status import INTERRUPTED, Finished

        try:
            return super().invoke(ctx)
        except Finished as done:
            ctx.exit(done.status)
        except PromoreadyError as exc:
            error_line(exc)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # a file a command reads is its own error (input.unreadable): this may be its output
            if not _stdout.is_output(exc):
                raise  # not stdout: a fault, reported as one
            ctx.exit(_stdout.failed(exc))
        except KeyboardInterrupt:
            # Exit 1 means "--fail-on matched": an interrupt before a command takes over its own
            # signals (batch does) exits like any interrupted program.
            click.echo("promoready: interrupted", err=True)
            ctx.exit(INTERRUPTED)


def _version_text() -> str:
    from promoready.engine import DEFAULT_LADDER, load_ladder

    try:
        version = load_ladder().version
    except Exception:  # --version must never fail
        version = "?"
    return f"promoready {__version__}, default ladder {DEFAULT_LADDER} {version}"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the package and default ladder versions.")
@color_option()
def main() -> None:
    """Explainable promotion readiness for product-management career ladders.

    \b
    Example:
      promoready evaluate packet.yaml --format table
    """


# Over 60 lines only by its docstring, which is the command's --help text.
@main.command()
@click.argument("packets", nargs=-1, required=True, metavar="PACKET...")
@format_option(FORMATS, help="table (the default on a terminal), json (the default otherwise: one object, or an "
                             "array for several packets), jsonl (one decision a line) or markdown.")
@ladder_option("the packet's `ladder`, else product-management")
@as_of_option()
@fail_on_option()
@click.option("--explain", "explain", type=click.Choice(["fails", "full"]), default=None,
              help="fails: show only criteria that fail or lack evidence; full: add evidence and sources.")
@click.option("--set", "changes", multiple=True, metavar="PATH=VALUE",
              help="What-if: change the packet before evaluating (PATH=VALUE, or PATH+=VALUE to append to a list; "
                   "VALUE is JSON or text). Shows which criteria changed.")
@strict_option()
@color_option()
def evaluate(packets: tuple[str, ...], fmt: Optional[str], ladder_path: Optional[str], as_of: Optional[str],
             fail_on: Optional[str], explain: Optional[str], changes: tuple[str, ...], strict: bool) -> None:
    """Evaluate promotion packets (JSON or YAML) and print a decision for each.

    A PACKET is a file, a folder (its *.json, *.yaml and *.yml files, as batch reads them) or - for
    one packet on stdin.

    \b
    Examples:
      promoready evaluate packet.yaml
      promoready evaluate packet.yaml --format json --fail-on not-ready
      promoready evaluate packets/ --format jsonl
      cat packet.yaml | promoready evaluate -
      promoready evaluate packet.yaml --set experience.product_years=10 \\
          --set 'advocates+={"level": "vp", "committed": true}'
    """
    from promoready.engine.errors import PromoreadyError, UsageError

    from ._common import Ladders
    from ._inputs import load, typos
    from ._status import BAD_INPUT, MATCHED, Finished
    from .render import render_decisions, render_what_if, terminal

    fmt = fmt or ("table" if terminal.is_terminal() else "json")
    day = parse_as_of(as_of)
    ladders = Ladders(ladder_path)
    if changes:
        from promoready.engine.whatif import parse_change

        for change in changes:
            parse_change(change)  # a usage error before any evaluation
    outputs: list[Any] = []  # decisions, or what-if results with --set
    verdicts: list[str] = []
    failed = False

    def _packet_files(name: str) -> list[str]:
        nonlocal failed
        from ._inputs import files

        try:
            return files(name)
        except PromoreadyError as exc:  # an empty or unreadable folder: the other inputs still count
            error_line(exc)
            failed = True
            return []

    for path in (path for name in packets for path in _packet_files(name)):
        try:
            source = load(path, ladders=ladders)
            if changes:
                compared = ladders.what_if(source, list(changes), as_of=day)
                if typos(compared.after.warnings, source, strict):
                    failed = True
                    continue
                verdicts.append(compared.after.verdict)
                outputs.append(compared)
            else:
                decision = ladders.evaluate(source, as_of=day)
                if typos(decision.warnings, source, strict):
                    failed = True
                    continue
                verdicts.append(decision.verdict)
                outputs.append(decision)
        except PromoreadyError as exc:
            if exc.exit_code != BAD_INPUT or isinstance(exc, UsageError):
                raise
            error_line(exc)
            failed = True
    if outputs:
        terminal.echo(render_what_if(outputs, fmt, explain=explain) if changes
                      else render_decisions(outputs, fmt, explain=explain))
    if failed:
        raise Finished(BAD_INPUT)
    if fail_on_matched(fail_on, verdicts):
        raise Finished(MATCHED)
