"""Helpers for the service tests (not named conftest: tests/conftest.py is imported by that name): an in-process client over httpx's ASGI transport, a real ``promoready serve`` process, and example packets.

One event loop per client runs every request of a test, as uvicorn's one loop per worker would; the
ladders are compiled by the app's lifespan before the first request, as in ``promoready serve``.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Iterator, Optional

import httpx
import pytest
from ruamel.yaml import YAML

from promoready.service import Settings, create_app

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "examples", "packet.yaml")


class Client:
    """A synchronous face on ``httpx.AsyncClient(transport=ASGITransport(app))``, lifespan included."""

    def __init__(self, app: Any, *, lifespan: bool = True) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan = app.router.lifespan_context(app) if lifespan else None
        if self._lifespan is not None:
            self.loop.run_until_complete(self._lifespan.__aenter__())
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        if self._lifespan is not None:
            self.loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        # As asyncio.run ends a loop: an async generator left suspended (httpx's ASGITransport never closes
        # a request body the app stopped reading early) is closed here, while the loop can still run it.
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def make_client(settings: Optional[Settings] = None, **kwargs: Any) -> Client:
    return Client(create_app(settings or Settings(access_log=True)), **kwargs)


@pytest.fixture
def client() -> Iterator[Client]:
    c = make_client()
    yield c
    c.close()


def library(packet: dict, as_of: Any = None) -> bytes:
    """The library's decision bytes for a packet, with the bundled ladder it names (else the default)."""
    from promoready.engine import bundled_ladders

    folder = bundled_ladders().get(packet.get("ladder") or "product-management")
    return shared_evaluator(folder).evaluate(packet, as_of=as_of).to_json_bytes()


def shared_evaluator(folder: Optional[str]) -> Any:
    """The test session's one evaluator of a ladder (tests/conftest.py compiles each once)."""
    import conftest  # tests/conftest.py, on the path pytest set up

    return conftest.evaluator(folder)


class FaultyRegistry:
    """A registry that evaluates every packet with the default ladder, except that ``fault`` is called with
    each loaded packet first and may raise, as a bug in the engine would."""

    fixed = None
    bundled: dict = {}

    def __init__(self, fault: Callable[[Any], None]) -> None:
        self.real = shared_evaluator(None)
        self.fault = fault

    def evaluator_for(self, ladder: Any = None) -> Any:
        return self.real

    def evaluator_for_packet(self, loaded: Any) -> Any:
        self.fault(loaded)
        return self.real


def example_text() -> str:
    with open(EXAMPLE, encoding="utf-8") as fh:
        return fh.read()


def example_packet() -> dict:
    """examples/packet.yaml as a client sends it in JSON (dates as text)."""
    return json.loads(json.dumps(YAML(typ="safe").load(example_text()), default=str))


def case_packets() -> list[tuple[str, dict]]:
    """Every example case packet of the bundled ladders: (case name, packet as JSON data)."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "*", "examples", "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            cases = YAML(typ="safe").load(fh)["cases"]
        for case in cases:
            # Through JSON once: dates as text, as a client sends them.
            packet = json.loads(json.dumps(case["packet"], default=str))
            out.append((f"{os.path.basename(path)}:{case['name']}", packet))
    assert len(out) > 20
    return out


START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """One ``promoready serve`` process, its port and its stderr (a file: access logs can be long)."""

    def __init__(self, tmp_path, *args: str, env: Optional[dict] = None, wait: bool = True,
                 port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.err_path = tmp_path / f"serve-{self.port}.err"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("PROMOREADY_", "PROMETHEUS_"))}
        environ.update(env or {})
        with open(self.err_path, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "promoready", "serve", "--port", str(self.port),
                                             *args], stdout=subprocess.DEVNULL, stderr=err, env=environ)
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited {self.process.returncode}: {self.stderr()}"
            try:
                if httpx.get(self.url + "/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not become ready: {self.stderr()}")

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def worker_pids(served: Served, count: int, *, not_in: frozenset[int] = frozenset()) -> set[int]:
    """The pids answering ``/v1/status`` on new connections, asked until ``count`` of them are not in
    ``not_in`` (a worker may still be compiling its ladders)."""
    pids: set[int] = set()
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=served.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
        while len(pids - not_in) < count:
            assert time.monotonic() < deadline, f"only {pids} answered: {served.stderr()}"
            pids.add(fresh.get("/v1/status").json()["pid"])
            time.sleep(0.02)
    return pids
