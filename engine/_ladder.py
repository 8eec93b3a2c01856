"""Loading a ladder folder and checking that it means something (the ladder lint).

``load_ladder`` reads ``ladder.yaml`` and every transition file beside it, validates their shape with
the pydantic models, then checks meaning: every level and measure name resolves, every field path
exists in the packet schema, operands fit the measure they compare, ranks rise along transitions,
every level is reachable and every declared measure is used. Every problem becomes a
``LadderError`` with file:line and, for an unknown name, the closest known one; all problems of a
ladder are reported at once.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from typing import Any, Iterator, Optional

from pydantic import ValidationError

from promoready.schemas.ladder import Condition, Ladder, LadderFile, Measure, Transition, TransitionFile
from promoready.schemas.packet import ORDINALS

from . import _documents as docs
from ._fields import FieldKind, item_fields, measure_kind, packet_fields
from ._levels import LevelIndex, normalise
from . import errors
from .errors import LadderError, LadderInvalid, PromoreadyError, closest

DEFAULT_LADDER = "product-management"
LADDER_FILE = "ladder.yaml"
RELATIVE_LEVELS = ("current", "target")
_WHERE_OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "in")


def rules_root() -> str:
    """The folder holding the bundled ladders."""
    return str(resources.files("promoready.rules"))


def bundled_ladders() -> dict[str, str]:
    """Bundled ladder ids → their folders."""
    root = rules_root()
    return {
        name: os.path.join(root, name)
        for name in sorted(os.listdir(root))
        if os.path.isfile(os.path.join(root, name, LADDER_FILE))
    }


def ladder_digest(ladder: Ladder) -> str:
    """``sha256:`` of the ladder's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(ladder.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_ladder(path: Optional[str] = None) -> Ladder:
    """Load and check a ladder: a bundled ladder id, a ladder folder, or its ``ladder.yaml``.

    With no argument, the default ladder (``product-management``). Raises ``LadderInvalid`` (a
    ``PromoreadyError``) listing every problem with file:line.
    """
    folder = _resolve_folder(path)
    reader = _Reader(folder)
    ladder = reader.read()
    if reader.problems:
        raise LadderInvalid(reader.problems)
    return ladder


def _resolve_folder(path: Optional[str]) -> str:
    bundled = bundled_ladders()
    if path is None:
        return bundled[DEFAULT_LADDER]
    if path in bundled and not os.path.exists(path):
        return bundled[path]
    if os.path.isfile(path):
        if os.path.basename(path) != LADDER_FILE:
            raise LadderError(f"a ladder is a folder with a {LADDER_FILE}, or that file itself", code=errors.LADDER_NOT_A_LADDER,
                              file=path)
        return os.path.dirname(path) or "."
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, LADDER_FILE)):
            raise LadderError(f"no {LADDER_FILE} in this folder", code=errors.LADDER_NOT_A_LADDER, file=path)
        return path
    raise LadderError("no such ladder file, folder or bundled ladder id", code=errors.LADDER_NOT_FOUND, file=path,
                      suggestion=closest(path, bundled))


class _Reader:
    """Reads one ladder folder, collecting every problem instead of stopping at the first."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.problems: list[PromoreadyError] = []
        self.texts: dict[str, str] = {}

    # -- reporting --------------------------------------------------------------------------------

    def problem(self, file: str, loc: tuple, message: str, *, code: str, suggestion: Optional[str] = None) -> None:
        line = docs.line_of(self.texts[file], loc) if file in self.texts else None
        self.problems.append(LadderError(message, code=code, file=file, line=line, path=docs.format_path(loc) or None,
                                         suggestion=suggestion))

    def _parse(self, path: str, model):
        try:
            text = docs.read_text(path)
            self.texts[path] = text
            data = docs.parse_yaml(text, path)
        except PromoreadyError as exc:
            self.problems.append(exc)
            return None
        if not isinstance(data, dict):
            self.problems.append(LadderError("expected a mapping at the top of the file", code=errors.LADDER_SHAPE, file=path,
                                             line=1))
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            found = []
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
                message, suggestion = err["msg"], None
                if err["type"] == "extra_forbidden":
                    key = str(loc[-1])
                    message, suggestion = f"unknown key '{key}'", closest(key, _known_keys(model, loc[:-1]))
                elif err["type"] == "missing":
                    message = f"missing required key '{loc[-1]}'"
                found.append((loc, err["type"], message.removeprefix("Value error, "), suggestion))
            # A misspelt key is also a missing one: report the typo with its suggestion, once.
            typos = {(loc[:-1], s.strip("'")) for loc, kind, _, s in found if kind == "extra_forbidden" and s}
            for loc, kind, message, suggestion in found:
                if kind == "missing" and (loc[:-1], str(loc[-1])) in typos:
                    continue
                self.problem(path, loc, message, code=errors.LADDER_SHAPE, suggestion=suggestion)
            return None

    # -- reading ----------------------------------------------------------------------------------

    def read(self) -> Optional[Ladder]:
        ladder_path = os.path.join(self.folder, LADDER_FILE)
        head: Optional[LadderFile] = self._parse(ladder_path, LadderFile)
        transitions: list[tuple[str, TransitionFile]] = []
        for name in sorted(os.listdir(self.folder)):
            path = os.path.join(self.folder, name)
            if name == LADDER_FILE or not name.endswith((".yaml", ".yml")) or not os.path.isfile(path):
                continue
            parsed = self._parse(path, TransitionFile)
            if parsed is not None:
                transitions.append((path, parsed))
        if head is None:
            return None
        # Whole-ladder checks (unused measures, reachability) mean nothing if a file is missing.
        complete = not self.problems
        if not transitions and not self.problems:
            self.problems.append(LadderError("the ladder has no transition files", code=errors.LADDER_NO_TRANSITIONS,
                                             file=self.folder))
        _Lint(self, ladder_path, head, transitions, complete=complete).run()
        if self.problems:
            return None
        return Ladder(
            id=head.ladder,
            version=head.version,
            title=head.title,
            description=head.description,
            levels=head.levels,
            titles=head.titles,
            measures=head.measures,
            transitions=tuple(
                Transition.model_validate({**t.transition.model_dump(by_alias=True), "criteria": t.criteria,
                                           "file": os.path.basename(p)})
                for p, t in transitions
            ),
        )


def _known_keys(model, loc: tuple) -> list[str]:
    """Keys the model accepts at ``loc`` (for a "did you mean" on an unknown key)."""
    from promoready.schemas import ladder as L

    by_name = {
        "transition": L.TransitionHeader, "criteria": L.Criterion, "condition": L.Condition, "text": L.Texts,
        "source": L.Source, "levels": L.Level, "titles": L.Title, "measures": L.Measure,
        "review_months": L.ReviewMonths, "all": L.Condition, "any": L.Condition, "not": L.Condition,
    }
    current = model
    for part in loc:
        if isinstance(part, str) and part in by_name:
            current = by_name[part]
    names = []
    for name, info in current.model_fields.items():
        names.append(info.alias or name)
    return names


class _Lint:
    """The meaning checks of a ladder whose files all have the right shape."""

    def __init__(self, reader: _Reader, ladder_path: str, head: LadderFile,
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

    def run(self) -> None:
        self.check_levels()
        for name, measure in self.head.measures.items():
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
        self.check_reachable()

    # -- levels -----------------------------------------------------------------------------------

    def check_levels(self) -> None:
        seen: dict[str, int] = {}
        for kind, items in (("levels", self.head.levels), ("titles", self.head.titles)):
            for i, item in enumerate(items):
                if item.id in RELATIVE_LEVELS:
                    self.r.problem(self.path, (kind, i, "id"), f"'{item.id}' is reserved for the transition's own level",
                                   code=errors.LADDER_RESERVED_ID)
                if item.id in seen:
                    self.r.problem(self.path, (kind, i, "id"), f"duplicate id '{item.id}'", code=errors.LADDER_DUPLICATE_ID)
                seen[item.id] = i
        for name, first, second in self.index.clashes:
            self.r.problem(self.path, (), f"the name '{name}' means both '{first}' and '{second}'",
                           code=errors.LADDER_ALIAS_CLASH)

    def level_ref(self, file: str, loc: tuple, name: Any, *, relative: bool, levels_only: bool = False) -> None:
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

    def field_kind(self, loc: tuple, path: str, *, want: tuple[str, ...]) -> Optional[FieldKind]:
        fields = packet_fields()
        kind = fields.get(path)
        if kind is None:
            self.r.problem(self.path, loc, f"'{path}' is not a field of the packet", code=errors.LADDER_UNKNOWN_FIELD,
                           suggestion=closest(path, fields))
            return None
        if kind.kind == "text":
            self.r.problem(self.path, loc, f"'{path}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
            return None
        if kind.kind not in want:
            self.r.problem(self.path, loc, f"'{path}' is a {kind.kind}; expected a {' or '.join(want)}",
                           code=errors.LADDER_FIELD_KIND)
            return None
        return kind

    def check_measure(self, name: str, m: Measure) -> None:
        before = len(self.r.problems)
        self._check_measure(name, m)
        if len(self.r.problems) > before:
            self.broken_measures.add(name)

    def _check_measure(self, name: str, m: Measure) -> None:
        loc = ("measures", name)
        kind = m.kind
        if kind == "field":
            self.field_kind(loc + ("field",), m.field, want=("number", "bool", "enum", "level"))
        elif kind == "months_since":
            self.field_kind(loc + ("months_since",), m.months_since, want=("date",))
        elif kind == "review_months":
            self.level_ref(self.path, loc + ("review_months", "at_or_above"), m.review_months.at_or_above, relative=True,
                           levels_only=True)
        else:
            list_path = getattr(m, kind)
            if self.field_kind(loc + (kind,), list_path, want=("list",)) is None:
                return
            items = item_fields(list_path)
            if m.of is not None:
                of = items.get(m.of)
                if of is None:
                    self.r.problem(self.path, loc + ("of",), f"'{m.of}' is not a field of {list_path} items",
                                   code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(m.of, items))
                elif of.kind != "number":
                    self.r.problem(self.path, loc + ("of",), f"'{m.of}' is a {of.kind}; {kind} needs a number",
                                   code=errors.LADDER_FIELD_KIND)
            for key, test in (m.where or {}).items():
                self.check_where(loc + ("where", key), list_path, key, test, items)

    def check_where(self, loc: tuple, list_path: str, key: str, test: Any, items: dict[str, FieldKind]) -> None:
        field = items.get(key)
        if field is None:
            self.r.problem(self.path, loc, f"'{key}' is not a field of {list_path} items", code=errors.LADDER_UNKNOWN_FIELD,
                           suggestion=closest(key, items))
            return
        if field.kind == "text":
            self.r.problem(self.path, loc, f"'{list_path}.{key}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
            return
        tests = test.items() if isinstance(test, dict) else [("eq", test)]
        for op, value in tests:
            if op not in _WHERE_OPS:
                self.r.problem(self.path, loc + (op,), f"unknown operator '{op}'", code=errors.LADDER_UNKNOWN_OPERATOR,
                               suggestion=closest(op, _WHERE_OPS))
                continue
            self.check_operand(self.path, loc + ((op,) if isinstance(test, dict) else ()), op, value, field,
                               f"{list_path}.{key}", relative=True, allow_by_size=False)

    # -- operands ---------------------------------------------------------------------------------

    def check_operand(self, file: str, loc: tuple, op: str, value: Any, field: FieldKind, what: str, *,
                      relative: bool, allow_by_size: bool = True) -> None:
        """Check that ``value`` can be compared with ``op`` to a value of kind ``field``."""
        values = value if op == "in" else [value]
        if op == "in" and (not isinstance(value, list) or not value):
            self.r.problem(file, loc, "`in` needs a non-empty list", code=errors.LADDER_BAD_OPERAND)
            return
        for i, v in enumerate(values):
            vloc = loc + ((i,) if op == "in" else ())
            if field.kind == "level":
                name = v.get("level") if isinstance(v, dict) and set(v) == {"level"} else v
                self.level_ref(file, vloc, name, relative=relative)
            elif field.kind == "enum":
                ordered = field.values in ORDINALS.values()
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

    def _number(self, file: str, loc: tuple, v: Any) -> None:
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
            key = (t.from_, t.to)
            if key in seen:
                self.r.problem(path, ("transition",), f"transition {t.from_} → {t.to} is also defined in {seen[key]}",
                               code=errors.LADDER_DUPLICATE_TRANSITION)
            seen[key] = os.path.basename(path)
        ids: set[str] = set()
        supporting = 0
        for i, criterion in enumerate(tfile.criteria):
            if criterion.id in ids:
                self.r.problem(path, ("criteria", i, "id"), f"duplicate criterion id '{criterion.id}'",
                               code=errors.LADDER_DUPLICATE_ID)
            ids.add(criterion.id)
            supporting += not criterion.required
            self.check_condition(path, ("criteria", i, "condition"), criterion.condition)
        if ok and len(self.r.problems) == before:
            self.check_size(path, tfile)
        if t.supporting_needed > supporting:
            self.r.problem(path, ("transition", "supporting_needed"),
                           f"needs {t.supporting_needed} supporting criteria but the file has {supporting}",
                           code=errors.LADDER_SUPPORTING_QUOTA)

    def check_size(self, path: str, tfile: TransitionFile) -> None:
        """Refuse criteria that would compile to more rules than the engine can hold."""
        from ._compile import MAX_RULES, Compiler, TooManyRules

        transition = Transition.model_validate({**tfile.transition.model_dump(by_alias=True),
                                               "criteria": tfile.criteria, "file": os.path.basename(path)})
        compiler = Compiler(self.head, transition, self.index)
        total = 0
        for i, criterion in enumerate(tfile.criteria):
            try:
                total += compiler.rule_count(criterion)
            except TooManyRules:
                self.r.problem(path, ("criteria", i, "condition"),
                               f"this condition compiles to more than {MAX_RULES} engine rules: "
                               "split it into several criteria", code=errors.LADDER_TOO_COMPLEX)
                return
        if total > MAX_RULES:
            self.r.problem(path, ("criteria",), f"the criteria compile to {total} engine rules together; the "
                           f"limit is {MAX_RULES}: simplify conditions or split the transition",
                           code=errors.LADDER_TOO_COMPLEX)

    def check_condition(self, path: str, loc: tuple, c: Condition) -> None:
        for key, parts in (("all", c.all), ("any", c.any)):
            for i, part in enumerate(parts or ()):
                self.check_condition(path, loc + (key, i), part)
        if c.not_ is not None:
            self.check_condition(path, loc + ("not",), c.not_)
        if c.measure is None:
            return
        measure = self.head.measures.get(c.measure)
        if measure is None:
            self.unknown_measures = True
            self.r.problem(path, loc + ("measure",), f"unknown measure '{c.measure}'", code=errors.LADDER_UNKNOWN_MEASURE,
                           suggestion=closest(c.measure, self.head.measures))
            return
        self.used_measures.add(c.measure)
        if c.measure in self.broken_measures:
            return
        what = f"measure '{c.measure}'"
        self.check_operand(path, loc + (c.op,), c.op, c.operand(c.op), measure_kind(measure), what, relative=True)

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


def iter_conditions(c: Condition) -> Iterator[Condition]:
    """Every comparison inside a condition, depth first, in file order."""
    if c.measure is not None:
        yield c
    for part in (c.all or ()) + (c.any or ()):
        yield from iter_conditions(part)
    if c.not_ is not None:
        yield from iter_conditions(c.not_)


__all__ = ["load_ladder", "ladder_digest", "bundled_ladders", "LadderInvalid", "iter_conditions", "normalise"]
