"""Errors as RFC 9457 problem details (``application/problem+json``), from the one error catalogue.

A ``PromoreadyError`` becomes a problem with its ``code``, ``path``, ``line`` and ``suggestion`` and the
catalogue's HTTP status; FastAPI's parameter errors and Starlette's 404/405 become catalogued service
codes; anything else is a 500 ``engine.internal`` problem that names no more than the exception's
class. No stack trace is ever sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from promoready.engine import errors
from promoready.engine.errors import PacketInvalid, PromoreadyError, ServiceError

from ._slow import RETRY_AFTER

PROBLEM_TYPE = "application/problem+json"
#: Where each code is documented: ``docs/errors.md`` has an anchor per area.
TYPE_BASE = "https://promoready.dev/errors/"


def problem(exc: PromoreadyError, *, instance: Optional[str] = None, line: Optional[int] = None) -> dict[str, Any]:
    """The problem detail of an error (``line`` overrides the error's own, e.g. a batch stream line).

    A packet with several problems (``PacketInvalid``) answers with all of them in one go: the top-level
    fields are the first problem's, as for any error, and ``problems`` lists every one (the first
    included), with ``more`` counting those past the reporting cap.
    """
    out = _one(exc, line)  # a PacketInvalid's own fields are its first problem's
    if instance is not None:
        out["instance"] = instance
    if isinstance(exc, PacketInvalid):
        out["problems"] = [_one(p, line) for p in exc.problems]
        if exc.more:
            out["more"] = exc.more
    return out


def _one(exc: PromoreadyError, line: Optional[int]) -> dict[str, Any]:
    entry = exc.entry
    return {
        "type": TYPE_BASE + entry.code,
        "title": entry.meaning,
        "status": entry.http_status,
        # One problem's own line (a PacketInvalid's str lists them all: `problems` has them apart).
        "detail": PromoreadyError.__str__(exc),
        "code": exc.code,
        "path": exc.path,
        "line": line if line is not None else exc.line,
        "suggestion": exc.suggestion,
    }


def problem_bytes(exc: PromoreadyError, *, instance: Optional[str] = None) -> tuple[int, bytes]:
    """The HTTP status and the JSON body of an error's problem detail."""
    body = problem(exc, instance=instance)
    return body["status"], json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def problem_response(exc: PromoreadyError, *, instance: Optional[str] = None,
                     headers: Optional[dict[str, str]] = None) -> Response:
    """An error as an ``application/problem+json`` response."""
    status, body = problem_bytes(exc, instance=instance)
    if exc.code == errors.SERVICE_UNAUTHORIZED:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="promoready"'}
    elif exc.code == errors.SERVICE_BUSY:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER)}
    return Response(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def reroot(exc: PromoreadyError, old: str, new: str) -> None:
    """Name an error's paths from another root, its own and each of its ``problems``' (the first included),
    so that every path of one answer names a field the same way: a path under ``old`` (``old.x``,
    ``old[0]``; with ``old`` empty, every path) is named under ``new`` instead (``new.x``, ``new[0]``; with
    ``new`` empty, ``x``); any other path (``old`` itself, a key beside it) is kept."""
    for error in {id(e): e for e in (exc, *getattr(exc, "problems", ()))}.values():
        path = error.path or ""
        if not old:
            rest: Optional[str] = path
        elif path.startswith(old + "."):
            rest = path[len(old) + 1:]
        elif path.startswith(old + "["):
            rest = path[len(old):]
        else:
            continue
        if not new or not rest:
            error.path = new or rest or None
        else:
            error.path = new + rest if rest.startswith("[") else f"{new}.{rest}"


#: Errors of the packet's date type (``as_of``), whose words name the value already.
_WORDED_WITH_VALUE = frozenset({"date_format", "date_value", "date_out_of_range"})


def _parameter_error(exc: RequestValidationError) -> ServiceError:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header", "body")]
    name = ".".join(loc) or "request"
    given = first.get("input")
    message = str(first.get("msg", "invalid parameter"))
    if given is not None and first.get("type") not in _WORDED_WITH_VALUE:
        message += f", got {given!r}"[:200]
    # A value out of a fixed set (?explain=, /v1/schemas/{name}): the closest of the values the set holds.
    expected = str((first.get("ctx") or {}).get("expected", "")) if first.get("type") == "literal_error" else ""
    choices = re.findall(r"'([^']*)'", expected)
    suggestion = errors.closest(str(given), choices) if isinstance(given, str) and choices else None
    return ServiceError(message, code=errors.SERVICE_PARAMETER, path=name, suggestion=suggestion)


def _http_error(exc: HTTPException) -> ServiceError:
    if exc.status_code == 404:
        return ServiceError("no such endpoint (see /openapi.json)", code=errors.SERVICE_NOT_FOUND)
    if exc.status_code == 405:
        return ServiceError("this endpoint does not answer this method", code=errors.SERVICE_METHOD)
    return ServiceError(str(exc.detail), code=errors.SERVICE_INVALID)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every expected error into a problem detail."""

    def answer(request: Request, error: PromoreadyError) -> Response:
        request.app.state.metrics.problem(error.code)
        request.scope["state"].setdefault("codes", []).append(error.code)
        return problem_response(error, instance=request.url.path)

    async def on_promoready(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PromoreadyError)
        return answer(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return answer(request, _parameter_error(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = answer(request, _http_error(exc))
        if exc.status_code == 405 and exc.headers:
            response.headers.update(exc.headers)  # Allow
        return response

    app.add_exception_handler(PromoreadyError, on_promoready)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses an endpoint may answer with."""
    schema = {"$ref": "#/components/schemas/Problem"}  # the app puts the model in the components
    return {status: {"content": {PROBLEM_TYPE: {"schema": schema}}, "description": _DESCRIPTIONS[status]}
            for status in statuses}


_DESCRIPTIONS = {
    400: "A request the service refuses: a bad parameter, malformed JSON or YAML",
    401: "No bearer token, or an unknown one",
    404: "No such ladder or transition (with the closest name)",
    405: "Method not allowed",
    413: "The body (or a batch line) is over the size limit",
    415: "A content type the endpoint does not read",
    422: "A packet that is not valid (field path, line and suggestion)",
    500: "An internal fault (never the input's); report it",
    503: "The request took longer than the service's timeout, or the service is busy (`Retry-After`)",
}
