"""The meaning checks of a ladder (the ladder lint), run once every file has the right shape.

Every level and measure name resolves, every field path exists in the packet schema and is not free
text, operands fit the measure they compare, ranks rise along transitions, a transition compiles to
no more rules than the engine can hold, every level is reachable and every declared measure is used.
Each problem is reported (with file, field path and, for an unknown name, the closest known one)
and the checks go on, so that a ladder's problems are all reported at once.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Protocol, Sequence, Union

from promoready.schemas.ladder import (
    CONTAINS_OPS,
    Condition,
    Criterion,
    LadderFile,
    Leaf,
    Level,
    SumOfMeasure,
    Title,
    Transition,
    TransitionFile,
    TransitionHeader,
    WeightedMeanMeasure,
)
from promoready.schemas._evidence import MAX_FIGURE
from promoready.schemas.packet import ORDINALS

from ._fields import FieldKind, is_words, measure_kind
from ._levels import LevelIndex
from ._lint_conditions import check_keyed, check_pair, check_words
from ._lint_evidence import check_evidence
from ._lint_measures import check_measure
from ._lint_reach import check_can_pass
from ._lint_titles import check_measure_titles, check_transition_words
from ._wording import shown
from . import errors
from .errors import PromoreadyError, closest

RELATIVE_LEVELS = ("current", "target")

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
        check_evidence(self.r, self.path, self.head)
        check_measure_titles(self.r, self.path, self.head)
        # Arithmetic measures last: they need to know which of the measures they combine are broken.
        ordered = sorted(self.head.measures.items(), key=lambda nm: isinstance(nm[1], (SumOfMeasure, WeightedMeanMeasure)))
        for name, measure in ordered:
            check_measure(self, name, measure)
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
            self.r.problem(file, loc, f"expected a level name, got {shown(name)}", code=errors.LADDER_BAD_LEVEL)
            return
        if relative and name in RELATIVE_LEVELS:
            return
        if self.index.resolve(name, levels_only=levels_only) is None:
            known = "level" if levels_only else "level or title"
            self.r.problem(file, loc, f"unknown {known} '{name}'", code=errors.LADDER_UNKNOWN_LEVEL,
                           suggestion=self.index.suggest(name, levels_only=levels_only))

    # -- measures ---------------------------------------------------------------------------------

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
                    self.r.problem(file, vloc, f"{shown(v)} is not a value of {what} ({', '.join(field.values)})",
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
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            self.r.problem(file, loc, f"expected a number, got {shown(v)}", code=errors.LADDER_BAD_OPERAND)
        elif abs(v) > MAX_FIGURE:  # as far as a packet's figures reach, no further (the engine holds no more)
            self.r.problem(file, loc, f"expected a number from -1e15 to 1e15 (as far as a packet's figures go), "
                                      f"got {shown(v)}", code=errors.LADDER_BAD_OPERAND)
        elif round(v, 4) != v:
            self.r.problem(file, loc, f"{shown(v)} has more than 4 decimals", code=errors.LADDER_BAD_OPERAND)

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
            expected = f"{t.from_}-to-{t.to}"
            if os.path.splitext(os.path.basename(path))[0] != expected:
                self.r.problem(path, ("transition",), f"this file defines {t.from_} → {t.to}: name it '{expected}.yaml' "
                                                      "(the transition's name, as `--transition` and its "
                                                      "examples/ file give it)", code=errors.LADDER_FILE_NAME)
            if step in seen:
                self.r.problem(path, ("transition",), f"transition {t.from_} → {t.to} is also defined in {seen[step]}",
                               code=errors.LADDER_DUPLICATE_TRANSITION)
            seen[step] = os.path.basename(path)
        check_transition_words(self.r, path, tfile)
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
            said = len(self.r.problems)
            self.check_condition(path, ("criteria", i, "condition"), criterion.condition)
            if len(self.r.problems) == said:  # every name and operand fits: can the condition pass?
                check_can_pass(self, path, ("criteria", i, "condition"), criterion.condition)
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
        from ._compile import Compiler
        from ._regions import TooManyRules

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
            check_words(self.r, path, loc + (c.op,), c, kind, what)
        elif other is not None:
            check_pair(self.r, self.head, path, loc + (c.op,), c, kind, what, other)
        elif isinstance(c.operand, dict) and set(c.operand) & {"by_track", "by_level", "by"}:
            check_keyed(self, path, loc + (c.op,), c, kind, what)
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
