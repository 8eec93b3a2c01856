"""``promoready serve --workers 2`` under its own supervisor, a real process on loopback: each worker
listens on a socket of its own (``SO_REUSEPORT``) and the supervisor on none, new connections reach
both workers, a killed worker is replaced, workers do not outlive a killed supervisor, and a port
already in use is still a clear exit 2. (Metrics across workers, graceful SIGTERM and a bad ladder
with 2 workers are in test_serve.py.)"""

from __future__ import annotations

import collections
import os
import signal
import socket
import time

import httpx
import pytest

from promoready.engine import errors
from promoready.service._worker import reuseport_available

from service_support import START_TIMEOUT, Served, example_packet, free_port, worker_pids

pytestmark = pytest.mark.skipif(not reuseport_available(), reason="SO_REUSEPORT spreads connections on Linux only")


def listening_inodes(port: int) -> set[int]:
    """The inodes of the TCP sockets listening on 127.0.0.1:``port`` (/proc/net/tcp, state 0A)."""
    wanted = f"0100007F:{port:04X}"
    inodes = set()
    with open("/proc/net/tcp", encoding="ascii") as fh:
        next(fh)
        for line in fh:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":
                inodes.add(int(fields[9]))
    return inodes


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process ``pid`` holds open."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie counts: its sockets are closed)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_for(condition, what, seconds: float = 60.0) -> None:
    """Wait until ``condition()``; past ``seconds``, fail with ``what`` (or what it returns, if callable)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.1)


def counted(requests: int) -> str:
    return f'promoready_http_requests_total{{method="POST",route="/v1/evaluate",status="200"}} {requests}.0'


@pytest.fixture
def two(tmp_path):
    # The metrics folder is the test's: a supervisor killed outright cannot remove the one it makes.
    (tmp_path / "metrics").mkdir()
    s = Served(tmp_path, "--workers", "2", env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")})
    yield s
    s.stop()


def test_each_worker_listens_on_its_own_socket_the_supervisor_on_none_and_connections_reach_both(two: Served):
    pids = worker_pids(two, 2)
    assert two.process.pid not in pids
    listeners = listening_inodes(two.port)
    assert len(listeners) == 2
    held = {pid: socket_inodes(pid) & listeners for pid in pids}
    assert all(len(mine) == 1 for mine in held.values()) and set().union(*held.values()) == listeners
    assert not socket_inodes(two.process.pid) & listeners  # no socket whose connections nobody would accept
    answered: collections.Counter[int] = collections.Counter()
    with httpx.Client(base_url=two.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
        for _ in range(60):  # every new connection is answered, by either worker
            answered[fresh.get("/v1/status").json()["pid"]] += 1
            assert fresh.post("/v1/evaluate", json=example_packet()).status_code == 200
    assert set(answered) == pids
    assert two.stop() == 0
    assert two.stderr().count("its own SO_REUSEPORT socket") == 2


def test_a_worker_killed_is_replaced_and_its_counts_stay_in_the_metrics(two: Served):
    pids = worker_pids(two, 2)
    with httpx.Client(base_url=two.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
        for _ in range(10):
            assert fresh.post("/v1/evaluate", json=example_packet()).status_code == 200
        # A request is counted just after its answer is sent: all ten counted before a worker is killed.
        wait_for(lambda: counted(10) in fresh.get("/metrics").text, lambda: fresh.get("/metrics").text)
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: gone(victim), "the killed worker is still there")
        for _ in range(10):  # the other worker answers every new connection meanwhile
            assert fresh.post("/v1/evaluate", json=example_packet()).status_code == 200
    later = worker_pids(two, 1, not_in=frozenset(pids))
    (replacement,) = later - pids
    assert victim not in later and replacement != two.process.pid
    wait_for(lambda: counted(20) in httpx.get(two.url + "/metrics", timeout=30).text,
             lambda: httpx.get(two.url + "/metrics", timeout=30).text)
    assert two.stop() == 0
    assert f"worker [{victim}] was ended by signal {signal.SIGKILL.value} (SIGKILL) after it listened" in two.stderr()


def test_workers_do_not_outlive_a_killed_supervisor(two: Served):
    pids = worker_pids(two, 2)
    two.process.kill()
    two.process.wait(timeout=30)
    wait_for(lambda: all(gone(pid) for pid in pids), "a worker kept running without its supervisor")
    wait_for(lambda: not listening_inodes(two.port), "the port is still listening")
    assert "the supervisor is gone" in two.stderr()


@pytest.mark.parametrize("reuseport", [False, True])
def test_a_port_in_use_is_exit_2_with_workers(tmp_path, reuseport: bool):
    with socket.socket() as busy:
        if reuseport:  # a stranger's SO_REUSEPORT group: the workers must not join it
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        s = Served(tmp_path, "--workers", "2", port=port, wait=False)
        assert s.process.wait(timeout=START_TIMEOUT) == 2
        assert listening_inodes(port) == {os.fstat(busy.fileno()).st_ino}
    assert f"[{errors.USAGE_BIND}]" in s.stderr() and "cannot listen" in s.stderr() and "Traceback" not in s.stderr()


def test_the_supervisor_holds_the_address_while_every_worker_is_down(two: Served):
    pids = worker_pids(two, 2)
    for pid in pids:  # both at once: until a replacement has compiled its ladders, none is bound
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: all(gone(pid) for pid in pids), "a killed worker is still there")
    # What another `serve` checks before it starts: the port is not free, though nobody listens on it
    # (the supervisor holds it with a socket that never listens, so it takes no connection either).
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            probe.bind(("127.0.0.1", two.port))
    assert not socket_inodes(two.process.pid) & listening_inodes(two.port)
    wait_for(lambda: len(listening_inodes(two.port)) == 2, "the replacements did not listen")  # they joined it
    assert len(worker_pids(two, 2, not_in=frozenset(pids)) - pids) == 2
    assert two.stop() == 0


def test_a_restarted_worker_will_not_serve_a_ladder_changed_on_disk_and_the_others_serve_on(tmp_path):
    import shutil

    ladder = tmp_path / "ladder"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "..", "rules", "product-management"), ladder)
    s = Served(tmp_path, "--workers", "2", "--ladder", str(ladder))
    try:
        pids = worker_pids(s, 2)
        head = (ladder / "ladder.yaml").read_text(encoding="utf-8")
        edited = head.replace("\ntitle: ", "\ntitle: Edited ", 1)  # still a good ladder, another digest
        assert edited != head
        (ladder / "ladder.yaml").write_text(edited, encoding="utf-8")
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: f"[{errors.SERVICE_LADDER_CHANGED}]" in s.stderr() and "trying again in" in s.stderr(),
                 s.stderr)
        with httpx.Client(base_url=s.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
            for _ in range(10):  # the worker that listened serves on, with the ladder the service started with
                assert fresh.post("/v1/evaluate", json=example_packet()).status_code == 200
        assert s.process.poll() is None
    finally:
        assert s.stop() == 0
    assert "Traceback" not in s.stderr()


def catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (its SigCgt mask in /proc)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            mask = next(int(line.split()[1], 16) for line in fh if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(mask >> (signum - 1) & 1)


def run_worker(tmp_path, env: dict, *, stop_at_once: bool = False) -> tuple[int, str]:
    """``python -m promoready.service._worker`` on its own, as the supervisor starts it: its exit
    status and stderr (with ``stop_at_once``, sent SIGTERM as soon as it runs)."""
    import subprocess
    import sys

    ready_read, ready_write = os.pipe()
    lifeline_read, lifeline_write = os.pipe()
    err_path = tmp_path / "worker.err"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PROMOREADY_", "PROMETHEUS_"))}
    environ.update({"PROMOREADY_PORT": str(free_port()), **env})
    try:
        with open(err_path, "wb") as err:
            process = subprocess.Popen([sys.executable, "-m", "promoready.service._worker", str(ready_write),
                                        str(lifeline_read)], pass_fds=(ready_write, lifeline_read),
                                       stdout=subprocess.DEVNULL, stderr=err, env=environ)
        if stop_at_once:  # as soon as the worker catches SIGTERM: while it compiles its ladders
            deadline = time.monotonic() + START_TIMEOUT
            while process.poll() is None and not catches(process.pid, signal.SIGTERM):
                assert time.monotonic() < deadline, "the worker never caught SIGTERM"
                time.sleep(0.001)
            process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=START_TIMEOUT)
    finally:
        for fd in (ready_read, ready_write, lifeline_read, lifeline_write):
            os.close(fd)
    return status, err_path.read_text(encoding="utf-8", errors="replace")


def test_a_worker_that_cannot_reach_its_store_ends_with_status_4_and_the_message(tmp_path):
    # The store went away after the service started: the replacement worker says so, as `serve` would.
    status, stderr = run_worker(tmp_path, {"PROMOREADY_DB": "postgresql+psycopg://promoready@127.0.0.1:1/gone"})
    assert status == 4, stderr
    assert f"[{errors.SYSTEM_STORE_UNAVAILABLE}]" in stderr and "cannot start" in stderr
    assert "Traceback" not in stderr and "listening" not in stderr


def test_a_worker_stopped_while_it_starts_ends_without_ever_listening(tmp_path):
    # Without the ladder cache, compiling takes long enough (a quarter of a second) for the stop to land in it.
    status, stderr = run_worker(tmp_path, {"PROMOREADY_NO_CACHE": "1"}, stop_at_once=True)
    # Asked to stop before uvicorn handles signals: the worker ends normally and never listens.
    assert status == 0, stderr
    assert "listening" not in stderr and "Traceback" not in stderr
