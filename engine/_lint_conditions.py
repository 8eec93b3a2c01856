"""The ladder lint's checks of the conditions issue 12 added: lists of words (contains, contains_all,
contains_any), two measures compared, and thresholds keyed by track, level or a packet field
(by_track, by_level, by).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from promoready.schemas.ladder import CONTAINS_OPS, LadderFile, Leaf, TransitionHeader

from ._fields import FieldKind, fields_of, is_words, measure_kind
from ._levels import LevelIndex, same_word
from ._wording import shown
from . import errors
from .errors import closest

if TYPE_CHECKING:
    from ._lint import Lint, Loc, Problems


def check_words(r: Problems, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str) -> None:
    """contains / contains_all / contains_any, and only they, compare a list of words."""
    if not is_words(kind):
        r.problem(file, loc, f"{c.op} needs a measure of a list of words (`field:` a list such as "
                             f"influence.cross_functional_partners); {what} is a {kind.kind}",
                  code=errors.LADDER_BAD_OPERATOR)
        return
    if c.op not in CONTAINS_OPS:
        r.problem(file, loc, f"{what} is a list of words: compare it with contains, contains_all or "
                             f"contains_any", code=errors.LADDER_BAD_OPERATOR)
        return
    words = [c.operand] if c.op == "contains" else c.operand
    if c.op != "contains" and (not isinstance(words, list) or not words):
        r.problem(file, loc, f"`{c.op}` needs a non-empty list of words", code=errors.LADDER_BAD_OPERAND)
        return
    allowed = {same_word(v): v for v in kind.values}  # a declared closed set of words, as `contains` reads them
    for i, w in enumerate(words):
        wloc = loc + (() if c.op == "contains" else (i,))
        if not isinstance(w, str) or not w.strip():
            r.problem(file, wloc, f"expected a word, got {shown(w)}", code=errors.LADDER_BAD_OPERAND)
        elif allowed and same_word(w) not in allowed:
            # a word the list can never hold: the criterion could never pass (or never fail)
            r.problem(file, wloc, f"{shown(w)} is not one of the words {what} may hold "
                                  f"({', '.join(kind.values)})", code=errors.LADDER_BAD_OPERAND,
                      suggestion=closest(w, kind.values))


def check_pair(r: Problems, head: LadderFile, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str,
               other: str) -> None:
    """Two measures compared: values of one kind (ordered, for gte/gt/lte/lt)."""
    theirs = measure_kind(head.measures[other], head)
    if c.op == "in":
        r.problem(file, loc, "`in` takes a list of values, not another measure", code=errors.LADDER_BAD_OPERATOR)
        return
    def described(k: FieldKind) -> str:
        return f"{k.kind} ({', '.join(k.values)})" if k.kind == "enum" else k.kind
    if kind.kind != theirs.kind or kind.values != theirs.values or is_words(theirs):
        r.problem(file, loc, f"{what} is a {described(kind)} and measure '{other}' a {described(theirs)}: "
                             "only measures of one kind compare", code=errors.LADDER_BAD_OPERAND)
    elif c.op in ("gte", "gt", "lte", "lt") and not kind.is_ordered:
        r.problem(file, loc, f"{what} is not ordered: compare it with another measure by eq or ne",
                  code=errors.LADDER_BAD_OPERATOR)


def check_keyed(lint: Lint, file: str, loc: Loc, c: Leaf, kind: FieldKind, what: str) -> None:
    """by_track / by_level / by: a mapping of thresholds, each one that fits the measure, and one
    that applies to this transition (by_track, by_level) or to every value (by: a default)."""
    (form,) = [k for k in ("by_track", "by_level", "by") if k in c.operand] or ["by"]
    if set(c.operand) != {form}:
        lint.r.problem(file, loc, f"a {form} threshold stands alone: {{{form}: {{...}}}}", code=errors.LADDER_BAD_OPERAND)
        return
    if kind.kind not in ("number",) and c.op in ("in",):
        lint.r.problem(file, loc, f"{form} needs a comparison operator, not `in`", code=errors.LADDER_BAD_OPERATOR)
        return
    table = c.operand[form]
    t = lint.transition
    assert t is not None  # set by check_transition, which checks conditions
    if form == "by":
        check_by(lint, file, loc + ("by",), c, table, kind, what)
        return
    if not isinstance(table, dict) or not table:
        lint.r.problem(file, loc + (form,), f"{form} needs a mapping of thresholds", code=errors.LADDER_BAD_OPERAND)
        return
    for key, threshold in table.items():
        kloc = loc + (form, key)
        if key == "default":
            pass
        elif form == "by_track" and key not in ("ic", "management"):
            lint.r.problem(file, kloc, f"unknown track '{key}'", code=errors.LADDER_BAD_OPERAND,
                           suggestion=closest(str(key), ("ic", "management", "default")))
            continue
        elif form == "by_level":
            lint.level_ref(file, kloc, key, relative=False, levels_only=True)
        lint.check_operand(file, kloc, c.op, threshold, kind, what, relative=True, allow_by_size=False)
    if form == "by_track":
        missing = None if t.track in table or "default" in table else f"the {t.track} track"
    else:
        here = [k for k in table if k != "default" and (r := lint.index.resolve(str(k), levels_only=True))
                is not None and r.id == t.from_]
        missing = None if here or "default" in table else f"level '{t.from_}' (this transition's current level)"
    if missing is not None:
        lint.r.problem(file, loc + (form,), f"{form} gives no threshold for {missing}: add it, or a `default`",
                       code=errors.LADDER_BAD_OPERAND)


def _level_named(index: LevelIndex, t: Optional[TransitionHeader], name: str) -> Optional[str]:
    """The level id a key names in this transition (``current`` / ``target`` included), if any."""
    if name in ("current", "target") and t is not None:
        return t.from_ if name == "current" else t.to
    found = index.resolve(name, levels_only=True)
    return found.id if found is not None else None


def check_by(lint: Lint, file: str, loc: Loc, c: Leaf, spec: Any, kind: FieldKind, what: str) -> None:
    """``{by: {field, values, default?}}``: ``field`` a word (enum) or level packet field;
    each key of ``values`` one of its values; a default unless ``values`` lists every value."""
    if not isinstance(spec, dict) or not {"field", "values"} <= set(spec) or set(spec) - {"field", "values", "default"}:
        extra = [k for k in (spec if isinstance(spec, dict) else {}) if k not in ("field", "values", "default")]
        lint.r.problem(file, loc, "`by` needs `field` and `values` (and optionally `default`)",
                       code=errors.LADDER_BAD_OPERAND,
                       suggestion=closest(str(extra[0]), ("field", "values", "default")) if extra else None)
        return
    path = spec["field"]
    fields = fields_of(lint.head)
    key_kind = fields.get(path) if isinstance(path, str) else None
    if key_kind is None:
        lint.r.problem(file, loc + ("field",), f"'{path}' is not a field of the packet",
                       code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(str(path), fields))
        return
    if key_kind.kind not in ("enum", "level", "word"):
        lint.r.problem(file, loc + ("field",), f"'{path}' is a {key_kind.kind}; a threshold is keyed by a word "
                                               "or level field", code=errors.LADDER_FIELD_KIND)
        return
    values = spec["values"]
    if not isinstance(values, dict) or not values:
        lint.r.problem(file, loc + ("values",), "`values` needs a mapping of the field's values to thresholds",
                       code=errors.LADDER_BAD_OPERAND)
        return
    named: dict[str, Any] = {}  # level id → the key that names it first (a later one could never apply)
    for key, threshold in values.items():
        kloc = loc + ("values", key)
        if key_kind.kind == "level":
            lint.level_ref(file, kloc, key, relative=True)
            level = _level_named(lint.index, lint.transition, str(key))
            if level is not None and level in named:
                lint.r.problem(file, kloc, f"{shown(key)} names level '{level}', which {shown(named[level])} already names: "
                                           "its threshold could never apply", code=errors.LADDER_DUPLICATE_ID)
            elif level is not None:
                named[level] = key
        elif key_kind.kind == "enum" and key not in key_kind.values:
            lint.r.problem(file, kloc, f"{shown(key)} is not a value of {path} ({', '.join(key_kind.values)})",
                           code=errors.LADDER_BAD_OPERAND, suggestion=closest(str(key), key_kind.values))
        lint.check_operand(file, kloc, c.op, threshold, kind, what, relative=True, allow_by_size=False)
    covered = key_kind.kind == "enum" and set(values) >= set(key_kind.values)
    if spec.get("default") is None:
        if not covered:
            lint.r.problem(file, loc, f"`values` does not list every value of {path}: add a `default`",
                           code=errors.LADDER_BAD_OPERAND)
    else:
        lint.check_operand(file, loc + ("default",), c.op, spec["default"], kind, what, relative=True,
                           allow_by_size=False)
