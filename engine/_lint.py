"""The meaning checks of a ladder (the ladder lint), run once every file has the right shape.

Every level and measure name resolves, every field path exists in the packet schema and is not free
text, operands fit the measure they compare, ranks rise along transitions, a transition compiles to
no more rules than the engine can hold, every level is reachable and every declared measure is used.
Each problem is reported (with file, field path and, for an unknown name, the closest known one)
and the checks go on, so that a ladder's problems are all reported at once.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator, Optional, Protocol, Sequence, Union

from promoready.schemas.ladder import (
    CONTAINS_OPS,
    Aggregate,
    Condition,
    FieldMeasure,
    Criterion,
    Dated,
    EarliestMeasure,
    FilteredMeasure,
    LadderFile,
    Leaf,
    Level,
    ListMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SumOfMeasure,
    Title,
    Transition,
    TransitionFile,
    TransitionHeader,
    WeightedMeanMeasure,
)
from promoready.schemas.packet import ORDINALS

from ._fields import FieldKind, fields_of, is_words, items_of, measure_kind
from ._levels import LevelIndex, normalise
from ._measures import MAX_WINDOW_MONTHS, default_date_field
from ._where import AS_OF, DATE_OPS, MONTHS_BEFORE, fixed_day
from . import errors
from .errors import PromoreadyError, closest

RELATIVE_LEVELS = ("current", "target")
_WHERE_OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "in")
_DATE_OPS = DATE_OPS
#: A declared evidence field's or record field's name: as a measure's.
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Words of a declared field's name that say it is about who a person is, not about their work: no rule
# may read a name or a demographic attribute (fairness is checked in reports, from data kept outside
# packets). Matched against the name's words, so `average_age` is refused and `page_views` is not.
_PROTECTED_WORDS = frozenset("""
    name names surname firstname lastname forename nickname photo picture
    gender sex sexual orientation age aged birth birthday birthdate born dob
    race racial ethnicity ethnic religion religious faith belief nationality citizenship immigration
    disability disabled pregnancy pregnant maternity paternity marital married caste veteran
""".split())

#: A field path as keys and list indexes: ``("criteria", 0, "condition")``.
Loc = tuple[Any, ...]


class Problems(Protocol):
    """Where the lint reports what it finds (the ladder reader, which knows each file's lines)."""

    problems: list[PromoreadyError]

    def problem(self, file: str, loc: Loc, message: str, *, code: str, suggestion: Optional[str] = None) -> None:
        """Record one problem at ``loc`` of ``file``."""


class Lint:
    """The meaning checks of a ladder whose files all have the right shape."""

    def __init__(self, reader: Problems, ladder_path: str, head: LadderFile,
                 transitions: list[tuple[str, TransitionFile]], *, complete: bool) -> None:
        self.r = reader
        self.complete = complete
        self.broken_measures: set[str] = set()  # declared but invalid: conditions on them are not checked again
        self.unknown_measures = False
        self.path = ladder_path
        self.head = head
        self.transitions = transitions
        self.index = LevelIndex(head)
        self.used_measures: set[str] = set()
        self.cited_sources: set[str] = set()
        self.transition: Optional[TransitionHeader] = None  # the transition being checked

    def run(self) -> None:
        self.check_levels()
        self.check_sources()
        self.check_evidence()
        # Arithmetic measures last: they need to know which of the measures they combine are broken.
        ordered = sorted(self.head.measures.items(), key=lambda nm: isinstance(nm[1], (SumOfMeasure, WeightedMeanMeasure)))
        for name, measure in ordered:
            self.check_measure(name, measure)
        seen: dict[tuple[str, str], str] = {}
        for path, tfile in self.transitions:
            self.check_transition(path, tfile, seen)
        if not self.complete:
            return
        if not self.unknown_measures:  # a misspelt measure name would make the right one look unused
            for name in self.head.measures:
                if name not in self.used_measures:
                    self.r.problem(self.path, ("measures", name),
                                   f"measure '{name}' is declared but no criterion uses it", code=errors.LADDER_UNUSED_MEASURE)
        for i, doc in enumerate(self.head.sources):
            if doc.id not in self.cited_sources:
                self.r.problem(self.path, ("sources", i, "id"), f"source '{doc.id}' is declared but no criterion cites it",
                               code=errors.LADDER_UNUSED_SOURCE)
        self.check_reachable()

    # -- sources ----------------------------------------------------------------------------------

    def check_sources(self) -> None:
        seen: set[str] = set()
        for i, doc in enumerate(self.head.sources):
            if doc.id in seen:
                self.r.problem(self.path, ("sources", i, "id"), f"duplicate source id '{doc.id}'",
                               code=errors.LADDER_DUPLICATE_ID)
            seen.add(doc.id)

    def source_ref(self, file: str, loc: Loc, ref: str) -> Optional[str]:
        """The file of the declared source ``ref``, or None after reporting it unknown."""
        docs = {d.id: d for d in self.head.sources}
        doc = docs.get(ref)
        if doc is None:
            declared = "declares no `sources:`" if not docs else "declares no such source"
            self.r.problem(file, loc, f"unknown source '{ref}': ladder.yaml {declared}", code=errors.LADDER_UNKNOWN_SOURCE,
                           suggestion=closest(ref, docs))
            return None
        self.cited_sources.add(doc.id)
        return doc.file

    def check_citation(self, path: str, loc: Loc, criterion: Criterion) -> None:
        """A criterion's source and threshold cite declared sources; with a `sources:` block, a plain
        `file` must be one of its files (so every citation can be shown by title)."""
        source = criterion.source
        if source.ref is not None:
            file = self.source_ref(path, loc + ("source", "ref"), source.ref)
            if file is not None and source.file is not None and source.file != file:
                self.r.problem(path, loc + ("source", "file"),
                               f"'{source.file}' is not the file of source '{source.ref}' ({file})",
                               code=errors.LADDER_UNKNOWN_SOURCE)
        elif self.head.sources:
            by_file = {d.file: d.id for d in self.head.sources}
            if source.file in by_file:
                self.cited_sources.add(by_file[source.file])
            else:
                self.r.problem(path, loc + ("source", "file"),
                               f"'{source.file}' is not the file of any source declared in ladder.yaml",
                               code=errors.LADDER_UNKNOWN_SOURCE, suggestion=closest(str(source.file), by_file))
        if criterion.threshold is not None and criterion.threshold.ref is not None:
            self.source_ref(path, loc + ("threshold", "ref"), criterion.threshold.ref)

    # -- declared evidence --------------------------------------------------------------------------

    def check_evidence(self) -> None:
        """Scales have distinct steps; declared fields have plain names and name declared scales."""
        for name, steps in self.head.scales.items():
            if not _FIELD_NAME.match(name.replace("-", "_")):
                self.r.problem(self.path, ("scales", name), f"'{name}' is not a scale name: lowercase words joined by - or _",
                               code=errors.LADDER_BAD_NAME)
            seen: set[str] = set()
            for i, step in enumerate(steps):
                if step.id in seen:
                    self.r.problem(self.path, ("scales", name, i, "id"), f"scale '{name}' lists '{step.id}' twice",
                                   code=errors.LADDER_DUPLICATE_ID)
                seen.add(step.id)
            # arithmetic reads a step by its value: values that do not rise would invert the order
            valued = [(i, step.id, step.value) for i, step in enumerate(steps) if step.value is not None]
            for (_, low, below), (i, high, value) in zip(valued, valued[1:]):
                if value <= below:
                    self.r.problem(self.path, ("scales", name, i, "value"),
                                   f"scale '{name}' is ordered lowest first, but '{high}' ({value:g}) is not "
                                   f"above '{low}' ({below:g}) before it: each step's value must be higher "
                                   "than the one before", code=errors.LADDER_BAD_OPERAND)
        for name, spec in self.head.evidence.items():
            loc: Loc = ("evidence", name)
            self._declared(loc, name, spec)
            for field, inner in (spec.fields or {}).items():
                self._declared(loc + ("fields", field), field, inner)

    def _declared(self, loc: Loc, name: str, spec: Any) -> None:
        if not _FIELD_NAME.match(name):
            self.r.problem(self.path, loc, f"'{name}' is not a field name: lowercase letters, digits and _, "
                                           "starting with a letter", code=errors.LADDER_BAD_NAME)
        protected = [w for w in re.split(r"[_-]+", name) if w in _PROTECTED_WORDS]
        if protected:
            self.r.problem(self.path, loc, f"'{name}' names who a person is ({', '.join(protected)}), not their work: "
                                           "no rule may read a name or a demographic attribute; fairness is "
                                           "checked by `promoready report --groups`, from data kept outside packets",
                           code=errors.LADDER_PROTECTED_ATTRIBUTE)
        if spec.scale is not None and spec.scale not in self.head.scales:
            declared = "declares no `scales:`" if not self.head.scales else "declares no such scale"
            self.r.problem(self.path, loc + ("scale",), f"unknown scale '{spec.scale}': ladder.yaml {declared}",
                           code=errors.LADDER_UNKNOWN_SCALE, suggestion=closest(spec.scale, self.head.scales))
        if spec.values is not None and len(set(spec.values)) != len(spec.values):
            self.r.problem(self.path, loc + ("values",), "`values` lists a word twice", code=errors.LADDER_DUPLICATE_ID)

    # -- levels -----------------------------------------------------------------------------------

    def check_levels(self) -> None:
        seen: dict[str, int] = {}
        groups: tuple[tuple[str, Sequence[Union[Level, Title]]], ...] = (("levels", self.head.levels),
                                                                          ("titles", self.head.titles))
        patterned = len(self.head.title_patterns.expand()) if self.head.title_patterns else 0
        declared = len(self.head.titles) - patterned
        for kind, items in groups:
            for i, item in enumerate(items):
                loc: Loc = (kind, i, "id") if kind == "levels" or i < declared else ("title_patterns",)
                made = "" if loc[0] != "title_patterns" else f" (made by title_patterns: '{item.title}')"
                if item.id in RELATIVE_LEVELS:
                    self.r.problem(self.path, loc, f"'{item.id}' is reserved for the transition's own level{made}",
                                   code=errors.LADDER_RESERVED_ID)
                if item.id in seen:
                    self.r.problem(self.path, loc, f"duplicate id '{item.id}'{made}", code=errors.LADDER_DUPLICATE_ID)
                seen[item.id] = i
        for name, first, second in self.index.clashes:
            self.r.problem(self.path, self.name_loc(name, second, declared),
                           f"the name '{name}' means both '{first}' and '{second}'", code=errors.LADDER_ALIAS_CLASH)

    def name_loc(self, name: str, rung_id: str, declared: int) -> Loc:
        """Where level or title ``rung_id`` writes ``name`` (its id, title or an alias), for a clash's line."""
        groups: tuple[tuple[str, Sequence[Union[Level, Title]]], ...] = (("levels", self.head.levels),
                                                                          ("titles", self.head.titles))
        for kind, items in groups:
            for i, item in enumerate(items):
                if item.id != rung_id:
                    continue
                if kind == "titles" and i >= declared:
                    return ("title_patterns",)
                if name in item.aliases:
                    return (kind, i, "aliases", item.aliases.index(name))
                return (kind, i, "title" if name == item.title and name != item.id else "id")
        return ()

    def level_ref(self, file: str, loc: Loc, name: Any, *, relative: bool, levels_only: bool = False) -> None:
        if not isinstance(name, str):
            self.r.problem(file, loc, f"expected a level name, got {name!r}", code=errors.LADDER_BAD_LEVEL)
            return
        if relative and name in RELATIVE_LEVELS:
            return
        if self.index.resolve(name, levels_only=levels_only) is None:
            known = "level" if levels_only else "level or title"
            self.r.problem(file, loc, f"unknown {known} '{name}'", code=errors.LADDER_UNKNOWN_LEVEL,
                           suggestion=self.index.suggest(name, levels_only=levels_only))

    # -- measures ---------------------------------------------------------------------------------

    def field_kind(self, loc: Loc, path: str, *, want: tuple[str, ...]) -> Optional[FieldKind]:
        fields = fields_of(self.head)
        kind = fields.get(path)
        if kind is None:
            declared = (" (ladder.yaml declares no such `evidence:` field)" if path.startswith("evidence.") else "")
            self.r.problem(self.path, loc, f"'{path}' is not a field of the packet{declared}",
                           code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(path, fields))
            return None
        if kind.kind == "text":
            self.r.problem(self.path, loc, f"'{path}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
            return None
        if kind.kind not in want:
            self.r.problem(self.path, loc, f"'{path}' is {_a(kind)}; expected a {' or '.join(want)}",
                           code=errors.LADDER_FIELD_KIND)
            return None
        return kind

    def check_measure(self, name: str, m: Measure) -> None:
        before = len(self.r.problems)
        self._check_measure(name, m)
        if len(self.r.problems) > before:
            self.broken_measures.add(name)

    def _check_measure(self, name: str, m: Measure) -> None:
        loc: Loc = ("measures", name)
        if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
            self.check_arithmetic(name, loc, m)
        elif isinstance(m, FieldMeasure):
            # a list of words too (issue 12): conditions read it with contains / contains_all / contains_any
            kind = fields_of(self.head).get(m.field)
            if kind is not None and is_words(kind):
                return
            self.field_kind(loc + ("field",), m.field, want=("number", "bool", "enum", "level", "word"))
        elif isinstance(m, MonthsSinceMeasure):
            self.field_kind(loc + ("months_since",), m.months_since, want=("date",))
        elif isinstance(m, ReviewMonthsMeasure):
            self.level_ref(self.path, loc + ("review_months", "at_or_above"), m.review_months.at_or_above, relative=True,
                           levels_only=True)
        elif isinstance(m, ListMeasure):
            list_path = m.list_path
            if self.field_kind(loc + (m.kind,), list_path, want=("list",)) is None:
                return
            items = items_of(self.head, list_path)
            if isinstance(m, Dated):
                self.check_latest(loc, m, items)
            if isinstance(m, Aggregate):
                of = items.get(m.of)
                ordered = of is not None and of.is_ordered and m.kind in ("min", "max")
                if of is None:
                    self.r.problem(self.path, loc + ("of",), f"'{m.of}' is not a field of {list_path} items",
                                   code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(m.of, items))
                elif of.kind != "number" and not ordered:
                    needs = "a number" if m.kind == "sum" else "a number or an ordered field (a rating, a scale, a level)"
                    self.r.problem(self.path, loc + ("of",), f"'{m.of}' is {_a(of)}; {m.kind} needs {needs}",
                                   code=errors.LADDER_FIELD_KIND)
            if isinstance(m, FilteredMeasure):
                for key, test in (m.where or {}).items():
                    self.check_where(loc + ("where", key), list_path, key, test, items)

    def check_latest(self, loc: Loc, m: Dated, items: dict[str, FieldKind]) -> None:
        of = items.get(m.of)
        if of is None:
            self.r.problem(self.path, loc + ("of",), f"'{m.of}' is not a field of {m.list_path} items",
                           code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(m.of, items))
        elif of.kind not in ("number", "bool", "enum", "level", "word"):
            self.r.problem(self.path, loc + ("of",), f"'{m.of}' is {_a(of)}; {m.kind} needs a number, true/false, word or level",
                           code=errors.LADDER_FIELD_KIND)
        by = m.by or default_date_field(m.list_path, self.head, earliest=isinstance(m, EarliestMeasure))
        dates = [k for k, f in items.items() if f.kind == "date"]
        if by is None:
            self.r.problem(self.path, loc + (m.kind,),
                           f"{m.list_path} items have no date to order them by" if not dates else
                           f"{m.list_path} items have more than one date ({', '.join(dates)}): name one with `by`",
                           code=errors.LADDER_FIELD_KIND)
        elif items.get(by) is None or items[by].kind != "date":
            what = "not a field" if by not in items else f"{_a(items[by])}, not a date"
            self.r.problem(self.path, loc + ("by",), f"'{by}' is {what} of {m.list_path} items",
                           code=errors.LADDER_FIELD_KIND if by in items else errors.LADDER_UNKNOWN_FIELD,
                           suggestion=closest(by, dates) or errors.suggestion(dates))

    def check_arithmetic(self, name: str, loc: Loc, m: Union[SumOfMeasure, WeightedMeanMeasure]) -> None:
        """Each part is a declared, valid measure of a number or of a rating whose scale gives numbers,
        and no measure includes itself."""
        for i, (part, weight) in enumerate(m.parts):
            ploc = loc + ((m.kind, i) if isinstance(m, SumOfMeasure) else (m.kind, i, "measure"))
            measure = self.head.measures.get(part)
            if measure is None:
                self.r.problem(self.path, ploc, f"unknown measure '{part}'", code=errors.LADDER_UNKNOWN_MEASURE,
                               suggestion=closest(part, [n for n in self.head.measures if n != name]))
                continue
            if self._includes(part, name, set()):
                self.r.problem(self.path, ploc, f"'{part}' includes '{name}' itself: a measure cannot be part of itself",
                               code=errors.LADDER_MEASURE_CYCLE)
                continue
            if part in self.broken_measures:
                self.broken_measures.add(name)  # reported at the part itself
                continue
            kind = measure_kind(measure, self.head)
            if self.unknown_scale(kind):
                self.broken_measures.add(name)  # reported at the evidence field's scale
                continue
            if kind.kind == "enum" and kind.ordered:
                if not kind.numbers or any(n is None for n in kind.numbers):
                    where = f"scale '{kind.scale}'" if kind.scale else f"{part} (a built-in rating)"
                    self.r.problem(self.path, ploc, f"'{part}' is a rating, but {where} gives no `value` to each step: "
                                                    f"{m.kind} needs numbers", code=errors.LADDER_FIELD_KIND)
            elif kind.kind != "number":
                self.r.problem(self.path, ploc, f"'{part}' is {_a(kind)}; {m.kind} needs numbers or ratings on a scale "
                                                "with values", code=errors.LADDER_FIELD_KIND)
            if isinstance(m, WeightedMeanMeasure) and round(weight, 4) != weight:
                self.r.problem(self.path, loc + (m.kind, i, "weight"), f"{weight!r} has more than 4 decimals",
                               code=errors.LADDER_BAD_OPERAND)

    def _includes(self, name: str, target: str, seen: set[str]) -> bool:
        """Whether measure ``name`` is ``target`` or combines it, at any depth."""
        if name == target:
            return True
        if name in seen:
            return False
        seen.add(name)
        m = self.head.measures.get(name)
        if not isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
            return False
        return any(self._includes(part, target, seen) for part, _ in m.parts)

    def use(self, name: str) -> None:
        """Mark a measure used by a criterion, with every measure it combines."""
        if name in self.used_measures:
            return
        self.used_measures.add(name)
        m = self.head.measures.get(name)
        if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
            for part, _ in m.parts:
                if part in self.head.measures:
                    self.use(part)

    def check_where(self, loc: Loc, list_path: str, key: str, test: Any, items: dict[str, FieldKind]) -> None:
        field = items.get(key)
        if field is None:
            self.r.problem(self.path, loc, f"'{key}' is not a field of {list_path} items", code=errors.LADDER_UNKNOWN_FIELD,
                           suggestion=closest(key, items))
            return
        if field.kind == "text":
            self.r.problem(self.path, loc, f"'{list_path}.{key}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
            return
        tests = test.items() if isinstance(test, dict) else [("eq", test)]
        if field.kind == "date":
            for op, value in tests:
                if op not in _DATE_OPS:
                    self.r.problem(self.path, loc + ((op,) if isinstance(test, dict) else ()),
                                   f"'{list_path}.{key}' is a date: test it with {', '.join(_DATE_OPS)}",
                                   code=errors.LADDER_BAD_OPERATOR if op in _WHERE_OPS else errors.LADDER_UNKNOWN_OPERATOR,
                                   suggestion=closest(op, _DATE_OPS) or errors.suggestion(_DATE_OPS))
                elif op == "within_months":
                    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_MONTHS:
                        self.r.problem(self.path, loc + (op,), f"within_months needs a whole number of months from 1 to "
                                                               f"{MAX_WINDOW_MONTHS}, got {value!r}", code=errors.LADDER_BAD_OPERAND)
                else:
                    self.check_day(loc + (op,), op, value)
                    if op in ("after", "on_or_after") and (value == AS_OF or value == {MONTHS_BEFORE: 0}):
                        # every date test ends at as_of, so nothing is both on or before it and after it
                        self.r.problem(self.path, loc + (op,),
                                       f"{op}: {AS_OF if value == AS_OF else f'{{{MONTHS_BEFORE}: 0}} (that is {AS_OF})'}"
                                       f" can never match: every date test counts only items dated on or before "
                                       f"{AS_OF} (a later item is not there yet)",
                                       code=errors.LADDER_BAD_OPERAND)
            return
        for op, value in tests:
            if op in _DATE_OPS:
                self.r.problem(self.path, loc + (op,), f"{op} applies to dates; '{list_path}.{key}' is {_a(field)}",
                               code=errors.LADDER_BAD_OPERATOR)
                continue
            if op not in _WHERE_OPS:
                self.r.problem(self.path, loc + (op,), f"unknown operator '{op}'", code=errors.LADDER_UNKNOWN_OPERATOR,
                               suggestion=closest(op, _WHERE_OPS))
                continue
            self.check_operand(self.path, loc + ((op,) if isinstance(test, dict) else ()), op, value, field,
                               f"{list_path}.{key}", relative=True, allow_by_size=False)

    def check_day(self, loc: Loc, op: str, value: Any) -> None:
        """The day a date comparison names: an ISO date, ``as_of``, or ``{months_before_as_of: N}``."""
        if isinstance(value, dict) and set(value) == {MONTHS_BEFORE}:
            n = value[MONTHS_BEFORE]
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_WINDOW_MONTHS:
                self.r.problem(self.path, loc + (MONTHS_BEFORE,), f"{MONTHS_BEFORE} needs a whole number of months "
                                                                  f"from 0 to {MAX_WINDOW_MONTHS}, got {n!r}",
                               code=errors.LADDER_BAD_OPERAND)
            return
        if isinstance(value, dict):
            unknown = [str(k) for k in value if k != MONTHS_BEFORE]
            self.r.problem(self.path, loc, f"{op} needs a date (YYYY-MM-DD), {AS_OF} or {{{MONTHS_BEFORE}: N}}; "
                                           f"unknown key {', '.join(repr(k) for k in unknown)}",
                           code=errors.LADDER_BAD_OPERAND, suggestion=closest(unknown[0], (MONTHS_BEFORE,)) if unknown else None)
            return
        try:
            ok = value == AS_OF or (isinstance(value, str) and len(value) == 10 and fixed_day(value) is not None) or (
                fixed_day(value) is not None and not isinstance(value, str))
        except ValueError:
            ok = False
        if not ok or isinstance(value, bool):
            self.r.problem(self.path, loc, f"{op} needs a date (YYYY-MM-DD), {AS_OF} or {{{MONTHS_BEFORE}: N}}, "
                                           f"got {value!r}", code=errors.LADDER_BAD_OPERAND,
                           suggestion=AS_OF if isinstance(value, str) and closest(value, (AS_OF,)) else None)

    # -- operands ---------------------------------------------------------------------------------

    def check_operand(self, file: str, loc: Loc, op: str, value: Any, field: FieldKind, what: str, *,
                      relative: bool, allow_by_size: bool = True) -> None:
        """Check that ``value`` can be compared with ``op`` to a value of kind ``field``."""
        if self.unknown_scale(field):
            return  # its words are unknown: the scale is reported where the field declares it
        values = value if op == "in" else [value]
        if op == "in" and (not isinstance(value, list) or not value):
            self.r.problem(file, loc, "`in` needs a non-empty list", code=errors.LADDER_BAD_OPERAND)
            return
        for i, v in enumerate(values):
            vloc = loc + ((i,) if op == "in" else ())
            if field.kind == "level":
                name = v.get("level") if isinstance(v, dict) and set(v) == {"level"} else v
                self.level_ref(file, vloc, name, relative=relative)
            elif field.kind == "word":  # a declared string: any word, compared for equality
                if op not in ("eq", "ne", "in") or not isinstance(v, str) or not v:
                    self.r.problem(file, vloc, f"{what} is a word: compare it with eq, ne or in to a word",
                                   code=errors.LADDER_BAD_OPERAND if op in ("eq", "ne", "in") else errors.LADDER_BAD_OPERATOR)
            elif field.kind == "enum":
                ordered = bool(field.ordered)
                if op in ("gte", "gt", "lte", "lt") and not ordered:
                    self.r.problem(file, vloc, f"{what} is not ordered: use eq, ne or in", code=errors.LADDER_BAD_OPERATOR)
                elif not isinstance(v, str) or v not in field.values:
                    self.r.problem(file, vloc, f"{v!r} is not a value of {what} ({', '.join(field.values)})",
                                   code=errors.LADDER_BAD_OPERAND,
                                   suggestion=closest(str(v), field.values) if isinstance(v, str) else None)
            elif field.kind == "bool":
                if op not in ("eq", "ne") or not isinstance(v, bool):
                    self.r.problem(file, vloc, f"{what} is true/false: compare it with eq or ne to true or false",
                                   code=errors.LADDER_BAD_OPERAND)
            else:  # number
                if op == "in":
                    self.r.problem(file, vloc, f"{what} is a number: use gte, gt, lte, lt, eq or ne",
                                   code=errors.LADDER_BAD_OPERATOR)
                    return
                if allow_by_size and isinstance(v, dict) and set(v) == {"by_org_size"}:
                    sizes = v["by_org_size"]
                    expected = set(ORDINALS["size"])
                    if not isinstance(sizes, dict) or set(sizes) != expected:
                        self.r.problem(file, vloc, f"by_org_size needs exactly {', '.join(ORDINALS['size'])}",
                                       code=errors.LADDER_BAD_OPERAND)
                        continue
                    for size, n in sizes.items():
                        self._number(file, vloc + ("by_org_size", size), n)
                else:
                    self._number(file, vloc, v)

    def _number(self, file: str, loc: Loc, v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or abs(v) > 1e12:
            self.r.problem(file, loc, f"expected a number, got {v!r}", code=errors.LADDER_BAD_OPERAND)
        elif round(v, 4) != v:
            self.r.problem(file, loc, f"{v!r} has more than 4 decimals", code=errors.LADDER_BAD_OPERAND)

    # -- transitions ------------------------------------------------------------------------------

    def check_transition(self, path: str, tfile: TransitionFile, seen: dict[tuple[str, str], str]) -> None:
        t = tfile.transition
        ok = True
        before = len(self.r.problems)
        ranks = {}
        for key, name in (("from", t.from_), ("to", t.to)):
            rung = self.index.resolve(name, levels_only=True)
            if rung is None:
                self.r.problem(path, ("transition", key), f"unknown level '{name}'", code=errors.LADDER_UNKNOWN_LEVEL,
                               suggestion=self.index.suggest(name, levels_only=True))
                ok = False
            elif rung.id != name:
                self.r.problem(path, ("transition", key), f"use the level id '{rung.id}', not an alias",
                               code=errors.LADDER_ALIAS_IN_TRANSITION)
                ok = False
            else:
                ranks[key] = rung
        if ok:
            if ranks["to"].rank <= ranks["from"].rank:
                self.r.problem(path, ("transition", "to"),
                               f"'{t.to}' (rank {ranks['to'].rank}) is not above '{t.from_}' (rank {ranks['from'].rank})",
                               code=errors.LADDER_RANK_NOT_RISING)
            if ranks["to"].track not in (t.track, "both"):
                self.r.problem(path, ("transition", "track"),
                               f"'{t.to}' is on the {ranks['to'].track} track, not {t.track}", code=errors.LADDER_TRACK)
            step = (t.from_, t.to)
            if step in seen:
                self.r.problem(path, ("transition",), f"transition {t.from_} → {t.to} is also defined in {seen[step]}",
                               code=errors.LADDER_DUPLICATE_TRANSITION)
            seen[step] = os.path.basename(path)
        ids: set[str] = set()
        supporting = 0
        members = dict.fromkeys(t.supporting_groups, 0)
        self.transition = t
        for i, criterion in enumerate(tfile.criteria):
            if criterion.id in ids:
                self.r.problem(path, ("criteria", i, "id"), f"duplicate criterion id '{criterion.id}'",
                               code=errors.LADDER_DUPLICATE_ID)
            ids.add(criterion.id)
            supporting += not criterion.required and criterion.group is None
            self.check_group(path, ("criteria", i, "group"), criterion, members)
            self.check_citation(path, ("criteria", i), criterion)
            self.check_condition(path, ("criteria", i, "condition"), criterion.condition)
        for gid, group in t.supporting_groups.items():
            if group.needed > members[gid]:
                self.r.problem(path, ("transition", "supporting_groups", gid, "needed"),
                               f"group '{gid}' needs {group.needed} supporting criteria but "
                               f"{members[gid] or 'none'} name{'s' if members[gid] == 1 else ''} it",
                               code=errors.LADDER_SUPPORTING_QUOTA)
        # The size check compiles the criteria, which needs every measure they read to be valid.
        uses_broken = any(m in self.broken_measures for c in tfile.criteria for m in _measures_read(c.condition))
        if ok and len(self.r.problems) == before and not uses_broken:
            self.check_size(path, tfile)
        if t.supporting_needed > supporting:
            outside = " outside the named groups" if t.supporting_groups else ""
            self.r.problem(path, ("transition", "supporting_needed"),
                           f"needs {t.supporting_needed} supporting criteria but the file has {supporting}{outside}",
                           code=errors.LADDER_SUPPORTING_QUOTA)

    def check_group(self, path: str, loc: Loc, criterion: Criterion, members: dict[str, int]) -> None:
        """A criterion's ``group`` is a declared supporting group, and the criterion is supporting."""
        if criterion.group is None:
            return
        if criterion.required:
            self.r.problem(path, loc, "a required criterion cannot count towards a supporting group: "
                                      "set `required: false` or remove `group`", code=errors.LADDER_UNKNOWN_GROUP)
        elif criterion.group not in members:
            declared = "declares no `supporting_groups`" if not members else "declares no such group"
            self.r.problem(path, loc, f"unknown supporting group '{criterion.group}': the transition {declared}",
                           code=errors.LADDER_UNKNOWN_GROUP, suggestion=closest(criterion.group, members))
        else:
            members[criterion.group] += 1

    def check_size(self, path: str, tfile: TransitionFile) -> None:
        """Refuse a criterion the engine cannot hold even in a ruleset of its own (the compiler splits a
        transition's criteria across rulesets as needed): compile exactly what the evaluator will."""
        from ._compile import Compiler, TooManyRules

        transition = Transition.model_validate({**tfile.transition.model_dump(by_alias=True),
                                               "criteria": tfile.criteria, "file": os.path.basename(path)})
        try:
            Compiler(self.head, transition, self.index).chunks()
        except TooManyRules as exc:
            self.r.problem(path, ("criteria", exc.index, "condition"),
                           f"this condition {exc.message}: split it into several criteria",
                           code=errors.LADDER_TOO_COMPLEX)

    def check_condition(self, path: str, loc: Loc, c: Condition) -> None:
        for where, part in c.located_children():
            self.check_condition(path, loc + where, part)
        if not isinstance(c, Leaf):
            return
        measure = self.head.measures.get(c.measure)
        if measure is None:
            self.unknown_measures = True
            self.r.problem(path, loc + ("measure",), f"unknown measure '{c.measure}'", code=errors.LADDER_UNKNOWN_MEASURE,
                           suggestion=closest(c.measure, self.head.measures))
            return
        self.use(c.measure)
        other = self.other_measure(path, loc + (c.op, "measure"), c)
        if c.measure in self.broken_measures or other in self.broken_measures or (
                other is None and isinstance(c.operand, dict) and "measure" in c.operand):
            return  # the other measure is unknown or broken: said already
        if other == c.measure:
            self.r.problem(path, loc + (c.op, "measure"), f"measure '{c.measure}' is compared with itself: the "
                                                          "condition would always give the same answer; compare it "
                                                          "with another measure or a value",
                           code=errors.LADDER_BAD_OPERAND)
            return
        what = f"measure '{c.measure}'"
        kind = measure_kind(measure, self.head)
        if self.unknown_scale(kind) or (other is not None and
                                        self.unknown_scale(measure_kind(self.head.measures[other], self.head))):
            return  # a rating on an undeclared scale: reported at the scale, its words are unknown
        if c.op in CONTAINS_OPS or is_words(kind):
            self.check_words(path, loc + (c.op,), c, kind, what)
        elif other is not None:
            self.check_pair(path, loc + (c.op,), c, kind, what, other)
        elif isinstance(c.operand, dict) and set(c.operand) & {"by_track", "by_level", "by"}:
            self.check_keyed(path, loc + (c.op,), c, kind, what)
        else:
            self.check_operand(path, loc + (c.op,), c.op, c.operand, kind, what, relative=True)

    # -- issue 12 conditions: lists of words, two measures, keyed thresholds -----------------------

    def unknown_scale(self, kind: FieldKind) -> bool:
        """Whether ``kind`` is a rating on a scale ladder.yaml does not declare (reported as
        ladder.unknown-scale at the field: its words, and so any value compared with it, are unknown)."""
        return kind.scale is not None and kind.scale not in self.head.scales

    def other_measure(self, path: str, loc: Loc, c: Leaf) -> Optional[str]:
        """The measure ``{measure: b}`` names as the operand, marked used; None if there is none or it
        is unknown (reported)."""
        if not (isinstance(c.operand, dict) and "measure" in c.operand):
            return None
        name = c.operand["measure"]
        if set(c.operand) != {"measure"} or not isinstance(name, str):
            self.r.problem(path, loc[:-1], "compare with another measure as {measure: NAME}, nothing else beside it",
                           code=errors.LADDER_BAD_OPERAND)
            return None
        if name not in self.head.measures:
            self.unknown_measures = True
            self.r.problem(path, loc, f"unknown measure '{name}'", code=errors.LADDER_UNKNOWN_MEASURE,
                           suggestion=closest(name, self.head.measures))
            return None
        self.use(name)
        return name

    def check_words(self, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str) -> None:
        """contains / contains_all / contains_any, and only they, compare a list of words."""
        if not is_words(kind):
            self.r.problem(file, loc, f"{c.op} needs a measure of a list of words (`field:` a list such as "
                                      f"influence.cross_functional_partners); {what} is a {kind.kind}",
                           code=errors.LADDER_BAD_OPERATOR)
            return
        if c.op not in CONTAINS_OPS:
            self.r.problem(file, loc, f"{what} is a list of words: compare it with contains, contains_all or "
                                      f"contains_any", code=errors.LADDER_BAD_OPERATOR)
            return
        words = [c.operand] if c.op == "contains" else c.operand
        if c.op != "contains" and (not isinstance(words, list) or not words):
            self.r.problem(file, loc, f"`{c.op}` needs a non-empty list of words", code=errors.LADDER_BAD_OPERAND)
            return
        allowed = {normalise(v): v for v in kind.values}  # a declared closed set of words, if any
        for i, w in enumerate(words):
            wloc = loc + (() if c.op == "contains" else (i,))
            if not isinstance(w, str) or not w.strip():
                self.r.problem(file, wloc, f"expected a word, got {w!r}", code=errors.LADDER_BAD_OPERAND)
            elif allowed and normalise(w) not in allowed:
                # a word the list can never hold: the criterion could never pass (or never fail)
                self.r.problem(file, wloc, f"{w!r} is not one of the words {what} may hold "
                                           f"({', '.join(kind.values)})", code=errors.LADDER_BAD_OPERAND,
                               suggestion=closest(w, kind.values))

    def check_pair(self, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str, other: str) -> None:
        """Two measures compared: values of one kind (ordered, for gte/gt/lte/lt)."""
        theirs = measure_kind(self.head.measures[other], self.head)
        if c.op == "in":
            self.r.problem(file, loc, "`in` takes a list of values, not another measure", code=errors.LADDER_BAD_OPERATOR)
            return
        def described(k: FieldKind) -> str:
            return f"{k.kind} ({', '.join(k.values)})" if k.kind == "enum" else k.kind
        if kind.kind != theirs.kind or kind.values != theirs.values or is_words(theirs):
            self.r.problem(file, loc, f"{what} is a {described(kind)} and measure '{other}' a {described(theirs)}: "
                                      "only measures of one kind compare", code=errors.LADDER_BAD_OPERAND)
        elif c.op in ("gte", "gt", "lte", "lt") and not kind.is_ordered:
            self.r.problem(file, loc, f"{what} is not ordered: compare it with another measure by eq or ne",
                           code=errors.LADDER_BAD_OPERATOR)

    def check_keyed(self, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str) -> None:
        """by_track / by_level / by: a mapping of thresholds, each one that fits the measure, and one
        that applies to this transition (by_track, by_level) or to every value (by: a default)."""
        (form,) = [k for k in ("by_track", "by_level", "by") if k in c.operand] or ["by"]
        if set(c.operand) != {form}:
            self.r.problem(file, loc, f"a {form} threshold stands alone: {{{form}: {{...}}}}", code=errors.LADDER_BAD_OPERAND)
            return
        if kind.kind not in ("number",) and c.op in ("in",):
            self.r.problem(file, loc, f"{form} needs a comparison operator, not `in`", code=errors.LADDER_BAD_OPERATOR)
            return
        table = c.operand[form]
        t = self.transition
        assert t is not None  # set by check_transition, which checks conditions
        if form == "by":
            self.check_by(file, loc + ("by",), c, table, kind, what)
            return
        if not isinstance(table, dict) or not table:
            self.r.problem(file, loc + (form,), f"{form} needs a mapping of thresholds", code=errors.LADDER_BAD_OPERAND)
            return
        for key, threshold in table.items():
            kloc = loc + (form, key)
            if key == "default":
                pass
            elif form == "by_track" and key not in ("ic", "management"):
                self.r.problem(file, kloc, f"unknown track '{key}'", code=errors.LADDER_BAD_OPERAND,
                               suggestion=closest(str(key), ("ic", "management", "default")))
                continue
            elif form == "by_level":
                self.level_ref(file, kloc, key, relative=False, levels_only=True)
            self.check_operand(file, kloc, c.op, threshold, kind, what, relative=True, allow_by_size=False)
        if form == "by_track":
            missing = None if t.track in table or "default" in table else f"the {t.track} track"
        else:
            here = [k for k in table if k != "default" and (r := self.index.resolve(str(k), levels_only=True))
                    is not None and r.id == t.from_]
            missing = None if here or "default" in table else f"level '{t.from_}' (this transition's current level)"
        if missing is not None:
            self.r.problem(file, loc + (form,), f"{form} gives no threshold for {missing}: add it, or a `default`",
                           code=errors.LADDER_BAD_OPERAND)

    def _level_named(self, name: str) -> Optional[str]:
        """The level id a key names in this transition (``current`` / ``target`` included), if any."""
        t = self.transition
        if name in ("current", "target") and t is not None:
            return t.from_ if name == "current" else t.to
        found = self.index.resolve(name, levels_only=True)
        return found.id if found is not None else None

    def check_by(self, file: str, loc: Loc, c: Leaf, spec: Any, kind: FieldKind, what: str) -> None:
        """``{by: {field, values, default?}}``: ``field`` a word (enum) or level packet field;
        each key of ``values`` one of its values; a default unless ``values`` lists every value."""
        if not isinstance(spec, dict) or not {"field", "values"} <= set(spec) or set(spec) - {"field", "values", "default"}:
            extra = [k for k in (spec if isinstance(spec, dict) else {}) if k not in ("field", "values", "default")]
            self.r.problem(file, loc, "`by` needs `field` and `values` (and optionally `default`)",
                           code=errors.LADDER_BAD_OPERAND,
                           suggestion=closest(str(extra[0]), ("field", "values", "default")) if extra else None)
            return
        path = spec["field"]
        fields = fields_of(self.head)
        key_kind = fields.get(path) if isinstance(path, str) else None
        if key_kind is None:
            self.r.problem(file, loc + ("field",), f"'{path}' is not a field of the packet",
                           code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(str(path), fields))
            return
        if key_kind.kind not in ("enum", "level", "word"):
            self.r.problem(file, loc + ("field",), f"'{path}' is a {key_kind.kind}; a threshold is keyed by a word "
                                                   "or level field", code=errors.LADDER_FIELD_KIND)
            return
        values = spec["values"]
        if not isinstance(values, dict) or not values:
            self.r.problem(file, loc + ("values",), "`values` needs a mapping of the field's values to thresholds",
                           code=errors.LADDER_BAD_OPERAND)
            return
        named: dict[str, Any] = {}  # level id → the key that names it first (a later one could never apply)
        for key, threshold in values.items():
            kloc = loc + ("values", key)
            if key_kind.kind == "level":
                self.level_ref(file, kloc, key, relative=True)
                level = self._level_named(str(key))
                if level is not None and level in named:
                    self.r.problem(file, kloc, f"{key!r} names level '{level}', which {named[level]!r} already names: "
                                               "its threshold could never apply", code=errors.LADDER_DUPLICATE_ID)
                elif level is not None:
                    named[level] = key
            elif key_kind.kind == "enum" and key not in key_kind.values:
                self.r.problem(file, kloc, f"{key!r} is not a value of {path} ({', '.join(key_kind.values)})",
                               code=errors.LADDER_BAD_OPERAND, suggestion=closest(str(key), key_kind.values))
            self.check_operand(file, kloc, c.op, threshold, kind, what, relative=True, allow_by_size=False)
        covered = key_kind.kind == "enum" and set(values) >= set(key_kind.values)
        if spec.get("default") is None:
            if not covered:
                self.r.problem(file, loc, f"`values` does not list every value of {path}: add a `default`",
                               code=errors.LADDER_BAD_OPERAND)
        else:
            self.check_operand(file, loc + ("default",), c.op, spec["default"], kind, what, relative=True,
                               allow_by_size=False)

    def check_reachable(self) -> None:
        levels = {lv.id: lv for lv in self.head.levels}
        if not levels:
            return
        lowest = min(lv.rank for lv in levels.values())
        reached = {i for i, lv in levels.items() if lv.rank == lowest}
        edges = [(t.transition.from_, t.transition.to) for _, t in self.transitions]
        changed = True
        while changed:
            changed = False
            for a, b in edges:
                if a in reached and b not in reached and b in levels:
                    reached.add(b)
                    changed = True
        for i, lv in enumerate(self.head.levels):
            if lv.id not in reached:
                self.r.problem(self.path, ("levels", i, "id"),
                               f"level '{lv.id}' cannot be reached from the lowest level by any transition",
                               code=errors.LADDER_UNREACHABLE)


def _measures_read(c: Condition) -> Iterator[str]:
    """The names of the measures a condition compares, at any depth."""
    if isinstance(c, Leaf):
        yield c.measure
        if isinstance(c.operand, dict) and isinstance(c.operand.get("measure"), str):
            yield c.operand["measure"]
    for _, part in c.located_children():
        yield from _measures_read(part)


def _a(kind: FieldKind) -> str:
    """A field kind as a sentence names it: "a number", "an enum", "a list"."""
    word = {"enum": "word", "bool": "true/false"}.get(kind.kind, kind.kind)
    if kind.kind == "enum" and kind.ordered:
        word = "rating"
    return ("an " if word[0] in "aeiou" else "a ") + word
