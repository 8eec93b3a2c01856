"""Prometheus metrics that stay correct with several worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``promoready serve`` sets it to a fresh temporary folder
before starting its workers), every process writes its samples to files there and ``/metrics``,
whichever worker answers it, aggregates all of them (``prometheus_client``'s multiprocess mode).
Without it (one process, tests), each app keeps its own registry.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The service's counters and histograms, and their exposition."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        # In multiprocess mode samples go to files whatever the registry; a private registry keeps
        # several apps in one process (tests) from clashing over metric names.
        self._registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("promoready_http_requests_total", "HTTP requests answered, by route and status",
                                ["method", "route", "status"], registry=self._registry)
        self.duration = Histogram("promoready_http_request_duration_seconds", "Time to answer a request, by route",
                                  ["route"], buckets=_BUCKETS, registry=self._registry)
        self.decisions = Counter("promoready_decisions_total", "Decisions made, by ladder and verdict",
                                 ["ladder", "verdict"], registry=self._registry)
        self.problems = Counter("promoready_problems_total", "Problem details answered, by error code",
                                ["code"], registry=self._registry)
        self.unlogged_decisions = Counter("promoready_decisions_unlogged_total",
                                          "Decisions the decision log could not keep (the store away or too slow)",
                                          registry=self._registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(route).observe(seconds)

    def decision(self, ladder: str, verdict: str) -> None:
        """Count one decision."""
        self.decisions.labels(ladder, verdict).inc()

    def unlogged(self, count: int) -> None:
        """Count decisions the decision log lost."""
        self.unlogged_decisions.inc(count)

    def problem(self, code: str) -> None:
        """Count one problem answered (a whole response or a batch line)."""
        self.problems.labels(code).inc()

    def exposition(self) -> bytes:
        """The text exposition: every worker's samples in multiprocess mode, else this process's."""
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self._registry)
