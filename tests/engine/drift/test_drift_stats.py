"""The statistics of `railguard drift` against published values and brute force."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from railguard.engine.drift import stats


def _fisher_brute(x1: int, n1: int, x2: int, n2: int) -> float:
    """The definition, in exact rational arithmetic: the probability of every table with
    the same margins that is no likelier than the one observed."""
    total, hits = n1 + n2, x1 + x2
    lo, hi = max(0, n1 - (total - hits)), min(hits, n1)
    denom = math.comb(total, n1)
    pmf = {
        k: Fraction(math.comb(hits, k) * math.comb(total - hits, n1 - k), denom)
        for k in range(lo, hi + 1)
    }
    observed = pmf[x1]
    return float(sum(p for p in pmf.values() if p <= observed * Fraction(10_000_001, 10_000_000)))


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (((6, 2), (1, 4)), 0.10256410256410257),  # scipy.stats.fisher_exact's documentation
        (((8, 2), (1, 5)), 0.034965034965034975),  # scipy's earlier documentation
        (((3, 1), (1, 3)), 0.48571428571428565),  # Fisher's tea-tasting experiment
        (((1, 9), (11, 3)), 0.0027594561852200836),  # R's fisher.test on the same margins
        (((0, 10), (0, 10)), 1.0),
    ],
)
def test_fisher_exact_published(
    table: tuple[tuple[int, int], tuple[int, int]], expected: float
) -> None:
    (a, b), (c, d) = table
    assert stats.fisher_exact(a, a + b, c, c + d) == pytest.approx(expected, rel=1e-9)


def test_fisher_exact_matches_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n1, n2 = rng.randint(1, 60), rng.randint(1, 60)
        x1, x2 = rng.randint(0, n1), rng.randint(0, n2)
        assert stats.fisher_exact(x1, n1, x2, n2) == pytest.approx(
            _fisher_brute(x1, n1, x2, n2), rel=1e-9, abs=1e-300
        ), (x1, n1, x2, n2)


def test_fisher_exact_is_symmetric_and_large_tables_agree_with_the_normal_test() -> None:
    assert stats.fisher_exact(3, 40, 12, 45) == pytest.approx(stats.fisher_exact(12, 45, 3, 40))
    # 500k events a side: the two-proportion z-test (z = 2) is the right order; quick anyway.
    p = stats.fisher_exact(250_000, 500_000, 251_000, 500_000)
    assert p == pytest.approx(math.erfc(2 / math.sqrt(2)), rel=0.01)
    assert stats.fisher_exact(10, 1_000_000, 200, 1_000_000) < 1e-30


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", method 3.
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_published(x: int, n: int, low: float, high: float) -> None:
    got = stats.wilson(x, n)
    assert got == pytest.approx((low, high), abs=6e-5)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", method 10, examples (a)-(f): the interval of x1/n1 - x2/n2.
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
    ],
)
def test_newcombe_published(x1: int, n1: int, x2: int, n2: int, low: float, high: float) -> None:
    # newcombe() is candidate minus baseline: pass the paper's second group as the baseline.
    assert stats.newcombe(x2, n2, x1, n1) == pytest.approx((low, high), abs=6e-5)


@pytest.mark.parametrize(
    ("t", "df", "p"),
    # two-sided critical values of Student's t from the standard tables
    [
        (2.228139, 10, 0.05),
        (2.570582, 5, 0.05),
        (2.845340, 20, 0.01),
        (1.959964, math.inf, 0.05),
        (12.706205, 1, 0.05),
    ],
)
def test_student_t_tables(t: float, df: float, p: float) -> None:
    assert stats.t_two_sided(t, df) == pytest.approx(p, rel=1e-5)
    if math.isfinite(df):
        assert stats.t_quantile(1 - p / 2, df) == pytest.approx(t, rel=1e-5)


def test_betainc_known_values() -> None:
    assert stats.betainc(1, 1, 0.3) == pytest.approx(0.3)
    assert stats.betainc(2, 3, 0.4) == pytest.approx(0.5248, rel=1e-9)  # 1 - (1-x)^3 (1+3x)
    assert stats.betainc(0.5, 0.5, 0.5) == pytest.approx(0.5)


def test_welch_by_hand() -> None:
    # Two samples whose means and variances are known: the formula, written out.
    a = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0]
    b = [
        28.2,
        26.6,
        20.1,
        23.3,
        25.2,
        22.1,
        17.7,
        27.6,
        20.6,
        13.7,
        23.2,
        17.5,
        20.6,
        18.0,
        23.9,
        21.6,
        24.3,
        20.4,
        23.9,
        13.3,
    ]

    def mv(xs: list[float]) -> tuple[float, float]:
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    (m1, v1), (m2, v2) = mv(a), mv(b)
    w = stats.welch(m1, v1, len(a), m2, v2, len(b))
    se = math.sqrt(v1 / len(a) + v2 / len(b))
    assert w.t == pytest.approx((m2 - m1) / se)
    s1, s2 = v1 / len(a), v2 / len(b)
    df = (s1 + s2) ** 2 / (s1**2 / (len(a) - 1) + s2**2 / (len(b) - 1))  # Welch-Satterthwaite
    assert w.df == pytest.approx(df)
    assert w.p == pytest.approx(stats.t_two_sided(w.t, df))
    assert w.high - w.diff == pytest.approx(stats.t_quantile(0.975, df) * se)
    # t = 2.23 on 24.5 degrees of freedom: between the tables' 0.05 and 0.02 columns
    assert 0.02 < w.p < 0.05
    assert w.low < w.diff < w.high


def test_benjamini_hochberg_paper_example() -> None:
    # Benjamini & Hochberg (1995), section 4: 15 p-values, q* = 0.05 rejects the first four.
    p = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    q = stats.benjamini_hochberg(p)
    assert [i for i, v in enumerate(q) if v <= 0.05] == [0, 1, 2, 3]
    assert q[:4] == pytest.approx([0.0015, 0.003, 0.0095, 0.035625])


def test_benjamini_hochberg_definition_and_order() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") == c(0.02, 0.04, 0.04, 0.02)
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02]
    )
    rng = random.Random(3)
    for _ in range(50):
        p = [rng.random() ** 3 for _ in range(rng.randint(1, 30))]
        m = len(p)
        ranked = sorted(p)
        expected = [
            min(1.0, min(ranked[j] * m / (j + 1) for j in range(m) if ranked[j] >= v)) for v in p
        ]
        assert stats.benjamini_hochberg(p) == pytest.approx(expected)
    assert stats.benjamini_hochberg([]) == []


def test_effect_sizes() -> None:
    assert stats.cohen_h(0.02, 0.09) == pytest.approx(
        2 * math.asin(0.3) - 2 * math.asin(math.sqrt(0.02))
    )
    assert stats.cohen_h(0.5, 0.5) == 0
    assert stats.cohen_d(10, 4, 50, 12, 4, 50) == pytest.approx(1.0)
