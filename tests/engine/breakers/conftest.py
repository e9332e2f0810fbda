"""Breaker tests run once with the in-memory store and once with a real `redis-server`, on
an injected clock (`clock.now`, seconds): no test sleeps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import railguard
from railguard.engine.breakers.metrics import METRICS
from railguard.engine.guard import Guard
from railguard.engine.stores import open_store

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_guard(store_url: str, clock: Clock) -> Callable[..., Guard]:
    """`make_guard(policy_text, **load_options)`: the policy on the test's store and clock."""

    def make(text: str, **options: object) -> Guard:
        return railguard.loads(text, sessions=open_store(store_url, clock=clock), **options)  # type: ignore[arg-type]

    return make


@pytest.fixture(autouse=True)
def _fresh_metrics() -> None:
    METRICS.reset()
