"""The app factory: ``create_app(settings, registry)`` builds the FastAPI application.

``create_app_from_env`` is what each uvicorn worker process calls (``promoready serve`` hands its
settings over as ``PROMOREADY_…`` variables). The ladders are compiled before the app answers its
first request (``/health/ready`` says so), in the process that will evaluate with them.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic.json_schema import models_json_schema

from promoready import __version__
from promoready.schemas.packet import Packet

from . import _batch, _decisions, _info, _problems, _routes
from ._decisions import DecisionLog
from ._engine import Engine, example_packet
from ._metrics import Metrics
from ._middleware import Guard
from ._models import BatchItem, BatchLine, Problem, ServiceDecision, WhatIfRequest, WhatIfResponse
from promoready.engine.registry import LadderRegistry
from ._settings import Settings
from ._slow import slow_bodies

__all__ = ["create_app", "create_app_from_env", "start", "stop", "LOG_CONFIG"]

DESCRIPTION = """Explainable promotion-readiness decisions over HTTP, from the same engine as the
`promoready` command line. Errors are RFC 9457 problem details carrying the error catalogue's
`code`, the field `path`, the body `line` and, for an unknown name, a `suggestion`.
With tokens configured, every endpoint but `/health/*` needs `Authorization: Bearer <token>`."""

class ServerLogFormatter(logging.Formatter):
    """uvicorn's own lines as JSON, like the access log's: ``{"event": "server", "level": …, "message": …}``."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"event": "server", "level": record.levelname, "message": record.getMessage()},
                          ensure_ascii=False)


#: uvicorn's logging: its own lines and the service's JSON lines, one per line, on stderr.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"},
                   "server": {"()": "promoready.service.app.ServerLogFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
                 "server": {"class": "logging.StreamHandler", "formatter": "server", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "promoready.service": {"handlers": ["json"], "level": "INFO", "propagate": False},
    },
}


def create_app(settings: Optional[Settings] = None, registry: Optional[LadderRegistry] = None) -> FastAPI:
    """The service for ``settings`` (defaults: loopback, no tokens) evaluating with ``registry``'s ladders
    (default: the bundled ladders, the default ladder for packets that name none)."""
    settings = settings or Settings()
    engine = Engine(registry if registry is not None else LadderRegistry(settings.ladder))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = start(app)  # in the event loop's thread: the thread that evaluates
        try:
            yield
        finally:
            app.state.slow_bodies.close()  # work still waiting is cancelled; work running ends first
            if opened:  # a log opened before (a test driving the app without its lifespan) is its opener's
                stop(app)

    app = FastAPI(title="promoready", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, dependencies=[Depends(_routes.strict_query)])
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics()
    app.state.started = time.monotonic()
    app.state.decision_log = None
    app.state.slow_bodies = slow_bodies(settings)
    app.include_router(_routes.router)
    app.include_router(_batch.router)
    app.include_router(_decisions.router)
    app.include_router(_info.router)
    _problems.install(app)
    app.add_middleware(Guard, settings=settings, metrics=app.state.metrics)
    if settings.cors_origins:  # added last, so outermost: the guard's own answers (401, 413, a timeout) carry it too
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["Retry-After"])  # a busy 503 says when to come back
    _document_bodies(app)
    return app


def start(app: FastAPI) -> bool:
    """What the app does before it answers: compile its ladders and, with a store, open the decision log
    (the lifespan calls it; so may a test that drives the app without one). Whether it opened the log."""
    app.state.engine.warm()
    settings: Settings = app.state.settings
    if settings.db is None or app.state.decision_log is not None:
        return False
    app.state.decision_log = DecisionLog(settings, on_lost=app.state.metrics.unlogged)
    return True


def stop(app: FastAPI) -> None:
    """Commit the decisions still queued for the log, and close the store."""
    log = app.state.decision_log
    if log is not None:
        app.state.decision_log = None
        log.close()


def _document_bodies(app: FastAPI) -> None:
    """Put the models of the bodies the handlers read themselves into the OpenAPI components."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        _, defs = models_json_schema(
            [(Packet, "validation"), (WhatIfRequest, "validation"), (BatchItem, "validation"),
             (ServiceDecision, "serialization"), (WhatIfResponse, "serialization"), (BatchLine, "serialization"),
             (Problem, "serialization")], ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in defs.get("$defs", {}).items():
            components.setdefault(name, definition)
        _problem_statuses(schema)
        _examples(schema)
        if app.state.settings.auth:
            schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_statuses(schema: dict[str, Any]) -> None:
    """Parameter errors are 400 problems, not FastAPI's 422 (which here means a bad packet); any request
    may meet the last-resort 500 and the timeout's 503; every endpoint but the probes may need a token."""
    problems = _problems.responses(400, 401, 500, 503)
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            answers = operation["responses"]
            generated = answers.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if generated.get("$ref", "").endswith("/HTTPValidationError"):
                del answers["422"]
                answers.setdefault("400", _openapi_problem(problems[400]))
            for status in (500, 503) if path.startswith("/health/") else (401, 500, 503):
                answers.setdefault(str(status), _openapi_problem(problems[status]))
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def _examples(schema: dict[str, Any]) -> None:
    """A real packet as the example of each body (a bundled ladder example case), so a reader and a
    client generator see a request that evaluates."""
    packet = example_packet()
    bodies = {
        "/v1/evaluate": ("application/json", packet),
        "/v1/what-if": ("application/json", {"packet": packet, "changes": ["experience.product_years=2"]}),
        "/v1/evaluate/batch": (_batch.NDJSON, {"id": "item-1", "packet": packet}),
    }
    for path, (media, example) in bodies.items():
        schema["paths"][path]["post"]["requestBody"]["content"][media]["example"] = example


def _openapi_problem(entry: dict[str, Any]) -> dict[str, Any]:
    return {"description": entry["description"],
            "content": {_problems.PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def create_app_from_env() -> FastAPI:
    """The app of one uvicorn worker process: settings from ``PROMOREADY_…`` variables."""
    return create_app(Settings.from_env())
