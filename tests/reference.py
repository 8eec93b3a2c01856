"""A plain-Python reference evaluator: the oracle the differential tests compare the engine with.

It implements ``docs/rules-language.md`` directly and independently of ``promoready.engine``: no
durable-rules, no compiled regions, no shared helpers. It only borrows the pydantic models (so that
the packet is parsed exactly as the engine parses it) and reads the ``Ladder`` model. Clarity over
speed: review days are counted as a set of calendar days.
"""

from __future__ import annotations

import calendar
import datetime
import re
import typing
import unicodedata
from fractions import Fraction
from typing import Any, Optional

from promoready.schemas.ladder import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    CountMeasure,
    EarliestMeasure,
    FieldMeasure,
    Ladder,
    LatestMeasure,
    Leaf,
    ListMeasure,
    MaxMeasure,
    Measure,
    MinMeasure,
    MonthsSinceMeasure,
    Not,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumMeasure,
    SumOfMeasure,
    Transition,
    WeightedMeanMeasure,
)
from promoready.schemas.packet import ORDINALS, Packet

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
ONE_DAY = datetime.timedelta(days=1)
SIZES = ORDINALS["size"]
LEVEL_FIELDS = {"current_level", "target_level", "operating_level", "level"}  # last path component


def word(text: str) -> str:
    """A listed word as contains and size compare it: NFKC, invisible format characters dropped, normalised."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")
    return normalise(text)


def normalise(name: str) -> str:
    """``Senior PM`` / ``senior_pm`` / ``senior-pm`` → ``senior-pm``."""
    return re.sub(r"[\s_\-]+", "-", name.lower()).strip("-")


class Names:
    """Every level and title name of a ladder (ids, titles, aliases, normalised) → (id, rank, is_level)."""

    def __init__(self, ladder: Ladder) -> None:
        self.by_name: dict[str, tuple[str, int, bool]] = {}
        for level in ladder.levels:
            for name in (level.id, level.title, *level.aliases):
                self.by_name.setdefault(normalise(name), (level.id, level.rank, True))
        for title in ladder.titles:
            for name in (title.id, title.title, *title.aliases):
                self.by_name.setdefault(normalise(name), (title.id, title.rank, False))
        self.rank_of_id = {level.id: level.rank for level in ladder.levels}

    def level_id(self, name: str) -> str:
        level_id, _, is_level = self.by_name[normalise(name)]
        assert is_level, f"{name!r} is a title, not a level"
        return level_id

    def rank(self, name: str) -> int:
        return self.by_name[normalise(name)][1]


def choose_transition(ladder: Ladder, packet: Packet, names: Names) -> Transition:
    """The transition the packet asks for (the packet is assumed to name a real one)."""
    current = names.level_id(packet.current_level)
    outgoing = [t for t in ladder.transitions if t.from_ == current]
    if packet.target_level is not None:
        target = names.level_id(packet.target_level)
        (chosen,) = [t for t in outgoing if t.to == target]
        assert packet.track is None or packet.track == chosen.track
        return chosen
    if packet.track is not None:
        outgoing = [t for t in outgoing if t.track == packet.track]
    lowest = min(names.rank_of_id[t.to] for t in outgoing)
    (chosen,) = [t for t in outgoing if names.rank_of_id[t.to] == lowest]
    return chosen


# -- values -------------------------------------------------------------------------------------------
# A known value is ("num", float) | ("bool", bool) | ("word", enum name, word) | ("rank", int).


class Context:
    def __init__(self, ladder: Ladder, transition: Transition, packet: Packet, names: Names) -> None:
        self.ladder = ladder
        self.packet = packet
        self.names = names
        self.as_of = packet.as_of or datetime.date.today()
        self.current, self.target = transition.from_, transition.to
        self.track = transition.track
        self.size = packet.organization.size if packet.organization else None

    def level_rank(self, ref: str) -> int:
        """Rank of a level reference: a level/title name, or ``current`` / ``target``."""
        ref = {"current": self.current, "target": self.target}.get(ref, ref)
        return self.names.rank(ref)


def get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part)
    return obj


def attr(item: Any, name: str) -> Any:
    """A list item's field: a packet model's attribute, or a key of a declared record (a plain dict)."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


# -- declared evidence (ladder.yaml `scales:` and `evidence:`), read straight from the packet's dict ------


def spec_of(ladder: Ladder, path: str, item_field: Optional[str] = None):
    """The declaration of ``evidence.<name>`` (or of one field of its records), or None."""
    if not path.startswith("evidence."):
        return None
    spec = ladder.evidence[path.split(".", 1)[1]]
    return spec if item_field is None else spec.fields[item_field]


def declared_value(spec, raw: Any, ladder: Ladder) -> Optional[tuple]:
    """A declared field's raw value (as the packet wrote it) as a typed value."""
    if raw is None:
        return None
    if spec.type == "rating":
        return ("word", ("scale", tuple(step.id for step in ladder.scales[spec.scale])), raw)
    if spec.type == "date":
        return ("date", raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(raw))
    if spec.type == "boolean":
        return ("bool", raw)
    if spec.type in ("number", "integer"):
        return ("num", raw)
    if spec.type == "string":
        return ("word", ("words",), raw)
    return ("list", raw)


def item_value(list_path: str, item: Any, name: str, ctx: "Context") -> Optional[tuple]:
    """A list item's field as a typed value (built-in items by their field name, records by declaration)."""
    spec = spec_of(ctx.ladder, list_path, name)
    if spec is not None:
        return declared_value(spec, attr(item, name), ctx.ladder)
    raw = attr(item, name)
    if isinstance(raw, datetime.date):
        return ("date", raw)
    return typed(name, raw, ctx)


def typed(field_name: str, raw: Any, ctx: Context) -> Optional[tuple]:
    """A raw packet value as a typed value (None stays None = unknown)."""
    if raw is None:
        return None
    if field_name in LEVEL_FIELDS:
        return ("rank", ctx.names.rank(raw))
    if isinstance(raw, bool):
        return ("bool", raw)
    if isinstance(raw, (int, float)):
        return ("num", raw)
    if isinstance(raw, str):
        return ("word", field_name, raw)
    raise TypeError(f"reference cannot type {field_name}={raw!r}")


def order_key(v: tuple) -> Any:
    """What ``gte``/``lt``… compare: numbers rounded to 4 decimals (calendar months exactly), ranks,
    ordered-enum positions."""
    kind = v[0]
    if kind == "num":
        if isinstance(v[1], Fraction):
            return v[1]
        return Fraction(str(round(v[1], 4)))
    if kind == "rank":
        return v[1]
    if kind == "word":
        if isinstance(v[1], tuple):  # a declared scale carries its own order; a declared string has none
            if v[1][0] != "scale":
                raise KeyError(v[1])
            return v[1][1].index(v[2])
        return ORDINALS[v[1]].index(v[2])  # KeyError: not an ordered enum
    raise TypeError(f"{v!r} has no order")


def equal_key(v: tuple) -> Any:
    """What ``eq``/``ne``/``in`` compare."""
    return ("num", order_key(v)) if v[0] == "num" else v


def operand_value(like: tuple, operand: Any, ctx: Context) -> tuple:
    """A ladder operand typed like the measure value ``like`` it is compared with."""
    if isinstance(operand, dict) and "level" in operand:
        return ("rank", ctx.level_rank(operand["level"]))
    if like[0] == "rank":
        return ("rank", ctx.level_rank(operand))
    if like[0] == "word":
        return ("word", like[1], operand)
    if like[0] == "bool":
        assert isinstance(operand, bool), operand
        return ("bool", operand)
    assert isinstance(operand, (int, float)) and not isinstance(operand, bool), operand
    return ("num", operand)


def holds(op: str, value: tuple, operand: Any, ctx: Context) -> bool:
    """Two-valued comparison of a known value with a (non-by_org_size) operand."""
    if op == "in":
        return equal_key(value) in [equal_key(operand_value(value, o, ctx)) for o in operand]
    other = operand_value(value, operand, ctx)
    if op in ("eq", "ne"):
        same = equal_key(value) == equal_key(other)
        return same if op == "eq" else not same
    a, b = order_key(value), order_key(other)
    return {"gte": a >= b, "gt": a > b, "lte": a <= b, "lt": a < b}[op]


# -- measures -------------------------------------------------------------------------------------------


DATE_TESTS = ("within_months", "before", "after", "on_or_before", "on_or_after")


def named_day(operand: Any, as_of: datetime.date) -> datetime.date:
    """The day ``before``/``after``… name: an ISO date, ``as_of``, or ``{months_before_as_of: N}``."""
    if operand == "as_of":
        return as_of
    if isinstance(operand, dict):
        return plus_months(as_of, -operand["months_before_as_of"])
    return operand if isinstance(operand, datetime.date) else datetime.date.fromisoformat(operand)


def date_holds(op: str, day: datetime.date, operand: Any, as_of: datetime.date) -> bool:
    if op == "within_months":
        return first_day_of_window(as_of, operand) <= day <= as_of
    if day > as_of:
        return False  # the packet's evidence is as of as_of: a later item is not there yet
    other = named_day(operand, as_of)
    return {"before": day < other, "after": day > other, "on_or_before": day <= other, "on_or_after": day >= other}[op]


def where_matches(item: Any, where: Optional[dict], ctx: Context, list_path: str = "",
                  doubt: bool = False) -> Optional[bool]:
    """True, False, or None when the item lacks a date a test reads and every test of a field it has
    passes. With ``doubt`` (a count), also None when it lacks any other field a test reads: nobody has
    said whether it matches. Without, an item lacking a field other than a date does not match."""
    undecided = False
    for field_name, test in (where or {}).items():
        raw = attr(item, field_name)
        dated = isinstance(test, dict) and any(op in DATE_TESTS for op in test)
        if raw is None:
            if not (dated or doubt):
                return False
            undecided = True
            continue
        if dated:
            day = raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(raw)
            if not all(date_holds(op, day, operand, ctx.as_of) for op, operand in test.items()):
                return False
            continue
        value = item_value(list_path, item, field_name, ctx)
        for op, operand in (test.items() if isinstance(test, dict) else [("eq", test)]):
            if not holds(op, value, operand, ctx):
                return False
    return None if undecided else True


# -- calendar months: written out by hand, month by month -----------------------------------------------


def plus_months(day: datetime.date, n: int) -> datetime.date:
    year, month = day.year, day.month
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        month += step
        if month == 13:
            year, month = year + 1, 1
        elif month == 0:
            year, month = year - 1, 12
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_day_of_window(as_of: datetime.date, n: int) -> datetime.date:
    return plus_months(as_of + ONE_DAY, -n)


def month_ends(first: datetime.date, n: int) -> datetime.date:
    """The day after ``n`` months from ``first``: the same day of month, or the 1st of the month after
    one too short to have it (the month from 31 January ends with February)."""
    moved = plus_months(first, n)
    return moved + ONE_DAY if moved.day < first.day else moved


def calendar_months(first: datetime.date, last: datetime.date) -> Fraction:
    """Months covered by the days ``first`` to ``last``, both included."""
    after = last + ONE_DAY
    n = 0
    while month_ends(first, n + 1) <= after:
        n += 1
    start = month_ends(first, n)
    return n + Fraction((after - start).days, (month_ends(first, n + 1) - start).days)


def months_of_days(days: set[datetime.date]) -> Fraction:
    """Each run of consecutive days counted from its own first day."""
    total = Fraction(0)
    for day in sorted(days):
        if day - ONE_DAY not in days:
            last = day
            while last + ONE_DAY in days:
                last += ONE_DAY
            total += calendar_months(day, last)
    return total


def review_months(spec, ctx: Context) -> Optional[tuple]:
    reviews = ctx.packet.reviews
    if reviews is None:
        return None
    floor = ctx.level_rank(spec.at_or_above)
    last = ctx.as_of
    first = None if spec.within_months is None else first_day_of_window(last, spec.within_months)
    days: set[datetime.date] = set()
    unknown = False
    for review in reviews:
        start = review.start if first is None else max(review.start, first)
        end = min(review.end, last)
        if start > end:
            continue  # entirely outside the window
        if review.operating_level is None or (spec.min_rating is not None and review.rating is None):
            unknown = True
            continue
        if ctx.names.rank(review.operating_level) < floor:
            continue
        if spec.min_rating is not None and ORDINALS["rating"].index(review.rating) < ORDINALS["rating"].index(spec.min_rating):
            continue
        day = start
        while day <= end:
            days.add(day)
            day += datetime.timedelta(days=1)
    return None if unknown else ("num", months_of_days(days))


def measure(m: Measure, ctx: Context) -> Optional[tuple]:
    """A measure's typed value, or None when it is unknown."""
    if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
        return arithmetic(m, ctx)
    if isinstance(m, FieldMeasure):
        raw = get_path(ctx.packet, m.field)
        spec = spec_of(ctx.ladder, m.field)
        if isinstance(raw, list) and (spec is None or spec.type == "strings"):
            # a list of words (issue 12): compared by contains, case and separators aside
            return ("words", frozenset(word(w) for w in raw))
        if spec is not None:
            return declared_value(spec, raw, ctx.ladder)
        return typed(m.field.split(".")[-1], raw, ctx)
    if isinstance(m, MonthsSinceMeasure):
        since = get_path(ctx.packet, m.months_since)
        if since is None:
            return None
        if isinstance(since, str):
            since = datetime.date.fromisoformat(since)
        return ("num", calendar_months(since, ctx.as_of - ONE_DAY) if since < ctx.as_of else Fraction(0))
    if isinstance(m, ReviewMonthsMeasure):
        return review_months(m.review_months, ctx)
    assert isinstance(m, ListMeasure), m
    items = get_path(ctx.packet, m.list_path)
    if items is None:
        return None
    if isinstance(m, SizeMeasure):  # names told apart as contains reads words: case, width and separators aside
        return ("num", len({word(x) if isinstance(x, str) else x for x in items} - {""}))
    matches = [where_matches(item, m.where, ctx, m.list_path, isinstance(m, CountMeasure)) for item in items]
    if isinstance(m, (LatestMeasure, EarliestMeasure)):
        if None in matches:
            return None  # an undated item might be the most recent (the earliest)
        return latest(m, [item for item, ok in zip(items, matches) if ok], ctx)
    matching = [item for item, ok in zip(items, matches) if ok]  # an undated item is not in a window
    if isinstance(m, CountMeasure):
        doubt = matches.count(None)  # items that may or may not match: the count is a range
        return ("range", len(matching), len(matching) + doubt) if doubt else ("num", len(matching))
    values = [item_value(m.list_path, item, m.of, ctx) for item in matching]
    values = [v for v in values if v is not None]
    if isinstance(m, SumMeasure):
        return ("num", sum(v[1] for v in values))
    if values and values[0][0] != "num":  # min/max of an ordered word or a level: the lowest/highest one
        return (min if isinstance(m, MinMeasure) else max)(values, key=order_key)
    if isinstance(m, MaxMeasure):  # of no item that counts, 0 (of a number); of items silent on it, unknown
        if values:
            return ("num", max(v[1] for v in values))
        return ("num", 0) if not matching and not ordered_field(m, ctx) else None
    if isinstance(m, MinMeasure):
        return ("num", min(v[1] for v in values)) if values else None
    raise ValueError(f"unknown measure kind {m.kind}")


def ordered_field(m, ctx: Context) -> bool:
    """Whether an aggregate reads an ordered word or a level (its max of nothing is unknown, not 0)."""
    spec = spec_of(ctx.ladder, m.list_path, m.of)
    if spec is not None:
        return spec.type == "rating"
    return m.of in LEVEL_FIELDS or m.of in ("rating", "reach", "ambiguity")


def arithmetic(m, ctx: Context) -> Optional[tuple]:
    """``sum_of`` / ``weighted_mean``: parts at 4 decimals (calendar months exact), ratings by their
    scale's value; unknown if any part is, or is a count in doubt."""
    total, high, weights = Fraction(0), Fraction(0), Fraction(0)
    doubt = False
    parts = [(p, 1) for p in m.sum_of] if isinstance(m, SumOfMeasure) else [(p.measure, p.weight) for p in m.weighted_mean]
    for name, weight in parts:
        value = measure(ctx.ladder.measures[name], ctx)
        if value is None:
            return None
        top = None  # a part in doubt: its high end
        if value[0] == "word":
            scale = next(s for s in ctx.ladder.scales.values() if tuple(step.id for step in s) == value[1][1])
            number = Fraction(str(next(step.value for step in scale if step.id == value[2])))
        elif value[0] in ("range", "interval"):  # a count in doubt, or a combination of one
            number, top = Fraction(value[1]), Fraction(value[2])
        elif isinstance(value[1], Fraction):
            number = value[1]
        else:
            number = Fraction(str(round(value[1], 4)))
        w = Fraction(str(weight))
        total += w * number
        high += w * (number if top is None else top)
        doubt = doubt or top is not None
        weights += w
    if isinstance(m, WeightedMeanMeasure):
        total, high = total / weights, high / weights
    # A combination of a count in doubt: any number between the combination of the low ends and of the high.
    return ("interval", total, high) if doubt else ("num", total)


def latest(m, matching: list, ctx: Context) -> Optional[tuple]:
    earliest = isinstance(m, EarliestMeasure)
    if m.by:
        by = m.by
    elif m.list_path == "reviews":
        by = "start" if earliest else "end"
    else:  # the items' one date field
        spec = spec_of(ctx.ladder, m.list_path)
        by = next(n for n, f in spec.fields.items() if f.type == "date") if spec is not None else "date"

    def day(item: Any) -> Optional[datetime.date]:
        raw = attr(item, by)
        return raw if raw is None or isinstance(raw, datetime.date) else datetime.date.fromisoformat(raw)

    if any(day(item) is None for item in matching):
        return None
    dated = [item for item in matching if day(item) <= ctx.as_of]
    if not dated:
        return None
    chosen = (min if earliest else max)(day(item) for item in dated)
    values = [item_value(m.list_path, item, m.of, ctx) for item in dated if day(item) == chosen]
    if None in values:
        return None
    try:
        return min(values, key=order_key)
    except (KeyError, TypeError):  # not ordered: only one value will do
        return values[0] if len(set(values)) == 1 else None


# -- conditions (Kleene) -----------------------------------------------------------------------------------


def values_of(value: tuple, bars: list = ()) -> list[tuple]:
    """The values a measure may have that a comparison can tell apart: of a count in doubt, each count in
    its range; of a combination of one (any number between its ends), its ends and every bar between
    them; of any other, itself."""
    if value[0] == "range":
        return [("num", n) for n in range(value[1], value[2] + 1)]
    if value[0] == "interval":
        lo, hi = value[1], value[2]
        inside = [b if isinstance(b, Fraction) else Fraction(str(round(b, 4))) for b in bars]  # as compared
        return [("num", x) for x in dict.fromkeys([lo, hi] + [b for b in inside if lo < b < hi])]
    return [value]


def numbers_in(operand: Any) -> list:
    """Every number a comparison's operand holds (a threshold, a list, a table of thresholds)."""
    if isinstance(operand, bool):
        return []
    if isinstance(operand, (int, float)):
        return [operand]
    if isinstance(operand, dict):
        return [n for v in operand.values() for n in numbers_in(v)]
    if isinstance(operand, list):
        return [n for v in operand for n in numbers_in(v)]
    return []


def ends_of(value: Optional[tuple]) -> list:
    """The values of a measure an interval beside it must be tested at: a count's every whole number."""
    if value is None or value[0] not in ("num", "range", "interval"):
        return []
    return list(range(value[1], value[2] + 1)) if value[0] == "range" else list(value[1:])


def comparison(c: Leaf, ladder: Ladder, ctx: Context) -> str:
    """A comparison read over every value its measure may have: pass if it holds for each, fail if for none."""
    value = measure(ladder.measures[c.measure], ctx)
    if value is None:
        return UNKNOWN
    bars = numbers_in(c.operand)
    if isinstance(c.operand, dict) and set(c.operand) == {"measure"}:
        bars = ends_of(measure(ladder.measures[c.operand["measure"]], ctx))
    results = {one_value(c, ladder, ctx, v) for v in values_of(value, bars)}
    return results.pop() if len(results) == 1 else UNKNOWN


def one_value(c: Leaf, ladder: Ladder, ctx: Context, value: tuple) -> str:
    op, operand = c.op, c.operand
    if op in ("contains", "contains_all", "contains_any"):
        wanted = [word(w) for w in ([operand] if op == "contains" else operand)]
        found = [w in value[1] for w in wanted]
        return PASS if (any(found) if op == "contains_any" else all(found)) else FAIL
    if isinstance(operand, dict) and set(operand) == {"measure"}:
        other = measure(ladder.measures[operand["measure"]], ctx)
        if other is None:
            return UNKNOWN
        results = {two_valued(op, value, o) for o in values_of(other, ends_of(value))}
        return PASS if results == {True} else FAIL if results == {False} else UNKNOWN
    if isinstance(operand, dict) and ("by_track" in operand or "by_level" in operand):
        operand = static_threshold(operand, ctx)
    if isinstance(operand, dict) and "by" in operand:
        spec = operand["by"]
        key = typed(spec["field"].split(".")[-1], get_path(ctx.packet, spec["field"]), ctx)
        if key is None:
            cases = list(spec["values"].values())
            if spec.get("default") is not None and not covers(spec["field"], spec["values"]):
                cases.append(spec["default"])
        else:
            listed = [t for k, t in spec["values"].items() if equal_key(operand_value(key, k, ctx)) == equal_key(key)]
            cases = listed[:1] or [spec["default"]]
        results = {holds(op, value, t, ctx) for t in cases}
        return PASS if results == {True} else FAIL if results == {False} else UNKNOWN
    if isinstance(operand, dict) and "by_org_size" in operand:
        thresholds = operand["by_org_size"]
        sizes = [ctx.size] if ctx.size is not None else [s for s in SIZES if s in thresholds]
        results = {holds(op, value, thresholds[s], ctx) for s in sizes}
        if results == {True}:
            return PASS
        if results == {False}:
            return FAIL
        return UNKNOWN
    return PASS if holds(op, value, operand, ctx) else FAIL


# -- issue 12: two measures, keyed thresholds, at_least -------------------------------------------------


def two_valued(op: str, a: tuple, b: tuple) -> bool:
    """Two known measure values compared (they are of one kind: validate sees to it)."""
    if op in ("eq", "ne"):
        same = equal_key(a) == equal_key(b)
        return same if op == "eq" else not same
    x, y = order_key(a), order_key(b)
    return {"gte": x >= y, "gt": x > y, "lte": x <= y, "lt": x < y}[op]


def static_threshold(operand: dict, ctx: Context) -> Any:
    """by_track: the packet's track, else the transition's; by_level: the packet's current level."""
    if "by_track" in operand:
        table, key = operand["by_track"], ctx.packet.track or ctx.track
        return table[key] if key in table else table["default"]
    table = operand["by_level"]
    current = ctx.names.level_id(ctx.packet.current_level)
    for name, threshold in table.items():
        if name != "default" and normalise(name) in ctx.names.by_name and ctx.names.by_name[normalise(name)][0] == current:
            return threshold
    return table["default"]


def covers(path: str, values: dict) -> bool:
    """Whether ``values`` lists every value the packet word field at ``path`` can take."""
    model: Any = Packet
    annotation: Any = None
    for part in path.split("."):
        annotation = model.model_fields[part].annotation
        model = next((a for a in typing.get_args(annotation) if isinstance(a, type) and hasattr(a, "model_fields")),
                     annotation)
    options = [a for a in typing.get_args(annotation) if a is not type(None)]
    words = set()
    for option in options:
        words |= set(typing.get_args(option))
    return bool(words) and set(values) >= words


def kleene(c: Condition, ladder: Ladder, ctx: Context) -> str:
    if isinstance(c, Leaf):
        return comparison(c, ladder, ctx)
    if isinstance(c, AtLeast):
        parts = [kleene(p, ladder, ctx) for p in c.of]
        if parts.count(PASS) >= c.at_least:
            return PASS
        return FAIL if parts.count(PASS) + parts.count(UNKNOWN) < c.at_least else UNKNOWN
    if isinstance(c, Not):
        return {PASS: FAIL, FAIL: PASS, UNKNOWN: UNKNOWN}[kleene(c.not_, ladder, ctx)]
    if isinstance(c, AllOf):
        parts = [kleene(p, ladder, ctx) for p in c.all]
        return FAIL if FAIL in parts else UNKNOWN if UNKNOWN in parts else PASS
    if isinstance(c, AnyOf):
        parts = [kleene(p, ladder, ctx) for p in c.any]
        return PASS if PASS in parts else UNKNOWN if UNKNOWN in parts else FAIL
    raise ValueError(f"unknown condition node {type(c).__name__}")


def verdict(transition: Transition, statuses: dict[str, str]) -> str:
    """Each supporting quota (the criteria of no group against supporting_needed, and each named group)
    is one more condition: none may be out of reach, and every one must be met for ready."""
    required = [statuses[c.id] for c in transition.criteria if c.required]
    quotas = [(None, transition.supporting_needed)] + [(g, q.needed) for g, q in transition.supporting_groups.items()]
    out_of_reach = short = False
    for group, needed in quotas:
        supporting = [statuses[c.id] for c in transition.criteria if not c.required and c.group == group]
        passed, unknown = supporting.count(PASS), supporting.count(UNKNOWN)
        out_of_reach |= passed + unknown < needed
        short |= passed < needed
    if FAIL in required or out_of_reach:
        return "not_ready"
    if UNKNOWN in required or short:
        return "insufficient_evidence"
    return "ready"


def reference_decide(ladder: Ladder, packet: dict) -> tuple[dict[str, str], str]:
    """Criterion id → status, and the verdict, for the transition ``packet`` asks for."""
    model = Packet.model_validate(packet)
    names = Names(ladder)
    transition = choose_transition(ladder, model, names)
    # What the packet leaves out of its transition, the transition chosen says: its target and track.
    model = model.model_copy(update={"target_level": model.target_level or transition.to,
                                     "track": model.track or transition.track})
    ctx = Context(ladder, transition, model, names)
    statuses = {c.id: kleene(c.condition, ladder, ctx) for c in transition.criteria}
    return statuses, verdict(transition, statuses)
