"""``promoready batch``: a whole promotion cycle in, JSONL of decisions out, a summary at the end.

The command streams: packets are read, evaluated (in worker processes) and written one at a time, in
input order, so memory stays flat. With ``--out`` the records go to a temporary file beside FILE that
replaces FILE only at the end (or on SIGINT/SIGTERM, holding the complete records so far): FILE is
always either the previous one or a complete file of whole lines. ``--resume`` copies the decisions
such a file already holds and evaluates the rest; the result is byte-identical to an uninterrupted run.

Only click is imported at module level; the engine, rich and multiprocessing load when the command runs.
"""

from __future__ import annotations

import sys
from typing import Optional

import click

from . import FAIL_ON, fail_on_matched, parse_date

SMALL = 64  # without --workers, fewer packets than this are evaluated in-process (no pool to start)
TOP = 10  # rows of each ranking in the text summary (the JSON summary has them all)


@click.command(context_settings={"max_content_width": 100})
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the JSONL here, atomically (default: stdout).")
@click.option("--resume", is_flag=True,
              help="Keep the decisions FILE already holds (from an interrupted run) and evaluate the rest. A decision "
                   "is kept only for the same packet, ladder and as-of date; anything else is decided again.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: the number of CPUs this process may use, none for a batch "
                   "under 64 packets; 1 evaluates in this process).")
@click.option("--timeout", type=float, default=None, metavar="SECONDS",
              help="Skip a packet whose evaluation takes longer than this, with an engine.timeout error record, "
                   "and replace its worker (default: 300 in worker processes; with --workers 1 a --timeout "
                   "evaluates in one worker process, since only a process can be stopped).")
@click.option("--ladder", "ladder_path", default=None, metavar="PATH",
              help="A ladder folder, its ladder.yaml, or a bundled ladder id (default: each packet's `ladder`, "
                   "else product-management).")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Measure durations to this date (YYYY-MM-DD).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a verdict matches: not-ready, insufficient (evidence), or any of the two.")
@click.option("--summary", "summary_path", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the cycle summary here: .json or .md (default: as text on stderr).")
def batch(inputs: tuple[str, ...], out: Optional[str], resume: bool, workers: Optional[int], timeout: Optional[float],
          ladder_path: Optional[str], as_of: Optional[str], fail_on: Optional[str],
          summary_path: Optional[str]) -> None:
    """Evaluate many packets: files, folders, .jsonl files, or - for JSONL on stdin.

    Writes one JSON record per packet, in input order: the decision, or an error record
    {"error": {...}, "source": "file[:line]", "candidate_id": ...}. A bad packet is reported on
    stderr and as an error record, and the others are still evaluated (exit status 2). Folders are
    read recursively (*.json, *.yaml, *.yml, sorted by name). On Ctrl-C or SIGTERM, FILE keeps
    every complete record so far; run the same command with --resume to finish.

    \b
    Examples:
      promoready batch cycle-2026/ --out decisions.jsonl --summary summary.md
      cat packets.jsonl | promoready batch - --workers 4 > decisions.jsonl
      promoready batch cycle-2026/ --out decisions.jsonl --resume
    """
    import os

    from promoready import _processes
    from promoready.engine import batch as engine  # light: the packet model and the compiler load in workers
    from promoready.engine.errors import PromoreadyError
    from promoready.engine.summary import Summary

    day = parse_date(as_of, "--as-of")
    if timeout is not None and not 0 < timeout <= engine.MAX_TIMEOUT:  # NaN fails this too
        raise PromoreadyError(f"expected a number of seconds above 0 and at most {engine.MAX_TIMEOUT:,.0f}, "
                              f"got {timeout:g}", code="usage.timeout", path="--timeout")
    if resume and out is None:
        raise PromoreadyError("--resume needs --out FILE (the file to resume)", code="usage.resume", path="--resume")
    if summary_path is not None and not summary_path.lower().endswith((".json", ".md")):
        raise PromoreadyError(f"the summary file must end in .json or .md, got {summary_path!r}",
                              code="usage.summary", path="--summary")
    if summary_path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(summary_path))):
        raise PromoreadyError("its folder does not exist", code="usage.summary", file=summary_path, path="--summary")

    # Without --workers (or --timeout), a small batch (fewer than SMALL packets) is evaluated in this process.
    inline_below = 0 if workers is not None or timeout is not None else SMALL
    workers = workers or _processes.usable_cpus()
    if workers > 1 or timeout is not None:  # likely a pool: its fork server starts meanwhile
        _processes.start_early()
    exclude = [p for p in (out, summary_path) if p]

    sink = _AtomicFile(out) if out is not None else _Stdout()
    signals = _Signals()
    signals.install()
    summary = Summary()
    written = 0
    keeper = results = progress = None
    try:
        try:
            signals.armed = True  # nothing is written while armed: a signal stops the batch right there
            keeper = engine.Keeper(out) if resume else None
            config = engine.Config(ladder=ladder_path, as_of=day, keep=keeper.keys if keeper else frozenset(),
                                   crash_on=os.environ.get(engine.CRASH_ENV) or None,
                                   hang_on=os.environ.get(engine.HANG_ENV) or None)
            progress = _Progress(engine.count_items(inputs, exclude)) if sys.stderr.isatty() else None
            stdin = _stdin() if "-" in inputs else None
            results = engine.run(engine.iter_items(inputs, stdin=stdin, exclude=exclude), workers=workers,
                                 factory=engine.evaluation_factory, config=config, keeper=keeper, inline_below=inline_below,
                                 timeout=timeout, stream=stdin is not None)
            while signals.signum is None:
                signals.armed = True  # only while waiting for the next result, never while writing
                result = next(results, None)
                signals.armed = False
                if result is None:
                    break
                sink.write(result.record)
                if not results.ready():  # the batch is about to wait: let the records so far out now
                    sink.flush()
                written += 1
                if result.error is not None:
                    summary.add_error(result.error["code"])
                    _diagnostic(progress, _error_line(result.error))
                else:
                    summary.add(result.outcome, result.source)
                if progress is not None:
                    progress.advance()
        except _Interrupted:
            pass
        finally:
            signals.armed = False
            if results is not None:
                results.close()  # stops the workers
            if progress is not None:
                progress.stop()
        if signals.signum is not None:
            if resume and keeper is None:  # stopped before the earlier output was even read: it stands
                sink.discard()
                click.echo(f"promoready: interrupted; {out} is unchanged", err=True)
                sys.exit(128 + signals.signum)
            carried = 0
            if keeper is not None:  # decisions of the earlier run not reached yet: keep them, at the end
                for record in keeper.unused():
                    sink.write(record)
                    carried += 1
            sink.commit()
            if out is None:
                hint = "use --out FILE to be able to resume"
            else:
                hint = "run the same command with --resume to finish"
                if carried:
                    hint += f" ({carried:,} decisions of the earlier run are kept at the end of {out})"
            click.echo(f"promoready: interrupted after {written:,} packets; {hint}", err=True)
            sys.exit(128 + signals.signum)
        sink.commit()
    except BrokenPipeError:  # stdout closed early (| head): stop quietly
        sink.discard()
        sys.exit(141)
    except BaseException:
        sink.discard()  # after a commit this does nothing: FILE is complete, or the previous one stands
        raise
    finally:
        if keeper is not None:
            keeper.close()
        signals.restore()

    if written == 0:
        click.echo("promoready: no packets found in " + ", ".join(inputs), err=True)
    if summary_path is None:
        click.echo(render_text(summary.to_dict()), err=True, nl=False)
    else:
        text = render_markdown(summary.to_dict()) if summary_path.lower().endswith(".md") else \
            _json(summary.to_dict())
        _write_atomically(summary_path, text)
    if summary.errors:
        sys.exit(2)
    if fail_on_matched(fail_on, summary.seen_verdicts()):
        sys.exit(1)


def _stdin():
    """Standard input as bytes, through a buffer of our own when there is a real file descriptor.

    A pool reads stdin in a thread (see ``engine.batch.feed.Feed``) that may still be waiting for a line
    when the command exits (stdout closed, Ctrl-C): the interpreter would then find ``sys.stdin``'s
    own buffer locked by that thread and abort at shutdown. It never touches this one.
    """
    try:
        return open(sys.stdin.fileno(), "rb", closefd=False)
    except (AttributeError, OSError, ValueError):  # no real stdin (an embedding, a test runner)
        return getattr(sys.stdin, "buffer", sys.stdin)


# -- output -----------------------------------------------------------------------------------------


class _AtomicFile:
    """Whole lines into a temporary file beside ``path``; ``commit`` moves it over ``path``."""

    def __init__(self, path: str) -> None:
        import os
        import tempfile

        from promoready.engine.errors import PromoreadyError

        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise PromoreadyError(f"cannot write beside it: {exc.strerror}", code="usage.out", file=path,
                                  path="--out") from None
        self.fh = os.fdopen(fd, "wb", buffering=self.BUFFER)
        self.done = False

    #: Bytes of records gathered before they are written to the temporary file.
    BUFFER = 1 << 20

    def write(self, record: bytes) -> None:
        """One record: a whole JSONL line, with its newline."""
        self.fh.write(record)

    def flush(self) -> None:
        """Nothing to do: nobody reads the temporary file before ``commit``."""

    def commit(self) -> None:
        import os

        if self.done:
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.chmod(self.tmp, _mode_for(self.path))
        os.replace(self.tmp, self.path)
        self.done = True
        _fsync_dir(self.path)

    def discard(self) -> None:
        import os

        if self.done:
            return
        self.done = True
        try:
            self.fh.close()
        finally:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


class _Stdout:
    """Lines to stdout, flushed whenever the batch would wait for the next one."""

    def __init__(self) -> None:
        self.stream = getattr(sys.stdout, "buffer", sys.stdout)
        self.parts: list[bytes] = []  # records not yet written

    def write(self, record: bytes) -> None:
        self.parts.append(record)

    def flush(self) -> None:
        """Write the records gathered so far, in one call, and push them out."""
        if self.parts:
            data = b"".join(self.parts)
            self.parts = []
            self.stream.write(data)
        self.stream.flush()

    def commit(self) -> None:
        self.flush()

    def discard(self) -> None:
        import os

        try:  # stdout is gone: keep the interpreter's final flush from complaining about it
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, or what a new file would get under the umask."""
    import os

    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(path: str) -> None:
    import os

    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomically(path: str, text: str) -> None:
    sink = _AtomicFile(path)
    try:
        sink.fh.write(text.encode("utf-8"))
        sink.commit()
    finally:
        sink.discard()


def _count(n: int, noun: str) -> str:
    """``1 packet``, ``2,000 packets``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _json(data: dict) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _error_line(error: dict) -> str:
    """``file[:line]: path: message [code]``, as for every promoready error."""
    from promoready.engine.errors import PromoreadyError

    return str(PromoreadyError(error["message"], code=error["code"], file=error["file"], line=error["line"],
                               path=error["path"], suggestion=error["suggestion"]))


def _diagnostic(progress, text: str) -> None:
    if progress is not None:
        progress.print(text)
    else:
        click.echo(text, err=True)


# -- signals and progress ---------------------------------------------------------------------------


class _Interrupted(BaseException):
    """Raised by the signal handler, only while the command waits for the next result."""


class _Signals:
    """SIGINT and SIGTERM stop the batch cleanly: remembered always, raised only when ``armed``."""

    def __init__(self) -> None:
        self.signum: Optional[int] = None
        self.armed = False
        self.previous: dict = {}

    def install(self) -> None:
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no clean stop, the default behaviour stays
                pass

    def restore(self) -> None:
        import signal

        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def _handle(self, signum, _frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self.armed:
            self.armed = False
            raise _Interrupted()


class _Progress:
    """A rich progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self, total: Optional[int]) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} packets/s" if speed else "– packets/s", style="progress.data.speed")

        self.bar = Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), Rate(), TimeElapsedColumn(), TextColumn("ETA"),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("evaluating", total=total)
        self.bar.start()

    def advance(self) -> None:
        self.bar.advance(self.task)

    def print(self, text: str) -> None:
        self.bar.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        self.bar.stop()


# -- the summary, in words --------------------------------------------------------------------------


_WORDS = {"ready": "ready", "not_ready": "not ready", "insufficient_evidence": "insufficient evidence"}


def _verdicts(counts: dict) -> str:
    return ", ".join(f"{_WORDS.get(v, v)} {n:,}" for v, n in counts.items())


def render_text(s: dict) -> str:
    """The summary for a person reading stderr."""
    lines = [f"Summary: {_count(s['packets'], 'packet')}: {_count(s['decisions'], 'decision')}, "
             f"{_count(s['errors'], 'error')}",
             f"  verdicts: {_verdicts(s['verdicts'])}"]
    if s["transitions"]:
        lines.append("  transitions:")
        lines += [f"    {t['from']} → {t['to']}: {t['count']:,} ({_verdicts(t['verdicts'])})" for t in s["transitions"]]
    if s["top_blockers"]:
        lines.append("  criteria blocking the most candidates:")
        lines += [f"    {b['candidates']:>6,}  {b['criterion']} ({b['title']})" for b in s["top_blockers"][:TOP]]
    if s["most_missing"]:
        lines.append("  evidence most often missing:")
        lines += [f"    {m['candidates']:>6,}  {m['path']}" for m in s["most_missing"][:TOP]]
    if s["errors_by_code"]:
        lines.append("  errors: " + ", ".join(f"{code} {n:,}" for code, n in s["errors_by_code"].items()))
    cal = s["calibration"]
    if cal["with_committee_outcome"]:
        lines.append(f"  calibration: {cal['with_committee_outcome']:,} packets with a committee outcome, "
                     f"{cal['agree']:,} agree, {cal['disagree']:,} disagree")
        for d in cal["disagreements"][:TOP]:
            lines.append(f"    {d['candidate_id']} ({d['source']}): committee {d['committee_outcome']}, "
                         f"verdict {d['verdict']}; failed: {', '.join(d['failed']) or '-'}; "
                         f"unknown: {', '.join(d['unknown']) or '-'}")
        if cal["disagree"] > TOP:
            lines.append(f"    … and {cal['disagree'] - TOP:,} more (see --summary FILE.json)")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(s: dict) -> str:
    """The summary as a markdown report for the committee."""
    out = ["# Promotion cycle summary", "",
           f"{_count(s['packets'], 'packet')}: {_count(s['decisions'], 'decision')}, {_count(s['errors'], 'error')}.", "",
           "## Verdicts", "", "| verdict | packets |", "|---|---:|"]
    out += [f"| {_WORDS.get(v, v)} | {n:,} |" for v, n in s["verdicts"].items()]
    if s["transitions"]:
        out += ["", "## Transitions", "", "| from | to | packets | ready | not ready | insufficient evidence |",
                "|---|---|---:|---:|---:|---:|"]
        out += [f"| {_cell(t['from'])} | {_cell(t['to'])} | {t['count']:,} | {t['verdicts'].get('ready', 0):,} | "
                f"{t['verdicts'].get('not_ready', 0):,} | {t['verdicts'].get('insufficient_evidence', 0):,} |"
                for t in s["transitions"]]
    if s["top_blockers"]:
        out += ["", "## Criteria blocking the most candidates", "", "| criterion | title | candidates |",
                "|---|---|---:|"]
        out += [f"| {_cell(b['criterion'])} | {_cell(b['title'])} | {b['candidates']:,} |"
                for b in s["top_blockers"][:2 * TOP]]
    if s["most_missing"]:
        out += ["", "## Evidence most often missing", "", "| packet field | candidates |", "|---|---:|"]
        out += [f"| `{_cell(m['path'])}` | {m['candidates']:,} |" for m in s["most_missing"][:2 * TOP]]
    if s["errors_by_code"]:
        out += ["", "## Errors", "", "| code | packets |", "|---|---:|"]
        out += [f"| {_cell(code)} | {n:,} |" for code, n in s["errors_by_code"].items()]
    cal = s["calibration"]
    if cal["with_committee_outcome"]:
        out += ["", "## Calibration", "",
                f"{cal['with_committee_outcome']:,} packets carry a committee outcome: {cal['agree']:,} agree with "
                f"the evaluator, {cal['disagree']:,} disagree."]
        if cal["disagreements"]:
            out += ["", "| candidate | source | committee | verdict | failed | unknown |", "|---|---|---|---|---|---|"]
            out += [f"| {_cell(d['candidate_id'])} | {_cell(d['source'])} | {d['committee_outcome']} | {d['verdict']} | "
                    f"{_cell(', '.join(d['failed']))} | {_cell(', '.join(d['unknown']))} |" for d in cal["disagreements"]]
    return "\n".join(out) + "\n"
