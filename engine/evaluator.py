"""The ``Evaluator``: compile a ladder once, then evaluate packets many times, from any thread.

Data flows one way: packet → ``Packet`` (validated) → measures (Python) → evidence fact →
durable-rules (decides every criterion's status, then the verdict) → explanation → ``Decision``.
Python prepares figures and words; it never overrides what the engine decided.
"""

from __future__ import annotations

import datetime
import os
import threading
from dataclasses import dataclass
from typing import Any, Optional, Union, cast

from promoready.schemas.decision import Decision, LadderRef, TransitionRef
from promoready.schemas.ladder import FieldMeasure, Ladder, Transition
from promoready.schemas.packet import ORDINALS, Packet

from . import _decision, _documents, _packet
from ._compile import (
    SIZE_KEY,
    SIZES,
    Compiler,
    Node,
    criterion_index,
    encode_value,
    encode_words,
    keyed_leaves,
    uses_org_size,
    word_leaves,
)
from ._figures import count_figures, whole_figure, whole_high_figure, word_figure
from ._ranges import UNKNOWN_HIGH, UNKNOWN_LOW, whole_ends
from ._stages import at_least_nodes, part_index, stage_kind
from ._tally import verdict_of
from ._keys import group_keys
from ._durable import Ruleset, RulesetChain
from ._evidence import DeclaredEvidence
from ._fields import measure_kind
from ._explain import Explainer, leaves, measure_names
from ._ladder import ladder_digest, load_ladder
from ._levels import LevelIndex, normalise
from ._names import Names
from .projection import members
from ._measures import Context, Measured, compile_measure
from . import errors
from .errors import EngineError, PacketInvalid

PacketLike = Union[dict, Packet, str, "os.PathLike[str]", _packet.LoadedPacket]


@dataclass
class _Plan:
    """Everything compiled for one transition."""

    transition: Transition
    measures: dict[str, Any]  # name → measure function
    kinds: dict[str, Any]  # name → FieldKind of the value
    trees: list[Node]
    names: list[list[str]]  # measures each criterion reads
    keys: dict[str, str]  # measure name → the key the engine knows it by
    ruleset: Union[Ruleset, RulesetChain]  # a chain only when the transition needs several rulesets
    explainer: Explainer
    needs_size: bool
    #: Organisation size position (or None) → each criterion's expected text, its " (calibrated)" suffix
    #: included; None for a criterion whose threshold is keyed by a packet field (worded per packet).
    expected: dict
    ref: TransitionRef
    #: Lists of words: measure name → the words the criteria look for (each a derived figure).
    words: dict[str, tuple[str, ...]]
    #: Fields thresholds are keyed by (``by:``): path → (its figure's name, its measure function, its kind).
    key_fields: dict[str, tuple[str, Any, Any]]
    #: Counts that know a range, and sums or means of them (``_ranges``): measure name → its high end's figure.
    uppers: dict[str, str]
    #: Measures compared by eq/ne with a count that knows a range: name → the figures of its whole-number ends.
    wholes: dict[str, tuple[str, str]]
    #: Per ruleset: its at_least nodes as (slot, level, parts, criterion index), and the keys it reads.
    slots: list[list[tuple[str, int, int, int]]]
    fields: list[frozenset[str]]
    #: The supporting group of each supporting criterion (None: the unnamed one), by criterion index.
    groups: list[Optional[str]]
    #: Each supporting quota's criteria, by index (``projection.members``).
    quotas: dict[Optional[str], list[int]]
    #: What each criterion's result says whatever the packet, worked out once (``_decision.Row``).
    rows: list[_decision.Row]
    #: Each named supporting group's tally keys (passed, passed or unknown).
    group_tally: dict[str, tuple[str, str]]
    #: Each first-stage rule name of the ruleset → ``criterion_index`` of it, or ``_PART`` for a part of
    #: an at_least node, worked out when the plan is made: a dict read in place of two functions for every
    #: name a packet fires (~28).
    fired: dict[str, tuple[int, str]]


#: In ``_Plan.fired``: the rule decided a part of an at_least node, not a criterion.
_PART = (-1, "")


class Evaluator:
    """A ladder compiled into durable-rules rulesets, ready to evaluate packets.

    ``Evaluator(load_ladder())`` validates and compiles every transition once. ``evaluate`` is then
    cheap, has no side effects, and may be called from many threads at once.

    ``lazy=True`` compiles each transition the first time a packet needs it (``compile_all`` compiles
    the rest): a command that evaluates one packet compiles one of the ladder's transitions, not all of
    them. Every transition of a loaded ladder is known to compile (its lint compiles each one), so
    only an engine error (out of memory) can surface later, from ``evaluate``, than it would eagerly.
    """

    def __init__(self, ladder: Optional[Ladder] = None, *, lazy: bool = False) -> None:
        self.ladder = ladder if ladder is not None else load_ladder()
        self.index = LevelIndex(self.ladder)
        self.digest = ladder_digest(self.ladder)
        self._ref = LadderRef(id=self.ladder.id, version=self.ladder.version, digest=self.digest)
        self._evidence = DeclaredEvidence(self.ladder)  # checks each packet's `evidence:` section
        #: Real paths a packet's ``ladder`` may name for this evaluator (a registry adds the allowed
        #: path it compiled the ladder from); any other value must be the ladder's id.
        self.accepted_paths: set[str] = set()
        self._names = Names(self.index)  # the level and title names packets use, resolved and remembered
        self._transitions = {(t.from_, t.to): t for t in self.ladder.transitions}
        #: The transitions leaving each level, in file order (looked up for every packet).
        self._outgoing: dict[str, list[Transition]] = {}
        for transition in self._transitions.values():
            self._outgoing.setdefault(transition.from_, []).append(transition)
        self._plans: dict[tuple[str, str], _Plan] = {}  # the transitions compiled so far
        self._compiling = threading.Lock()
        if not lazy:
            self.compile_all()

    def compile_all(self) -> None:
        """Compile every transition not compiled yet (for a lazy evaluator that will serve many packets)."""
        for key in self._transitions:
            self._plan(key)

    def _plan(self, key: tuple[str, str]) -> _Plan:
        """The compiled plan of the transition ``key``, compiled now if it is not yet (once, whatever the threads)."""
        plan = self._plans.get(key)
        if plan is None:
            with self._compiling:
                plan = self._plans.get(key)
                if plan is None:
                    plan = self._plans[key] = self._compile(self._transitions[key])
        return plan

    def _compile(self, transition: Transition) -> _Plan:
        compiler = Compiler(self.ladder, transition, self.index)
        chunks, trees = compiler.chunks()
        names = [measure_names(t) for t in trees]
        used = list(dict.fromkeys(n for ns in names for n in ns))
        relative = compiler.relative
        measures = {n: compile_measure(self.ladder.measures[n], relative, self.index, self.ladder) for n in used}
        kinds = {n: measure_kind(self.ladder.measures[n], self.ladder) for n in used}
        words: dict[str, tuple[str, ...]] = {}
        for leaf in (x for t in trees for x in word_leaves(t)):
            words[leaf.measure] = tuple(dict.fromkeys(words.get(leaf.measure, ()) + leaf.words))
        key_fields: dict[str, tuple[str, Any, Any]] = {}
        for keyed in (x.keyed for t in trees for x in keyed_leaves(t)):
            if keyed is not None and keyed.path not in key_fields:
                by = FieldMeasure(field=keyed.path)
                key_fields[keyed.path] = (keyed.figure, compile_measure(by, relative, self.index, self.ladder), keyed.kind)
        explainer = Explainer(self.ladder.measures, self.index, {"current": transition.from_, "target": transition.to},
                              trees)
        groups = [None if c.required else c.group for c in transition.criteria]
        rows = _decision.criterion_rows(self.ladder, transition, names, trees, groups)
        keyed_criteria = frozenset(i for i, t in enumerate(trees) if keyed_leaves(t))
        digest = self.digest.split(":")[1][:12]
        label = f"{self.ladder.id}-{digest}-{transition.key}"
        if len(chunks) == 1:
            ruleset: Union[Ruleset, RulesetChain] = Ruleset(label, chunks[0].rules)
        else:
            ruleset = RulesetChain([Ruleset(f"{label}-{i}", c.rules) for i, c in enumerate(chunks)],
                                   [c.keys | {"k", SIZE_KEY} for c in chunks])
        return _Plan(
            transition=transition,
            measures=measures,
            kinds=kinds,
            trees=trees,
            names=names,
            keys=compiler.keys,
            ruleset=ruleset,
            explainer=explainer,
            needs_size=any(uses_org_size(t) for t in trees),
            # The wording of a condition depends only on the organisation size: word it once.
            expected={size: [None if i in keyed_criteria else explainer.expected(t, size) + rows[i][-1]
                             for i, t in enumerate(trees)] for size in (None, *range(len(SIZES)))},
            ref=TransitionRef(from_=transition.from_, to=transition.to, track=transition.track, phase=transition.phase),
            words=words,
            key_fields=key_fields,
            uppers={name: high for t in trees for leaf in leaves(t)
                    for name, high in ((leaf.measure, leaf.upper), (leaf.other, leaf.other_upper))
                    if name is not None and high is not None},
            wholes={leaf.whole: (whole_figure(leaf.whole), whole_high_figure(leaf.whole)) for t in trees
                    for leaf in leaves(t) if leaf.whole is not None},
            slots=[[(n.slot, n.level, len(n.children), i) for i in c.criteria for n in at_least_nodes(trees[i])]
                   for c in chunks],
            fields=[c.keys | {"k", SIZE_KEY} for c in chunks],
            groups=groups,
            quotas=members(transition.criteria),
            rows=rows,
            group_tally=dict(zip(transition.supporting_groups, group_keys(len(transition.supporting_groups)))),
            fired={name: _PART if part_index(name) is not None else criterion_index(name)
                   for c in chunks for name in c.rules if not name.startswith("v.")},  # "v.…": the verdict's
        )

    @property
    def transitions(self) -> list[Transition]:
        """The ladder's transitions, in file order."""
        return list(self._transitions.values())

    # -- evaluation ---------------------------------------------------------------------------------

    def evaluate(self, packet: PacketLike, *, as_of: Optional[datetime.date] = None) -> Decision:
        """Evaluate one packet (a dict, a ``Packet``, a path to a JSON/YAML file, or ``load_packet``'s result).

        ``as_of`` overrides the packet's own date; with neither, today's date is used. Raises a
        ``PromoreadyError`` subclass, with the field path and file, for any bad input. (JSON text is
        best given to ``evaluate_json``: read in one pass where it can be.)
        """
        try:
            loaded = _packet.load_packet(packet)
        except PacketInvalid as exc:
            raise self.checked(exc) from None
        return self._evaluate(loaded.packet, loaded.source, as_of, plain=loaded.plain)

    def evaluate_json(self, text: Union[str, bytes], *, as_of: Optional[datetime.date] = None,
                      source: str = "<packet>") -> Decision:
        """Evaluate one packet given as JSON text (or its UTF-8 bytes), named ``source`` in errors.

        The same decision, and for bad input the same errors, as ``evaluate`` on the file's data;
        cheaper, since the text is parsed and validated in one pass whenever that surely reads it
        as the careful reading would.
        """
        if isinstance(text, bytes):
            text = _documents.decode(text, source)
        try:
            loaded = _packet.read_json(text, _packet.Source(source, text))
        except PacketInvalid as exc:
            raise self.checked(exc) from None
        return self._evaluate(loaded.packet, loaded.source, as_of, plain=loaded.plain)

    def checked(self, exc: PacketInvalid) -> PacketInvalid:
        """A packet that failed validation with its unknown level names and the problems of its
        ``evidence:`` section added, by this ladder: every problem in one run."""
        return self._evidence.adding_to(_packet.with_level_problems(exc, self.index))

    def _accepts_path(self, ladder: str) -> bool:
        """Whether a packet's ``ladder`` names this ladder by one of its paths (a name no path can have,
        one with a NUL in it, names none)."""
        try:
            return os.path.realpath(os.path.expanduser(ladder)) in self.accepted_paths
        except (ValueError, OSError):
            return False

    def _evaluate(self, packet: Packet, source: _packet.Source, as_of: Optional[datetime.date],
                  plain: bool = False) -> Decision:
        if (packet.ladder is not None and normalise(packet.ladder) != self.ladder.id
                and not self._accepts_path(packet.ladder)):
            raise _packet.packet_error(
                f"the packet is for ladder '{packet.ladder}', but this evaluator has '{self.ladder.id}'",
                code=errors.PACKET_LADDER_MISMATCH, path="ladder", source=source, loc=("ladder",),
                suggestion=errors.closest(packet.ladder, [self.ladder.id]))
        ranks = self._names.known_ranks(packet)
        if ranks is None:  # a name the ladder does not know: every unknown level at once, with the evidence's problems
            unknown = _packet.level_problems(self.index, packet, source, self._names.rung)
            if unknown:
                raise PacketInvalid(unknown).adding(self._evidence.problems(packet.evidence, source))
        plan = self._plan_for(packet, source)
        day = _packet.effective_as_of(packet, as_of)
        decided = packet  # as the measures read it: a target_level or track it leaves out is its transition's
        if packet.target_level is None or packet.track is None:
            decided = packet.model_copy(update={
                **({"target_level": plan.transition.to} if packet.target_level is None else {}),
                **({"track": plan.transition.track} if packet.track is None else {})})
        if ranks is None:  # (a reviewer's level, which level_problems does not read, is unknown: said here)
            ranks = self._names.check_levels(decided, source)
        since = packet.experience.current_level_since if packet.experience else None
        if since is not None and since > day:
            raise _packet.packet_error(f"{since.isoformat()} is after as_of {day.isoformat()}",
                                       code=errors.PACKET_FUTURE_DATE, path="experience.current_level_since",
                                       source=source, loc=("experience", "current_level_since"))
        ctx = Context(as_of=day, index=self.index, ranks=ranks, packet_date=packet.as_of,
                      evidence=self._evidence.check(packet, source))
        measured: dict[str, Measured] = {name: fn(decided, ctx) for name, fn in plan.measures.items()}
        encoded = {name: encode_value(m.value, plan.kinds[name]) for name, m in measured.items()}
        size = packet.organization.size if packet.organization else None
        size_index = ORDINALS["size"].index(size) if size is not None else None

        fact: dict[str, Any] = {"k": "e"}
        keys = plan.keys
        fact.update((keys[k], v) for k, v in encoded.items() if v is not None and k not in plan.words)
        for name, wanted in plan.words.items():
            # How many items of the list are each word the criteria look for (the engine compares).
            listed = encode_words(measured[name].value)
            if listed is not None:
                fact.update((keys[word_figure(name, w)], listed.count(w)) for w in wanted)
        for name, figure in plan.uppers.items():  # a count's high end beside it; unknown: the widest range
            m = measured[name]
            high = encoded[figure] = encoded[name] if m.upper is None else encode_value(m.upper, plan.kinds[name])
            if high is None:
                fact[keys[name]], high = UNKNOWN_LOW, UNKNOWN_HIGH
            fact[keys[figure]] = high
        for name, (low, high) in plan.wholes.items():  # a measure as a count compares with it by eq/ne
            ends = (fact.get(keys[name]), fact.get(keys[plan.uppers[name]])) if name in plan.uppers else \
                (encoded[name], encoded[name])
            if ends[0] is not None:
                fact[keys[low]], fact[keys[high]] = whole_ends(*ends)
        for path, (figure, key_measure, key_kind) in plan.key_fields.items():
            key_measured = key_measure(decided, ctx)
            measured[figure] = key_measured
            value = encode_value(key_measured.value, key_kind)
            encoded[figure] = value
            if value is not None:
                fact[keys[figure]] = value
        if plan.needs_size and size_index is not None:
            fact[SIZE_KEY] = size_index
        statuses, verdict = self._decide(plan, fact)
        return self._decision(packet, plan, day, statuses, verdict, measured, encoded, size_index, plain=plain)

    def _decide(self, plan: _Plan, fact: dict) -> tuple[list[str], str]:
        criteria = plan.transition.criteria

        group_tally = plan.group_tally
        known = plan.fired

        def tally(fired: list[str]) -> dict:
            counts: dict[str, Any] = {"k": "t", "rf": 0, "ru": 0, "sp": 0, "spu": 0}
            for p, pu in group_tally.values():
                counts[p] = counts[pu] = 0
            for name in fired:
                rule = known[name]
                if rule is _PART:
                    continue
                i, status = rule
                if criteria[i].required:
                    counts["rf"] += status == "fail"
                    counts["ru"] += status == "unknown"
                else:
                    group = plan.groups[i]
                    p, pu = ("sp", "spu") if group is None else group_tally[group]
                    counts[p] += status == "pass"
                    counts[pu] += status != "fail"
            return counts

        if any(plan.slots):
            first, second = plan.ruleset.run(fact, tally, stages=self._stages(plan, fact))
        else:
            first, second = plan.ruleset.run(fact, tally)
        statuses: list[Optional[str]] = [None] * len(criteria)
        for name in first:
            rule = known[name]
            if rule is _PART:
                continue  # a part of an at_least node: its counts were checked by the stage that read them
            i, status = rule
            if statuses[i] is not None:
                raise EngineError(f"the engine decided criterion '{criteria[i].id}' twice ({statuses[i]}, {status})",
                                  code=errors.ENGINE_AMBIGUOUS, path=criteria[i].id)
            statuses[i] = status
        for i, decided in enumerate(statuses):
            if decided is None:
                raise EngineError(f"the engine did not decide criterion '{criteria[i].id}'", code=errors.ENGINE_UNDECIDED,
                                  path=criteria[i].id)
        if len(second) != 1 or not second[0].startswith("v."):
            raise EngineError(f"the engine gave {len(second)} verdicts ({', '.join(second) or 'none'})",
                              code=errors.ENGINE_VERDICT)
        return cast("list[str]", statuses), verdict_of(second[0])  # every one decided: checked above

    @staticmethod
    def _stages(plan: _Plan, fact: dict):
        """The facts between the evidence fact and the tally, per ruleset: stage ``s`` repeats the
        ruleset's evidence with the counts of the at_least nodes decided by stage ``s`` (each node's
        parts passed, and passed or unknown, as the engine decided them a stage earlier)."""
        counts: dict[str, tuple[int, int]] = {}

        def stage(chunk: int, s: int, fired: list[str]) -> Optional[dict]:
            slots = plan.slots[chunk]
            if s > max((level for _, level, _, _ in slots), default=0):
                return None
            decided: dict[tuple[str, int], list[str]] = {}
            for name in fired:
                part = part_index(name)
                if part is not None:
                    decided.setdefault(part[:2], []).append(part[2])
            for slot, level, parts, i in slots:
                if level != s:
                    continue
                found = [decided.get((slot, q), []) for q in range(parts)]
                if any(len(d) != 1 for d in found):
                    cid = plan.transition.criteria[i].id
                    raise EngineError(f"the engine decided a part of an at_least condition of criterion '{cid}' "
                                      f"{'twice' if any(len(d) > 1 for d in found) else 'not at all'}",
                                      code=errors.ENGINE_AMBIGUOUS if any(len(d) > 1 for d in found)
                                      else errors.ENGINE_UNDECIDED, path=cid)
                statuses = [d[0] for d in found]
                counts[slot] = (statuses.count("pass"), len(statuses) - statuses.count("fail"))
            out = {k: v for k, v in fact.items() if k in plan.fields[chunk]}
            out["k"] = stage_kind(s)
            for slot, level, _, _ in slots:
                if level <= s:
                    passed, reachable = count_figures(slot)
                    out[plan.keys[passed]], out[plan.keys[reachable]] = counts[slot]
            return out

        return stage if isinstance(plan.ruleset, RulesetChain) else (lambda s, fired: stage(0, s, fired))

    # -- levels and transitions ---------------------------------------------------------------------

    def _plan_for(self, packet: Packet, source: _packet.Source) -> _Plan:
        current = self._names.resolve(packet.current_level, "current_level", ("current_level",), source, levels_only=True)
        outgoing = self._outgoing.get(current.id, [])
        if packet.target_level is not None:
            target = self._names.resolve(packet.target_level, "target_level", ("target_level",), source, levels_only=True)
            transition = self._transitions.get((current.id, target.id))
            if transition is None:
                options = ", ".join(t.to for t in outgoing) or "nowhere (the top of its track)"
                raise _packet.packet_error(
                    f"the ladder has no step from '{current.id}' to '{target.id}'; from '{current.id}' it goes to {options}",
                    code=errors.PACKET_NO_TRANSITION, path="target_level", source=source, loc=("target_level",))
            if packet.track is not None and transition.track != packet.track:
                raise _packet.packet_error(
                    f"'{current.id}' to '{target.id}' is on the {transition.track} track, not {packet.track}",
                    code=errors.PACKET_TRACK_MISMATCH, path="track", source=source, loc=("track",))
            return self._plan((current.id, target.id))
        if packet.track is not None:
            outgoing = [t for t in outgoing if t.track == packet.track]
        if not outgoing:
            where = f" on the {packet.track} track" if packet.track else ""
            raise _packet.packet_error(f"the ladder has no step up from '{current.id}'{where}",
                                       code=errors.PACKET_NO_TRANSITION, path="current_level", source=source,
                                       loc=("current_level",))
        lowest = min(self.index.rungs[t.to].rank for t in outgoing)
        nearest = [t for t in outgoing if self.index.rungs[t.to].rank == lowest]
        if len(nearest) > 1:
            options = " or ".join(f"'{t.to}' ({t.track})" for t in nearest)
            raise _packet.packet_error(
                f"'{current.id}' has more than one next level: {options}; set target_level or track",
                code=errors.PACKET_AMBIGUOUS_TARGET, path="target_level", source=source, loc=())
        return self._plan((nearest[0].from_, nearest[0].to))

    # -- the decision (engine/_decision.py) ---------------------------------------------------------

    def _decision(self, packet: Packet, plan: _Plan, day: datetime.date, statuses: list[str], verdict: str,
                  measured: dict[str, Measured], encoded: dict[str, Any], size: Optional[int],
                  plain: bool = False) -> Decision:
        return _decision.decision(self._ref, packet, plan, day, statuses, verdict, measured, encoded, size,
                                  plain=plain)
