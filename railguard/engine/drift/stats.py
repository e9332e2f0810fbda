"""The statistics of `railguard drift`, in plain Python (no scipy).

- `fisher_exact(x1, n1, x2, n2)`: the two-sided p-value of Fisher's exact test on the 2x2
  table `[[x1, n1 - x1], [x2, n2 - x2]]`, the way scipy and R compute it (the sum of the
  probabilities of every table no likelier than the one observed, with a relative tolerance
  of 1e-7). It sums only the terms that matter, so a table of a million events costs a few
  thousand `lgamma` calls.
- `wilson(x, n)`: the Wilson score interval of one proportion.
- `newcombe(x1, n1, x2, n2)`: the Newcombe hybrid score interval (his method 10) of the
  difference `x2/n2 - x1/n1`, built from the two Wilson intervals.
- `welch(...)`: Welch's t-test and the confidence interval of a difference of means, from
  counts, means and variances (what a stream can keep), with Student's t from the
  regularized incomplete beta function.
- `benjamini_hochberg(pvalues)`: the adjusted p-values (q-values) that control the false
  discovery rate across every metric compared.
- `cohen_h`, `cohen_d`: the effect sizes that order the report.

`tests/engine/drift/test_drift_stats.py` checks each against published values and brute force.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal
_RELATIVE_TOLERANCE = 1 + 1e-7  # scipy's and R's: ties within rounding count as "as extreme"
_NEGLIGIBLE = 60.0  # stop summing a tail once its terms fall e^-60 below where it started


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test: x1 of n1 against x2 of n2."""
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("counts must satisfy 0 <= x <= n")
    total, hits = n1 + n2, x1 + x2
    lo, hi = max(0, n1 - (total - hits)), min(hits, n1)
    if lo == hi:
        return 1.0
    base = _log_comb(total, n1)

    def logpmf(k: int) -> float:
        return _log_comb(hits, k) + _log_comb(total - hits, n1 - k) - base

    threshold = logpmf(x1) + math.log(_RELATIVE_TOLERANCE)
    mode = min(max((n1 + 1) * (hits + 1) // (total + 2), lo), hi)
    if logpmf(mode) <= threshold:
        return 1.0
    # The pmf rises up to the mode and falls after it: the tables no likelier than the one
    # observed are [lo, left] and [right, hi]; find both edges by bisection.
    left = _last_below(logpmf, lo, mode, threshold)  # increasing on [lo, mode]
    right = _first_below(logpmf, mode, hi, threshold)  # decreasing on [mode, hi]
    terms: list[float] = []
    if left is not None:
        terms.extend(_tail(logpmf, left, lo, -1))
    if right is not None:
        terms.extend(_tail(logpmf, right, hi, 1))
    if not terms:
        return 0.0
    top = max(terms)
    p = math.exp(top) * math.fsum(math.exp(t - top) for t in terms)
    return min(1.0, p)


def _last_below(f: Callable[[int], float], lo: int, hi: int, threshold: float) -> int | None:
    """The largest k in [lo, hi) with f(k) <= threshold, f increasing there."""
    if f(lo) > threshold:
        return None
    a, b = lo, hi  # f(a) <= threshold < f(b)
    while b - a > 1:
        m = (a + b) // 2
        if f(m) <= threshold:
            a = m
        else:
            b = m
    return a


def _first_below(f: Callable[[int], float], lo: int, hi: int, threshold: float) -> int | None:
    """The smallest k in (lo, hi] with f(k) <= threshold, f decreasing there."""
    if f(hi) > threshold:
        return None
    a, b = lo, hi  # f(a) > threshold >= f(b)
    while b - a > 1:
        m = (a + b) // 2
        if f(m) <= threshold:
            b = m
        else:
            a = m
    return b


def _tail(f: Callable[[int], float], start: int, end: int, step: int) -> list[float]:
    """log-pmf terms from `start` outward to `end`, until they are negligible."""
    first = f(start)
    out = [first]
    k = start + step
    while (k <= end) if step > 0 else (k >= end):
        t = f(k)
        if t < first - _NEGLIGIBLE:
            break  # log-concave: every later term is smaller still, by a growing factor
        out.append(t)
        k += step
    return out


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of the proportion x/n (0..1 for n == 0)."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p2 - p1 (the candidate minus the baseline)."""
    p1 = x1 / n1 if n1 else 0.0
    p2 = x2 / n2 if n2 else 0.0
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p2 - p1
    lower = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return max(-1.0, lower), min(1.0, upper)


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's h of p2 against p1: the difference of the arcsine-transformed proportions."""
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def cohen_d(mean1: float, var1: float, n1: int, mean2: float, var2: float, n2: int) -> float:
    """Cohen's d of mean2 against mean1, with the pooled standard deviation."""
    if n1 + n2 <= 2:
        return 0.0
    pooled = ((n1 - 1) * var1 + (n2 - 1) * var2) / (n1 + n2 - 2)
    if pooled <= 0:
        return 0.0 if mean1 == mean2 else math.copysign(math.inf, mean2 - mean1)
    return (mean2 - mean1) / math.sqrt(pooled)


# --- Student's t ------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom (normal for df = inf)."""
    if math.isnan(t):
        return 1.0
    if math.isinf(df):
        return math.erfc(abs(t) / math.sqrt(2.0))
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t (p in (0.5, 1)), by bisection on `t_two_sided`."""
    target = 2 * (1 - p)
    lo, hi = 0.0, 1.0
    while t_two_sided(hi, df) > target:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_two_sided(mid, df) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2


@dataclass(frozen=True)
class Welch:
    t: float
    df: float
    p: float
    diff: float  # mean2 - mean1
    low: float
    high: float


def welch(mean1: float, var1: float, n1: int, mean2: float, var2: float, n2: int) -> Welch:
    """Welch's unequal-variance t-test of mean2 against mean1 (sample variances, ddof=1),
    with the 95% confidence interval of the difference."""
    diff = mean2 - mean1
    if n1 < 2 or n2 < 2:
        return Welch(math.nan, math.nan, 1.0, diff, -math.inf, math.inf)
    s1, s2 = var1 / n1, var2 / n2
    se2 = s1 + s2
    if se2 <= 0:
        p = 1.0 if diff == 0 else 0.0
        return Welch(math.copysign(math.inf, diff) if diff else 0.0, math.inf, p, diff, diff, diff)
    se = math.sqrt(se2)
    df = se2 * se2 / (s1 * s1 / (n1 - 1) + s2 * s2 / (n2 - 1))
    t = diff / se
    half = t_quantile(0.975, df) * se
    return Welch(t, df, t_two_sided(t, df), diff, diff - half, diff + half)


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the order given: q_i = min over the p-values
    at least as large as p_i of p_j * m / rank_j, capped at 1. Reject where q <= alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        out[i] = min(1.0, running)
    return out
