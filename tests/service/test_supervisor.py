"""The supervisor's policy with stand-in workers (small real processes, no server): workers that end
before they listen stop it with their status, and a worker that ends after it listened is restarted
as often as it ends. The real workers are tested in test_workers.py."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import pytest

from promoready.cli import _supervisor
from promoready.cli._supervisor import GIVE_UP, Supervisor


@contextmanager
def supervisor_log() -> Iterator[list[str]]:
    """The supervisor's log lines (its logger does not propagate once serve has configured logging)."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def failing(status: int) -> _supervisor.WorkerCommand:
    return lambda ready_fd, lifeline_fd: [sys.executable, "-c", f"import sys; sys.exit({status})"]


@pytest.mark.parametrize("status,expected", [(2, 2), (4, 4), (1, 3), (-9, 3)])
def test_workers_ending_before_they_listen_stop_it_with_their_status(status: int, expected: int):
    command = failing(status) if status >= 0 else (
        lambda r, l: [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    with supervisor_log() as lines:
        assert Supervisor(2, 1.0, command).run() == expected
    assert any(f"{GIVE_UP} workers ended before they could listen" in line for line in lines), lines


def test_a_worker_ending_after_it_listened_is_restarted_every_time(tmp_path):
    starts = tmp_path / "starts"
    script = ("import os, sys; open(sys.argv[1], 'a').write('x'); os.write(int(sys.argv[2]), b'r'); "
              "os.close(int(sys.argv[2]))")

    def command(ready_fd: int, lifeline_fd: int) -> list[str]:
        return [sys.executable, "-c", script, str(starts), str(ready_fd)]

    def stop_after_restarts() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if starts.exists() and len(starts.read_text()) >= GIVE_UP + 3:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)  # the supervisor's handler: stop, status 0

    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)  # a late signal is harmless to pytest
    watcher = threading.Thread(target=stop_after_restarts)
    watcher.start()
    try:
        with supervisor_log() as lines:
            assert Supervisor(2, 1.0, command).run() == 0
    finally:
        watcher.join()
        signal.signal(signal.SIGTERM, previous)
    assert len(starts.read_text()) >= GIVE_UP + 3
    text = "\n".join(lines)
    assert "after it listened; starting another" in text and "before they could listen" not in text
