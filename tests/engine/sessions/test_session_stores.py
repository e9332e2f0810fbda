"""The store contract, the same for both stores: versioned compare-and-set, expiry of idle
sessions, bounded history, and the URLs that choose a store."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from railguard.engine.session_state import NO_COST, Call, SessionState, Settings, record
from railguard.engine.stores import MemoryStore, SessionStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[SessionStore]:
    s = open_store(store_url)
    yield s
    s.close()


def state(*tools: str) -> SessionState:
    return SessionState(calls=tuple(Call(float(i), t, "f") for i, t in enumerate(tools)))


def test_an_unknown_session_is_empty_at_version_0(store: SessionStore) -> None:
    assert store.load("0::nobody") == (0, None)


def test_save_then_load(store: SessionStore) -> None:
    assert store.save("0::s", 0, state("a"))
    version, loaded = store.load("0::s")
    assert version == 1
    assert loaded == state("a")


def test_a_stale_version_is_refused_and_changes_nothing(store: SessionStore) -> None:
    assert store.save("0::s", 0, state("a"))
    assert not store.save("0::s", 0, state("b"))  # someone saved since version 0
    assert store.save("0::s", 1, state("a", "b"))
    assert not store.save("0::s", 1, state("x"))
    assert store.load("0::s") == (2, state("a", "b"))


def test_sessions_are_separate(store: SessionStore) -> None:
    assert store.save("0::s1", 0, state("a"))
    assert store.save("0::s2", 0, state("b"))
    assert store.save("5:acme:s1", 0, state("c"))
    assert store.load("0::s1")[1] == state("a")
    assert store.load("5:acme:s1")[1] == state("c")


def test_state_round_trips_labels_cost_and_unicode(store: SessionStore) -> None:
    full = SessionState(
        calls=(Call(1.5, "n\u00e4me", "ab12"),),
        usd=0.25,
        tokens=1200.0,
        labels=("untrusted", "pii"),
    )
    assert store.save("0::s", 0, full)
    assert store.load("0::s")[1] == full


def test_idle_sessions_expire(store_url: str) -> None:
    now = [1000.0]
    store = open_store(store_url + ("&" if "?" in store_url else "?") + "ttl=1")
    store.clock = lambda: now[0]
    try:
        assert store.save("0::s", 0, state("a"))
        if isinstance(store, MemoryStore):
            now[0] += 1.5
        else:
            time.sleep(1.2)  # Redis expires keys on its own clock
        assert store.load("0::s") == (0, None)
        assert store.save("0::s", 0, state("b"))  # an expired session starts over at version 0
    finally:
        store.close()


def test_record_keeps_the_newest_calls_within_the_ttl() -> None:
    settings = Settings(ttl_s=100, max_calls=3)
    s = SessionState()
    for t in range(6):
        s = record(s, float(t), settings, Call(float(t), "x", "f"), NO_COST, ())
    assert [c.at for c in s.calls] == [3.0, 4.0, 5.0]
    s = record(s, 104.5, settings, None, NO_COST, ("a",))
    assert [c.at for c in s.calls] == [5.0]
    assert s.labels == ("a",)


def test_the_memory_store_is_bounded() -> None:
    store = MemoryStore(max_sessions=3)
    for i in range(5):
        assert store.save(f"0::s{i}", 0, state("a"))
    assert len(store) == 3
    assert store.load("0::s0") == (0, None)  # the least recently saved went first
    assert store.load("0::s4")[0] == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgres://db", "unknown session store `postgres`"),
        ("memory://?ttl=abc", "`ttl` in the session store URL must be a number"),
        ("memory://?ttl=0", "`ttl` in the session store URL must be more than 0"),
        ("memory://?colour=red", "unknown setting `colour`"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        open_store(url)


def test_url_settings_reach_the_store() -> None:
    store = open_store("memory://?ttl=60&max_calls=10&max_sessions=5")
    assert isinstance(store, MemoryStore)
    assert store.settings == Settings(ttl_s=60, max_calls=10)
    assert store.max_sessions == 5
