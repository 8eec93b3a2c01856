"""Read-only endpoints: ladders, JSON Schemas, status, health probes and metrics."""

from __future__ import annotations

import os
import platform
import time
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from starlette.responses import JSONResponse, Response

from promoready import __version__

from ._engine import DURABLE_RULES_VERSION
from ._metrics import CONTENT_TYPE
from ._models import Health, LadderDetail, LadderInfo, ServiceStatus, TransitionInfo
from ._problems import responses

router = APIRouter()

LADDER_ID = Path(description="A ladder id, as GET /v1/ladders lists them", max_length=200)
TRANSITION = Path(description="A transition key, `from-to-to` (e.g. senior-pm-to-director)", max_length=200)


def _ladders(request: Request) -> list[dict[str, Any]]:
    engine = request.app.state.engine
    out = []
    for i, evaluator in enumerate(engine.served().values()):
        lad = evaluator.ladder
        out.append({"id": lad.id, "version": lad.version, "title": lad.title, "digest": evaluator.digest,
                     "default": i == 0, "transitions": [t.key for t in lad.transitions]})
    return out


@router.get("/v1/ladders", response_model=list[LadderInfo], tags=["ladders"], responses=responses(401))
async def ladders(request: Request) -> list[dict[str, Any]]:
    """The ladders this service evaluates with; the first is the default."""
    return _ladders(request)


# `response_model_exclude_unset`: a criterion's `group` and a transition's `supporting_groups` appear only
# where the ladder declares named groups (as in `ladder show --format json`); every other field is always given.
@router.get("/v1/ladders/{ladder_id}", response_model=LadderDetail, tags=["ladders"], responses=responses(401, 404),
            response_model_exclude_unset=True)
async def ladder(request: Request, ladder_id: str = LADDER_ID) -> dict[str, Any]:
    """A ladder with every transition's criteria, thresholds in words, and sources."""
    return request.app.state.engine.describe(ladder_id)


@router.get("/v1/ladders/{ladder_id}/transitions/{transition}", response_model=TransitionInfo, tags=["ladders"],
            responses=responses(401, 404), response_model_exclude_unset=True)
async def transition(request: Request, ladder_id: str = LADDER_ID, transition: str = TRANSITION) -> dict[str, Any]:
    """One transition: its criteria, thresholds in words, and sources."""
    described = request.app.state.engine.describe(ladder_id, transition)
    return described["transitions"][0]


@router.get("/v1/schemas/{name}", tags=["schemas"], response_class=Response, responses={
    200: {"description": "A JSON Schema (draft 2020-12)", "content": {"application/schema+json": {
        "schema": {"type": "object", "additionalProperties": True}}}}, **responses(401)})
async def schema(name: Literal["packet", "decision", "ladder"]) -> Response:
    """The JSON Schema of the packet, the decision or the ladder (as `promoready schema NAME` prints it)."""
    from promoready.schemas import json_schema

    return JSONResponse(json_schema(name), media_type="application/schema+json")


@router.get("/v1/status", response_model=ServiceStatus, tags=["operations"], responses=responses(401))
async def status(request: Request) -> dict[str, Any]:
    """What this worker process serves and how it is configured (no secrets)."""
    settings = request.app.state.settings
    return {
        "promoready": __version__,
        "durable_rules": DURABLE_RULES_VERSION,
        "python": platform.python_version(),
        "pid": os.getpid(),
        "uptime_seconds": round(time.monotonic() - request.app.state.started, 3),
        "ready": request.app.state.engine.ready,
        "auth": settings.auth,
        "ladders": _ladders(request),
        "limits": {"max_body": settings.max_body, "max_yaml_body": settings.yaml_limit,
                   "max_batch_items": settings.max_batch_items,
                   "timeout": settings.timeout, "slow_body_threads": request.app.state.slow_bodies.threads,
                   "slow_body_queue": request.app.state.slow_bodies.queue},
        "decision_store": request.app.state.decision_log is not None,
        "decision_log": request.app.state.decision_log.status() if request.app.state.decision_log else None,
    }


@router.get("/health/live", response_model=Health, tags=["operations"])
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=Health, tags=["operations"],
            responses={503: {"model": Health, "description": "The ladders are not compiled yet"}})
async def ready(request: Request) -> Response:
    """Ready once every served ladder is compiled."""
    is_ready = request.app.state.engine.ready
    return JSONResponse({"status": "ok" if is_ready else "not_ready"}, status_code=200 if is_ready else 503)


@router.get("/metrics", tags=["operations"], response_class=Response, responses={
    200: {"description": "Prometheus text exposition, every worker process included",
          "content": {"text/plain": {"schema": {"type": "string"}}}}, **responses(401)})
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, decisions by verdict, problems by code (all workers)."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
