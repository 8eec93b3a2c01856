"""Hypothesis strategies: valid promotion packets (contract shape, plain dicts) for a given ladder.

``packets(ladder, transition=None)`` draws a packet asking for an existing transition of the ladder
(level names in odd spellings, target and track sometimes left out where the ladder allows it), with
every evidence field sometimes absent, sometimes null, lists sometimes empty, and numbers and dates
biased toward the thresholds the ladder's own conditions use (exact, ± 0.0001, and within the
4-decimal rounding the engine applies), so that boundaries are exercised on every ladder.

A third of the packets are weak (anything goes), a sixth strong (every section present, numbers at
or a hair around this transition's thresholds), a sixth very strong (at or above them, the best
enum values, items that match the ladder's ``where`` filters), and a third mixed (each section
drawn weak, strong, very strong or missing on its own), so that every status and every verdict,
``ready`` and the supporting quota included, is common.

Everything drawn is a valid packet (``Packet.model_validate`` accepts it, and the engine's own checks
pass: known level names, ``current_level_since`` ≤ ``as_of``).
"""

from __future__ import annotations

import datetime
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Optional

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from promoready.schemas.ladder import (
    Aggregate,
    Condition,
    FieldMeasure,
    FilteredMeasure,
    Ladder,
    Leaf,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    Transition,
)
from promoready.schemas.packet import ORDINALS
from reference import DATE_TESTS, Names, first_day_of_window as window_start, named_day, normalise, plus_months as shift_months

DAYS_PER_MONTH = 30.4375  # only to turn month thresholds into rough day counts near them

ABSENT = object()  # a key left out of its mapping
FIXED_AS_OF = datetime.date(2026, 11, 1)

#: ``PROMOREADY_HYPOTHESIS_RANDOM=1`` draws fresh examples each run instead of the fixed CI sequence.
RANDOM = os.environ.get("PROMOREADY_HYPOTHESIS_RANDOM", "") not in ("", "0")


def examples(n: int) -> settings:
    """Settings for a property test of ``n`` examples: no deadline, reproducible, no database on disk."""
    return settings(max_examples=n, deadline=None, derandomize=not RANDOM, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- what the ladder compares with ---------------------------------------------------------------------


@dataclass
class Thresholds:
    """Numbers a ladder compares packet figures with, by packet path (``experience.product_years``,
    ``artifacts.horizon_months``), plus review durations, review windows and list lengths in months/items."""

    by_path: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    review_months: set[float] = field(default_factory=set)
    windows: set[int] = field(default_factory=set)
    date_windows: set[int] = field(default_factory=set)  # `within_months` of `where` tests on item dates
    since_months: set[float] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)
    words: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # enum words `where` looks for
    #: days `before`/`after`/`on_or_before`/`on_or_after` name (an ISO date, "as_of", {months_before_as_of: N})
    day_tests: list[Any] = field(default_factory=list)


def _numbers(operand: Any) -> list[float]:
    if isinstance(operand, bool):
        return []
    if isinstance(operand, (int, float)):
        return [operand]
    if isinstance(operand, dict) and "by_org_size" in operand:
        return [v for v in operand["by_org_size"].values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if isinstance(operand, dict) and ("by_track" in operand or "by_level" in operand or "by" in operand):
        table = operand.get("by_track") or operand.get("by_level") or {**operand["by"]["values"],
                                                                       "default": operand["by"].get("default")}
        return [v for v in table.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if isinstance(operand, (list, tuple)):
        return [v for v in operand if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return []


def _comparisons(c: Condition):
    if isinstance(c, Leaf):
        yield c
    for part in c.children:
        yield from _comparisons(part)


def comparisons(c: Condition) -> list[Leaf]:
    """Every comparison (leaf) of a condition."""
    return list(_comparisons(c))


def harvest(ladder: Ladder, transitions: Optional[tuple[Transition, ...]] = None) -> Thresholds:
    """The thresholds of ``transitions`` (every transition of the ladder if None)."""
    found = Thresholds()
    for m in ladder.measures.values():
        for key, test in ((m.where or {}) if isinstance(m, FilteredMeasure) else {}).items():
            if isinstance(test, dict) and any(op in DATE_TESTS for op in test):
                for op, operand in test.items():
                    if op == "within_months":
                        found.date_windows.add(operand)
                        if m.list_path == "reviews":
                            found.windows.add(operand)
                    else:
                        found.day_tests.append(operand)
                continue
            words = test.get("in", test.get("eq", ())) if isinstance(test, dict) else test
            found.words[f"{m.list_path}.{key}"].update(
                w for w in (words if isinstance(words, (list, tuple)) else [words]) if isinstance(w, str))
            for v in _numbers(list(test.values()) if isinstance(test, dict) else test):
                found.by_path[f"{m.list_path}.{key}"].add(v)
        if isinstance(m, ReviewMonthsMeasure) and m.review_months.within_months:
            found.windows.add(m.review_months.within_months)
    for t in ladder.transitions if transitions is None else transitions:
        for criterion in t.criteria:
            for c in comparisons(criterion.condition):
                m = ladder.measures[c.measure]
                values = _numbers(c.operand)
                if isinstance(m, FieldMeasure):
                    found.by_path[m.field].update(values)
                elif isinstance(m, Aggregate):
                    found.by_path[f"{m.list_path}.{m.of}"].update(values)
                elif isinstance(m, ReviewMonthsMeasure):
                    found.review_months.update(values)
                elif isinstance(m, MonthsSinceMeasure):
                    found.since_months.update(values)
                else:
                    found.counts.update(int(v) for v in values if v >= 0)
    return found


# -- drawing ------------------------------------------------------------------------------------------------
# Choices are drawn as integers and applied in plain Python, one draw per field where possible:
# building strategy objects, or many small draws, inside a draw costs far more than the engine itself.

TEXTS = ("", "Grew self-serve revenue 30%", "Dana Rivera", "Zoë Ølsen-Ñúñez ✓", "ARR", "x" * 60, "2027 platform strategy")
SEPARATORS = (" ", "-", "_", "  ", "__", " - ", "_-", "\t")
PARTNERS = ("engineering", "design", "sales", "marketing", "finance", "legal", "support", "data", "operations",
            "Engineering")
IMPACT_KINDS = ("revenue", "retention", "growth", "efficiency", "adoption", "delivery")
ARTIFACT_KINDS = ("prd", "roadmap", "strategy", "vision", "framework", "okr", "business_case")
RELATIONSHIPS = ("manager", "skip-level", "peer", "cross-functional", "executive")
COMPETENCIES = ("product_craft", "execution", "strategy", "communication", "stakeholder_management",
                "people_leadership", "business_acumen", "executive_presence")
SIGNALS = ("documents_impact", "steps_up_unasked", "addresses_skill_gaps", "works_beyond_current_level")
EVIDENCE = ("organization", "experience", "reviews", "impact", "scope", "leadership", "influence", "artifacts",
            "advocates", "competencies", "signals")
FREE = object()  # "draw a number anywhere in range" among the choices of a number field

_INTS: dict[tuple[int, int], st.SearchStrategy[int]] = {}


def ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    """``st.integers(lo, hi)``, kept (hypothesis's own strategy cache costs more than a draw here)."""
    key = (lo, hi)
    if key not in _INTS:
        _INTS[key] = st.integers(lo, hi)
    return _INTS[key]


def pick(draw, seq):
    """One element of ``seq``."""
    seq = seq if isinstance(seq, (tuple, list)) else tuple(seq)
    return seq[draw(ints(0, len(seq) - 1))]


def chance(draw, one_in: int) -> bool:
    return draw(ints(0, one_in - 1)) == 0


def maybe(values, *, absent: int = 1, null: int = 1, present: int = 4) -> tuple:
    """Choices for one field: ABSENT (the key left out), None, or one of ``values``, with those weights."""
    values = tuple(values)
    return (ABSENT,) * (absent * len(values)) + (None,) * (null * len(values)) + values * present


def optional(draw, value_of, *, absent: int = 1, null: int = 1, present: int = 6) -> Any:
    """``value_of()``, or None, or ABSENT (the key left out), with the given weights."""
    k = draw(ints(0, absent + null + present - 1))
    if k < absent:
        return ABSENT
    if k < absent + null:
        return None
    return value_of()


def mapping(**fields: Any) -> dict:
    """A dict of the drawn fields, leaving ABSENT ones out."""
    return {k: v for k, v in fields.items() if v is not ABSENT}


def _days(months: float) -> int:
    return round(months * DAYS_PER_MONTH)


def near(thresholds: set[float], lo: float, hi: float, integer: bool) -> tuple:
    """Numbers at, just below and just above each threshold (and ``lo``), inside [lo, hi]."""
    out: set[float] = {lo}
    for t in thresholds:
        if integer:
            out.update({math.floor(t) - 1, math.floor(t), math.ceil(t), math.ceil(t) + 1})
        else:
            # ± 0.0001 is a different 4-decimal number; ± 0.00004 rounds onto the threshold itself.
            out.update({t, float(t), t - 1e-4, t + 1e-4, t - 4e-5, t + 4e-5, t - 0.5, t + 0.5, t - 1, t + 1,
                        math.floor(t) - 1, math.ceil(t) + 1})
    return tuple(sorted((v for v in out if lo <= v <= hi), key=lambda v: (v, isinstance(v, float))))


class Kit:
    """Everything ``packets`` needs to know about one ladder, computed once."""

    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder
        self.th = harvest(ladder)
        self.names = Names(ladder)
        self.spellings: dict[str, list[str]] = {}
        for rung in (*ladder.levels, *ladder.titles):
            own = [n for n in dict.fromkeys((rung.id, rung.title, *rung.aliases))
                   if self.names.by_name[normalise(n)][0] == rung.id]  # only names that resolve to this rung
            self.spellings[rung.id] = own
        self.rung_ids = tuple(r.id for r in (*ladder.levels, *ladder.titles))
        self.choices = {t.key: _choices(ladder, t, self.names) for t in ladder.transitions}
        self.review_days = tuple(sorted({max(0, _days(m) + d) for m in self.th.review_months for d in (-2, -1, 0, 1)}
                                        | {0, 1}))
        self.window_days = tuple(sorted({_days(w) + d for w in self.th.windows for d in (-1, 0, 1)}))
        self.since_days = tuple(sorted({max(0, _days(m) + d) for m in self.th.since_months for d in (-1, 0, 1)} | {0}))
        self.longest_list = min(8, max([3, *(c + 2 for c in self.th.counts)]))
        self._numbers: dict[tuple, tuple] = {}
        self.at_or_above = {level.id: tuple(r for r in self.rung_ids if self.names.rank(r) >= level.rank)
                            for level in ladder.levels}
        self.th_of = {t.key: harvest(ladder, (t,)) for t in ladder.transitions}
        self.mode, self.t, self.mixed = 0, ladder.transitions[0], False  # set by each packet drawn

    # -- pieces

    def number(self, draw, path: str, lo: float, hi: float, *, integer: bool, optional: bool = True) -> Any:
        """ABSENT, None, or a number in [lo, hi]: usually at, just below or just above a threshold the
        ladder compares it with, else anywhere in a plausible range, or an extreme."""
        key = (path, lo, hi, integer, optional)
        if key not in self._numbers:
            close = near(self.th.by_path.get(path, set()), lo, hi, integer)
            extremes = (int(lo), int(hi)) if integer else (lo, hi)
            # weights: about a third thresholds, a third anywhere, a little extreme, the rest absent/null
            choices = close * max(1, 12 // len(close)) + (FREE,) * max(12, len(close)) + extremes
            if optional:
                choices = (ABSENT, None) * max(3, len(choices) // 8) + choices
            self._numbers[key] = choices
        if self.mode:
            # a strong candidate: at or above this transition's thresholds (mode 1: or a hair below)
            key = (path, lo, hi, integer, self.mode, self.t.key)
            if key not in self._numbers:
                thresholds = self.th_of[self.t.key].by_path.get(path) or self.th.by_path.get(path) or {lo}
                low = max(thresholds) - (1e-4 if self.mode == 1 else 4e-5)
                top = tuple(v for v in near(thresholds, lo, hi, integer) if v >= low)
                above = min(hi, max(thresholds) + max(1, abs(max(thresholds))))  # an integer field gets an integer
                self._numbers[key] = top + ((FREE,) if self.mode == 1 else (math.ceil(above) if integer else above,))
        value = pick(draw, self._numbers[key])
        if value is not FREE:
            return value
        top = min(hi, max([12, *(2 * t for t in self.th.by_path.get(path, ()))]))
        if integer or chance(draw, 2):
            return draw(ints(int(max(lo, 0)), int(top)))
        return draw(st.floats(max(lo, 0.0), float(top), allow_nan=False, allow_infinity=False))

    def count(self, draw, path: str, optional: bool = True) -> Any:
        return self.number(draw, path, 0, 1_000_000, integer=True, optional=optional)

    def name_of(self, draw, rung_id: str) -> str:
        """The id itself, a title or alias as written, or an odd spelling of one of them."""
        way = draw(ints(0, 2))
        if way == 0:
            return rung_id
        name = pick(draw, self.spellings[rung_id])
        if way == 1:
            return name
        words = [pick(draw, (w, w.upper(), w.capitalize())) for w in normalise(name).split("-")]
        out = words[0]
        for w in words[1:]:
            out += pick(draw, SEPARATORS) + w
        if chance(draw, 8):  # stray separators around the name
            out = pick(draw, SEPARATORS) + out + pick(draw, ("",) + SEPARATORS)
        return out

    def some_level(self, draw, t: Transition) -> str:
        """A level or title name, often the transition's own levels."""
        if chance(draw, 2):
            return self.name_of(draw, pick(draw, (t.from_, t.to, t.to)))
        return self.name_of(draw, pick(draw, self.rung_ids))

    def section(self, draw, fields: dict) -> Any:
        """A packet section: absent, null, or a mapping of its fields. A field is a tuple of choices
        (ABSENT and None among them) or a function drawing its value (ABSENT and None included)."""
        if self.part(draw):
            return pick(draw, (ABSENT, None))
        how = draw(ints(0, 7))
        if how == 0 and not self.mode:
            return ABSENT
        if how == 1 and not self.mode:
            return None
        out = mapping(**{k: self.choose(draw, f) if isinstance(f, tuple) else f(draw) for k, f in fields.items()})
        if chance(draw, 16):
            out["x_note"] = pick(draw, TEXTS)  # extra fields are kept and ignored
        return out

    def choose(self, draw, choices: tuple, path: str = "") -> Any:
        """One of a field's choices; a strong candidate leaves nothing out, a very strong one takes the
        best value (true, the top of an ordered enum, a competency of 3 or more)."""
        if self.mode:
            choices = tuple(c for c in choices if c is not ABSENT and c is not None)
        if self.mode == 2:
            if all(isinstance(c, bool) for c in choices):
                return True
            if all(isinstance(c, int) for c in choices):
                choices = tuple(c for c in choices if c >= 3)
            wanted = tuple(c for c in choices if c in self.th.words.get(path, ()))
            ordered = next((o for o in ORDINALS.values() if set(choices) == set(o)), None)
            if wanted:
                choices = wanted
            elif ordered is not None:
                choices = ordered[-2:]
        return pick(draw, choices)

    def part(self, draw) -> bool:
        """Start a top-level part of the packet: a mixed packet draws its strength anew, or leaves the
        part out (True)."""
        if self.mixed:
            self.mode = pick(draw, (0, 1, 2, 2, 2, -1))
            if self.mode == -1:
                self.mode = 0
                return True
        return False

    def some_list(self, draw, item) -> Any:
        if self.part(draw):
            return pick(draw, (ABSENT, None))
        if self.mode:
            return [item() for _ in range(draw(ints(self.mode, self.longest_list)))]
        return optional(draw, lambda: [item() for _ in range(draw(ints(0, self.longest_list)))],
                        absent=1, null=1, present=8)

    # -- list items

    def review(self, draw, as_of: datetime.date, t: Transition, previous: list[dict]) -> dict:
        day = datetime.timedelta(days=1)
        if self.mode and chance(draw, 3 - self.mode):  # judged at the target level, recent, well rated
            duration = pick(draw, self.review_days + (183, 365) if self.mode == 1 else (365, 400, 500))
            start = as_of - (duration + draw(ints(-5, 60))) * day
            return {"start": start.isoformat(), "end": (start + duration * day).isoformat(),
                    "rating": pick(draw, ORDINALS["rating"][1:]), "operating_level": self.name_of(draw, t.to)}
        duration = pick(draw, self.review_days) if chance(draw, 2) else draw(ints(0, 800))
        way = draw(ints(0, 4))
        if way == 4:  # calendar-aligned: from the 1st to the last day of a month (a day short, or one more)
            months = pick(draw, tuple(sorted({int(m) for m in self.th.review_months} | {6, 12}))) + draw(ints(-1, 1))
            first = shift_months(as_of.replace(day=1), -max(0, months) - draw(ints(0, 3)))
            end = shift_months(first, max(1, months)) - day + draw(ints(-1, 1)) * day
            return mapping(start=first.isoformat(), end=max(first, end).isoformat(),
                           rating=self.choose(draw, maybe(ORDINALS["rating"], present=10)),
                           operating_level=optional(draw, lambda: self.some_level(draw, t), present=14))
        if way == 0:  # anywhere, even after as_of
            start = as_of + draw(ints(-1500, 60)) * day
        elif way == 1:  # ending around as_of
            start = as_of - (duration + draw(ints(-3, 3))) * day
        elif way == 2 and self.window_days:  # around the edge of a review window, about a threshold long
            start = as_of - pick(draw, self.window_days) * day
            duration = pick(draw, self.review_days)
        elif previous:  # overlapping an earlier review
            start = datetime.date.fromisoformat(pick(draw, previous)["start"]) + draw(ints(-40, 40)) * day
        else:
            start = as_of - duration * day
        return mapping(
            start=start.isoformat(),
            end=(start + duration * day).isoformat(),
            rating=self.choose(draw, maybe(ORDINALS["rating"], present=10)),
            operating_level=optional(draw, lambda: self.some_level(draw, t), present=14),
        )

    def impact(self, draw, as_of: datetime.date) -> dict:
        return mapping(
            summary=self.choose(draw, maybe(TEXTS)),
            kind=self.choose(draw, maybe(IMPACT_KINDS), "impact.kind"),
            reach=self.choose(draw, maybe(ORDINALS["reach"]), "impact.reach"),
            measured=self.choose(draw, maybe((True, False), present=6)),
            metric=self.choose(draw, maybe(TEXTS)),
            value=optional(draw, lambda: self.number(draw, "impact.value", -1e15, 1e15, integer=False, optional=False)
                           * pick(draw, (1, -1))),
            date=optional(draw, lambda: self.impact_date(draw, as_of)),
        )

    def impact_date(self, draw, as_of: datetime.date) -> str:
        """Anywhere in the last years, or a day either side of a window's first day or of as_of."""
        if self.th.date_windows and chance(draw, 2):
            edge = window_start(as_of, pick(draw, tuple(sorted(self.th.date_windows)))) if not chance(draw, 4) else as_of
            return (edge + datetime.timedelta(days=draw(ints(-1, 1)))).isoformat()
        if self.th.day_tests and chance(draw, 2):  # a day either side of a day a `before`/`after` test names
            edge = named_day(pick(draw, tuple(self.th.day_tests)), as_of)
            return (edge + datetime.timedelta(days=draw(ints(-1, 1)))).isoformat()
        return (as_of + datetime.timedelta(days=draw(ints(-900, 30)))).isoformat()

    def artifact(self, draw) -> dict:
        return mapping(
            kind=self.choose(draw, maybe(ARTIFACT_KINDS, present=10), "artifacts.kind"),
            title=self.choose(draw, maybe(TEXTS)),
            horizon_months=self.number(draw, "artifacts.horizon_months", 0, 1200, integer=False),
            adopted_by_teams=self.count(draw, "artifacts.adopted_by_teams"),
        )

    def advocate(self, draw, t: Transition) -> dict:
        if self.mode and chance(draw, 3 - self.mode):  # committed, at or above the target level
            return {"name": pick(draw, TEXTS), "level": self.name_of(draw, pick(draw, self.at_or_above[t.to])),
                    "committed": True}
        return mapping(
            name=self.choose(draw, maybe(TEXTS)),
            level=optional(draw, lambda: self.some_level(draw, t), present=14),
            relationship=self.choose(draw, maybe(RELATIONSHIPS)),
            committed=self.choose(draw, maybe((True, False), present=8)),
        )

    # -- the packet

    def packet(self, draw, t: Transition) -> dict:
        # half the candidates are strong: every piece of evidence, numbers at or just around the bar
        # (mode 1) or at or above it (mode 2), so that every verdict, `ready` included, is common
        # or mixed (mode 3): each section drawn as weak, strong or very strong on its own, so that
        # a few unknown or failing criteria sit next to passing ones
        packet_mode = pick(draw, (0, 0, 1, 2, 3, 3))
        self.mode, self.t, self.mixed = min(packet_mode, 2), t, packet_mode == 3
        give_target, track = pick(draw, self.choices[t.key])
        as_of_how = draw(ints(0, 19))
        if as_of_how < 8:
            as_of = FIXED_AS_OF
        elif as_of_how < 19:
            as_of = datetime.date(2019, 1, 1) + datetime.timedelta(days=draw(ints(0, 4700)))
        else:
            as_of = datetime.date.today()  # no as_of: the engine and the reference both use today

        packet: dict[str, Any] = {
            "packet_version": pick(draw, (ABSENT, 1)),
            "candidate": mapping(id=f"emp-{draw(ints(0, 9999))}", name=self.choose(draw, maybe(TEXTS))),
            "ladder": pick(draw, (ABSENT, None, self.ladder.id)),
            "current_level": self.name_of(draw, t.from_),
            "target_level": self.name_of(draw, t.to) if give_target else pick(draw, (ABSENT, None)),
            "track": track if track is not None else pick(draw, (ABSENT, None)),
            "as_of": as_of.isoformat() if as_of_how < 19 else pick(draw, (ABSENT, None)),
        }
        packet["organization"] = self.section(draw, {"size": maybe(ORDINALS["size"])})

        def since(d):
            def value():
                days = pick(d, self.since_days) if chance(d, 2) else d(ints(0, 4000))
                return (as_of - datetime.timedelta(days=days)).isoformat()
            return optional(d, value)

        packet["experience"] = self.section(draw, {
            "product_years": lambda d: self.number(d, "experience.product_years", 0, 100, integer=False),
            "people_management_years": lambda d: self.number(d, "experience.people_management_years", 0, 100,
                                                             integer=False),
            "current_level_since": since,
        })
        missing = self.part(draw)
        packet["reviews"] = optional(draw, lambda: self.reviews(draw, as_of, t), absent=1, null=1,
                                     present=0 if missing else 80 if self.mode else 8)
        packet["impact"] = self.some_list(draw, lambda: self.impact(draw, as_of))
        packet["scope"] = self.section(draw, {
            "teams": lambda d: self.count(d, "scope.teams"),
            "products": lambda d: self.count(d, "scope.products"),
            "owns_pnl": maybe((True, False)),
            "strategy_horizon_months": lambda d: self.number(d, "scope.strategy_horizon_months", 0, 1200,
                                                             integer=False),
            "ambiguity": maybe(ORDINALS["ambiguity"]),
        })
        leadership = self.section(draw, {key: (lambda d, key=key: self.count(d, f"leadership.{key}"))
                                         for key in ("direct_reports", "hires", "mentees")}
                                  | {"budget_owner": maybe((True, False))})
        if isinstance(leadership, dict):
            direct = leadership.get("direct_reports")
            for key in ("pm_reports", "manager_reports"):
                value = self.count(draw, f"leadership.{key}")
                if value is not ABSENT:  # neither may exceed direct_reports when it is known
                    if self.mode and direct is not None and value is not None:
                        direct = leadership["direct_reports"] = max(direct, value)
                    leadership[key] = value if value is None or direct is None else min(value, direct)
        packet["leadership"] = leadership
        packet["influence"] = self.section(draw, {
            "exec_presentations": lambda d: self.count(d, "influence.exec_presentations"),
            "board_interactions": lambda d: self.count(d, "influence.board_interactions"),
            "cross_functional_partners": lambda d: self.partners(d),
            "external_talks": lambda d: self.count(d, "influence.external_talks"),
        })
        packet["artifacts"] = self.some_list(draw, lambda: self.artifact(draw))
        packet["advocates"] = self.some_list(draw, lambda: self.advocate(draw, t))
        packet["competencies"] = self.section(draw, {k: maybe((1, 2, 3, 3, 4, 5)) for k in COMPETENCIES})
        packet["signals"] = self.section(draw, {k: maybe((True, True, False)) for k in SIGNALS})
        packet["committee_outcome"] = pick(draw, (ABSENT, None, "promoted", "not_promoted"))
        if self.ladder.evidence:  # only for a ladder that declares some: other ladders draw as they always have
            packet["evidence"] = self.evidence(draw, as_of)
        if self.mode and chance(draw, 2):
            # a strong candidate with one piece of evidence missing: unknown next to passes
            packet[pick(draw, EVIDENCE)] = pick(draw, (ABSENT, None))
        if chance(draw, 20):
            packet["x_source"] = "hris-export"
        return {k: v for k, v in packet.items() if v is not ABSENT}

    # -- ladder-declared evidence

    def evidence(self, draw, as_of: datetime.date) -> Any:
        """The packet's `evidence:` section: each declared field absent, null or a value of its type."""
        if self.part(draw):
            return pick(draw, (ABSENT, None))
        out = {}
        for name, spec in self.ladder.evidence.items():
            value = self.declared(draw, f"evidence.{name}", spec, as_of)
            if value is not ABSENT:
                out[name] = value
        return out

    def declared(self, draw, path: str, spec, as_of: datetime.date, *, in_record: bool = False) -> Any:
        """ABSENT, None or a value of a declared field's type, near the ladder's thresholds."""
        t = spec.type
        if t in ("number", "integer"):
            lo = spec.min if spec.min is not None else -1e6
            hi = spec.max if spec.max is not None else 1e6
            value = self.number(draw, path, lo, hi, integer=t == "integer")
            if value is not ABSENT and value is not None and t == "integer":
                value = int(value)
            return value
        if t == "boolean":
            return self.choose(draw, maybe((True, False)))
        if t == "rating":
            return self.choose(draw, maybe(tuple(step.id for step in self.ladder.scales[spec.scale])))
        if t == "string":
            words = tuple(spec.values or ()) or tuple(sorted(self.th.words.get(path, set()) | {"other", "results"}))
            return self.choose(draw, maybe(words), path)
        if t == "date":
            return optional(draw, lambda: self.declared_date(draw, as_of))
        if t == "strings":
            return optional(draw, lambda: [pick(draw, PARTNERS) for _ in range(draw(ints(0, 4)))])
        assert t == "records", t

        def record() -> dict:
            return mapping(**{name: self.declared(draw, f"{path}.{name}", inner, as_of, in_record=True)
                              for name, inner in spec.fields.items()})

        return self.some_list(draw, record)

    def declared_date(self, draw, as_of: datetime.date) -> str:
        """A day either side of a day a `where` date test names or of a window's first day, or anywhere."""
        edges = [named_day(d, as_of) for d in self.th.day_tests] + [window_start(as_of, w) for w in self.th.date_windows]
        if edges and chance(draw, 3) is False:
            edge = pick(draw, tuple(edges + [as_of]))
            return (edge + datetime.timedelta(days=draw(ints(-1, 1)))).isoformat()
        return (as_of + datetime.timedelta(days=draw(ints(-900, 30)))).isoformat()

    def partners(self, draw) -> Any:
        if self.mode == 2:  # many distinct functions
            first = draw(ints(0, len(PARTNERS) - 1))
            return [PARTNERS[(first + i) % len(PARTNERS)] for i in range(draw(ints(5, len(PARTNERS))))]
        return optional(draw, lambda: [pick(draw, PARTNERS) for _ in range(pick(draw, (0, 1, 2, 2, 3, 3, 4, 5, 9)))])

    def reviews(self, draw, as_of: datetime.date, t: Transition) -> list[dict]:
        out: list[dict] = []
        for _ in range(draw(ints(1 if self.mode else 0, 6))):
            out.append(self.review(draw, as_of, t, out))
        return out


def _choices(ladder: Ladder, t: Transition, names: Names) -> list[tuple[bool, Optional[str]]]:
    """(give target?, track) pairs under which a packet from ``t.from_`` resolves to exactly ``t``."""
    out: list[tuple[bool, Optional[str]]] = [(True, None), (True, t.track)]
    outgoing = [x for x in ladder.transitions if x.from_ == t.from_]
    for track in (None, t.track):
        candidates = [x for x in outgoing if track is None or x.track == track]
        lowest = min(names.rank_of_id[x.to] for x in candidates)
        if [x for x in candidates if names.rank_of_id[x.to] == lowest] == [t]:
            out.append((False, track))
    return out


_KITS: dict[int, tuple[Ladder, Kit]] = {}


def kit_for(ladder: Ladder) -> Kit:
    if id(ladder) not in _KITS:
        _KITS[id(ladder)] = (ladder, Kit(ladder))
    return _KITS[id(ladder)][1]


def packets(ladder: Ladder, transition: Optional[Transition] = None) -> st.SearchStrategy[dict]:
    """Valid packets (plain dicts) asking for ``transition`` (any transition of ``ladder`` if None)."""
    kit = kit_for(ladder)

    @st.composite
    def draw_packet(draw) -> dict:
        t = transition if transition is not None else pick(draw, ladder.transitions)
        return kit.packet(draw, t)

    return draw_packet()


# -- the ladders under test --------------------------------------------------------------------------------

TINY_PATH = os.path.join(os.path.dirname(__file__), "fixtures", "tiny")


def _load_tiny() -> Ladder:
    from promoready.engine import load_ladder

    return load_ladder(TINY_PATH)  # our own fixture: if it does not load, every test should say so


def _load(path: Optional[str]) -> tuple[Optional[Ladder], Optional[str]]:
    from promoready.engine import load_ladder

    try:
        return (load_ladder(path) if path else load_ladder()), None
    except Exception as exc:  # noqa: BLE001 - any failure to load is reported as the skip reason
        return None, f"the default ladder does not load (load_ladder() raised {type(exc).__name__}: {exc})"


TINY: Ladder = _load_tiny()
DEFAULT, DEFAULT_UNAVAILABLE = _load(None)
_EVALUATORS: dict[int, tuple[Ladder, Any]] = {}  # the ladder is kept so that its id is never reused


def evaluator(ladder: Ladder):
    """The one ``Evaluator`` of ``ladder`` for the whole test session (rulesets are never unloaded)."""
    from promoready.engine import Evaluator

    if id(ladder) not in _EVALUATORS:
        _EVALUATORS[id(ladder)] = (ladder, Evaluator(ladder))
    return _EVALUATORS[id(ladder)][1]
