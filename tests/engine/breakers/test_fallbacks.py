"""Fallbacks: a denied call names a fallback only when the policies allow that fallback now,
for the same arguments; fallbacks of fallbacks are never looked for; the adapters tell the
model what to use instead and when to try again."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import railguard
from railguard.engine.guard import Guard
from railguard.engine.verdict import Verdict
from railguard.integrations import anthropic, mcp, openai

POLICY = """
policy db {
  default deny
  allow call run_sql, run_sql_replica, search_cache

  rule no_writes:
    deny call run_sql
      when args.query matches /(?i)^\\s*(insert|update|delete)/
      fallback run_sql_replica, search_cache, not_allowed
      message "run_sql is read-only here"

  rule replica_small:
    deny call run_sql_replica when len(args.query) > 40 message "the replica takes short queries"

  rule cache_needs_key:
    deny call search_cache unless args.key fallback run_sql message "the cache needs a key"

  breaker run_sql_replica: open after 1 failure within "60s" for "30s" fallback run_sql
}
"""
CALL = {"kind": "call", "tool": "run_sql", "session": "s-1"}


def test_only_fallbacks_allowed_for_the_same_arguments(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY)
    short = guard.evaluate({**CALL, "args": {"query": "insert x", "key": "k"}})
    assert short.denied
    assert short.fallback == ("run_sql_replica", "search_cache")  # never `not_allowed`
    no_key = guard.evaluate({**CALL, "args": {"query": "insert x"}})
    assert no_key.fallback == ("run_sql_replica",)  # the cache would deny these arguments
    long = guard.evaluate({**CALL, "args": {"query": "insert " + "x" * 50}})
    assert long.fallback == ()  # the replica would deny them too
    assert "fallback" not in long.to_dict()


def test_a_fallback_whose_breaker_is_open_is_not_offered(
    make_guard: Callable[..., Guard],
) -> None:
    guard = make_guard(POLICY)
    guard.evaluate(
        {"kind": "result", "tool": "run_sql_replica", "content": "", "error": {"kind": "timeout"}}
    )
    verdict = guard.evaluate({**CALL, "args": {"query": "insert x"}})
    assert verdict.fallback == ()
    # and the open breaker offers run_sql back only when run_sql allows the arguments
    replica = guard.evaluate({**CALL, "tool": "run_sql_replica", "args": {"query": "select 1"}})
    assert replica.denied and replica.fallback == ("run_sql",)
    writes = guard.evaluate({**CALL, "tool": "run_sql_replica", "args": {"query": "insert 1"}})
    assert writes.denied and writes.fallback == ()


def test_fallbacks_do_not_recurse_or_record(make_guard: Callable[..., Guard]) -> None:
    # run_sql falls back to search_cache, which falls back to run_sql: no loop, and evaluating
    # a fallback uses up no rate limit
    guard = make_guard(
        POLICY.replace(
            "breaker run_sql_replica",
            'rule cache_rate:\n    deny call search_cache when session.count("search_cache", within: "1m") >= 1'
            ' message "one a minute"\n  breaker run_sql_replica',
        )
    )
    for _ in range(3):
        verdict = guard.evaluate({**CALL, "args": {"query": "insert " + "x" * 50, "key": "k"}})
        assert verdict.fallback == ("search_cache",)
    cache = {"kind": "call", "tool": "search_cache", "args": {"query": "q"}, "session": "s-1"}
    denied = guard.evaluate(cache)
    assert denied.denied and denied.fallback == ("run_sql",)


def test_verdict_json_and_sidecar_shape_carry_fallback(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY)
    verdict = guard.evaluate({**CALL, "args": {"query": "insert x", "key": "k"}})
    data = json.loads(verdict.to_json())
    assert data["fallback"] == ["run_sql_replica", "search_cache"]
    assert Verdict.from_dict(data).fallback == ("run_sql_replica", "search_cache")
    from railguard.engine.openapi import document

    schema = document(max_batch=10, authenticated=False)["components"]["schemas"]["Verdict"]
    assert schema["properties"]["fallback"]["type"] == "array"
    assert "fallback" not in schema["required"]


def _breaker_open(guard: Guard) -> None:
    guard.evaluate(
        {"kind": "result", "tool": "run_sql_replica", "content": "", "error": {"kind": "timeout"}}
    )


def test_adapters_tell_the_model_what_to_use_and_when(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY)
    _breaker_open(guard)
    args = {"query": "select 1"}
    call: dict[str, Any] = {
        "id": "c1",
        "type": "function",
        "function": {"name": "run_sql_replica", "arguments": json.dumps(args)},
    }
    (checked,) = openai.check_tool_calls(guard, {"tool_calls": [call]}, session="s-1")
    text = checked.reply["content"]
    assert "run_sql_replica is unavailable; use run_sql" in text
    assert "try again in 30 s" in text
    use = {"type": "tool_use", "id": "u1", "name": "run_sql_replica", "input": args}
    block = anthropic.check_tool_use(guard, use, session="s-1").reply
    assert "use run_sql" in block["content"] and block["is_error"] is True
    request = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "run_sql_replica", "arguments": args},
    }
    reply = mcp.check_request(guard, request, session="s-1").reply
    assert "try again in 30 s" in reply["result"]["content"][0]["text"]


def test_rate_limit_denials_say_when_to_retry() -> None:
    guard = railguard.loads(
        """
policy storm {
  rule retry_storm:
    deny call * when session.repeats(within: "1m") >= 2 message "{tool} is being retried in a loop"
}
"""
    )
    call = {"kind": "call", "tool": "fetch", "args": {"u": 1}, "session": "s"}
    for _ in range(2):
        guard.evaluate(call)
    use = {"type": "tool_use", "id": "u1", "name": "fetch", "input": {"u": 1}}
    block = anthropic.check_tool_use(guard, use, session="s").reply
    assert "try again in 60 s" in block["content"]
