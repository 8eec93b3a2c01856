"""Issue 11, items 7 and 8: ``batch`` slips that lost data, and faults that ended a batch badly.

Item 7, data loss by slip: an output that is an input or the other output is refused; a symlinked
``--out`` is written through to its target; a device, a FIFO or ``/dev/stdout`` is written straight
through (never replaced); a second run on the same output is refused while the first holds it.
Item 8, faults: a killed fork server, SIGHUP, ``kill -9``, a full disk or ``ulimit -f``, and
``--workers 1000``. Each fault ends with a clear message and its exit status, the complete records
kept, and ``--resume`` finishing byte-identically to an uninterrupted run.

(tests/test_issues.py, where issue 11's other items are tested, was not on main when these were
written: they live here.)
"""

from __future__ import annotations

import errno
import glob
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
from batch_helpers import PROMOREADY, invoke, jsonl, packet, records
from fixture_files import device_node

from promoready.cli import _outputs, _sinks
from promoready.engine import batch as engine
from promoready.engine.batch import pool, worker
from promoready.engine.errors import ENGINE_WORKER_START, EngineError

COUNT = 1500


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """A 1,500-packet input and its uninterrupted output (in-process), as bytes."""
    base = tmp_path_factory.mktemp("cycle")
    source = jsonl(base / "cycle.jsonl", [packet(i, "f") for i in range(COUNT)])
    reference = base / "reference.jsonl"
    assert invoke(source, "--out", reference, "--workers", 1).exit_code == 0
    return source, reference.read_bytes()


def leftovers(folder) -> list[str]:
    """Temporary and lock files left in ``folder``."""
    return sorted(n for n in os.listdir(folder) if n.endswith((".tmp", ".lock")))


def start(args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([PROMOREADY, "batch", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            **kwargs)


def wait_for_tmp(proc: subprocess.Popen, out, size: int = 300_000) -> str:
    """Wait until ``proc``'s temporary file for ``out`` holds ``size`` bytes; its path."""
    pattern = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.{proc.pid}.*.tmp")
    deadline = time.monotonic() + 120
    while True:
        tmp = glob.glob(pattern)
        if tmp and os.path.getsize(tmp[0]) > size:
            return tmp[0]
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no progress within 120 s"
        time.sleep(0.01)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        _, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr.decode()


def assert_resume_completes(source, out, reference, *args) -> None:
    """What ``out`` holds is a prefix of the reference, in whole records; ``--resume`` completes it exactly."""
    kept = out.read_bytes()
    assert kept.endswith(b"\n") and reference.startswith(kept)
    result = invoke(source, "--out", out, "--resume", *args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == reference


# -- item 7: an output that is an input, or the other output ---------------------------------------


def test_an_output_that_is_an_input_is_refused_and_the_input_stands(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    before = open(source, "rb").read()
    folder = tmp_path / "cycle"
    folder.mkdir()
    (folder / "p.json").write_text(json.dumps(packet(9)))
    os.symlink(source, tmp_path / "link.jsonl")
    os.link(source, tmp_path / "hard.jsonl")
    os.symlink(folder / "p.json", tmp_path / "into-folder.json")
    cases = [
        ((source, "--out", source), source, "--out", source),
        ((source, "--out", tmp_path / "link.jsonl"), tmp_path / "link.jsonl", "--out", source),  # through a symlink
        ((source, "--out", tmp_path / "hard.jsonl"), tmp_path / "hard.jsonl", "--out", source),  # a hard link
        ((folder, "--out", tmp_path / "into-folder.json"), tmp_path / "into-folder.json", "--out",
         folder / "p.json"),  # a packet inside an input folder
        ((source, "--summary", tmp_path / "link.jsonl.json"), None, None, None),  # not an input: allowed
        ((source, tmp_path / "b.json", "--out", tmp_path / "o.jsonl", "--summary", tmp_path / "b.json"),
         tmp_path / "b.json", "--summary", tmp_path / "b.json"),
    ]
    (tmp_path / "b.json").write_text(json.dumps(packet(8)))
    os.symlink(tmp_path / "nowhere.json", tmp_path / "link.jsonl.json")  # a dangling link: a new file, through it
    for args, output, option, input_ in cases:
        result = invoke(*args)
        if output is None:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 2, (args, result.output)
        assert f"promoready: {output}: {option}: it is also an input ({input_}): writing it would destroy that " \
               f"input [usage.out-is-input]" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert open(source, "rb").read() == before and (folder / "p.json").read_text() == json.dumps(packet(9))
    assert json.loads((tmp_path / "nowhere.json").read_text())["packets"] == 3  # written through the dangling link
    assert leftovers(tmp_path) == [] and leftovers(folder) == []


def test_stdin_or_stdout_that_is_an_input_is_refused(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    before = open(source, "rb").read()
    with open(source, "rb") as stdin:
        done = subprocess.run([PROMOREADY, "batch", "-", "--out", source], stdin=stdin, capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 2
    assert f"{source}: --out: it is also an input (stdin)" in done.stderr
    with open(source, "ab") as stdout:  # `>> a.jsonl`: the input would grow as it is read
        done = subprocess.run([PROMOREADY, "batch", source], stdout=stdout, stderr=subprocess.PIPE, text=True,
                              timeout=60)
    assert done.returncode == 2
    assert f"stdout: it is also an input ({source})" in done.stderr
    assert open(source, "rb").read() == before


def test_an_output_in_an_input_folder_by_its_own_path_is_still_skipped(tmp_path):
    # As before: a folder input skips the outputs written into it, so a second run reads the same packets.
    folder = tmp_path / "cycle"
    folder.mkdir()
    for i in range(3):
        (folder / f"p{i}.json").write_text(json.dumps(packet(i)))
    for _ in range(2):
        result = invoke(folder, "--out", folder / "decisions.json", "--summary", folder / "summary.json")
        assert result.exit_code == 0, result.output
        assert len(records((folder / "decisions.json").read_text())) == 3


def test_out_and_summary_the_same_file_is_refused(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(0)])
    out = tmp_path / "r.json"
    out.write_text("previous\n")
    os.symlink(out, tmp_path / "s.json")
    for summary in (out, tmp_path / "s.json"):
        result = invoke(source, "--out", out, "--summary", summary)
        assert result.exit_code == 2
        assert f"promoready: {summary}: --summary: it is the same file as --out {out}: the summary would replace " \
               f"the decisions [usage.out-is-input]" in result.stderr
    result = invoke(source, "--out", tmp_path / "new.json", "--summary", tmp_path / "new.json")  # neither exists yet
    assert result.exit_code == 2 and "usage.out-is-input" in result.stderr
    assert out.read_text() == "previous\n" and not (tmp_path / "new.json").exists()
    assert leftovers(tmp_path) == []


# -- item 7: symlinks, devices, FIFOs, descriptors -------------------------------------------------


def test_a_symlinked_out_is_written_through_to_its_target(tmp_path, cycle):
    source, reference = cycle
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "decisions.jsonl"
    target.write_text("previous\n")
    os.chmod(target, 0o640)
    link = tmp_path / "link.jsonl"
    os.symlink(target, link)
    result = invoke(source, "--out", link, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert os.path.islink(link) and os.readlink(link) == str(target)  # the link stays a link
    assert target.read_bytes() == reference and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(elsewhere) == []
    # --resume reads and writes through it too.
    target.write_bytes(reference[:reference.index(b"\n", len(reference) // 2) + 1])
    assert_resume_completes(source, link, reference, "--workers", 1)
    assert os.path.islink(link)


def test_a_device_out_is_written_through_never_replaced(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    device = device_node(tmp_path)
    before = os.stat(device)
    result = invoke(source, "--out", device)
    assert result.exit_code == 0, result.output
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert leftovers(os.path.dirname(device)) == [] or device == os.devnull
    result = invoke(source, "--out", device, "--resume")  # nothing to resume from a device
    assert result.exit_code == 2 and "--resume needs a regular file" in result.stderr


def test_a_fifo_out_is_written_straight_through(tmp_path, cycle):
    source, reference = cycle
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    result = invoke(source, "--out", fifo, "--workers", 2)
    reader.join(60)
    assert result.exit_code == 0, result.output
    assert got == [reference]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and leftovers(tmp_path) == []


def test_dev_stdout_is_this_process_s_stdout(tmp_path):
    # /dev/stdout itself is only resolved here: run as root, a regression would replace the system's.
    assert [_outputs._own_fd(p) for p in ("/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd/7",
                                        f"/proc/{os.getpid()}/fd/5", "/proc/1/fd/5", "/dev/fdx/1")] == \
        [0, 1, 2, 7, 5, None, None]
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    expected = invoke(source).stdout
    for name in ("/proc/self/fd/1", "/dev/fd/1"):
        done = subprocess.run([PROMOREADY, "batch", source, "--out", name], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected
    with open(tmp_path / "log", "w") as log:  # `>> log`: appended to, never replaced or truncated
        log.write("earlier\n")
    with open(tmp_path / "log", "a") as log:
        done = subprocess.run([PROMOREADY, "batch", source, "--out", "/dev/fd/1"], stdout=log,
                              stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 0
    assert (tmp_path / "log").read_text() == "earlier\n" + expected


def test_dev_full_is_a_full_disk_not_a_traceback(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    full = device_node(tmp_path, "full", 7)
    result = invoke(source, "--out", full)
    assert result.exit_code == 4
    assert f"promoready: {full}: cannot write the output: no space left on device [system.disk-full]" \
        in result.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)
    assert "Traceback" not in result.stderr


# -- item 7: a second run on the same output -------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="finds the fork server through /proc (Linux)")
def test_a_second_run_on_the_same_out_is_refused_while_the_first_holds_it(tmp_path):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(200)])
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    env = dict(os.environ, **{engine.HANG_ENV: "c-00150"})  # the first run stops there, holding the output
    first = start([source, "--out", out, "--summary", tmp_path / "s.json", "--workers", 2, "--timeout", 600], env=env)
    try:
        deadline = time.monotonic() + 60
        locks = [tmp_path / ".out.jsonl.lock", tmp_path / ".s.json.lock"]
        while not all(lock.exists() and lock.read_text() for lock in locks):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        for args in ((source, "--out", out), (source, "--out", tmp_path / "other.jsonl", "--summary",
                                              tmp_path / "s.json")):
            result = invoke(*args)
            assert result.exit_code == 2, (result.output, os.listdir(tmp_path))
            option, locked = args[-2:]
            assert f"promoready: {locked}: {option}: another batch run (pid {first.pid}) is writing it; wait for that " \
                   f"run to end, or write elsewhere [usage.out-locked]" in result.stderr, result.stderr
        assert out.read_text() == "previous\n"
        _fork_server(first.pid)  # workers are running: the run has taken over its signals
        first.send_signal(signal.SIGTERM)
        status, stderr = finish(first)
        assert status == 143, stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert invoke(source, "--out", out, "--resume").exit_code == 0  # the lock went with the first run
    assert len(records(out.read_text())) == 200 and leftovers(tmp_path) == []


def test_a_lock_file_removed_by_its_holder_is_locked_again(tmp_path):
    out = tmp_path / "out.jsonl"
    first = _sinks.Outputs([], str(out), None, False)
    first.close()  # released: the lock file is gone
    assert leftovers(tmp_path) == []
    second = _sinks.Outputs([], str(out), None, False)
    try:
        assert (tmp_path / ".out.jsonl.lock").read_text() == f"{os.getpid()}\n"
    finally:
        second.close()


# -- item 8: signals and kill -9 -------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_keeps_the_complete_records_and_resume_completes(tmp_path, cycle, workers):
    source, reference = cycle
    out = tmp_path / "out.jsonl"
    proc = start([source, "--out", out, "--workers", workers])
    wait_for_tmp(proc, out)
    proc.send_signal(signal.SIGHUP)
    status, stderr = finish(proc)
    assert status == 128 + signal.SIGHUP, stderr
    n = out.read_bytes().count(b"\n")
    assert f"interrupted after {n:,} packets; run the same command with --resume to finish" in stderr
    assert leftovers(tmp_path) == []
    assert_resume_completes(source, out, reference, "--workers", workers)


def test_kill_9_leaves_a_temporary_file_the_next_run_removes(tmp_path, cycle):
    source, reference = cycle
    out = tmp_path / "out.jsonl"
    proc = start([source, "--out", out, "--workers", 1])
    tmp = wait_for_tmp(proc, out)
    proc.kill()
    proc.wait()
    assert os.path.exists(tmp)
    name = os.path.basename(tmp)
    assert name.startswith(f".out.jsonl.{proc.pid}.")  # the owner's pid is in the name
    result = invoke(source, "--out", out, "--resume", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert f"promoready: removed 1 temporary file(s) left beside {out} by runs that were killed: {name}" \
        in result.stderr
    assert out.read_bytes() == reference and leftovers(tmp_path) == []


def test_stale_temporary_files_of_live_processes_and_other_outputs_stay(tmp_path):
    child = subprocess.Popen(["true"])
    child.wait()
    names = [f".out.jsonl.{child.pid}.abc123.tmp", f".out.jsonl.{os.getppid()}.abc123.tmp",
             f".other.jsonl.{child.pid}.abc123.tmp", "out.jsonl.tmp"]
    for name in names:
        (tmp_path / name).write_text("x")
    removed = _sinks.remove_stale(str(tmp_path / "out.jsonl"))
    assert removed == [names[0]]
    assert sorted(os.listdir(tmp_path)) == sorted(names[1:])


# -- item 8: a full disk, ulimit -f ----------------------------------------------------------------


def _limited(limit_kb: int, args, sigxfsz_default: bool = False) -> subprocess.CompletedProcess:
    command = " ".join(f"'{a}'" for a in [PROMOREADY, "batch", *map(str, args)])
    if sigxfsz_default:  # a parent that left SIGXFSZ at its default (which kills with a core dump)
        command = f"'{sys.executable}' -c 'import signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); " \
                  f"from promoready.cli import main; sys.argv[0] = \"promoready\"; main()' " + \
                  " ".join(f"'{a}'" for a in ["batch", *map(str, args)])
    return subprocess.run(["bash", "-c", f"ulimit -f {limit_kb}; exec {command}"], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("workers, sigxfsz_default", [(1, False), (2, False), (1, True)],
                         ids=["in-process", "pool", "sigxfsz-default"])
def test_the_file_size_limit_keeps_the_complete_records(tmp_path, cycle, workers, sigxfsz_default):
    source, reference = cycle
    out = tmp_path / "out.jsonl"
    done = _limited(1500, [source, "--out", out, "--workers", workers], sigxfsz_default)
    assert done.returncode == 4, done.stderr
    assert f"promoready: {out}: cannot write the output: the file size limit of this process (ulimit -f) " \
           f"[system.file-size-limit]" in done.stderr
    kept = out.read_bytes().count(b"\n")
    assert f"promoready: stopped after {kept:,} complete records, kept in {out}: once the cause below is fixed, " \
           f"run the same command with --resume to finish" in done.stderr
    assert "Traceback" not in done.stderr and 0 < kept < COUNT
    assert leftovers(tmp_path) == []
    assert_resume_completes(source, out, reference, "--workers", workers)


def test_a_spool_at_the_file_size_limit_is_the_system_s_limit_not_a_bug(tmp_path, cycle):
    source, _ = cycle
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    done = _limited(64, [source, "--out", out, "--workers", 2])  # a chunk's packets alone are more
    assert done.returncode == 4, done.stderr
    assert "cannot write a batch spool file: the file size limit of this process (ulimit -f) " \
           "[system.file-size-limit]" in done.stderr
    assert "Traceback" not in done.stderr and "engine.batch" not in done.stderr
    assert out.read_text() == "previous\n" and leftovers(tmp_path) == []  # nothing new: the previous file stands


def test_a_full_disk_keeps_the_complete_records(tmp_path, cycle, monkeypatch):
    source, reference = cycle
    out = tmp_path / "out.jsonl"
    real = os.pwrite
    room = [len(reference) // 3]  # bytes the "disk" takes before it is full

    def full(fd, data, offset):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if name.startswith(".out.jsonl.") and name.endswith(".tmp"):
            if room[0] <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            data = bytes(data[:room[0]])
            room[0] -= len(data)
        return real(fd, data, offset)

    monkeypatch.setattr(_sinks.os, "pwrite", full)
    monkeypatch.setattr(_sinks.AtomicFile, "BUFFER", 100_000)
    result = invoke(source, "--out", out, "--workers", 1)
    monkeypatch.undo()
    assert result.exit_code == 4
    assert f"promoready: {out}: cannot write the output: no space left on device [system.disk-full]" in result.stderr
    kept = out.read_bytes().count(b"\n")
    assert f"stopped after {kept:,} complete records, kept in {out}" in result.stderr and kept > 0
    assert leftovers(tmp_path) == []
    assert_resume_completes(source, out, reference, "--workers", 1)


# -- item 8: the fork server -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def _fork_server(pid: int, not_: tuple[int, ...] = ()) -> int:
    """The fork server of the batch ``pid`` (a child of it, other than ``not_``), once it has workers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for child in _children(pid):
            try:
                with open(f"/proc/{child}/cmdline", "rb") as fh:
                    cmdline = fh.read()
            except OSError:
                continue
            if b"forkserver" in cmdline and child not in not_ and _children(child):
                return child
        time.sleep(0.01)
    raise AssertionError("no fork server with workers within 120 s")


def _records_written(folder) -> None:
    """Until the output's temporary file in ``folder`` holds a complete record (a chunk of the pool decided
    and written): the workers of a server killed before that would leave nothing to keep (CI saw it)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for name in os.listdir(folder):
            if name.endswith(".tmp"):
                try:
                    with open(os.path.join(folder, name), "rb") as fh:
                        if b"\n" in fh.read():
                            return
                except OSError:
                    pass
        time.sleep(0.01)
    raise AssertionError("no complete record written within 120 s")


def _wait_dead(pid: int) -> None:
    """Until ``pid`` has exited (a zombie, or gone): its files, the workers' status pipes among them, are closed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in (b"Z", b"X"):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} still running 30 s after SIGKILL")


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="finds the fork server through /proc (Linux)")
def test_a_killed_fork_server_is_replaced_once_then_ends_the_batch_with_its_records_kept(tmp_path, cycle):
    source, reference = cycle
    out = tmp_path / "out.jsonl"
    with open(source, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    third = len(lines) // 3
    # The packets come through a pipe this test holds open, so the batch cannot end before both
    # servers are killed whatever the load: each kill waits on the pool's state (a fork server with
    # workers, then its replacement with workers), never on how far the output has got.
    proc = start(["-", "--out", out, "--workers", 2], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        proc.stdin.write(b"".join(lines[:third]))
        proc.stdin.flush()
        first = _fork_server(proc.pid)
        _records_written(tmp_path)  # some complete records to keep, whatever the load and the chunk size
        os.kill(first, signal.SIGKILL)  # our grandchild: started by the batch we started
        # More work, in case the first third was done already: the pool starts workers (and with the
        # first of them a new server) only for packets waiting.
        proc.stdin.write(b"".join(lines[third:2 * third]))
        proc.stdin.flush()
        second = _fork_server(proc.pid, not_=(first,))  # replaced, with its workers
        os.kill(second, signal.SIGKILL)
        _wait_dead(second)  # its end (and with it the workers' status pipes) before more input
        # More packets, so that the batch cannot end without waiting on its workers, and so seeing the second
        # server gone. (With every packet sent done already, it could end with all of them, exit 0: CI saw it.)
        try:
            proc.stdin.write(b"".join(lines[2 * third:2 * third + 20]))
            proc.stdin.flush()
        except BrokenPipeError:  # it saw the loss already and ended
            pass
        status, stderr = finish(proc)  # closes the pipe: the rest of the last third is never sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status == 3, stderr
    assert "the fork server of the batch's workers died 2 times (killed, or out of memory?) [engine.worker-start]" \
        in stderr
    assert "Aborted!" not in stderr and "Traceback" not in stderr
    kept = out.read_bytes().count(b"\n")
    assert f"stopped after {kept:,} complete records, kept in {out}" in stderr
    assert b"engine.worker-crashed" not in out.read_bytes()  # no packet blamed for the server's death
    assert leftovers(tmp_path) == []
    assert_resume_completes(source, out, reference, "--workers", 2)


def test_a_worker_that_cannot_start_from_a_dead_fork_server_is_started_again(tmp_path, monkeypatch):
    # The server died between multiprocessing's check and the start (the EOFError that ended runs with
    # "Aborted!"): the pool waits for the server to be seen dead, then starts the worker again, once.
    starts, failures = [], [1]
    real = worker.Worker.__init__

    def flaky(self, *args, **kwargs):
        starts.append(1)
        if failures and len(starts) == 2:
            failures.pop()
            raise EngineError("cannot start a batch worker: the fork server it is started from has gone",
                              code=ENGINE_WORKER_START)
        real(self, *args, **kwargs)

    monkeypatch.setattr(worker.Worker, "__init__", flaky)
    monkeypatch.setattr(pool._processes, "wait_server_gone", lambda: 12345)
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(300)])
    results = list(engine.run(engine.iter_items([source]), workers=2, factory=engine.evaluation_factory,
                              config=engine.Config()))
    assert [r.seq for r in results] == list(range(300)) and all(r.error is None for r in results)
    assert len(starts) == 3
    # A second server lost ends the batch.
    failures.append(1)
    starts.clear()
    monkeypatch.setattr(pool._processes, "wait_server_gone", lambda: 23456 + len(starts))
    monkeypatch.setattr(pool.Pool, "MAX_SERVER_LOSSES", 0)
    with pytest.raises(EngineError) as caught:
        list(engine.run(engine.iter_items([source]), workers=2, factory=engine.evaluation_factory,
                        config=engine.Config()))
    assert caught.value.code == ENGINE_WORKER_START and "died 1 times" in caught.value.message


# -- item 8: --workers 1000 ------------------------------------------------------------------------


def test_workers_are_capped_at_what_the_cpus_can_use(tmp_path, monkeypatch):
    from promoready import _processes

    asked = []
    real = engine.run

    def watched(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "run", watched)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(3)])
    result = invoke(source, "--workers", 1000)
    assert result.exit_code == 0
    limit = _processes.WORKERS_PER_CPU * 2
    assert f"promoready: --workers 1000 is more than this machine can use (2 CPUs): starting {limit}" \
        in result.stderr
    assert invoke(source, "--workers", limit).exit_code == 0
    assert asked == [limit, limit]


def test_an_output_that_cannot_be_replaced_at_the_end_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    source = jsonl(tmp_path / "a.jsonl", [packet(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(_sinks.os, "replace", refused)
    result = invoke(source, "--out", out)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert f"promoready: {out}: --out: cannot replace it: Permission denied [usage.out]" in result.stderr
    assert f"promoready: {out} is unchanged" in result.stderr
    assert out.read_text() == "previous\n" and leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_file_names_that_are_not_utf8_are_written_as_stderr_shows_them_not_a_crash(tmp_path):
    # Python keeps such a name's bytes as lone surrogates, which cannot be written as UTF-8: the error
    # records, the summary and the store show them as \udcNN, with one worker or two, the same bytes.
    folder = tmp_path / "in"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), b"bad\xe9.yaml")
    with open(bad, "w") as fh:
        fh.write("a: [")
    with open(os.path.join(os.fsencode(folder), b"good\xe9.json"), "w") as fh:
        json.dump(packet(1), fh)
    lines = os.path.join(os.fsencode(tmp_path), b"caf\xe9.jsonl")
    with open(lines, "w") as fh:
        fh.write("{oops\n" + json.dumps(packet(2)) + "\n")
    outputs = []
    for workers in ("1", "2"):
        summary = tmp_path / f"summary-{workers}.json"
        proc = subprocess.run([PROMOREADY, "batch", os.fsencode(folder), lines, "--workers", workers,
                               "--summary", summary, "--cycle", "c", "--db", f"sqlite:///{tmp_path}/db-{workers}.sqlite"],
                              capture_output=True, timeout=120)
        assert proc.returncode == 2 and b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
        got = records(proc.stdout)
        assert [r.get("source") for r in got] == [f"{folder}/bad\\udce9.yaml", None, f"{tmp_path}/caf\\udce9.jsonl:1", None]
        assert got[0]["error"]["file"] == got[0]["source"]
        assert [r["candidate_id"] for r in got] == [None, "c-00001", None, "c-00002"]
        assert [e["source"] for e in json.loads(summary.read_text())["errored"]] == [got[0]["source"], got[2]["source"]]
        assert b"caf\\udce9.jsonl:1: malformed JSON" in proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
