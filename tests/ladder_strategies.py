"""Hypothesis strategies: random *valid* ladders, as the files a ladder author writes.

``ladders()`` draws a ladder folder's documents (``ladder.yaml`` and one file per transition, as
plain dicts): two to four levels and sometimes titles, measures of every kind under arbitrary names
(anything the measure id pattern allows, the names the engine and the compiler use themselves most
of all: ``sid``, ``id``, ``k``, ``m0``…), and per transition 1 to 200 criteria, required and
supporting with a quota, whose conditions nest ``all`` / ``any`` / ``not`` over comparisons with
every operator each measure kind allows (numbers, booleans, ordered and unordered words, level
references, organisation-size thresholds, ``in`` lists).

What the drawing respects is what ``validate`` checks (every measure used, operands that fit their
measure, numbers of at most 4 decimals within ±1e15, …), so a drawn ladder is valid; the one thing
it cannot know in advance is whether a condition compiles to too many engine rules, and
``write_ladder`` replaces such a condition by its first comparison (``ladder.too-complex`` is then
the only refusal it accepts). Measures and operands are chosen from what the packet schema offers
(``promoready.engine._fields``), so the strategy follows the schema as it changes.

Every choice goes through a ``Chooser``: hypothesis's ``draw`` for the ladder and its first dozen
criteria per transition (so that a failure shrinks to a small ladder), a seeded ``random.Random``
for the criteria past those (a transition of 200 nested criteria is more choices than hypothesis
keeps for one example).

Packets for a drawn ladder come from ``strategies.Kit`` (thresholds harvested from the ladder).
"""

from __future__ import annotations

import json
import os
import random
import re
import string
import tempfile
from typing import Any, Optional, Sequence

from hypothesis import strategies as st

from promoready.engine._fields import FieldKind, is_words, item_fields, packet_fields
from promoready.schemas.packet import ORDINALS

#: Names the engine (sid, id, $s), the compiler (k, e, t, the tally counts, the generated keys m0, m1…)
#: or durable-rules' rule language use, that the measure id pattern ``^[a-z][a-z0-9_]*$`` allows.
ENGINE_NAMES = ("sid", "id", "k", "e", "t", "m", "m0", "m1", "m2", "rf", "ru", "sp", "spu", "release",
                "all", "any", "not", "run", "pri", "count", "cap", "dist", "name", "mt", "nex", "ex", "and",
                "or", "size", "in", "eq", "value")
_TAIL = string.ascii_lowercase + string.digits + "_"

#: Fields no rule should read, or whose encoding the reference does not model: the packet's format
#: version, and the committee's own outcome.
EXCLUDED = {"packet_version", "committee_outcome"}
SIZES = ORDINALS["size"]
ORDERED = tuple(ORDINALS.values())

LEVELS = (
    {"id": "a", "title": "Level A", "aliases": ["Alpha", "Level-A One"], "track": "both", "rank": 1},
    {"id": "b", "title": "Level B", "aliases": ["Beta"], "track": "both", "rank": 2},
    {"id": "c", "title": "Level C", "aliases": ["Gamma IC"], "track": "ic", "rank": 3},
    {"id": "d", "title": "Level D", "aliases": ["Delta Manager"], "track": "management", "rank": 3},
)
TITLES = ({"id": "chief", "title": "Chief Officer", "aliases": ["Chief"], "rank": 9},
          {"id": "mentor", "title": "Outside Mentor", "rank": 2})
TRANSITIONS = (("a", "b", "ic"), ("b", "c", "ic"), ("b", "d", "management"))

#: Thresholds: small counts and ratings, large and negative figures, and the largest validate accepts.
SPECIAL_NUMBERS = (0, 1, 3, 6, 12, 24, 36, 60, 100, 1200, 1_000_000, -5, -1000.5, 999_999_999_999.9999,
                   1_000_000_000_000, -1_000_000_000_000, 10**15, -(10**15), 123_456_789_012_345.5)
#: Review and elapsed months are drawn around as dates, so they stay within a calendar (absurd ones are
#: tested on their own, in test_differential).
SPECIAL_MONTHS = (0, 1, 3, 6, 12, 24, 1200, -3)
#: Criteria drawn through hypothesis per transition; the rest come from a seeded generator.
DRAWN_CRITERIA = 12


class Chooser:
    """Where choices come from: ``pick`` one of a sequence, an ``integer`` in [lo, hi], a ``flip``."""

    def pick(self, seq: Sequence) -> Any:
        return seq[self.integer(0, len(seq) - 1)]

    def integer(self, lo: int, hi: int) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def flip(self) -> bool:
        return self.integer(0, 1) == 1

    def name(self) -> str:
        """A measure name the id pattern allows, an engine name half the time."""
        if self.flip():
            return self.pick(ENGINE_NAMES)
        return self.pick(string.ascii_lowercase) + "".join(self.pick(_TAIL) for _ in range(self.integer(0, 24)))

    def number(self, months: bool = False) -> float:
        """A threshold with at most 4 decimals."""
        way = self.integer(0, 3)
        if way == 0:
            return self.integer(0, 48 if months else 12)
        if way == 1:
            return self.integer(0, 480 if months else 48) / 4
        if way == 2:
            return self.integer(0 if months else -2_000_000, 12_000_000 if months else 2_000_000) / 10_000
        return self.pick(SPECIAL_MONTHS if months else SPECIAL_NUMBERS)


class Drawn(Chooser):
    """Choices drawn by hypothesis (shrinkable)."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))


class Seeded(Chooser):
    """Choices from a seeded generator (one hypothesis draw for many choices)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.random.randint(lo, hi)


def _fields(kinds: tuple[str, ...]) -> list[tuple[str, FieldKind]]:
    return [(p, k) for p, k in packet_fields().items() if k.kind in kinds and p not in EXCLUDED]


def _list_fields() -> list[str]:
    return [p for p, _ in _fields(("list",))]


# -- measures --------------------------------------------------------------------------------------------


def where_clause(c: Chooser, list_path: str, levels: list[str]) -> Optional[dict]:
    """0–2 ``where`` tests on the list's non-text, non-date item fields."""
    items = {n: k for n, k in item_fields(list_path).items() if k.kind in ("number", "bool", "enum", "level")}
    if not items or c.integer(0, 2) == 0:
        return None
    out = {}
    for _ in range(c.integer(1, 2)):
        name = c.pick(sorted(items))
        op, value = operand_for(c, items[name], levels, allow_by_size=False)
        # `FIELD: VALUE` is equality; a dict there would read as operators, so `{level: x}` stays wrapped
        out[name] = value if op == "eq" and not isinstance(value, dict) and c.flip() else {op: value}
    dates = sorted(n for n, k in item_fields(list_path).items() if k.kind == "date")
    if dates and c.integer(0, 2) == 0:  # issue 12: a date compared with a day
        op, day = c.pick(("before", "after", "on_or_before", "on_or_after")), day_operand(c)
        if op == "after" and day in ("as_of", {"months_before_as_of": 0}):
            op = "on_or_before"  # nothing is both on or before as_of and after it: the lint refuses it
        out[c.pick(dates)] = {op: day}
    return out


def day_operand(c: Chooser) -> Any:
    """The day a `where` date comparison names: an ISO date, as_of, or some months before as_of."""
    way = c.integer(0, 2)
    if way == 0:
        return "as_of"
    if way == 1:
        return {"months_before_as_of": c.pick((0, 1, 6, 12, 24, 1200))}
    return c.pick(("2019-01-01", "2024-02-29", "2025-06-30", "2026-11-01", "2026-12-31"))


def measure(c: Chooser, levels: list[str]) -> tuple[dict, Any]:
    """A measure definition of any kind, and the kind of value it yields (a ``FieldKind``, or "months")."""
    kind = c.pick(("field", "field", "field", "count", "size", "max", "min", "sum", "review_months", "months_since",
                   "earliest", "ordered", "words"))
    extra: dict = {}
    if kind == "words":  # issue 12: a list of words, read with contains
        path, field_kind = c.pick([(p, k) for p, k in _fields(("list",)) if k.item_model is None])
        return {"field": path, **extra}, "words"
    if c.integer(0, 3) == 0:
        extra["title"] = c.pick(("{target} months", "reach at {current}", "figure", "months of work"))
    if kind == "field":
        path, field_kind = c.pick(_fields(("number", "bool", "enum", "level")))
        if field_kind.kind == "number" and c.flip():
            extra.update(unit=c.pick(("months", "years", "teams")), grows=c.flip())
        return {"field": path, **extra}, field_kind
    if kind == "months_since":
        path, _ = c.pick(_fields(("date",)))
        return {"months_since": path, "unit": "months", "grows": True, **extra}, "months"
    if kind == "review_months":
        spec: dict = {"at_or_above": c.pick(("current", "target", *levels))}
        if c.flip():
            spec["min_rating"] = c.pick(ORDINALS["rating"])
        if c.flip():
            spec["within_months"] = c.integer(1, 1200)
        return {"review_months": spec, "unit": "months", "grows": c.flip(), **extra}, "months"
    number = FieldKind("number")
    if kind == "earliest":  # issue 12: the earliest item's field (reviews by start, impact by date)
        path = c.pick(("reviews", "impact"))
        of = c.pick(sorted(n for n, k in item_fields(path).items() if k.kind in ("number", "bool", "enum", "level")))
        out = {"earliest": path, "of": of, **extra}
        where = where_clause(c, path, levels)
        if where:
            out["where"] = where
        return out, item_fields(path)[of]
    if kind == "ordered":  # issue 12: the lowest / highest word of an ordered field, or level by rank
        path, of = c.pick((("reviews", "rating"), ("reviews", "operating_level"), ("impact", "reach"),
                           ("advocates", "level")))
        out = {c.pick(("min", "max")): path, "of": of, **extra}
        where = where_clause(c, path, levels)
        if where:
            out["where"] = where
        return out, item_fields(path)[of]
    if kind in ("count", "size"):  # size: distinct words, so only a list of words (the lint refuses records)
        path = c.pick(_list_fields() if kind == "count" else [p for p, k in _fields(("list",)) if is_words(k)])
        out = {kind: path, **extra}
        where = where_clause(c, path, levels) if kind == "count" else None
        if where:
            out["where"] = where
        return out, number
    # max / min / sum: lists whose items have a number field
    path = c.pick([p for p in _list_fields() if any(k.kind == "number" for k in item_fields(p).values())])
    of = c.pick(sorted(n for n, k in item_fields(path).items() if k.kind == "number"))
    out = {kind: path, "of": of, **extra}
    where = where_clause(c, path, levels)
    if where:
        out["where"] = where
    return out, number


# -- operands and conditions -------------------------------------------------------------------------------


def _level_ref(c: Chooser, levels: list[str]) -> Any:
    name = c.pick(tuple(levels) + ("current", "target"))
    return {"level": name} if c.flip() else name


def operand_for(c: Chooser, kind: Any, levels: list[str], allow_by_size: bool = True) -> tuple[str, Any]:
    """An operator and an operand that validate accepts for a value of ``kind``."""
    k = getattr(kind, "kind", kind)
    if k == "words":
        op = c.pick(("contains", "contains_all", "contains_any"))
        if op == "contains":
            return op, c.pick(WORDS)
        return op, [c.pick(WORDS) for _ in range(c.integer(1, 3))]
    if k == "bool":
        return c.pick(("eq", "ne")), c.flip()
    if k == "enum":
        values = tuple(kind.values)
        op = c.pick(("eq", "ne", "in", "gte", "gt", "lte", "lt") if values in ORDERED else ("eq", "ne", "in"))
        if op == "in":
            return op, [c.pick(values) for _ in range(c.integer(1, 4))]
        return op, c.pick(values)
    if k == "level":
        op = c.pick(("eq", "ne", "in", "gte", "gt", "lte", "lt"))
        if op == "in":
            return op, [_level_ref(c, levels) for _ in range(c.integer(1, 3))]
        return op, _level_ref(c, levels)
    op = c.pick(("gte", "gt", "lte", "lt", "eq", "ne"))
    months = k == "months"
    if allow_by_size and c.integer(0, 5) == 0:
        return op, {"by_org_size": {s: c.number(months) for s in SIZES}}
    if allow_by_size and c.integer(0, 5) == 0:
        return op, keyed_threshold(c, levels, months)
    return op, c.number(months)


# -- issue 12 conditions: words, two measures, keyed thresholds, at_least, supporting groups --------------

#: Words ``contains`` looks for: functions the packets list (in any case), and one they never do.
WORDS = ("engineering", "design", "Sales", "data", "legal", "nobody")


def keyed_threshold(c: Chooser, levels: list[str], months: bool) -> dict:
    """A threshold keyed by track, by current level, or by a word or level field of the packet."""
    way = c.integer(0, 2)
    if way == 0:
        table = {t: c.number(months) for t in ("ic", "management", "default") if c.flip()}
        return {"by_track": table if {"ic", "management"} <= set(table) or "default" in table
                else {**table, "default": c.number(months)}}
    if way == 1:
        levels = [lv for lv in levels if lv in {x["id"] for x in LEVELS}]  # levels, not titles
        table = {lv: c.number(months) for lv in levels if c.flip()}
        return {"by_level": {**table, "default": c.number(months)} if c.flip() or not table else
                {**{lv: c.number(months) for lv in levels}, **table}}
    path, key_kind = c.pick(_fields(("enum", "level")))
    # Level keys are ids or the relative names, not both: `current` and a level id can name one level,
    # which validate refuses (the second threshold could never apply).
    options: tuple = (tuple(key_kind.values) if key_kind.kind == "enum" else
                      tuple(levels) if c.flip() else ("current", "target"))
    values = {v: c.number(months) for v in options if c.flip()} or {options[0]: c.number(months)}
    spec: dict = {"field": path, "values": values}
    covered = key_kind.kind != "level" and set(values) >= set(options)
    if not covered or c.flip():
        spec["default"] = c.number(months)
    return {"by": spec}


def _comparable(kinds: dict[str, Any], name: str) -> list[str]:
    """Measures whose values compare with ``name``'s: numbers with numbers (months are numbers), words of
    one enum with each other, levels with levels."""
    def key(kind: Any) -> Any:
        k = getattr(kind, "kind", kind)
        return ("number",) if k in ("number", "months") else (k, getattr(kind, "values", ()))
    return sorted(n for n, kind in kinds.items() if key(kind) == key(kinds[name]) and key(kind)[0] != "words")


def pair(c: Chooser, measures: dict[str, Any], name: str) -> Optional[dict]:
    """``{measure: name, OP: {measure: other}}`` for a measure of the same kind, or None."""
    others = [n for n in _comparable(measures, name) if n != name]  # the lint refuses a measure compared with itself
    if not others:
        return None
    kind = measures[name]
    k = getattr(kind, "kind", kind)
    ordered = k in ("number", "months", "level") or (k == "enum" and tuple(kind.values) in ORDERED)
    op = c.pick(("gte", "gt", "lte", "lt", "eq", "ne") if ordered else ("eq", "ne"))
    return {"measure": name, op: {"measure": c.pick(others)}}


def condition(c: Chooser, measures: dict[str, Any], levels: list[str], depth: int = 0) -> dict:
    """A condition over the measures: a comparison (sometimes with another measure), or all / any / not /
    at_least of smaller conditions."""
    if depth >= 3 or c.integer(0, 9) < 5 + depth:
        name = c.pick(sorted(measures))
        if c.integer(0, 5) == 0:
            compared = pair(c, measures, name)
            if compared is not None:
                return compared
        op, operand = operand_for(c, measures[name], levels)
        return {"measure": name, op: operand}
    form = c.pick(("all", "any", "not", "at_least"))
    if form == "not":
        return {"not": condition(c, measures, levels, depth + 1)}
    if form == "at_least":
        parts = [condition(c, measures, levels, depth + 1) for _ in range(c.integer(1, 8 if depth == 0 else 4))]
        return {"at_least": c.integer(1, len(parts)), "of": parts}
    return {form: [condition(c, measures, levels, depth + 1) for _ in range(c.integer(1, 3))]}


def groups(c: Chooser, criteria: list[dict]) -> tuple[dict, int]:
    """Named supporting groups for some of the supporting criteria (each criterion naming one), with
    quotas each group can meet; and how many supporting criteria are left in no group."""
    supporting = [x for x in criteria if not x["required"]]
    if not supporting or c.integer(0, 2) == 0:
        return {}, len(supporting)
    names = ("values", "craft", "g-3")[:c.integer(1, 3)]
    members = dict.fromkeys(names, 0)
    for x in supporting:
        if c.integer(0, 3) > 0:
            x["group"] = c.pick(names)
            members[x["group"]] += 1
    declared = {g: {"needed": c.integer(0, min(n, 64)), **({"title": f"Group {g}"} if c.flip() else {})}
                for g, n in members.items()}
    return declared, sum("group" not in x for x in supporting)


def criterion_count(c: Chooser) -> int:
    """1–200 criteria: mostly a real transition's dozen, often past one ruleset (65+), up to 200."""
    way = c.integer(0, 3)
    return c.integer(1, 12) if way < 2 else c.integer(13, 64) if way == 2 else c.integer(65, 200)


def _criterion(i: int, required: bool, cond: dict) -> dict:
    return {"id": f"c-{i}", "title": f"Criterion {i}", "required": required, "rationale": "Generated.",
            "source": {"file": "000_generated.txt", "section": "Generated"}, "condition": cond,
            "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Unknown."}}


def _measures_in(cond: dict) -> set[str]:
    if "measure" in cond:
        others = {v["measure"] for v in cond.values() if isinstance(v, dict) and "measure" in v}
        return {cond["measure"]} | others
    parts = cond.get("all") or cond.get("any") or cond.get("of") or [cond["not"]]
    return set().union(*(_measures_in(p) for p in parts))


@st.composite
def ladders(draw, max_criteria: Optional[int] = None, min_criteria: Optional[int] = None) -> dict[str, dict]:
    """A valid ladder folder's documents: file name → content. ``min_criteria`` (at most 200) is the
    least number of criteria of the first transition; ``max_criteria`` caps every transition."""
    c = Drawn(draw)
    transitions = TRANSITIONS[:c.integer(1, len(TRANSITIONS))]
    level_ids = sorted({x for t in transitions for x in t[:2]})
    levels = [lv for lv in LEVELS if lv["id"] in level_ids]
    titles = list(TITLES[:c.integer(0, len(TITLES))])
    refs = level_ids + [t["id"] for t in titles]  # names a level reference may use
    names = list(dict.fromkeys(c.name() for _ in range(c.integer(1, 24))))
    pool: dict[str, tuple[dict, Any]] = {name: measure(c, level_ids) for name in names}
    kinds = {name: kind for name, (_, kind) in pool.items()}
    files: dict[str, dict] = {}
    used: set[str] = set()
    for t, (source, target, track) in enumerate(transitions):
        n = c.integer(min_criteria, 200) if t == 0 and min_criteria else criterion_count(c)
        if max_criteria is not None:
            n = min(n, max_criteria)
        bulk = Seeded(c.integer(0, 2**32 - 1))
        criteria = []
        for i in range(n):
            chooser = c if i < DRAWN_CRITERIA else bulk
            cond = condition(chooser, kinds, refs)
            used |= _measures_in(cond)
            criteria.append(_criterion(i, chooser.flip(), cond))
        declared, supporting = groups(c, criteria)
        header = {"from": source, "to": target, "track": track, "phase": "progressing-seniority",
                  "title": f"{source} to {target}", "supporting_needed": c.integer(0, min(supporting, 64))}
        if declared:
            header["supporting_groups"] = declared
        files[f"{source}-to-{target}.yaml"] = {"transition": header, "criteria": criteria}
    files["ladder.yaml"] = {"ladder": "generated", "version": "1", "title": "A generated ladder",
                            "levels": levels, "titles": titles,
                            "measures": {name: pool[name][0] for name in names if name in used}}
    return files


# -- files -----------------------------------------------------------------------------------------------


def _first_comparison(cond: dict) -> dict:
    while "measure" not in cond:
        cond = (cond.get("all") or cond.get("any") or cond.get("of") or [cond["not"]])[0]
    return cond


def _turn_around(files: dict[str, dict], problem: Any) -> None:
    """Make a part that can never pass (``ladder.never-passes``) one that can: a comparison or an ``all``
    is wrapped in ``not`` (its negation can pass; the engine still meets every operand), and a ``where``
    test that no item can match is dropped."""
    keys: list = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", problem.path)]
    doc: Any = files[os.path.basename(problem.file)]
    if keys[0] == "measures":  # measures.NAME.where.KEY
        where = doc["measures"][keys[1]]["where"]
        del where[keys[3]]
        if not where:
            del doc["measures"][keys[1]]["where"]
        return
    *parents, last = keys[:-1]  # the node, without its operator (or its `all` / `any` key)
    holder = doc
    for k in parents:
        holder = holder[k]
    holder[last] = {"not": holder[last]}


def write_ladder(files: dict[str, dict], folder: Optional[str] = None):
    """Write the documents (JSON is YAML) and load them with ``load_ladder`` (validate).

    A condition refused as too complex for the engine is replaced by its first comparison (its
    measure stays used; a measure no other condition reads is undeclared), a part no packet can pass
    (a bar beyond its measure's values, drawn at random) is turned around (``_turn_around``), and the
    ladder written again; any other refusal is raised. Returns the ``Ladder`` and the folder.
    """
    from promoready.engine import LadderInvalid, load_ladder

    folder = folder or tempfile.mkdtemp(prefix="promoready-generated-")
    for _ in range(500):
        for name, content in files.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                json.dump(content, f, ensure_ascii=False, indent=1)
        try:
            return load_ladder(folder), folder
        except LadderInvalid as err:
            if any(p.code not in ("ladder.too-complex", "ladder.never-passes") for p in err.problems):
                raise
            # the deepest first: wrapping a node in `not` moves the paths of the parts inside it only
            for p in sorted(err.problems, key=lambda p: -p.path.count(".") - p.path.count("[")):
                if p.code == "ladder.never-passes":
                    _turn_around(files, p)
                    continue
                index = int(p.path.split("[")[1].split("]")[0])
                criteria = files[os.path.basename(p.file)]["criteria"]
                criteria[index]["condition"] = _first_comparison(criteria[index]["condition"])
            used = set().union(*(_measures_in(x["condition"]) for name, doc in files.items()
                                 if name != "ladder.yaml" for x in doc["criteria"]))
            measures = files["ladder.yaml"]["measures"]
            files["ladder.yaml"]["measures"] = {n: m for n, m in measures.items() if n in used}
    raise AssertionError("the ladder still does not compile after simplifying 500 conditions")
