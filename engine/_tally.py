"""The verdict stage: the rules over the tally fact (required criteria failed or unknown, supporting
criteria passed, with or without unknown ones, in all and per named supporting group), exactly one
of which matches.
"""

from __future__ import annotations

from ._keys import group_keys
from ._regions import _rule


def verdict_rules(needed: int, groups: tuple[int, ...] = ()) -> dict[str, dict]:
    """The verdict stage over the tally fact ``{k: t, rf, ru, sp, spu}``: exactly one rule matches.

    ``rf``/``ru``: required criteria failed/unknown; ``sp``: supporting passed; ``spu``: supporting
    passed or unknown (the quota is still reachable only through unknown evidence when sp < needed ≤ spu).
    ``sp``/``spu`` count the supporting criteria of no named group; ``groups`` gives each named
    group's quota, counted the same way under ``group_keys``.
    """
    tally = {"k": "t"}
    if groups:
        return _group_verdict_rules(needed, groups)
    return {
        "v.not_ready.0": _rule(tally, {"$gt": {"rf": 0}}),
        "v.not_ready.1": _rule(tally, {"rf": 0}, {"$lt": {"spu": needed}}),
        "v.insufficient_evidence.0": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"$gt": {"ru": 0}}),
        "v.insufficient_evidence.1": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"ru": 0}, {"$lt": {"sp": needed}}),
        "v.ready.0": _rule(tally, {"rf": 0}, {"ru": 0}, {"$gte": {"sp": needed}}),
    }


def _group_verdict_rules(needed: int, groups: tuple[int, ...]) -> dict[str, dict]:
    """The verdict rules with named groups: each quota (the unnamed one first) is checked in turn,
    and each rule names the first quota that decides it, so that exactly one rule matches."""
    tally = {"k": "t"}
    quotas = [("sp", "spu", needed)] + [(p, pu, n) for (p, pu), n in zip(group_keys(len(groups)), groups)]
    reachable = [{"$gte": {pu: n}} for _, pu, n in quotas]
    met = [{"$gte": {p: n}} for p, _, n in quotas]
    rules = {"v.not_ready.0": _rule(tally, {"$gt": {"rf": 0}})}
    for q, (_, pu, n) in enumerate(quotas):
        rules[f"v.not_ready.{q + 1}"] = _rule(tally, {"rf": 0}, *reachable[:q], {"$lt": {pu: n}})
    rules["v.insufficient_evidence.0"] = _rule(tally, {"rf": 0}, *reachable, {"$gt": {"ru": 0}})
    for q, (p, _, n) in enumerate(quotas):
        rules[f"v.insufficient_evidence.{q + 1}"] = _rule(tally, {"rf": 0}, *reachable, {"ru": 0}, *met[:q],
                                                          {"$lt": {p: n}})
    rules["v.ready.0"] = _rule(tally, {"rf": 0}, {"ru": 0}, *met)
    return rules


def verdict_of(rule_name: str) -> str:
    """``"v.not_ready.1"`` → ``"not_ready"``."""
    return rule_name.split(".")[1]
