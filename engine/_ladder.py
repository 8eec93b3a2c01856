"""Loading a ladder folder: finding it, reading its files, their shape, and the ladder's digest.

``load_ladder`` reads ``ladder.yaml`` and every transition file beside it, validates their shape with
the pydantic models, then has ``_lint`` check what they mean (every name resolves, operands fit,
every level is reachable…). Every problem becomes a ``LadderError`` with file:line, the field path
and, for an unknown name, the closest known one; all problems of a ladder are reported at once.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from promoready.schemas import ladder as L
from promoready.schemas._base import PATTERN_WORDS
from promoready.schemas.ladder import Ladder, LadderFile, Transition, TransitionFile

from . import _documents as docs
from ._levels import normalise
from ._lint import Lint, Loc
from ._measures import MAX_WINDOW_MONTHS
from ._wording import literal_values, shown, validation_message
from . import errors
from .errors import LadderError, LadderInvalid, PromoreadyError, closest

DEFAULT_LADDER = "product-management"
LADDER_FILE = "ladder.yaml"
#: The top keys that make a YAML file a transition (a file with neither, nor a misspelling of one, is another file).
_TRANSITION_KEYS = ("transition", "criteria")
_Model = TypeVar("_Model", bound=BaseModel)


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
    canonical = json.dumps(_canonical(ladder), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# The canonical form lists every key a condition node or a measure had when each was one model with
# every key optional (null where unused). Every decision carries its ladder's digest, so the form is
# frozen: the models may change shape, the digest of an unchanged ladder may not. A key the language
# gains later appears where it is used, and only there.
_V1_CONDITION_KEYS = ("measure", "gte", "gt", "lte", "lt", "eq", "ne", "in", "all", "any", "not")
_V1_MEASURE_KEYS = ("field", "count", "size", "max", "min", "sum", "review_months", "months_since", "of", "where",
                    "unit", "grows", "title")


def _canonical(ladder: Ladder) -> dict:
    data = ladder.model_dump(mode="json", by_alias=True)
    for key in ("sources", "title_patterns", "scales", "evidence"):
        if not data[key]:
            del data[key]  # gained in 2026.12 (issues 13, 12): present only where used
    data["measures"] = {name: {**dict.fromkeys(_V1_MEASURE_KEYS), **m} for name, m in data["measures"].items()}
    for transition, dumped in zip(ladder.transitions, data["transitions"]):
        for criterion, out in zip(transition.criteria, dumped["criteria"]):
            out["condition"] = _canonical_condition(criterion.condition, out["condition"])
            if out["threshold"] is None:
                del out["threshold"]
            if out["source"]["ref"] is None:
                del out["source"]["ref"]
            if out.get("group", 0) is None:
                del out["group"]  # gained with issue 12: present only where used
        if not dumped.get("supporting_groups", True):
            del dumped["supporting_groups"]
    return data


def _canonical_condition(node: L.Condition, dumped: dict) -> dict:
    """``dumped`` (the dump of ``node``) with every v1 key, at every depth. The model says where its
    sub-conditions are: an operand may be a mapping too (``{level: director}``) and stays as it is."""
    # Keys gained later (issue 12: contains, contains_all, contains_any) appear only where used.
    out = {**dict.fromkeys(_V1_CONDITION_KEYS),
           **{k: v for k, v in dumped.items() if v is not None or k in _V1_CONDITION_KEYS}}
    for loc, child in node.located_children():
        holder: Any = out
        for part in loc[:-1]:
            holder = holder[part]
        holder[loc[-1]] = _canonical_condition(child, holder[loc[-1]])
    return out


def yaml_names(folder: str) -> list[str]:
    """The names ``load_ladder`` reads in a ladder folder, sorted: every YAML name (``ladder.yaml`` among
    them) that is not a folder. One that is no plain file (a dangling link, a pipe) is listed too: the loader
    says what it is, and the ladder cache, keyed by these files, does not answer for the folder. Raises
    OSError when the folder cannot be listed."""
    return [name for name in sorted(os.listdir(folder))
            if name.endswith((".yaml", ".yml")) and not os.path.isdir(os.path.join(folder, name))]


def load_ladder(path: Optional[str] = None) -> Ladder:
    """Load and check a ladder: a bundled ladder id, a ladder folder, or its ``ladder.yaml``.

    With no argument, the default ladder (``product-management``). Raises ``LadderInvalid`` (a
    ``PromoreadyError``) listing every problem with file:line.
    """
    folder = _resolve_folder(path)
    reader = _Reader(folder)
    ladder = reader.read()
    if ladder is None or reader.problems:
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
        self.raw: dict[str, Any] = {}  # the data of each file that was read, whatever its shape

    # -- reporting --------------------------------------------------------------------------------

    def problem(self, file: str, loc: Loc, message: str, *, code: str, suggestion: Optional[str] = None) -> None:
        line = docs.line_of(self.texts[file], loc) if file in self.texts else None
        self.problems.append(LadderError(message, code=code, file=file, line=line, path=docs.format_path(loc) or None,
                                         suggestion=suggestion))

    def _parse(self, path: str, model: type[_Model]) -> Optional[_Model]:
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
        self.raw[path] = data
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            found = []
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not _is_tag(p))
                message, suggestion = validation_message(err, PATTERN_WORDS), None
                if err["type"] == "extra_forbidden":
                    key = str(loc[-1])
                    message, suggestion = f"unknown key '{key}'", closest(key, _known_keys(model, err["loc"][:-1]))
                elif err["type"] == "literal_error" and isinstance(err.get("input"), str) and len(err["input"]) <= 200:
                    suggestion = closest(err["input"], literal_values(err))
                elif err["type"] == "missing":
                    message = f"missing required key '{loc[-1]}'"
                elif loc and loc[-1] == "within_months" and err["type"] in _WHOLE_NUMBER_ERRORS:
                    message = _within_months_message(err.get("input"))  # worded as a `where:`'s is
                elif err["type"] in _PLAIN_WORDS:  # in the lint's words, not pydantic's
                    message = _PLAIN_WORDS[err["type"]].format(got=shown(err.get("input")))
                found.append((loc, err["type"], message, suggestion))
            # A misspelt key is also a missing one: report the typo with its suggestion, once.
            typos = {(loc[:-1], s.strip("'")) for loc, kind, _, s in found if kind == "extra_forbidden" and s}
            # A list whose every item is wrong is also too short once they are dropped: its items' own
            # problems say it already.
            inside = {loc[:n] for loc, kind, _, _ in found if kind != "too_short" for n in range(1, len(loc))}
            for loc, kind, message, suggestion in found:
                if kind == "missing" and (loc[:-1], str(loc[-1])) in typos:
                    continue
                if kind == "too_short" and loc in inside:
                    continue
                self.problem(path, loc, message, code=errors.LADDER_SHAPE, suggestion=suggestion)
            return None

    # -- names in files of the wrong shape ---------------------------------------------------------

    def _measure_names(self, head: Optional[LadderFile], ladder_path: str) -> Optional[tuple[str, ...]]:
        """The measures the ladder declares: ``head``'s, or for a ``ladder.yaml`` of the wrong shape
        the keys of its ``measures`` mapping (None when even that cannot be read)."""
        if head is not None:
            return tuple(head.measures)
        declared = self.raw.get(ladder_path, {}).get("measures")
        return tuple(k for k in declared if isinstance(k, str)) if isinstance(declared, dict) else None

    def _check_measure_names(self, path: str, data: dict, known: tuple[str, ...]) -> None:
        """An "unknown measure" problem for each ``measure:`` a condition of ``data`` names that ``known`` lacks."""
        criteria = data.get("criteria")
        if not isinstance(criteria, list):
            return
        for i, criterion in enumerate(criteria):
            if not isinstance(criterion, dict):
                continue
            stack: list[tuple[Any, Loc]] = [(criterion.get("condition"), ("criteria", i, "condition"))]
            while stack:
                node, loc = stack.pop()
                if isinstance(node, dict):
                    name = node.get("measure")
                    if isinstance(name, str) and name not in known:
                        self.problem(path, loc + ("measure",), f"unknown measure '{name}'",
                                     code=errors.LADDER_UNKNOWN_MEASURE, suggestion=closest(name, known))
                    stack.extend((v, loc + (k,)) for k, v in reversed(list(node.items())) if k != "measure")
                elif isinstance(node, list):
                    stack.extend((v, loc + (j,)) for j, v in reversed(list(enumerate(node))))

    # -- reading ----------------------------------------------------------------------------------

    def read(self) -> Optional[Ladder]:
        ladder_path = os.path.join(self.folder, LADDER_FILE)
        head: Optional[LadderFile] = self._parse(ladder_path, LadderFile)
        transitions: list[tuple[str, TransitionFile]] = []
        try:
            names = yaml_names(self.folder)
        except OSError as exc:  # a folder whose files can be opened but not listed (mode 0311), or gone since
            raise errors.InputError(f"cannot list the ladder folder: {(exc.strerror or str(exc)).lower()}",
                                    code=errors.INPUT_UNREADABLE, file=self.folder) from None
        for name in names:
            path = os.path.join(self.folder, name)
            if name == LADDER_FILE:
                continue
            # A name that cannot be read (a dangling link, a loop of links) is read, and its error said: skipped,
            # it left a transition out without a word.
            if os.path.exists(path) and not os.path.isfile(path):  # never opened: a pipe would wait for a writer
                self.problems.append(errors.InputError(
                    f"'{name}' is not a plain file (a pipe, a socket or a device): a ladder's files are YAML files",
                    code=errors.INPUT_UNREADABLE, file=path))
                continue
            said = len(self.problems)
            parsed = self._parse(path, TransitionFile)
            if parsed is not None:
                transitions.append((path, parsed))
            elif isinstance(self.raw.get(path), dict) and not any(
                    key in _TRANSITION_KEYS or errors.closest(str(key), _TRANSITION_KEYS)
                    for key in self.raw[path]):
                # not a transition with mistakes (not even a misspelt `transition:` or `criteria:`), but another
                # file: say so once, rather than each key it lacks
                del self.problems[said:]
                self.problems.append(LadderError(
                    f"'{name}' is not a transition file (it has no `transition:` or `criteria:`): every YAML file "
                    f"beside {LADDER_FILE} is read as a transition, <from>-to-<to>.yaml; move this one out of the "
                    "ladder folder (example packets go in its examples/ folder)", code=errors.LADDER_NOT_A_TRANSITION,
                    file=path, line=1))
        # A file with the wrong shape is not linted, but the names its conditions use are still
        # checked, so that one run reports its unknown measures with its shape errors.
        shaped = {p for p, _ in transitions}
        measures = self._measure_names(head, ladder_path)
        if measures is not None:
            for path in sorted(self.raw):
                if path != ladder_path and (head is None or path not in shaped):
                    self._check_measure_names(path, self.raw[path], measures)
        if head is None:
            return None
        if head.title_patterns is not None:
            # Each pattern × function is a title like any other: resolved, suggested, checked for clashes.
            head = head.model_copy(update={"titles": head.titles + head.title_patterns.expand()})
        # Whole-ladder checks (unused measures, reachability) mean nothing if a file is missing.
        complete = not self.problems
        if not transitions and not self.problems:
            self.problems.append(LadderError("the ladder has no transition files", code=errors.LADDER_NO_TRANSITIONS,
                                             file=self.folder))
        Lint(self, ladder_path, head, transitions, complete=complete).run()
        if self.problems:
            return None
        return Ladder(
            id=head.ladder,
            version=head.version,
            title=head.title,
            description=head.description,
            levels=head.levels,
            titles=head.titles,
            title_patterns=head.title_patterns,
            sources=head.sources,
            measures=head.measures,
            scales=head.scales,
            evidence=head.evidence,
            transitions=tuple(
                Transition.model_validate({**t.transition.model_dump(by_alias=True),
                                           "criteria": tuple(_with_file(c, head) for c in t.criteria),
                                           "file": os.path.basename(p)})
                for p, t in transitions
            ),
        )


_WHOLE_NUMBER_ERRORS = ("greater_than_equal", "less_than_equal", "int_type", "int_from_float", "int_parsing")


#: Pydantic's error types, said as the ladder lint says things ("expected a number, got true").
_PLAIN_WORDS = {
    "int_type": "expected a whole number, got {got}",
    "int_parsing": "expected a whole number, got {got}",
    "int_from_float": "expected a whole number, got {got}",
    "float_type": "expected a number, got {got}",
    "float_parsing": "expected a number, got {got}",
}


def _within_months_message(value: Any) -> str:
    """What ``review_months.within_months`` needs, in the words the lint uses for ``within_months`` in a ``where``."""
    return f"within_months needs a whole number of months from 1 to {MAX_WINDOW_MONTHS}, got {shown(value)}"


def _with_file(criterion: L.Criterion, head: LadderFile) -> L.Criterion:
    """A criterion citing a declared source by ``ref``, with the source's file filled in (the lint
    has checked that the ref resolves), so that its ``source`` reads ``file: section`` everywhere."""
    source = criterion.source
    if source.ref is None or source.file is not None:
        return criterion
    doc = next(d for d in head.sources if d.id == source.ref)
    return criterion.model_copy(update={"source": source.model_copy(update={"file": doc.file})})


_BY_KEY: dict[str, type[BaseModel]] = {
    "transition": L.TransitionHeader, "criteria": L.Criterion, "text": L.Texts, "source": L.Source,
    "levels": L.Level, "titles": L.Title, "review_months": L.ReviewMonths, "sources": L.SourceDoc, "title_patterns": L.TitlePatterns, "forms": L.TitleForm,
    "threshold": L.Threshold,
}


def _is_tag(part: Any) -> bool:
    """Whether a part of a pydantic error location names a union's variant rather than a key."""
    return isinstance(part, str) and (part.startswith(("function-", "tagged-")) or part in L.CONDITION_TAGS
                                      or part in L.MEASURE_TAGS)


def _known_keys(model: type[BaseModel], loc: tuple) -> tuple[str, ...]:
    """Keys accepted at ``loc`` (a pydantic location, variant tags included), for a "did you mean" on
    an unknown key. In a condition or a measure, every key of every kind: a key misplaced on the
    wrong kind of node is as likely as a typo."""
    keys = L.keys_of(model)
    for part in loc:
        if part in L.CONDITION_TAGS:
            keys = L.CONDITION_KEYS
        elif part in L.MEASURE_TAGS:
            keys = L.MEASURE_KEYS
        elif isinstance(part, str) and part in _BY_KEY:
            keys = L.keys_of(_BY_KEY[part])
    return keys


__all__ = ["load_ladder", "ladder_digest", "bundled_ladders", "LadderInvalid", "normalise"]
