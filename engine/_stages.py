"""``{at_least: N, of: [...]}`` decided in stages (see ``_compile``): the rules deciding each part of an
``at_least`` node over the fact of the stage before the node's, the stage that decides a tree, and
the part a fired part rule decided.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterator, Optional

from ._regions import STATUS_BY_SUFFIX, Regions, _rule

if TYPE_CHECKING:
    from ._compile import Node


def part_rules(regions_of: Callable[[Node], Regions], tree: Node) -> dict[str, dict]:
    """The rules deciding each part of every ``at_least`` node of a criterion's tree:
    ``a<slot>_<q>.<p|f|u>.<j>``, over the fact of the stage before the node's."""
    out: dict[str, dict] = {}
    for node in _at_least_nodes(tree):
        kind = stage_kind(node.level - 1)
        for q, part in enumerate(node.children):
            regions = regions_of(part)
            out.update({f"a{node.slot}_{q}.{suffix}.{j}": _rule({"k": kind}, *conjunction)
                        for suffix, region in (("p", regions.p), ("f", regions.f), ("u", regions.u))
                        for j, conjunction in enumerate(region)})
    return out


def _level(node: Node) -> int:
    """The stage that decides a tree: the deepest at_least level in it (0: none, the evidence fact)."""
    return max([node.level] + [_level(ch) for ch in node.children])


def _at_least_nodes(node: Node) -> Iterator[Node]:
    if node.form == "at_least":
        yield node
    for child in node.children:
        yield from _at_least_nodes(child)


def at_least_nodes(node: Node) -> list[Node]:
    """The at_least nodes of a compiled tree, in pre-order."""
    return list(_at_least_nodes(node))


def stage_of(node: Node) -> int:
    """The stage whose fact decides a criterion's tree (0: the evidence fact)."""
    return _level(node)


def stage_kind(stage: int) -> str:
    """The fact kind (``k``) of a stage: ``e`` for the evidence fact, ``e1``, ``e2``… after it."""
    return "e" if stage == 0 else f"e{stage}"


@lru_cache(maxsize=1 << 16)  # a ladder's rule names are few; every packet reads a dozen of them twice
def part_index(rule_name: str) -> Optional[tuple[str, int, str]]:
    """``"a3_0_2.p.1"`` → ``("3_0", 2, "pass")``: the at_least node, its part and the status decided;
    None for any other rule."""
    if not rule_name.startswith("a"):
        return None
    head, suffix, _ = rule_name.split(".")
    slot, _, q = head[1:].rpartition("_")
    return slot, int(q), STATUS_BY_SUFFIX[suffix]
