"""``promoready serve``: the HTTP service on uvicorn, with worker processes.

Settings come from ``PROMOREADY_…`` variables, then from flags (a flag wins). Before anything listens,
the command checks them: it refuses a non-loopback address without bearer tokens, compiles every
ladder it will serve (a bad ladder ends the command with its error and exit 2, not a half-started
server) and makes sure the address can be bound. Workers are processes (durable-rules runs on one
thread per process); they get the checked settings as ``PROMOREADY_…`` variables, and share a
temporary folder for their metrics. With several, on Linux, each worker listens on a socket of its
own bound with ``SO_REUSEPORT`` and ``_supervisor`` keeps them running; elsewhere uvicorn's
multi-worker mode (one shared socket) is used. SIGTERM or Ctrl-C stops accepting connections, lets
requests in flight finish (up to the request timeout), and exits 0.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import shutil
import signal
import socket
import tempfile
from typing import Any, Optional

import click

from ._options import ladder_option

_ENV_HELP = "env PROMOREADY_"


@click.command()
@click.option("--host", default=None, metavar="ADDRESS",
              help=f"Address to listen on (default 127.0.0.1; {_ENV_HELP}HOST). Any other than loopback needs tokens.")
@click.option("--port", type=int, default=None, help=f"Port (default 8000; {_ENV_HELP}PORT).")
@click.option("--workers", type=int, default=None,
              help=f"Worker processes, each with its own engine (default 1; {_ENV_HELP}WORKERS).")
@ladder_option("each packet's bundled `ladder`, else product-management")
@click.option("--tokens-file", default=None, metavar="PATH",
              help=f"Bearer tokens, one NAME:SHA256HEX per line ({_ENV_HELP}TOKENS_FILE; or {_ENV_HELP}TOKENS, "
                   "comma-separated).")
@click.option("--max-body", type=int, default=None,
              help=f"Largest body or batch line, bytes (default: the engine's 10 MiB; {_ENV_HELP}MAX_BODY).")
@click.option("--max-yaml-body", type=int, default=None,
              help=f"Largest YAML body, bytes (default 1 MiB, at most --max-body; {_ENV_HELP}MAX_YAML_BODY).")
@click.option("--max-batch-items", type=int, default=None,
              help=f"Most items in one batch request (default 10000; {_ENV_HELP}MAX_BATCH_ITEMS).")
@click.option("--timeout", type=float, default=None,
              help=f"Seconds a request may take, batch streams included (default 30; {_ENV_HELP}TIMEOUT).")
@click.option("--slow-body-threads", type=int, default=None,
              help="Threads per worker that read YAML, JSON over 64 KiB and batch lines (default: CPUs ÷ workers, "
                   f"2 to 4; {_ENV_HELP}SLOW_BODY_THREADS).")
@click.option("--slow-body-queue", type=int, default=None,
              help="Such bodies that may wait for a thread; one more is refused at once, 503 service.busy "
                   f"(default 8; {_ENV_HELP}SLOW_BODY_QUEUE).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help=f"Allow this origin by CORS; repeat for more (default: none, no CORS; {_ENV_HELP}CORS_ORIGINS).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default=None,
              help=f"Server log level (default info; {_ENV_HELP}LOG_LEVEL).")
@click.option("--no-access-log", is_flag=True, default=False, help=f"No JSON access log ({_ENV_HELP}ACCESS_LOG=0).")
@click.option("--db", "db", default=None, metavar="URL|PATH",
              help="Keep every decision in this store (a SQLite file or postgresql+psycopg://…) and serve "
                   f"GET /v1/decisions/{{id}} ({_ENV_HELP}DB; default: none, decisions are not kept).")
@click.option("--cycle", "cycle", default=None, metavar="NAME",
              help=f"The store's cycle the decisions are logged in (default service; {_ENV_HELP}CYCLE).")
@click.option("--store-packets", "store_packets", is_flag=True, default=None,
              help=f"Log each packet too, masked ({_ENV_HELP}STORE_PACKETS=1; default: decisions only).")
@click.option("--mask", "masks", multiple=True, metavar="POINTER",
              help="A JSON Pointer (/packet/… or /decision/…; * for every item) removed from what is logged, never "
                   f"from an answer; repeat for more ({_ENV_HELP}MASKS, comma-separated).")
def serve(host: Optional[str], port: Optional[int], workers: Optional[int], ladder_path: Optional[str],
          tokens_file: Optional[str], max_body: Optional[int], max_yaml_body: Optional[int],
          max_batch_items: Optional[int],
          timeout: Optional[float], slow_body_threads: Optional[int], slow_body_queue: Optional[int],
          cors_origins: tuple[str, ...], log_level: Optional[str],
          no_access_log: bool, db: Optional[str], cycle: Optional[str], store_packets: Optional[bool],
          masks: tuple[str, ...]) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json; see docs/service.md).

    \b
    Examples:
      promoready serve
      promoready serve --workers 2 --port 8080
      PROMOREADY_TOKENS_FILE=tokens.txt promoready serve --host 0.0.0.0
      promoready serve --db history.sqlite --mask /decision/candidate_id
    """
    from promoready.service._settings import Settings, read_tokens_file

    settings = Settings.from_env()
    flags: dict[str, Any] = {"host": host, "port": port, "workers": workers, "ladder": ladder_path,
                             "max_body": max_body, "max_yaml_body": max_yaml_body,
                             "max_batch_items": max_batch_items, "timeout": timeout,
                             "slow_body_threads": slow_body_threads, "slow_body_queue": slow_body_queue,
                             "log_level": log_level, "cors_origins": tuple(cors_origins) or None,
                             "access_log": False if no_access_log else None, "db": db, "cycle": cycle,
                             "store_packets": True if store_packets else None, "masks": tuple(masks) or None}
    changes = {k: v for k, v in flags.items() if v is not None}
    if tokens_file is not None:
        changes["tokens"] = read_tokens_file(tokens_file)  # the flag replaces the environment's tokens
    settings = settings.with_(**changes)
    if settings.masks:  # checked already (with_ refuses a bad one): what the schema cannot vouch for is said once
        from promoready.store import Masks

        from . import warning_line

        for warning in Masks(settings.masks).warnings():
            warning_line(warning)
    _check_bind(settings)
    _serve(settings)


def _check_bind(settings: Any) -> None:
    """Refuse a non-loopback address without tokens, and an address that cannot be bound (exit 2)."""
    from promoready.engine import errors
    from promoready.service._settings import is_loopback

    if not is_loopback(settings.host) and not settings.auth:
        raise errors.UsageError(
            f"refusing to listen on {settings.host} without authentication: configure bearer tokens "
            "(--tokens-file or PROMOREADY_TOKENS), or listen on 127.0.0.1", code=errors.USAGE_BIND, path="--host")
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((settings.host, settings.port))
    except OSError as exc:
        raise errors.UsageError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
                                code=errors.USAGE_BIND, path="--port") from None


def _serve(settings: Any) -> None:
    """Compile the ladders, then run uvicorn until SIGTERM or Ctrl-C."""
    from promoready.service._metrics import MULTIPROC_ENV

    metrics_dir: Optional[str] = None
    if settings.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # Set before prometheus_client is imported anywhere: it chooses its storage at import.
        metrics_dir = tempfile.mkdtemp(prefix="promoready-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        import uvicorn

        from promoready.service import create_app
        from promoready.service._engine import Engine
        from promoready.engine.registry import LadderRegistry
        from promoready.service._worker import STOP_ASKED, reuseport_available, server_options, stop_asked
        from promoready.service.app import LOG_CONFIG

        registry = LadderRegistry(settings.ladder)
        engine = Engine(registry)
        engine.warm()  # a bad ladder raises its LadderError here: exit 2 before listening
        if settings.db is not None:  # likewise a store that cannot be used: exit 2 (or 4 if unreachable)
            from promoready.service._decisions import DecisionLog

            DecisionLog.check(settings)
        os.environ.pop("PROMOREADY_TOKENS_FILE", None)  # its tokens are in PROMOREADY_TOKENS now
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the handler
        # it found; with these, a stop asked for ends the command normally (exit 0).
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop_asked)
        logging.config.dictConfig(LOG_CONFIG)  # the supervisor's own lines, as the workers' ({"event": "server"})
        logging.getLogger("uvicorn.error").setLevel(settings.log_level.upper())
        os.environ.update(settings.to_env())
        if settings.workers == 1:
            uvicorn.run(create_app(settings, registry), **server_options(settings))
        elif reuseport_available():
            from promoready.service._worker import DIGESTS_ENV, holding_socket, ladder_digests

            from ._status import Finished
            from ._supervisor import Supervisor

            # Workers started later (restarts) serve these ladders or none: see service/_worker.py.
            os.environ[DIGESTS_ENV] = json.dumps(ladder_digests(engine), sort_keys=True)
            status = Supervisor(settings.workers, settings.timeout, pending=STOP_ASKED,
                                reserve=lambda: holding_socket(settings.host, settings.port)).run()
            if status:
                raise Finished(status)
        else:
            logging.getLogger("uvicorn.error").warning(
                "SO_REUSEPORT is not available here: the %d workers share one listening socket (uvicorn's "
                "multi-worker mode)", settings.workers)
            uvicorn.run("promoready.service.app:create_app_from_env", factory=True, workers=settings.workers,
                        **server_options(settings))
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
