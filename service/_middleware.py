"""One ASGI middleware around every request: authentication, size and time limits, the last-resort
error handler, metrics, and the JSON access log.

It is plain ASGI (not Starlette's ``BaseHTTPMiddleware``) so that batch answers stream through it.
The access log names the route, status, time, token name and decision ids, never a body: packets are
never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from typing import Any, Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promoready.engine import errors
from promoready.engine.errors import PromoreadyError, ServiceError

from ._engine import unexpected
from ._metrics import Metrics
from ._problems import problem_bytes, PROBLEM_TYPE
from ._settings import Settings

ACCESS_LOG = logging.getLogger("promoready.service.access")
ERROR_LOG = logging.getLogger("promoready.service.error")

#: Paths answered without a token: probes must work before and without credentials.
OPEN_PATHS = ("/health/live", "/health/ready")
#: Streaming answers keep their own deadline (a problem line at the end), see ``_batch``.
STREAMING_PATHS = ("/v1/evaluate/batch",)


class Guard:
    """The middleware (see the module docstring); state for the routes goes in ``scope["state"]``."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        state["deadline"] = time.monotonic() + self.settings.timeout
        state["decision_ids"] = []
        sent: dict[str, Any] = {"status": None, "bytes": 0}

        async def send_tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        token_name: Optional[str] = None
        try:
            refusal = self._refusal(scope)
            if isinstance(refusal, PromoreadyError):
                await self._send_problem(refusal, path, send_tracked)
            else:
                token_name = refusal
                if path in STREAMING_PATHS:
                    await self.app(scope, receive, send_tracked)
                else:
                    await asyncio.wait_for(self.app(scope, receive, send_tracked), self.settings.timeout)
        except asyncio.TimeoutError:
            if sent["status"] is None:
                await self._send_problem(ServiceError(f"the request took longer than {self.settings.timeout:g} s",
                                                      code=errors.SERVICE_TIMEOUT), path, send_tracked)
        except Exception as exc:  # the last resort: a problem, never a stack trace in the answer
            ERROR_LOG.error("%s", json.dumps({"event": "internal-error", "path": path, "error": type(exc).__name__,
                                              "stack": traceback.format_tb(exc.__traceback__)}))
            if sent["status"] is None:
                await self._send_problem(unexpected(exc), path, send_tracked)
        finally:
            self._record(scope, sent, started, token_name)

    def _refusal(self, scope: Scope) -> "PromoreadyError | str | None":
        """A problem to answer instead of the request, or the name of the token presented (None: no auth)."""
        if scope["method"] != "OPTIONS" and self.settings.auth and scope["path"] not in OPEN_PATHS:
            token = _bearer(scope)
            name = self.settings.authenticate(token)
            if name is None:
                said = "no bearer token" if token is None else "an unknown bearer token"
                return ServiceError(f"{said}: send Authorization: Bearer <token>", code=errors.SERVICE_UNAUTHORIZED)
            return name
        length = _header(scope, b"content-length")
        if length is not None and scope["path"] not in STREAMING_PATHS:
            if not length.isdigit():
                return ServiceError("Content-Length is not a number", code=errors.SERVICE_INVALID, path="Content-Length")
            if int(length) > self.settings.max_body:
                return errors.InputError(f"the body is {int(length):,} bytes; the limit is {self.settings.max_body:,}",
                                         code=errors.INPUT_TOO_LARGE)
        return None

    async def _send_problem(self, exc: PromoreadyError, path: str, send: Send) -> None:
        self.metrics.problem(exc.code)
        status, body = problem_bytes(exc, instance=path)
        headers = [(b"content-type", PROBLEM_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        if exc.code == errors.SERVICE_UNAUTHORIZED:
            headers.append((b"www-authenticate", b'Bearer realm="promoready"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, sent: dict[str, Any], started: float, token_name: Optional[str]) -> None:
        seconds = time.perf_counter() - started
        status = sent["status"] or 500
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        self.metrics.observe(scope["method"], route, status, seconds)
        if self.settings.access_log and ACCESS_LOG.isEnabledFor(logging.INFO):
            ids = scope["state"].get("decision_ids", [])
            record = {
                "event": "request",
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "ms": round(seconds * 1000, 3),
                "bytes": sent["bytes"],
                "client": scope["client"][0] if scope.get("client") else None,
                "token": token_name,
                "decisions": len(ids),
                "decision_ids": ids[:100],
                "codes": scope["state"].get("codes", [])[:20],
            }
            ACCESS_LOG.info("%s", json.dumps(record, separators=(",", ":")))


def _header(scope: Scope, name: bytes) -> Optional[str]:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _bearer(scope: Scope) -> Optional[str]:
    value = _header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
