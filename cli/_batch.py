"""``promoready batch``: a whole promotion cycle in, JSONL of decisions out, a summary at the end.

The command streams: packets are read, evaluated (in worker processes) and written one at a time, in
input order, so memory stays flat. With ``--out`` the records go to a temporary file beside FILE that
replaces FILE only at the end (or on SIGINT/SIGTERM/SIGHUP, or a fault that ends the run, holding the
complete records so far): FILE is always either the previous one or a complete file of whole lines.
``--resume`` copies the decisions such a file already holds and evaluates the rest; the result is
byte-identical to an uninterrupted run. The outputs are checked (never an input, never each other)
and locked against a second run before anything starts (``_sinks.Outputs``).

The evaluating is ``promoready.engine.batch``'s; here are the options, the output (``_sinks``), the
signals (``_signals``), the progress bar (``_progress``) and the summary (``render.summary``). Only
click is imported at module level; the engine, rich and multiprocessing load when the command runs.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING, Any, BinaryIO, Optional, cast

import click

from ._batch_store import CycleRecording, check_store_options, store_options
from ._options import (as_of_option, color_option, fail_on_matched, fail_on_option, ladder_option, parse_as_of,
                       strict_option)
from ._status import BAD_INPUT, BROKEN_PIPE, MATCHED, Finished, signalled

if TYPE_CHECKING:
    from promoready.engine.batch import Chunk, Config, Keeper, Result, Results

    from ._progress import Progress
    from ._sinks import Outputs

SMALL = 64  # without --workers, fewer packets than this are evaluated in-process (no pool to start)


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
@ladder_option("each packet's `ladder`, else product-management")
@as_of_option()
@fail_on_option()
@strict_option()
@color_option()
@click.option("--summary", "summary_path", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the cycle summary here: .json or .md (default: as text on stderr).")
@store_options
def batch(inputs: tuple[str, ...], out: Optional[str], resume: bool, workers: Optional[int], timeout: Optional[float],
          ladder_path: Optional[str], as_of: Optional[str], fail_on: Optional[str], strict: bool,
          summary_path: Optional[str], cycle: Optional[str], db: Optional[str], store_packets: bool,
          masks: tuple[str, ...]) -> None:
    """Evaluate many packets: files, folders, .jsonl files, or - for JSONL on stdin.

    Writes one JSON record per packet, in input order: the decision, or an error record
    {"error": {...}, "source": "file[:line]", "candidate_id": ...}. A bad packet is reported on
    stderr and as an error record, and the others are still evaluated (exit status 2). No packet at
    all (empty files or stdin, empty folders) is an input.empty error (exit status 2), and FILE and
    the summary file are left as they were. Folders are
    read recursively (*.json, *.yaml, *.yml, sorted by name). On Ctrl-C, SIGTERM or SIGHUP, or a
    full disk (exit status 4), FILE keeps every complete record so far; run the same command with
    --resume to finish. An output may not be an input, and two runs
    may not write one FILE at once; a device or FIFO is written straight through.

    With --cycle NAME every record is also stored, as cycle NAME, in the store (--db; see `promoready
    history` and `promoready cycles`). The cycle stays incomplete until the run ends; --resume completes
    an interrupted one without storing anything twice.

    \b
    Examples:
      promoready batch cycle-2026/ --out decisions.jsonl --summary summary.md
      cat packets.jsonl | promoready batch - --workers 4 > decisions.jsonl
      promoready batch cycle-2026/ --out decisions.jsonl --resume
      promoready batch cycle-2026/ --cycle 2026-H2 --db history.sqlite --mask /packet/candidate/name
    """
    from promoready import _processes
    from promoready.engine import batch as engine  # light: the packet model and the compiler load in workers

    from ._sinks import Outputs

    day = parse_as_of(as_of)
    _check_options(out, resume and cycle is None, timeout, summary_path, engine.MAX_TIMEOUT)
    check_store_options(cycle, db, store_packets, masks, inputs)
    if workers is not None and workers > _processes.max_workers():  # more only costs memory and switching
        click.echo(f"promoready: --workers {workers} is more than this machine can use ({_processes.usable_cpus()} "
                   f"CPUs): starting {_processes.max_workers()}", err=True)
        workers = _processes.max_workers()
    outputs = Outputs(inputs, out, summary_path, resume)  # checked and locked before anything starts
    # Without --workers (or --timeout), a small batch (fewer than SMALL packets) is evaluated in this process.
    inline_below = 0 if workers is not None or timeout is not None else SMALL
    workers = workers or _processes.usable_cpus()
    if engine.uses_pool(workers, timeout):  # likely a pool: its fork server starts meanwhile
        _processes.start_early()
    config = engine.Config(ladder=ladder_path, as_of=day, strict=strict, crash_on=os.environ.get(engine.CRASH_ENV) or None,
                           hang_on=os.environ.get(engine.HANG_ENV) or None,
                           files_full=bool(os.environ.get(engine.FILES_FULL_ENV)),
                           columns=cycle is not None and not masks)  # masked rows are made from the JSON
    exclude = [p for p in (out, summary_path) if p]
    try:
        recording = CycleRecording.start(cycle=cycle, db=db, store_packets=store_packets, masks=masks, resume=resume,
                                         as_of=day, inputs=inputs, exclude=exclude) if cycle is not None else None
        run = _Run(inputs, out, resume, exclude=exclude, config=config, workers=workers, inline_below=inline_below,
                   timeout=timeout, outputs=outputs, recording=recording)
        run.execute()
        _finish(run, summary_path, fail_on)
    finally:
        outputs.close()


def _check_options(out: Optional[str], resume: bool, timeout: Optional[float], summary_path: Optional[str],
                   max_timeout: float) -> None:
    """Usage errors, before anything starts (a fork server, a temporary file)."""
    from promoready.engine import errors

    if timeout is not None and not 0 < timeout <= max_timeout:  # NaN fails this too
        raise errors.UsageError(f"expected a number of seconds above 0 and at most {max_timeout:,.0f}, "
                                f"got {timeout:g}", code=errors.USAGE_TIMEOUT, path="--timeout")
    if resume and out is None:
        raise errors.UsageError("needs --out FILE or --cycle NAME (what to resume)", code=errors.USAGE_RESUME,
                                path="--resume")
    if summary_path is not None and not summary_path.lower().endswith((".json", ".md")):
        raise errors.UsageError(f"the summary file must end in .json or .md, got {summary_path!r}",
                                code=errors.USAGE_SUMMARY, path="--summary")
    if summary_path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(summary_path))):
        raise errors.UsageError("its folder does not exist", code=errors.USAGE_SUMMARY, file=summary_path,
                                path="--summary")


class _Run:
    """One run of the command: records to the sink in input order, the summary, a clean stop on a signal.

    ``execute`` writes every record, or, on SIGINT, SIGTERM or SIGHUP, the records so far (and, with
    ``--resume``, the earlier run's decisions not reached yet) and raises ``Finished``; a fault that ends
    the run (``PromoreadyError``: a dead fork server, a full disk) keeps them the same way, then goes on up.
    """

    def __init__(self, inputs: tuple[str, ...], out: Optional[str], resume: bool, *, exclude: list[str],
                 config: Config, workers: int, inline_below: int, timeout: Optional[float], outputs: Outputs,
                 recording: Optional[CycleRecording] = None) -> None:
        from promoready.engine.summary import Summary

        from ._signals import Signals
        from ._sinks import Sink

        self.inputs, self.out, self.resume, self.exclude = inputs, out, resume, exclude
        self.config, self.workers, self.inline_below, self.timeout = config, workers, inline_below, timeout
        self.sink: Sink = outputs.sink()
        removed = getattr(self.sink, "removed", None)
        if removed:
            _say(f"promoready: removed {len(removed):,} temporary file(s) left beside {out} by runs that were "
                 f"killed: {', '.join(removed)}")
        self.signals = Signals()
        self.summary: Summary = Summary()
        self.written = 0
        self.kept = 0  # records copied from the earlier run (--resume)
        self.keeper: Optional[Keeper] = None
        self.recording = recording
        self.empty: list[str] = []  # the .jsonl inputs (and stdin) that held no packet, as iter_items finds them

    def execute(self) -> None:
        """Evaluate and write everything (or, stopped by a signal, what is complete; then raise ``Finished``)."""
        from promoready.engine.errors import PromoreadyError

        self.signals.install()
        try:
            self._write_all()
            if self.signals.signum is not None:
                self._stop(self.signals.signum)
            if self.written == 0:  # not one record (a resumed run counts the decisions it kept): bad input
                self._nothing_found()
            self._say_empty()
            self.sink.commit()
            self._close_store(complete=True)
        except BrokenPipeError:  # stdout closed early (| head): stop quietly
            self.sink.discard()
            raise Finished(BROKEN_PIPE) from None
        except PromoreadyError:  # a fault ended the run: keep the complete records, then report it
            self._keep_complete()
            raise
        except BaseException:
            self.sink.discard()  # after a commit this does nothing: FILE is complete, or the previous one stands
            raise
        finally:
            if self.keeper is not None:
                self.keeper.close()
            if self.recording is not None:  # stopped by a failure: what was committed stays, the cycle incomplete
                self.recording.abandon()
            self.signals.restore()

    def _nothing_found(self) -> None:
        """No input held a packet, nor even a line or file that is not one (an error record): ``input.empty``.

        Raised before the commit, so ``_keep_complete`` discards the temporary file: ``--out`` (and, since
        ``_finish`` is not reached, ``--summary``) stay as they were, or are not created; a cycle stays
        incomplete.
        """
        from promoready.engine import STDIN_NAME
        from promoready.engine.errors import INPUT_EMPTY, InputError

        named = ", ".join(STDIN_NAME if name == "-" else name for name in self.inputs)
        raise InputError(f"no packets found in {named}", code=INPUT_EMPTY)

    def _say_empty(self) -> None:
        """A warning for each JSONL input (or stdin) that held no packet, among inputs that held some.

        A JSONL file is a container of packets, one a line: empty, it holds no packet, so it gets no record
        (the records stay one per packet and the exit status is not changed), but it is not passed over in
        silence either. (An empty packet file is a packet that is invalid: an ``input.empty`` error record.)
        """
        from promoready.engine.words import printable

        for name in self.empty:
            _say(printable(f"promoready: {name}: warning: no packets in it (it is empty, or blank lines only)"))

    def _close_store(self, *, complete: bool) -> None:
        """Wait for the store's writer and (``complete``) mark the cycle complete; say what the store holds."""
        from promoready.engine.words import printable

        recording, self.recording = self.recording, None
        if recording is not None:
            _say(printable(recording.finish(complete=complete), one_line=True))  # a store's URL or path, a cycle name

    def _write_all(self) -> None:
        """Every result to the sink; a signal stops this only while it waits for the next result."""
        from promoready.engine import batch as engine

        from ._progress import Progress
        from ._signals import Interrupted

        signals = self.signals
        results: Optional[Results] = None
        progress: Optional[Progress] = None
        try:
            signals.armed = True  # nothing is written while armed: a signal stops the batch right there
            self.keeper = keeper = (engine.Keeper(self.out, strict=self.config.strict)
                                  if self.resume and self.out is not None else None)
            config = dataclasses.replace(self.config, keep=keeper.keys) if keeper is not None else self.config
            progress = Progress(engine.count_items(self.inputs, self.exclude)) if sys.stderr.isatty() else None
            stdin = _stdin() if "-" in self.inputs else None
            # A pool's workers read the lines of JSONL files themselves: this process only finds them.
            spans = engine.uses_pool(self.workers, self.timeout)
            items = engine.iter_items(self.inputs, stdin=stdin, exclude=self.exclude, spans=spans, empty=self.empty)
            results = engine.run(items,
                                 workers=self.workers, factory=engine.evaluation_factory, config=config,
                                 keeper=keeper, inline_below=self.inline_below, timeout=self.timeout,
                                 stream=stdin is not None, chunked=True)
            while signals.signum is None:
                signals.armed = True  # only while waiting for the next result, never while writing
                result = next(results, None)
                signals.armed = False
                if result is None:
                    break
                if isinstance(result, engine.Chunk):
                    self._write_chunk(result, results, progress)
                else:
                    self._write(result, results, progress)
        except Interrupted:
            pass
        finally:
            signals.armed = False
            if results is not None:
                results.close()  # stops the workers
            if progress is not None:
                progress.stop()

    def _write(self, result: Result, results: Results, progress: Optional[Progress]) -> None:
        """One record out, and into the summary."""
        assert result.record is not None  # a result handed back always has its record
        self.sink.write(result.record)
        if not results.ready():  # the batch is about to wait: let the records so far out now
            self.sink.flush()
        self.written += 1
        self.kept += result.kept
        if self.recording is not None:
            self.recording.record(result)
        if result.error is not None:
            line = _error_line(result.error)
            self.summary.add_error(result.error["code"], source=result.source, candidate_id=result.candidate_id,
                                   message=line)
            for problem in result.problems or [result.error]:  # every problem of the packet, each on its line
                _diagnostic(progress, _error_line(problem))
        elif result.outcome is not None:  # a decision always carries its outcome
            self.summary.add(result.outcome, result.source)
            if result.outcome.warnings:  # most decisions have none: no sorting, no closure for them
                lines = result.outcome.warning_lines or (None,) * len(result.outcome.warnings)
                for warning, at in sorted(zip(result.outcome.warnings, lines), key=lambda wa: wa[1] or 0):
                    where = f"{result.source}:{at}" if at else result.source
                    _diagnostic(progress, f"{where}: warning: {warning}")
        if progress is not None:
            progress.advance()

    def _write_chunk(self, chunk: Chunk, results: Results, progress: Optional[Progress]) -> None:
        """The decisions of consecutive packets out at once, and into the summary (none has a warning)."""
        stored = chunk.results() if self.recording is not None else ()  # split (and checked) before any is written
        self.sink.write(chunk.records, records=chunk.count)
        if not results.ready():
            self.sink.flush()
        self.written += chunk.count
        if self.recording is not None:
            for result in stored:
                self.recording.record(result)
        self.summary.merge(chunk.part, chunk.places())
        if progress is not None:
            progress.advance(chunk.count)

    def _keep_complete(self) -> None:
        """A fault ended the run: commit the complete records (with, on ``--resume``, the earlier run's decisions
        not reached yet) and say how to finish; if none were written, or that fails, the previous file stands."""
        from promoready.engine.errors import PromoreadyError

        from ._sinks import AtomicFile

        sink = self.sink
        if not isinstance(sink, AtomicFile):  # a stream: let out the complete records it still holds
            try:
                sink.commit()
            except (OSError, PromoreadyError):
                sink.discard()
            return
        if self.written == 0:  # nothing new: the previous file stands
            sink.discard()
            return
        kept = sink.records + sink.pending  # the records in the file now, or about to be
        try:
            if self.keeper is not None:
                for record in self.keeper.unused():
                    sink.write(record)
            sink.commit()
        except (OSError, PromoreadyError):  # the disk is full even for those: the previous file stands
            sink.discard()
            _say(f"promoready: {self.out} is unchanged")
            return
        _say(f"promoready: stopped after {kept:,} complete records, kept in {self.out}: once the cause below "
             f"is fixed, run the same command with --resume to finish")

    def _stop(self, signum: int) -> None:
        """Stopped by a signal: keep what is complete, say how to finish, end with the signal's status."""
        stored = self.recording is not None
        self._close_store(complete=False)
        if self.resume and self.out is not None and self.keeper is None:  # stopped before the earlier output was read
            self.sink.discard()
            _say(f"promoready: interrupted; {self.out} is unchanged")
            raise Finished(signalled(signum))
        carried = 0
        if self.keeper is not None:  # decisions of the earlier run not reached yet: keep them, at the end
            for record in self.keeper.unused():
                self.sink.write(record)
                carried += 1
        self.sink.commit()
        if self.out is None and stored:
            hint = "run the same command with --resume to complete the cycle"
        elif self.out is None:
            hint = "use --out FILE to be able to resume"
        else:
            hint = "run the same command with --resume to finish"
            if carried:
                hint += f" ({carried:,} decisions of the earlier run are kept at the end of {self.out})"
        _say(f"promoready: interrupted after {self.written:,} packets; {hint}")
        raise Finished(signalled(signum))


def _finish(run: _Run, summary_path: Optional[str], fail_on: Optional[str]) -> None:
    """The summary (stderr, or the --summary file), then the exit status: 2 for any error record, 1 for --fail-on."""
    from ._sinks import write_atomically
    from .render.summary import render_json, render_markdown, render_text

    from promoready.engine.words import counted

    summary = run.summary
    if run.resume and run.out is not None:
        click.echo(f"promoready: resumed {run.out}: {counted(run.kept, 'decision')} kept from "
                   f"the earlier run, {counted(run.written - run.kept, 'packet')} "
                   f"evaluated now", err=True)
    if summary_path is None:
        click.echo(render_text(summary.to_dict()), err=True, nl=False)
    else:
        render = render_markdown if summary_path.lower().endswith(".md") else render_json
        write_atomically(summary_path, render(summary.to_dict()))
    if summary.errors:
        raise Finished(BAD_INPUT)
    if fail_on_matched(fail_on, summary.seen_verdicts()):
        raise Finished(MATCHED)


def _stdin() -> BinaryIO:
    """Standard input as bytes, through a buffer of our own when there is a real file descriptor.

    A pool reads stdin in a thread (see ``engine.batch.feed.Feed``) that may still be waiting for a line
    when the command exits (stdout closed, Ctrl-C): the interpreter would then find ``sys.stdin``'s
    own buffer locked by that thread and abort at shutdown. It never touches this one.
    """
    try:
        return open(sys.stdin.fileno(), "rb", closefd=False)
    except (AttributeError, OSError, ValueError):  # no real stdin (an embedding, a test runner)
        return cast(BinaryIO, getattr(sys.stdin, "buffer", sys.stdin))


def _error_line(error: dict[str, Any]) -> str:
    """``file[:line]: path: message [code]``, as for every promoready error."""
    from promoready.engine.errors import PromoreadyError

    return str(PromoreadyError(error["message"], code=error["code"], file=error["file"], line=error["line"],
                               path=error["path"], suggestion=error["suggestion"]))


def _say(text: str) -> None:
    """A line on stderr, if anyone is left to read it (a SIGHUP may have taken the terminal)."""
    try:
        click.echo(text, err=True)
    except OSError:
        pass


def _diagnostic(progress: Optional[Progress], text: str) -> None:
    """A packet's error or warning on stderr, ``promoready: `` first as every diagnostic of the command
    line (``error_line``, ``warning_line``), its control characters escaped (packet text may be quoted)."""
    from promoready.engine.words import printable

    text = printable(f"promoready: {text}")
    if progress is not None:
        progress.print(text)
    else:
        click.echo(text, err=True)
