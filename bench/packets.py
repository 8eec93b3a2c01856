"""A reproducible stream of promotion packets for the benchmarks.

The seeds are the example packets of the ladder (``rules/<ladder>/examples/*.yaml``, ``cases[].packet``):
every transition, and ready, not-ready and insufficient-evidence cases. A seeded RNG derives
variants from them: numbers scaled, enums and flags changed, fields and whole sections dropped
(missing evidence), list items dropped or duplicated, the as-of date moved forward. Every variant is
validated with promoready's own packet model when it is made; one that does not validate is
replaced by another draw, so the pool holds only valid packets and is the same for the same seed.

``pool(n, seed)`` returns ``n`` distinct variants (the in-process benchmark set). ``stream`` and
``write_jsonl`` cycle over a pool for longer runs (the ``batch`` files), giving every packet its own
``candidate.id`` so that no two packets of a run are the same document.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import random
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
LADDER_DIR = ROOT / "rules" / "product-management"

#: Probability that a variant also loses evidence (a field, a section or all list items).
P_MISSING = 0.2

# Sections and fields a variant may lose (the packet model makes all of them optional).
_SECTIONS = ("organization", "experience", "reviews", "impact", "scope", "leadership", "influence", "artifacts",
             "advocates", "competencies", "signals")
_RATINGS = ("below", "meets", "exceeds", "outstanding")
_REACH = ("feature", "product", "org", "company")
_AMBIGUITY = ("low", "medium", "high")
_SIZES = ("startup", "growth", "enterprise")
_PARTNERS = ("engineering", "design", "data", "marketing", "sales", "finance", "legal", "support", "operations")
# Bounds of the packet model (schemas/_types.py).
_UPPER = {"product_years": 100.0, "people_management_years": 100.0, "strategy_horizon_months": 1200.0,
          "horizon_months": 1200.0}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def seeds(ladder_dir: Path = LADDER_DIR) -> list[dict]:
    """The example packets of a ladder, as plain JSON data, in file order."""
    from promoready.engine import _documents as docs

    out = []
    for path in sorted((ladder_dir / "examples").glob("*.yaml")):
        doc = docs.parse_yaml(path.read_text(encoding="utf-8"), str(path))
        for case in doc.get("cases") or []:
            out.append(_jsonable(case["packet"]))
    if not out:
        raise SystemExit(f"no example packets under {ladder_dir / 'examples'}")
    return out


def _scale(rng: random.Random, value: Any, key: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    factor = rng.uniform(0.7, 1.6)
    if isinstance(value, int):
        new = int(round(value * factor)) if value else rng.choice((0, 0, 1, 2))
        return max(0, new)
    new = round(max(0.0, value * factor if value else rng.uniform(0, 3)), 1)
    return min(new, _UPPER.get(key, new))


def _perturb_numbers(rng: random.Random, p: dict) -> None:
    for section in ("experience", "scope", "leadership", "influence"):
        part = p.get(section)
        if not isinstance(part, dict):
            continue
        for key, value in list(part.items()):
            if rng.random() < 0.15:
                part[key] = _scale(rng, value, key)
        if section == "leadership" and "direct_reports" in part:  # pm/manager reports ≤ direct reports
            for key in ("pm_reports", "manager_reports"):
                if isinstance(part.get(key), int) and isinstance(part["direct_reports"], int):
                    part[key] = min(part[key], part["direct_reports"])
    for item in p.get("artifacts") or []:
        for key in ("horizon_months", "adopted_by_teams"):
            if key in item and rng.random() < 0.15:
                item[key] = _scale(rng, item[key], key)
    for key, value in list((p.get("competencies") or {}).items()):
        if isinstance(value, int) and rng.random() < 0.1:
            p["competencies"][key] = min(5, max(1, value + rng.choice((-1, 1))))


def _perturb_enums(rng: random.Random, p: dict) -> None:
    for review in p.get("reviews") or []:
        if "rating" in review and rng.random() < 0.05:
            review["rating"] = rng.choice(_RATINGS)
    for item in p.get("impact") or []:
        if "reach" in item and rng.random() < 0.05:
            item["reach"] = rng.choice(_REACH)
        if "measured" in item and rng.random() < 0.04:
            item["measured"] = not item["measured"]
    for advocate in p.get("advocates") or []:
        if "committed" in advocate and rng.random() < 0.04:
            advocate["committed"] = not advocate["committed"]
    scope = p.get("scope")
    if isinstance(scope, dict):
        if "ambiguity" in scope and rng.random() < 0.05:
            scope["ambiguity"] = rng.choice(_AMBIGUITY)
        if "owns_pnl" in scope and rng.random() < 0.04:
            scope["owns_pnl"] = not scope["owns_pnl"]
    for key, value in list((p.get("signals") or {}).items()):
        if isinstance(value, bool) and rng.random() < 0.04:
            p["signals"][key] = not value
    org = p.get("organization")
    if isinstance(org, dict) and rng.random() < 0.05:
        org["size"] = rng.choice(_SIZES)


def _vary_lists(rng: random.Random, p: dict) -> None:
    for key in ("impact", "artifacts", "advocates"):
        items = p.get(key)
        if not isinstance(items, list) or not items:
            continue
        roll = rng.random()
        if roll < 0.08:
            items.pop(rng.randrange(len(items)))
        elif roll < 0.3:
            items.append(copy.deepcopy(rng.choice(items)))
    reviews = p.get("reviews")
    if isinstance(reviews, list) and reviews and rng.random() < 0.06:
        reviews.pop(rng.randrange(len(reviews)))  # a gap in the review history
    influence = p.get("influence")
    if isinstance(influence, dict) and isinstance(influence.get("cross_functional_partners"), list):
        partners = influence["cross_functional_partners"]
        roll = rng.random()
        if roll < 0.08 and partners:
            partners.pop(rng.randrange(len(partners)))
        elif roll < 0.4:
            extra = [x for x in _PARTNERS if x not in partners]
            if extra:
                partners.append(rng.choice(extra))


def _drop_evidence(rng: random.Random, p: dict) -> None:
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        present = [s for s in _SECTIONS if s in p]
        if not present:
            return
        section = rng.choice(present)
        if roll < 0.3:
            del p[section]  # a whole section is missing
        elif isinstance(p[section], dict) and p[section]:
            del p[section][rng.choice(sorted(p[section]))]  # one field is missing
        elif isinstance(p[section], list) and p[section]:
            item = rng.choice(p[section])
            if isinstance(item, dict) and item:
                optional = [k for k in item if k not in ("start", "end")]
                if optional:
                    del item[rng.choice(optional)]


def _shift_as_of(rng: random.Random, p: dict) -> None:
    if "as_of" in p and rng.random() < 0.5:
        day = datetime.date.fromisoformat(p["as_of"]) + datetime.timedelta(days=rng.randint(0, 180))
        p["as_of"] = day.isoformat()


def variant(rng: random.Random, seed: dict) -> dict:
    """One random variant of a seed packet (plain JSON data; may in rare cases not validate)."""
    p = copy.deepcopy(seed)
    _perturb_numbers(rng, p)
    _perturb_enums(rng, p)
    _vary_lists(rng, p)
    _shift_as_of(rng, p)
    if rng.random() < P_MISSING:
        _drop_evidence(rng, p)
    return p


def _valid(packet: dict) -> bool:
    from promoready.schemas.packet import Packet

    try:
        Packet.model_validate(packet)
    except Exception:
        return False
    return True


def pool(n: int, seed: int = 20261101, ladder_dir: Path = LADDER_DIR) -> list[dict]:
    """``n`` valid packet variants, every transition in turn; the same list for the same seed."""
    rng = random.Random(seed)
    bases = seeds(ladder_dir)
    by_transition: dict[tuple, list[dict]] = {}
    for base in bases:
        by_transition.setdefault((base["current_level"], base.get("target_level")), []).append(base)
    groups = list(by_transition.values())
    out: list[dict] = []
    while len(out) < n:
        group = groups[len(out) % len(groups)]  # all transitions equally often
        base = rng.choice(group)
        for _ in range(20):
            p = variant(rng, base)
            if _valid(p):
                break
        else:
            p = copy.deepcopy(base)
        p.setdefault("candidate", {})["id"] = f"bench-{len(out):07d}"
        out.append(p)
    return out


def with_id(packet: dict, i: int) -> dict:
    """The packet with candidate id ``bench-<i>`` (a shallow copy: the rest is shared)."""
    q = dict(packet)
    q["candidate"] = dict(packet["candidate"], id=f"bench-{i:07d}")
    return q


def texts(packets: list[dict]) -> list[str]:
    """The packets as JSON text, as a client would send them."""
    return [json.dumps(p, ensure_ascii=False) for p in packets]


def stream(base: list[dict], count: int) -> Iterator[str]:
    """``count`` JSON lines cycling over ``base``, each with its own candidate id."""
    for i in range(count):
        yield json.dumps(with_id(base[i % len(base)], i), ensure_ascii=False)


def write_jsonl(path: str, base: list[dict], count: int) -> str:
    """Write ``count`` packets (one JSON document a line) to ``path``; returns the path."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for line in stream(base, count):
            fh.write(line)
            fh.write("\n")
    os.replace(tmp, path)
    return path
