"""`Approvals` on the in-memory store and on a real redis-server, with an injected clock:
binding, one use, expiry, and exactly one winner when many race for one approval."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from railguard.engine.approvals import ApprovalError, Approvals, MemoryApprovals
from railguard.engine.events import ToolCall
from railguard.engine.stores import open_store
from railguard.engine.verdict import ESCALATE, Verdict, Violation


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def approvals(request: pytest.FixtureRequest) -> Iterator[tuple[Approvals, Clock, list[Any]]]:
    clock = Clock()
    seen: list[Any] = []
    on_change = lambda action, record, extra: seen.append((action, record["id"], extra))  # noqa: E731
    if request.param == "memory":
        store = open_store("memory://")
    else:
        store = open_store(request.getfixturevalue("redis_url"))
    yield Approvals.from_store(store, ttl_s=60, clock=clock, on_change=on_change), clock, seen
    store.close()


def escalate(event: ToolCall) -> Verdict:
    v = Violation("p.r", "p", ESCALATE, "needs a human", "p.rail:1:1")
    return Verdict(ESCALATE, (v,), (), "sha256:x", 1.0, event.kind, event.tool)


def call(amount: int = 10, session: str = "s") -> ToolCall:
    return ToolCall(tool="pay", args={"amount": amount, "to": "x"}, session=session)


def test_binding_one_use_and_the_story(approvals: tuple[Approvals, Clock, list[Any]]) -> None:
    a, _clock, seen = approvals
    verdict = escalate(call())
    record = a.request(call(), verdict)
    assert record["status"] == "pending" and a.get(verdict.decision_id)["status"] == "pending"
    assert a.redeem(verdict.decision_id).decision == "escalate"
    assert a.redeem_matching(call(), "u0") is None  # not approved yet
    a.decide(verdict.decision_id, True, "ana", "ok")
    with pytest.raises(ApprovalError):
        a.decide(verdict.decision_id, False, "bo")
    assert a.redeem(verdict.decision_id, call(amount=11)).decision == "deny"
    assert a.redeem_matching(call(amount=11), "u1") is None
    assert a.redeem_matching(call(session="other"), "u2") is None
    # key order does not matter: canonical arguments
    same = ToolCall(tool="pay", args={"to": "x", "amount": 10}, session="s")
    assert a.redeem_matching(same, "u3") is not None
    assert a.redeem_matching(call(), "u4") is None
    assert a.redeem(verdict.decision_id).decision == "deny"
    assert [s[0] for s in seen] == ["requested", "approved", "use_refused", "used", "use_refused"]
    assert a.list(None)[0]["used_by"] == "u3"


def test_expiry(approvals: tuple[Approvals, Clock, list[Any]]) -> None:
    a, clock, seen = approvals
    first, second = escalate(call(1)), escalate(call(2))
    a.request(call(1), first)
    a.request(call(2), second)
    a.decide(second.decision_id, True, "ana")
    clock.now += 61
    assert a.expire_due() == 2
    assert a.expire_due() == 0
    assert a.redeem(first.decision_id).decision == "deny"
    assert a.redeem_matching(call(2), "u") is None
    with pytest.raises(ApprovalError) as exc:
        a.decide(first.decision_id, True, "ana")
    assert exc.value.code == "approval_expired"
    assert [s[0] for s in seen].count("expired") == 2


def test_approval_gets_a_fresh_window_for_its_use(
    approvals: tuple[Approvals, Clock, list[Any]],
) -> None:
    a, clock, _ = approvals
    v = escalate(call())
    a.request(call(), v)
    clock.now += 50
    a.decide(v.decision_id, True, "ana")
    clock.now += 50  # past the request's first expiry, within the approval's
    assert a.redeem(v.decision_id).decision == "allow"


def test_exactly_one_use_wins_a_race(approvals: tuple[Approvals, Clock, list[Any]]) -> None:
    a, _, _ = approvals
    v = escalate(call())
    a.request(call(), v)
    a.decide(v.decision_id, True, "ana")
    results: list[str] = []
    barrier = threading.Barrier(16)

    def use(i: int) -> None:
        barrier.wait()
        if i % 2:
            found = a.redeem_matching(call(), f"u{i}")
            results.append("allow" if found is not None else "none")
        else:
            results.append(a.redeem(v.decision_id).decision)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("allow") == 1


def test_memory_is_bounded() -> None:
    a = Approvals(MemoryApprovals(max_records=3))
    ids = []
    for i in range(5):
        v = escalate(call(i))
        a.request(call(i), v)
        ids.append(v.decision_id)
    assert [r["id"] for r in a.list(None)] == ids[::-1][:3]
