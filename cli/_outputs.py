"""What an output path names, and whether ``batch`` may write it: the checks made before anything starts.

- ``Target``: a regular file (or nothing yet), a device/FIFO/socket, or one of this process's own file
  descriptors (``/dev/stdout``, ``/dev/fd/3``), found out once from the path.
- ``check``: neither output is an input (the same file by device and inode: through a symlink, a hard
  link, inside an input folder, or stdin) nor the other output.
- ``Lock``: an advisory lock (``flock``) beside a regular output for the whole run, so that a second
  run writing the same file is refused instead of silently racing the first.
- ``remove_stale``: the temporary files of earlier runs killed outright (``kill -9``), removed.

The sinks that write the records (``cli._sinks``) use these; nothing here writes an output.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from typing import Iterable, NamedTuple, Optional

from promoready.engine.errors import USAGE_OUT, USAGE_OUT_IS_INPUT, USAGE_OUT_LOCKED, UsageError


try:
    import fcntl
except ImportError:  # no advisory locks on this system: outputs are not locked
    fcntl = None  # type: ignore[assignment]

#: Paths that name one of this process's own file descriptors.
_OWN_FD = re.compile(r"^/(?:dev/fd|proc/self/fd|proc/(\d+)/fd)/(\d+)$")
_STD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


class Target(NamedTuple):
    """What an output path names: where it is written, how, and which file it is now."""

    given: str  # as the user wrote it (messages name it)
    real: str  # with every symlink resolved: the file replaced, the folder of the temporary file
    kind: str  # "file" (a regular file, or nothing yet), "special" (device, FIFO, socket), "fd" (ours)
    fd: Optional[int] = None  # kind "fd": the descriptor
    identity: Optional[tuple[int, int]] = None  # (device, inode) of an existing regular file

    @staticmethod
    def of(path: str, option: str) -> Target:
        """Find out what ``path`` names (``option`` for messages)."""
        fd = _own_fd(path)
        if fd is not None:
            try:
                st = os.fstat(fd)
            except OSError:
                raise UsageError(f"file descriptor {fd} is not open", code=USAGE_OUT, file=path, path=option) from None
            return Target(path, path, "fd", fd, _identity(st))
        real = os.path.realpath(path)
        try:
            st = os.stat(real)
        except FileNotFoundError:
            return Target(path, real, "file")
        except OSError as exc:
            raise UsageError(f"cannot use it: {exc.strerror}", code=USAGE_OUT, file=path, path=option) from None
        if stat.S_ISDIR(st.st_mode):
            raise UsageError("it is a folder", code=USAGE_OUT, file=path, path=option)
        if stat.S_ISREG(st.st_mode):
            return Target(path, real, "file", None, _identity(st))
        return Target(path, real, "special")


def _own_fd(path: str) -> Optional[int]:
    if path in _STD:
        return _STD[path]
    match = _OWN_FD.match(os.path.normpath(path))
    if match and (match.group(1) is None or int(match.group(1)) == os.getpid()):
        return int(match.group(2))
    return None


def _identity(st: os.stat_result) -> Optional[tuple[int, int]]:
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _stdout_target() -> Optional[Target]:
    """stdout as an output when it is a regular file (``>> file``), to check it against the inputs."""
    try:
        fd = sys.stdout.fileno()
        return Target("stdout", "stdout", "fd", fd, _identity(os.fstat(fd)))
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner)
        return None


def _check_apart(out: Optional[Target], summary: Optional[Target]) -> None:
    if out is None or summary is None:
        return
    same = out.identity is not None and out.identity == summary.identity
    if same or (out.kind == summary.kind == "file" and out.real == summary.real):
        raise UsageError(f"it is the same file as --out {out.given}: the summary would replace the decisions",
                         code=USAGE_OUT_IS_INPUT, file=summary.given, path="--summary")


def _check_not_inputs(inputs: list[str], outputs: list[tuple[Target, str]], skip: list[str]) -> None:
    """Refuse an output that is the same regular file as an input (files only: a terminal may well be both)."""
    mine = {t.identity: (t, option) for t, option in outputs if t.identity is not None}
    if not mine:
        return
    skipped = {os.path.abspath(p) for p in skip}
    for name, identity in _input_files(inputs, skipped):
        if identity in mine:
            target, option = mine[identity]
            shown = "stdout" if target.given == "stdout" else target.given
            raise UsageError(f"it is also an input ({name}): writing it would destroy that input",
                             code=USAGE_OUT_IS_INPUT, file=shown, path=option if shown != "stdout" else None)


def _input_files(inputs: list[str], skipped: set[str]) -> Iterable[tuple[str, tuple[int, int]]]:
    """(name, identity) of every regular file the inputs name: stdin, files, and folders' packet files."""
    for name in inputs:
        try:
            if name == "-":
                st = os.fstat(sys.stdin.fileno())
                label = "stdin"
            else:
                st = os.stat(name)
                label = name
        except (AttributeError, OSError, ValueError):  # missing or unreadable: the batch reports it
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _folder_files(name, skipped)
        elif stat.S_ISREG(st.st_mode):
            yield label, (st.st_dev, st.st_ino)


def _folder_files(folder: str, skipped: set[str]) -> Iterable[tuple[str, tuple[int, int]]]:
    """(name, identity) of the regular packet files of a folder, found as a batch reads the folder."""
    from promoready.engine.batch import folder_packets  # only for a folder input: it loads the batch package

    # Left out by the name given, not the real path: an output linked to a packet of the folder is that packet.
    for path, error in folder_packets(folder):
        if error is not None or os.path.abspath(path) in skipped:  # unreadable: the batch reports it
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            yield path, (st.st_dev, st.st_ino)


class Lock:
    """An advisory lock (``flock``) on ``.NAME.lock`` beside an output file, held by one run at a time.

    The lock file holds the pid of the run holding it, for the message the next run gets. It is removed
    on release; a run that took the lock on a file removed meanwhile takes it again on the new one.
    Where the file system has no locks, the output is not locked.
    """

    def __init__(self, target: Target, option: str, command: str = "batch") -> None:
        self.path = os.path.join(os.path.dirname(target.real), f".{os.path.basename(target.real)}.lock")
        self.fd: Optional[int] = None
        if fcntl is None:
            return
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                raise UsageError(f"cannot write beside it: {exc.strerror}", code=USAGE_OUT, file=target.given,
                                 path=option) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f"another {command} run (pid {holder})" if holder else f"another {command} run"
                raise UsageError(f"{who} is writing it; wait for that run to end, or write elsewhere",
                                 code=USAGE_OUT_LOCKED, file=target.given, path=option) from None
            except OSError:  # no locks on this file system
                os.close(fd)
                return
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
                break
            os.close(fd)  # released and removed by its holder after we opened it: lock the new one
        self.fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:  # the pid is only for messages
            pass

    def release(self) -> None:
        """Remove the lock file, then let go (in that order, so that no other run locks a removed file)."""
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


def _read_pid(fd: int) -> Optional[int]:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is not ours to signal
        return True
    return True


def remove_stale(real: str) -> list[str]:
    """Remove the temporary files of earlier runs on ``real`` whose process is gone; the names removed.

    A run killed outright (``kill -9``, a power cut) cannot remove its own. One whose pid is alive (or
    reused) is left alone.
    """
    folder, base = os.path.split(real)
    pattern = re.compile(r"^\." + re.escape(base) + r"\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
    removed: list[str] = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None or int(match.group(1)) == os.getpid() or _pid_alive(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def check(inputs: Iterable[str], out: Optional[Target], summary: Optional[Target], skip: list[str]) -> None:
    """Refuse an output that is an input, or the other output (``usage.out-is-input``).

    ``out`` None means stdout, checked when it is a regular file (``>> file``); ``skip`` are the output
    paths as given, which a folder input does not list.
    """
    stdout = out or _stdout_target()
    _check_apart(out, summary)
    _check_not_inputs(list(inputs), [(t, o) for t, o in ((stdout, "--out"), (summary, "--summary")) if t], skip=skip)
