"""``promoready ladder list|show|validate|test``: ladders as a committee and an author see them."""

from __future__ import annotations

import json
import sys
from typing import Optional

import click

LADDER_HELP = "A ladder folder, its ladder.yaml, or a bundled ladder id (default: product-management)."


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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def list_(fmt: str) -> None:
    """List the bundled ladders and their transitions.

    \b
    Example:
      promoready ladder list --format json
    """
    from promoready.engine import bundled_ladders, load_ladder

    rows = []
    for ladder_id, folder in bundled_ladders().items():
        lad = load_ladder(folder)
        rows.append({"id": lad.id, "version": lad.version, "title": lad.title, "folder": folder,
                     "transitions": [t.key for t in lad.transitions]})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['id']} {row['version']}: {row['title']} ({len(row['transitions'])} transitions)")
        for key in row["transitions"]:
            click.echo(f"  {key}")


@ladder.command()
@click.argument("transition", required=False)
@click.option("--ladder", "ladder_path", default=None, metavar="PATH", help=LADDER_HELP)
@click.option("--format", "fmt", type=click.Choice(["markdown", "table", "json"]), default="markdown")
def show(transition: Optional[str], ladder_path: Optional[str], fmt: str) -> None:
    """Show a ladder's criteria, thresholds and sources in plain language.

    TRANSITION is `from-to-to` (e.g. senior-pm-to-director); without it, every transition.

    \b
    Example:
      promoready ladder show senior-pm-to-director --format markdown
    """
    from promoready.engine import describe_ladder, load_ladder
    from promoready.engine import errors

    lad = load_ladder(ladder_path)
    keys = [t.key for t in lad.transitions]
    if transition is not None and transition not in keys:
        raise errors.UsageError(f"no transition '{transition}' in ladder '{lad.id}'", code=errors.USAGE_TRANSITION,
                                path="TRANSITION", suggestion=errors.closest(transition, keys))
    click.echo(render_ladder(describe_ladder(lad, transition), fmt))


@ladder.command()
@click.argument("path", required=False)
def validate(path: Optional[str]) -> None:
    """Check a ladder (shape, names, field paths, ranks, reachability); every problem with file:line.

    \b
    Example:
      promoready ladder validate rules/startup
    """
    from promoready.engine import load_ladder

    lad = load_ladder(path)
    criteria = sum(len(t.criteria) for t in lad.transitions)
    click.echo(f"ok: ladder {lad.id} {lad.version}: {len(lad.levels)} levels, {len(lad.transitions)} transitions, "
               f"{criteria} criteria, {len(lad.measures)} measures")


@ladder.command()
@click.argument("path", required=False)
@click.option("--transition", default=None, metavar="FROM-to-TO", help="Run only this transition's examples.")
def test(path: Optional[str], transition: Optional[str]) -> None:
    """Run a ladder's example cases (its examples/ folder); exit 1 if any case fails.

    \b
    Example:
      promoready ladder test rules/startup
    """
    from promoready.engine.examples import run_examples

    results = run_examples(path, only=transition)
    failed = [r for r in results if not r.ok]
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        click.echo(f"{mark} {r.transition} / {r.name} ({r.candidate_id})")
        if r.error:
            click.echo(f"     error: {r.error}")
        for m in r.mismatches:
            click.echo(f"     {r.file}: {m.what}: expected {m.expected}, got {m.actual}")
    if not results:
        click.echo("no example cases found", err=True)
        sys.exit(2)
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


def render_ladder(view: dict, fmt: str) -> str:
    """A described ladder as markdown (for a committee), a table (terminal) or JSON."""
    if fmt == "json":
        return json.dumps(view, indent=2, ensure_ascii=False)
    if fmt == "table":
        from rich.table import Table

        from ._render import console as make_console

        console, buffer = make_console()
        for t in view["transitions"]:
            console.print(f"{t['title']} ({t['key']}, {t['track']} track, {t['phase']}); "
                          f"supporting criteria needed: {t['supporting_needed']}")
            table = Table()
            for column in ("criterion", "req", "expected", "source"):
                table.add_column(column)
            for c in t["criteria"]:
                table.add_row(c["title"], "yes" if c["required"] else "", c["expected"], c["source"])
            console.print(table)
        return buffer.getvalue().rstrip("\n")
    lines = [f"# {view['title']} ({view['id']} {view['version']})"]
    for t in view["transitions"]:
        lines += ["", f"## {t['title']}", "",
                  f"`{t['key']}` · {t['track']} track · phase: {t['phase']} · "
                  f"supporting criteria needed: {t['supporting_needed']}", ""]
        if t["rationale"]:
            lines += [t["rationale"], ""]
        for c in t["criteria"]:
            kind = "required" if c["required"] else "supporting"
            lines += [f"### {c['title']} ({kind})", "", f"- **Expected:** {c['expected']}",
                      f"- **Why:** {c['rationale']}", f"- **Source:** {c['source']}", ""]
    return "\n".join(lines).rstrip("\n")
