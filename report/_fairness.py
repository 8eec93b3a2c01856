"""Adverse-impact arithmetic: selection rates per group, the four-fifths ratio, Fisher's exact test,
the shortfall, and the suppression of small groups.

Pure functions over counts. A *cell* is one group of one attribute within one transition: how many
people it holds (``n``) and how many of them had the outcome counted (``hits``: ready, or passed a
criterion). The method follows the Uniform Guidelines on Employee Selection Procedures, 29 CFR
1607.4.D (a selection rate under four-fifths of the highest group's rate is taken as evidence of
adverse impact), with Fisher's exact test of each group against everyone else beside it, and the
selection-rate and ratio-to-best ideas of Fairlearn's ``MetricFrame``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Mapping, Optional

from ._fisher import fisher_exact

#: Groups smaller than this are never shown, whatever ``--min-group`` asks.
SMALLEST_MIN_GROUP = 3
DEFAULT_MIN_GROUP = 5
#: Why a cell is hidden.
SMALL, COMPLEMENTARY = "small", "complementary"


@dataclass(frozen=True)
class Cell:
    """One group's figures in one table; every figure is None when the group is suppressed."""

    group: str
    n: Optional[int]
    hits: Optional[int]
    rate: Optional[float]
    #: This group's rate over the highest rate among the groups shown (None with no positive best).
    ratio: Optional[float]
    #: The ratio is under four-fifths.
    flag: bool
    #: Fisher's exact test, this group against everyone else in the table (two-sided).
    p_value: Optional[float]
    #: ``n`` times the rate of the whole table: what the group would have at the common rate.
    expected: Optional[float]
    #: ``expected - hits``: how many more the group would have at the common rate (negative: more than that).
    shortfall: Optional[float]
    #: None, ``"small"`` (under the minimum size) or ``"complementary"`` (hidden so the small one cannot
    #: be recovered by subtracting the shown groups from a total the page gives).
    suppressed: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return asdict(self)


def suppressed_groups(sizes: Mapping[str, int], min_group: int, also: Mapping[str, str] = MappingProxyType({})
                      ) -> dict[str, str]:
    """The groups to hide, each with its reason.

    A group under ``min_group`` is hidden. The table's total is on the page (the transition's count),
    so when exactly one group is hidden the reader could recover it by subtraction: the smallest
    group left (ties by name) is hidden with it. Two or more hidden groups only reveal their sum.
    """
    if min_group < SMALLEST_MIN_GROUP:
        raise ValueError(f"the minimum group size is at least {SMALLEST_MIN_GROUP}, got {min_group}")
    hidden = {g: SMALL for g, n in sizes.items() if 0 < n < min_group}
    hidden.update((g, why) for g, why in also.items() if sizes.get(g))
    shown = sorted((n, g) for g, n in sizes.items() if g not in hidden and n > 0)
    if len(hidden) == 1 and shown:
        hidden[shown[0][1]] = COMPLEMENTARY
    return hidden


def impact(counts: Mapping[str, tuple[int, int]], hidden: Mapping[str, str]) -> list[Cell]:
    """One table: ``counts`` maps each group to ``(n, hits)``; ``hidden`` is ``suppressed_groups``'s answer.

    Cells come in the order of ``counts``. The ratio compares each shown group with the shown group
    of the highest rate (hidden groups are not a reference: their rate would leak through the ratios).
    """
    total_n = sum(n for n, _ in counts.values())
    total_hits = sum(h for _, h in counts.values())
    common = total_hits / total_n if total_n else 0.0
    shown = [(h, n) for g, (n, h) in counts.items() if n and g not in hidden]
    # The best group as a fraction, so that the four-fifths test is exact (0.4 / 0.5 is not 0.8 in floats).
    best_hits, best_n = max(shown, key=lambda hn: (hn[0] / hn[1], hn[1]), default=(0, 1))
    comparable = len(shown) >= 2 and best_hits > 0
    cells = []
    for group, (n, hits) in counts.items():
        if group in hidden:
            cells.append(Cell(group, None, None, None, None, False, None, None, None, hidden[group]))
            continue
        if n == 0:
            continue
        rate = hits / n
        ratio = rate / (best_hits / best_n) if comparable else None
        flag = comparable and 5 * hits * best_n < 4 * best_hits * n  # rate / best < 4/5, in integers
        p = fisher_exact(hits, n - hits, total_hits - hits, (total_n - n) - (total_hits - hits))
        expected = n * common
        cells.append(Cell(group, n, hits, rate, ratio, flag, p, expected, expected - hits, None))
    return cells
