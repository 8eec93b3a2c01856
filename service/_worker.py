"""One worker process of ``promoready serve --workers N``: uvicorn on a listening socket of its own.

The supervisor (``promoready.cli._supervisor``) starts each worker as
``python -m promoready.service._worker READY_FD LIFELINE_FD`` with the checked settings in
``PROMOREADY_…`` variables. The worker binds its own socket to the service's address with
``SO_REUSEPORT``: the kernel then spreads new connections over every worker's socket by a hash of
the connection's addresses, so that a burst of keep-alive connections cannot all land on one worker
(as with one socket shared by all, where whichever process wakes first accepts).

Before it binds anything the worker compiles its ladders and checks its store, as ``serve`` did before
starting it: a bad ladder, a store out of reach, or a ladder whose files changed since the service
started (``PROMOREADY_LADDER_DIGESTS``: a restarted worker must not answer with another ladder than
its siblings) ends it with the error's message and exit status (2, or 4), never a traceback.
The socket is bound then (a port taken is a quick, clear failure) but listens only once the app
has started: until then the kernel sends no connection to it, so none waits on a
worker that cannot answer. When it listens, the worker writes one byte to ``READY_FD``. It reads
``LIFELINE_FD``, whose other end only the supervisor holds: end of file there means the supervisor
is gone (even killed with SIGKILL), and the worker then shuts down as on SIGTERM instead of serving
on, unsupervised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from typing import Any, Optional

import uvicorn

from promoready.engine import PromoreadyError, errors
from promoready.engine.registry import LadderRegistry

from .app import LOG_CONFIG, create_app
from ._engine import Engine
from ._settings import Settings

#: uvicorn's server logger: its lines are the ``{"event": "server", …}`` lines of the log.
logger = logging.getLogger("uvicorn.error")

#: The worker's exit status when its address cannot be bound (a bad address or a port taken): usage.
CANNOT_BIND = 2
#: The digest of every ladder the supervisor compiled before starting its workers (JSON: id → digest).
DIGESTS_ENV = "PROMOREADY_LADDER_DIGESTS"
#: Stop signals that arrived before uvicorn took over signal handling (it re-raises its own at exit), in
#: this process: a worker's, or the supervising ``serve``'s (which then starts no worker).
STOP_ASKED: list[int] = []


def ladder_digests(engine: Engine) -> dict[str, str]:
    """Ladder id → digest of every ladder ``engine`` serves (compiled)."""
    return {ladder_id: evaluator.digest for ladder_id, evaluator in engine.served().items()}


def _prepared(settings: Settings) -> LadderRegistry:
    """The worker's ladders, compiled, and its store checked, before it binds anything: a bad ladder,
    a ladder whose files changed since the service started, or a store out of reach is an error
    with its code (and the exit status the catalogue gives it), never a half-started worker."""
    registry = LadderRegistry(settings.ladder)
    engine = Engine(registry)
    engine.warm()
    expected = os.environ.get(DIGESTS_ENV)
    if expected:
        import json

        wanted: dict[str, str] = json.loads(expected)
        found = ladder_digests(engine)
        for ladder_id in sorted(set(wanted) | set(found)):
            if wanted.get(ladder_id) != found.get(ladder_id):
                raise errors.ServiceError(
                    f"ladder '{ladder_id}' is not the one the service started with (its files changed since: "
                    f"digest {wanted.get(ladder_id) or 'none'} then, {found.get(ladder_id) or 'none'} now); this "
                    "worker will not answer with another ladder than the others: restart the service to serve it",
                    code=errors.SERVICE_LADDER_CHANGED)
    if settings.db is not None:
        from ._decisions import DecisionLog

        DecisionLog.check(settings)
    return registry


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``settings``, the same for one process and for each worker."""
    return dict(host=settings.host, port=settings.port, log_config=LOG_CONFIG, log_level=settings.log_level,
                access_log=False, server_header=False, timeout_graceful_shutdown=max(1, int(settings.timeout)))


def reuseport_available() -> bool:
    """Whether this system spreads connections over sockets bound with ``SO_REUSEPORT`` (Linux does;
    elsewhere the option may exist without spreading connections, or not at all)."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return False
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        return False
    return True


def _bound(host: str, port: int, *, reuse_addr: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (and ``SO_REUSEADDR`` if asked), not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuse_addr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:  # as asyncio binds an IPv6 host: that family only
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A worker's socket: bound to ``host:port`` with ``SO_REUSEPORT``, non-blocking, not listening yet."""
    sock = _bound(host, port, reuse_addr=True)
    sock.setblocking(False)
    return sock


def holding_socket(host: str, port: int) -> socket.socket:
    """A socket that holds ``host:port`` for the workers without ever listening: bound with
    ``SO_REUSEPORT`` (the workers may join), not ``SO_REUSEADDR`` (no other program may bind it while
    every worker is down). A socket that does not listen takes no connection."""
    return _bound(host, port, reuse_addr=False)


class WorkerServer(uvicorn.Server):
    """uvicorn's server, which tells the supervisor when it listens and stops when the supervisor is gone."""

    def __init__(self, config: uvicorn.Config, ready_fd: int, lifeline_fd: int) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd
        self.lifeline_fd = lifeline_fd

    async def startup(self, sockets: Optional[list[socket.socket]] = None) -> None:
        if STOP_ASKED:  # a stop asked for before uvicorn handled signals: never listen
            self.should_exit = True
            return
        await super().startup(sockets=sockets)
        if not self.started or self.should_exit:  # stopping already: the supervisor need not count on it
            return
        asyncio.get_running_loop().add_reader(self.lifeline_fd, self._lifeline)
        host, port = self.config.host, self.config.port
        logger.info("Worker [%d] listening on http://%s:%d (its own SO_REUSEPORT socket)", os.getpid(),
                    f"[{host}]" if ":" in host else host, port)
        try:
            os.write(self.ready_fd, b"r")
            os.close(self.ready_fd)
        except OSError:  # the supervisor is gone: the lifeline says so at once
            pass

    def _lifeline(self) -> None:
        try:
            data = os.read(self.lifeline_fd, 64)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.lifeline_fd)
            if not self.should_exit:
                logger.warning("Worker [%d]: the supervisor is gone; shutting down", os.getpid())
                self.should_exit = True


def stop_asked(signum: int, frame: Any) -> None:
    """The handler of SIGTERM and SIGINT in ``serve`` and its workers: a stop before uvicorn runs is
    remembered (in ``STOP_ASKED``: a worker then never listens, a supervisor starts none); after uvicorn's
    graceful shutdown, uvicorn raises the signal again here: the stop was asked for, nothing more to do."""
    STOP_ASKED.append(signum)


def main(argv: Optional[list[str]] = None) -> int:
    """Run one worker until SIGTERM, SIGINT or the supervisor's end; the process's exit status."""
    args = sys.argv[1:] if argv is None else argv
    ready_fd, lifeline_fd = int(args[0]), int(args[1])
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the handler it
    # found; with these, a stop asked for ends the worker normally (exit 0), at any moment.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop_asked)
    try:
        settings = Settings.from_env()
        registry = _prepared(settings)
    except PromoreadyError as exc:
        logger.error("Worker [%d] cannot start: %s", os.getpid(), exc)
        return exc.exit_code
    if STOP_ASKED:
        return 0
    config = uvicorn.Config(create_app(settings, registry), **server_options(settings))
    try:
        sock = reuseport_socket(settings.host, settings.port)
    except OSError as exc:
        logger.error("Worker [%d] cannot listen on %s:%d: %s", os.getpid(), settings.host, settings.port,
                     exc.strerror or exc)
        return CANNOT_BIND
    WorkerServer(config, ready_fd, lifeline_fd).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
