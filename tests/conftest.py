"""Shared fixtures. Evaluators are compiled once per session: durable-rules rulesets cannot be unloaded."""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
from functools import lru_cache

import pytest

from promoready.engine import Evaluator, load_ladder

# The ladder cache (engine/_ladder_cache.py) of a test session, and of the commands it runs: its own
# folder, never the user's, removed at the end.
if not os.environ.get("PROMOREADY_CACHE_DIR"):
    os.environ["PROMOREADY_CACHE_DIR"] = tempfile.mkdtemp(prefix="promoready-test-cache-")
    atexit.register(shutil.rmtree, os.environ["PROMOREADY_CACHE_DIR"], True)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TINY = os.path.join(HERE, "fixtures", "tiny")
#: The workspace's specification, when it is beside the checkout (as in CI). Only the test that keeps
#: the project's own copies in step with it reads it: every other test uses the copies.
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
EXAMPLE = os.path.join(ROOT, "examples", "packet.yaml")
#: The contract's example packet (every field, commented): the project's copy.
CONTRACT_EXAMPLE = os.path.join(ROOT, "examples", "packet.example.yaml")


@lru_cache(maxsize=None)
def evaluator(path: str | None = None) -> Evaluator:
    """One compiled evaluator per ladder for the whole test session."""
    return Evaluator(load_ladder(path))


#: A packet for the tiny ladder (junior → senior) where every criterion has evidence.
TINY_PACKET = {
    "packet_version": 1,
    "candidate": {"id": "t-1", "name": "Tess"},
    "current_level": "junior",
    "as_of": "2026-11-01",
    "organization": {"size": "growth"},
    "experience": {"product_years": 3.5, "current_level_since": "2024-01-01"},
    "reviews": [
        {"start": "2026-01-01", "end": "2026-06-30", "rating": "exceeds", "operating_level": "senior"},
        {"start": "2026-05-01", "end": "2026-10-31", "rating": "meets", "operating_level": "Sr PM"},
    ],
    "advocates": [{"name": "Cy", "level": "ceo", "committed": True}],
    "influence": {"cross_functional_partners": ["eng", "design", "sales"]},
    "artifacts": [{"kind": "strategy", "title": "Plan", "horizon_months": 12, "adopted_by_teams": 3}],
    "signals": {"documents_impact": True},
    "competencies": {"strategy": 3},
    "scope": {"ambiguity": "high"},
}


@pytest.fixture
def tiny() -> Evaluator:
    return evaluator(TINY)


@pytest.fixture
def tiny_packet() -> dict:
    return copy.deepcopy(TINY_PACKET)
