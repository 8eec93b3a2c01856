"""``promoready ladder list|show|validate|test``: ladders as a committee and an author see them."""

from __future__ import annotations

from typing import Any, Optional

import click

from ._options import color_option, format_option, ladder_option


@click.group()
def ladder() -> None:
    """Inspect ladders: list, show, validate, test their examples.

    \b
    Examples:
      promoready ladder list
      promoready ladder show senior-pm-to-director --format markdown
      promoready ladder validate my-ladder/
      promoready ladder test my-ladder/
    """


@ladder.command("list")
@format_option(("table", "json"), default="table")
def list_(fmt: str) -> None:
    """List the bundled ladders and their transitions, lowest rank first.

    \b
    Example:
      promoready ladder list --format json
    """
    from promoready.engine import bundled_ladders, load_ladder

    from .render import render_ladder_list

    rows = []
    for folder in bundled_ladders().values():
        lad = load_ladder(folder)
        rows.append({"id": lad.id, "version": lad.version, "title": lad.title, "folder": folder,
                     "transitions": [t.key for t in by_rank(lad)]})
    click.echo(render_ladder_list(rows, fmt))


@ladder.command()
@click.argument("transition", required=False)
@ladder_option("product-management")
@format_option(("markdown", "table", "json"),
               help="markdown (the default: laid out on a terminal, as markdown text otherwise or when asked "
                    "for), table, or json.")
@color_option()
def show(transition: Optional[str], ladder_path: Optional[str], fmt: Optional[str]) -> None:
    """Show a ladder's criteria, thresholds and sources in plain language.

    TRANSITION is `from-to-to` (e.g. senior-pm-to-director); without it, every transition.

    \b
    Example:
      promoready ladder show senior-pm-to-director --format markdown
    """
    from promoready.engine import describe_ladder, load_ladder
    from promoready.engine import errors

    from .render import render_ladder, terminal

    lad = load_ladder(ladder_path)
    keys = [t.key for t in lad.transitions]
    if transition is not None and transition not in keys:
        message = f"no transition '{transition}' in ladder '{lad.id}'" + _ladder_hint(transition, lad.id, ladder_path)
        raise errors.UsageError(message, code=errors.USAGE_TRANSITION,
                                path="TRANSITION", suggestion=errors.closest(transition, keys))
    fmt = fmt or ("terminal" if terminal.is_terminal() else "markdown")
    view = describe_ladder(lad, transition)
    order = {t.key: i for i, t in enumerate(by_rank(lad))}
    view["transitions"].sort(key=lambda t: order[t["key"]])
    terminal.echo(render_ladder(view, fmt))


def _ladder_hint(transition: str, shown_id: str, ladder_path: Optional[str]) -> str:
    """For a TRANSITION that is (or is close to) a ladder's id: how to show that ladder instead, as
    ``--ladder`` finds it. A bundled ladder by its id; the ladder shown by what selected it (the path
    it was loaded from: its id names no ladder ``--ladder`` can find, unless it is a bundled one's)."""
    from promoready.engine import bundled_ladders
    from promoready.engine.errors import nearest

    selectors = {name: name for name in bundled_ladders()}
    selectors[shown_id] = ladder_path or shown_id  # None: the default ladder, a bundled one
    if transition in selectors:
        said = f"'{transition}' is a ladder"
        name = transition
    else:
        found = nearest(transition, selectors, 1)
        if not found:
            return ""
        name = found[0]
        said = f"'{transition}' is close to the ladder '{name}'"
    return f"; {said}: give it as --ladder {selectors[name]} and leave TRANSITION out"


def _one_ladder(path: Optional[str], ladder_path: Optional[str]) -> Optional[str]:
    """The ladder given as the PATH argument or as ``--ladder`` (the option every command shares); both
    naming different ladders is a usage error, never a silent choice of one."""
    if path is None or ladder_path is None:
        return path if path is not None else ladder_path
    import os

    if path != ladder_path and os.path.realpath(path) != os.path.realpath(ladder_path):
        from promoready.engine.errors import USAGE_INVALID, UsageError

        raise UsageError(f"two ladders given: {path!r} as PATH and {ladder_path!r}; give one of them",
                         code=USAGE_INVALID, path="--ladder")
    return path


@ladder.command()
@click.argument("path", required=False)
@ladder_option("product-management")
def validate(path: Optional[str], ladder_path: Optional[str]) -> None:
    """Check a ladder (shape, names, field paths, ranks, reachability); every problem with file:line.

    PATH and --ladder are two ways to name the ladder.

    \b
    Example:
      promoready ladder validate rules/startup
    """
    from promoready.engine import load_ladder

    from .render import render_validated

    click.echo(render_validated(load_ladder(_one_ladder(path, ladder_path))))


@ladder.command()
@click.argument("path", required=False)
@ladder_option("product-management")
@click.option("--transition", default=None, metavar="FROM-to-TO", help="Run only this transition's examples.")
def test(path: Optional[str], ladder_path: Optional[str], transition: Optional[str]) -> None:
    """Run a ladder's example cases (its examples/ folder); exit 1 if any case fails.

    PATH and --ladder are two ways to name the ladder.

    \b
    Example:
      promoready ladder test rules/startup
    """
    from promoready.engine.examples import run_examples

    from ._status import BAD_INPUT, MATCHED, Finished
    from .render import render_example_results

    results = run_examples(_one_ladder(path, ladder_path), only=transition)
    if not results:
        where = f"for transition {transition} " if transition else ""
        click.echo(f"promoready: no example cases found {where}(a ladder's examples/*.yaml files)", err=True)
        raise Finished(BAD_INPUT)
    click.echo(render_example_results(results, _case_lines(results)))
    if not all(r.ok for r in results):
        raise Finished(MATCHED)



def by_rank(lad: Any) -> list:
    """A ladder's transitions by the ranks they climb (from, then to), as a career reads, not by name."""
    rank = {level.id: level.rank for level in lad.levels}
    return sorted(lad.transitions, key=lambda t: (rank.get(t.from_, 0), rank.get(t.to, 0), t.key))


def _case_lines(results: list) -> list[Optional[int]]:
    """Each case's line in its example file. ``run_examples`` gives a file's cases in file order (a
    file is run whole or skipped), so a case's position among its file's results is its index there."""
    from promoready.engine import line_of, read_text
    from promoready.engine.errors import PromoreadyError

    texts: dict[str, Optional[str]] = {}
    seen: dict[str, int] = {}
    lines: list[Optional[int]] = []
    for r in results:
        if r.file not in texts:
            try:
                texts[r.file] = read_text(r.file)
            except PromoreadyError:  # the line is a help, never a reason to fail
                texts[r.file] = None
        index = seen.get(r.file, 0)
        seen[r.file] = index + 1
        text = texts[r.file]
        lines.append(line_of(text, ("cases", index)) if text is not None else None)
    return lines
