"""Fisher's exact test for a 2×2 table, two-sided, computed exactly from the hypergeometric distribution.

The two-sided p-value is the probability, with every margin fixed, of a table at most as likely as the
one observed (the definition R's ``fisher.test`` and SciPy's ``fisher_exact`` use, with the same
relative tolerance of 1e-7 for ties). Terms are walked outward from the mode in log space with the
ratio of successive hypergeometric probabilities, so no factorial is ever formed and the cost grows
with the spread of the distribution (about its standard deviation), not with the number of people.
"""

from __future__ import annotations

import math

#: Probabilities within this relative distance of the observed one count as "at most as likely" (R, SciPy).
_TIES = 1e-7
#: A term this many e-folds below both the observed term and the mode adds nothing a float can hold.
_NEGLIGIBLE = 40.0


def _log_ratio(x: int, n1: int, n2: int, k: int) -> float:
    """log P(x+1) - log P(x) for the hypergeometric count of successes in row 1."""
    return math.log((n1 - x) * (k - x)) - math.log((x + 1) * (n2 - k + x + 1))


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test for the table ``[[a, b], [c, d]]``.

    Rows are the two groups (here: a group and everyone else), columns the two outcomes (ready, not).
    """
    if min(a, b, c, d) < 0:
        raise ValueError("a 2×2 table holds counts, not negative numbers")
    n1, n2, k = a + b, c + d, a + c
    low, high = max(0, k - n2), min(k, n1)
    if low == high:
        return 1.0
    # The mode of the hypergeometric distribution.
    mode = min(high, max(low, (n1 + 1) * (k + 1) // (n1 + n2 + 2)))
    # log P(x) - log P(mode) for every x walked, computed outward from the mode.
    logs: dict[int, float] = {mode: 0.0}
    log_obs = _relative(a, mode, n1, n2, k)
    floor = min(log_obs, 0.0) - _NEGLIGIBLE
    x, value = mode, 0.0
    while x < high:
        value += _log_ratio(x, n1, n2, k)
        x += 1
        logs[x] = value
        if value < floor:
            break
    x, value = mode, 0.0
    while x > low:
        value -= _log_ratio(x - 1, n1, n2, k)
        x -= 1
        logs[x] = value
        if value < floor:
            break
    total = math.fsum(math.exp(v) for v in logs.values())
    cut = log_obs + math.log1p(_TIES)
    tail = math.fsum(math.exp(v) for v in logs.values() if v <= cut)
    return min(1.0, tail / total)


def _relative(x: int, mode: int, n1: int, n2: int, k: int) -> float:
    """log P(x) - log P(mode), by the closed form (a walk would cost as much as the distance)."""
    def log_p(y: int) -> float:
        return (_lchoose(n1, y) + _lchoose(n2, k - y))
    return log_p(x) - log_p(mode)


def _lchoose(n: int, r: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(n - r + 1)
