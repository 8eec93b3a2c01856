"""``POST /v1/evaluate`` and ``POST /v1/what-if``: a packet in, decisions out, as the command line does.

Each handler parses, calls one engine function through ``_engine.Engine``, and writes the answer;
errors are raised as ``PromoreadyError`` and become problem details (``_problems``). Parsing and
evaluating a body that may take long (any YAML, JSON over ``INLINE_BYTES``) run in a thread of the
worker's pool for slow bodies (``off_loop``, ``_slow``), so the event loop keeps answering (probes
included) and the request's timeout cuts the wait short, or are refused at once (503 ``service.busy``)
when that pool is full; a small JSON body, a few milliseconds of work, is read and evaluated on the loop.
"""

from __future__ import annotations

import datetime
import json
import time
from collections import Counter
from typing import Any, Callable, Optional, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from promoready.engine import errors
from promoready.engine.errors import PromoreadyError, ServiceError
from promoready.schemas.packet import PacketDate

from ._engine import Engine, Evaluated, decision_body, explanation, media_kind, new_id, provenance_json
from ._metrics import Metrics
from ._models import Explain, ServiceDecision, WhatIfResponse
from ._problems import reroot, responses

router = APIRouter()

T = TypeVar("T")
#: The largest JSON body read and evaluated on the event loop's thread (a few milliseconds at most).
INLINE_BYTES = 64 * 1024

AS_OF = Query(None, description="Measure durations to this date (YYYY-MM-DD) instead of the packet's own")
EXPLAIN = Query(None, description="fails: add the criteria that fail or lack evidence, with a markdown "
                                  "rendering; full: every criterion")


async def strict_query(request: Request) -> None:
    """An app-wide dependency: a ``/v1`` request names only query parameters its endpoint takes, each once
    (an unknown one is a 400 naming it with the closest known one; a repeated one is a 400, never "the
    last wins"). The probes and ``/metrics`` are left alone: tools that call them may add their own."""
    if not request.url.path.startswith("/v1/"):
        return
    route = request.scope.get("route")
    known = [p.alias for p in route.dependant.query_params] if isinstance(route, APIRoute) else []
    given = Counter(name for name, _ in request.query_params.multi_items())
    for name in given:
        if name not in known:
            takes = ", ".join(known) if known else "none"
            raise ServiceError(f"unknown query parameter '{name[:100]}': this endpoint takes {takes}",
                               code=errors.SERVICE_PARAMETER, path=name[:100], suggestion=errors.closest(name, known))
    for name, count in given.items():
        if count > 1:
            raise ServiceError(f"query parameter '{name}' is given {count} times: give it once",
                               code=errors.SERVICE_PARAMETER, path=name)


def body_schema(ref: str, *, yaml: bool = True, description: str = "") -> dict[str, Any]:
    """``openapi_extra`` for a body the handler reads itself: JSON (and YAML) of component ``ref``."""
    schema = {"$ref": f"#/components/schemas/{ref}"}
    content = {"application/json": {"schema": schema}}
    if yaml:
        content["application/yaml"] = {"schema": schema}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def ok(model: type, media: str = "application/json", description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """The OpenAPI 200 entry of a handler that writes its own bytes (the app puts the model in the components)."""
    return {200: {"description": description,
                  "content": {media: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


async def read_packet_body(request: Request, kind: str) -> bytes:
    """A packet's body: ``--max-body`` for JSON, the lower ``--max-yaml-body`` for YAML (413 past it).

    A body that will be read in the pool for slow bodies (YAML, or JSON whose Content-Length is over
    64 KiB), from a client that waits to be told to send it (``Expect: 100-continue``), is refused before
    it is read when that pool is full, unless its length is over the limit (413, as for any other). Any
    other body is read first (``off_loop`` refuses it then): a client sending its body unasked, answered
    and disconnected before it is all sent, may see a reset connection instead of the 503."""
    settings = request.app.state.settings
    limit, what, flag = (settings.yaml_limit, "a YAML body", "--max-yaml-body") \
        if kind == "yaml" and settings.yaml_limit < settings.max_body else (settings.max_body, "the body", "--max-body")
    declared = _declared_length(request)
    if (kind != "json" or declared > INLINE_BYTES) and declared <= limit and \
            request.headers.get("expect", "").strip().lower() == "100-continue":
        request.app.state.slow_bodies.refuse_if_full()
    return await read_body(request, limit, what=what, flag=flag)


def _declared_length(request: Request) -> int:
    """The body's Content-Length, 0 when it has none, one that is not a number, or one a Transfer-Encoding
    overrides (HTTP/1.1 reads such a body by its chunks)."""
    value = request.headers.get("content-length") or ""
    if "transfer-encoding" in request.headers or not (value.isascii() and value.isdigit()):
        return 0
    return int(value)


async def off_loop(request: Request, body: bytes, kind: str, work: Callable[[], T]) -> T:
    """``work()``, the parsing and evaluating of ``body``: on the loop for a small JSON body, else in a
    thread of the pool for slow bodies, awaited (the request's timeout cancels the wait: the middleware
    answers 503), or 503 ``service.busy`` at once when the pool is full."""
    if kind == "json" and len(body) <= INLINE_BYTES:
        return work()

    def unless_late() -> T:  # it may have waited for a thread past its deadline (slow bodies ahead): not read then
        in_time(request)
        return work()

    return await request.app.state.slow_bodies.run(unless_late)


def late(request: Request) -> bool:
    """Whether the request is past its deadline (``--timeout`` after it came in)."""
    return time.monotonic() > request.scope["state"]["deadline"]


def in_time(request: Request) -> None:
    """Raise ``service.timeout`` when the request is past its deadline: work done in a thread checks
    before it evaluates, so a request already answered 503 is not evaluated (nor logged) after all."""
    if late(request):
        raise ServiceError(f"the request took longer than {request.app.state.settings.timeout:g} s",
                           code=errors.SERVICE_TIMEOUT)


async def read_body(request: Request, limit: int, *, what: str = "the body", flag: str = "--max-body") -> bytes:
    """The request body, refused (413) as soon as it is over ``limit`` bytes, Content-Length or not."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.InputError(f"{what} is over the limit of {limit:,} bytes ({flag})", code=errors.INPUT_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


def services(request: Request) -> tuple[Engine, Metrics]:
    """The app's engine adapter and metrics."""
    return request.app.state.engine, request.app.state.metrics


def record(request: Request, decision_id: str) -> None:
    """Note a decision id for the access log."""
    request.scope["state"]["decision_ids"].append(decision_id)


@router.post("/v1/evaluate", response_class=Response, tags=["evaluate"],
             responses={**ok(ServiceDecision), **responses(400, 401, 413, 415, 422, 500, 503)},
             openapi_extra=body_schema("Packet", description="A packet (contract §1), as JSON or YAML"))
async def evaluate(request: Request, explain: Optional[Explain] = EXPLAIN,
                   as_of: Optional[PacketDate] = AS_OF) -> Response:
    """Evaluate one packet: the contract's decision, with `decision_id` and `provenance` added."""
    engine, metrics = services(request)
    kind = media_kind(request.headers.get("content-type"))
    body = await read_packet_body(request, kind)
    log = request.app.state.decision_log

    def work() -> tuple[Evaluated, Any]:
        loaded, data = engine.read(body, kind, keep_data=log is not None and log.store_packets)
        in_time(request)
        return engine.evaluate(loaded, as_of), data

    result, data = await off_loop(request, body, kind, work)
    metrics.decision(result.decision.ladder.id, result.decision.verdict)
    record(request, result.decision_id)
    if log is not None:
        log.record(result, data)
    extra = explanation(result.decision, explain) if explain else None
    return Response(decision_body(result, extra), media_type="application/json")


def _what_if_request(data: Any) -> tuple[Any, list[str]]:
    if not isinstance(data, dict):
        raise ServiceError("a what-if request is a mapping with `packet` and `changes`", code=errors.SERVICE_INVALID)
    for key in data:
        if key not in ("packet", "changes"):
            raise ServiceError(f"unknown field '{key}'", code=errors.SERVICE_INVALID, path=str(key)[:100],
                               suggestion=errors.closest(str(key), ("packet", "changes")))
    changes = data.get("changes")
    if "packet" not in data:
        raise ServiceError("is required", code=errors.SERVICE_INVALID, path="packet")
    if not isinstance(changes, list) or not changes or len(changes) > 100 or \
            not all(isinstance(c, str) for c in changes):
        raise ServiceError("must be a list of 1 to 100 changes, each PATH=VALUE or PATH+=VALUE",
                           code=errors.SERVICE_INVALID, path="changes")
    return data["packet"], changes


@router.post("/v1/what-if", response_class=Response, tags=["evaluate"],
             responses={**ok(WhatIfResponse), **responses(400, 401, 413, 415, 422, 500, 503)},
             openapi_extra=body_schema("WhatIfRequest", description="A packet and the changes to try on it"))
async def what_if(request: Request, as_of: Optional[PacketDate] = AS_OF) -> Response:
    """Evaluate a packet and the packet with `changes` applied: both decisions and the criteria that flip."""
    from promoready.engine.whatif import parse_change

    engine, metrics = services(request)
    kind = media_kind(request.headers.get("content-type"))
    body = await read_packet_body(request, kind)

    def work() -> tuple[Any, Any]:
        data, source = engine.parse(body, kind)
        raw, changes = _what_if_request(data)
        for i, change in enumerate(changes):
            try:
                parse_change(change)
            except PromoreadyError as exc:
                exc.path = f"changes[{i}]"
                raise
        try:
            loaded = engine.load(raw, source, under="packet")
            in_time(request)
            return engine.what_if(loaded, changes, as_of)
        except errors.PacketError as exc:
            reroot(exc, "", "packet")  # named in the what-if body: packet.experience.product_years
            raise

    result, evaluator = await off_loop(request, body, kind, work)
    decision_id = new_id()
    for decision in (result.before, result.after):
        metrics.decision(decision.ladder.id, decision.verdict)
    record(request, decision_id)
    head = {
        "decision_id": decision_id,
        "provenance": json.loads(provenance_json(evaluator)),
        "changes": [c.text for c in result.changes],
        "verdict_before": result.before.verdict,
        "verdict_after": result.after.verdict,
        "flipped": [{"id": s.id, "title": s.title, "before": s.before, "after": s.after} for s in result.changed],
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    body = text[:-1] + b',"before":' + result.before.to_json_bytes() + b',"after":' + result.after.to_json_bytes() + b"}"
    return Response(body, media_type="application/json")
