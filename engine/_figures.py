"""The figures a transition's rules read: its measures, and the figures the compiler derives besides
them (how many items of a list are a word, a keyed threshold's key field, an ``at_least`` node's
counts), each of which gets an engine key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from promoready.schemas.ladder import CONTAINS_OPS, AtLeast, Condition, Leaf as Comparison

from ._levels import same_word

if TYPE_CHECKING:
    from ._compile import Leaf, Node


#: Names of the figures the compiler derives besides the ladder's measures (a word of a list, a
#: threshold's key field, an ``at_least`` node's counts). A measure name is ``[a-z][a-z0-9_]*``, so
#: none of these, which start with a NUL, can be one.
_DERIVED = "\0"


def word_figure(measure: str, word: str) -> str:
    """The derived figure "how many items of list measure ``measure`` are ``word``"."""
    return f"{_DERIVED}has{_DERIVED}{measure}{_DERIVED}{word}"


def key_figure(path: str) -> str:
    """The derived figure holding the value of the packet field a ``by:`` threshold is keyed by."""
    return f"{_DERIVED}by{_DERIVED}{path}"


def upper_figure(measure: str) -> str:
    """The derived figure holding the high end of a count that knows a range (``_ranges``)."""
    return f"{_DERIVED}hi{_DERIVED}{measure}"


def whole_figure(measure: str) -> str:
    """The derived figure reading a measure as a count compares with it by eq/ne (``_ranges.whole``):
    the low end; ``whole_high_figure`` the high end."""
    return f"{_DERIVED}whole{_DERIVED}{measure}"


def whole_high_figure(measure: str) -> str:
    """The high end of ``whole_figure``."""
    return f"{_DERIVED}whole-hi{_DERIVED}{measure}"


def count_figures(slot: str) -> tuple[str, str]:
    """The derived figures of an ``at_least`` node: its parts passed, and passed or unknown."""
    return f"{_DERIVED}p{_DERIVED}{slot}", f"{_DERIVED}pu{_DERIVED}{slot}"


def is_derived(name: str) -> bool:
    """Whether a figure name is one the compiler derived (not a measure of the ladder)."""
    return name.startswith(_DERIVED)


def _comparisons_in(c: Condition) -> Iterator[Comparison]:
    if isinstance(c, Comparison):
        yield c
    for part in c.children:
        yield from _comparisons_in(part)


def _names_in(c: Condition) -> Iterator[str]:
    if isinstance(c, Comparison):
        yield c.measure
        if isinstance(c.operand, dict) and set(c.operand) == {"measure"}:
            yield c.operand["measure"]
    for part in c.children:
        yield from _names_in(part)


def _derived_in(c: Condition, i: int, slots: list[int]) -> Iterator[str]:
    """The derived figures of criterion ``i``'s condition, at_least nodes numbered in pre-order as
    ``Compiler.node`` numbers them."""
    if isinstance(c, AtLeast):
        yield from count_figures(f"{i}_{slots[0]}")
        slots[0] += 1
    if isinstance(c, Comparison):
        raw = c.operand
        if c.op in CONTAINS_OPS:
            yield from (word_figure(c.measure, same_word(w)) for w in ([raw] if c.op == "contains" else raw))
        elif isinstance(raw, dict) and isinstance(raw.get("by"), dict):
            yield key_figure(raw["by"]["field"])
    for part in c.children:
        yield from _derived_in(part, i, slots)


def _measures_of(node: Node) -> Iterator[str]:
    if node.leaf is not None:
        yield node.leaf.measure
        if node.leaf.other is not None:
            yield node.leaf.other
    for child in node.children:
        yield from _measures_of(child)


def figures_of(node: Node) -> Iterator[str]:
    """Every figure the rules of a compiled tree read: measures (a list of words only through its
    words), the high ends of ranges, keys of keyed thresholds, and at_least counts."""
    if node.leaf is not None:
        leaf = node.leaf
        if leaf.words:
            yield from (word_figure(leaf.measure, w) for w in leaf.words)
        else:
            yield leaf.measure
        if leaf.other is not None:
            yield leaf.other
        yield from (f for f in (leaf.upper, leaf.other_upper) if f is not None)
        if leaf.whole is not None:
            yield from (whole_figure(leaf.whole), whole_high_figure(leaf.whole))
        if leaf.keyed is not None:
            yield leaf.keyed.figure
    if node.form == "at_least":
        yield from count_figures(node.slot)
    for child in node.children:
        yield from figures_of(child)


def uses_org_size(tree: Node) -> bool:
    """Whether any comparison in the tree has an organisation-dependent threshold."""
    if tree.leaf is not None:
        return tree.leaf.by_size is not None
    return any(uses_org_size(ch) for ch in tree.children)


def _leaves(node: Node) -> Iterator["Leaf"]:
    if node.leaf is not None:
        yield node.leaf
    for child in node.children:
        yield from _leaves(child)


def word_leaves(node: Node) -> list["Leaf"]:
    """The ``contains`` comparisons of a compiled tree."""
    return [leaf for leaf in _leaves(node) if leaf.words]


def keyed_leaves(node: Node) -> list["Leaf"]:
    """The comparisons of a compiled tree with a threshold keyed by a packet field (``by:``)."""
    return [leaf for leaf in _leaves(node) if leaf.keyed is not None]
