"""Replay a recorded agent conversation through each provider adapter: no model, no network.

    .venv/bin/python examples/agent_loop.py
    .venv/bin/python examples/agent_loop.py examples/conversation.json -p examples/agent -v

`examples/conversation.json` holds the same helpdesk session as OpenAI Chat Completions
assistant messages, Anthropic Messages responses and MCP `tools/call` requests, with what
each tool returned and what the human answered to each escalation. For every tool call the
loop does what an agent runtime would: check the call; run it (here: look up the recorded
output) when allowed, or when escalated and the human approved; check the result before the
model reads it; otherwise answer the model with the adapter's refusal in the provider's
own error shape. Each line shows the call id, the tool, the decision (`redacted` when a
rule rewrote the payload) and the reason; `-v` also prints each message handed back to
the model. Exit status 0, or 2 when the policy or the conversation cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import railguard
from railguard.integrations import CheckedCall, CheckedResult, anthropic, mcp, openai

HERE = Path(__file__).resolve().parent
Approvals = dict[str, bool]


def openai_turns(guard: railguard.Guard, data: dict[str, Any], session: str) -> Iterator[Any]:
    for message in data["turns"]:
        for call in openai.check_tool_calls(guard, message, session=session):
            yield call
            if ran(call, data["approvals"]):
                output = openai.tool_message(call.id, data["outputs"].get(call.id, ""))
                yield openai.check_tool_result(guard, output, tool=str(call.tool), session=session)


def anthropic_turns(guard: railguard.Guard, data: dict[str, Any], session: str) -> Iterator[Any]:
    for response in data["turns"]:
        for use in anthropic.check_tool_uses(guard, response, session=session):
            yield use
            if ran(use, data["approvals"]):
                block = anthropic.tool_result(use.id, data["outputs"].get(use.id, ""))
                yield anthropic.check_tool_result(guard, block, tool=str(use.tool), session=session)


def mcp_turns(guard: railguard.Guard, data: dict[str, Any], session: str) -> Iterator[Any]:
    for request in data["turns"]:
        call = mcp.check_request(guard, request, session=session)
        yield call
        if ran(call, data["approvals"]):
            response = data["outputs"][str(call.id)]  # what the server answered `call.forward`
            yield mcp.check_response(guard, response, tool=str(call.tool), session=session)


ADAPTERS: dict[str, Callable[[railguard.Guard, dict[str, Any], str], Iterator[Any]]] = {
    "openai": openai_turns,
    "anthropic": anthropic_turns,
    "mcp": mcp_turns,
}


def ran(call: CheckedCall, approvals: Approvals) -> bool:
    """Whether the tool runs: allowed, or escalated and approved by the (recorded) human."""
    return call.allowed or (call.verdict.escalated and approvals.get(str(call.id)) is True)


def decision(checked: CheckedCall | CheckedResult, approvals: Approvals) -> str:
    verdict = checked.verdict
    if verdict.escalated:
        key = str(checked.id) + ("/result" if isinstance(checked, CheckedResult) else "")
        return "escalate -> " + ("approved" if approvals.get(key) is True else "refused")
    return "redacted" if verdict.rewritten else verdict.decision


def reason(checked: CheckedCall | CheckedResult) -> str:
    verdict = checked.verdict
    parts = [f"{v.rule}: {v.message}" for v in verdict.violations]
    parts += sorted({f"{r.rule}: masked {r.path}" for r in verdict.redactions})
    return "; ".join(parts)


def handed_back(checked: CheckedCall | CheckedResult, approvals: Approvals) -> Any:
    """What the model receives for this step, in the provider's shape (None: the tool runs)."""
    if isinstance(checked, CheckedCall):
        return None if ran(checked, approvals) else checked.reply
    if checked.verdict.escalated and approvals.get(f"{checked.id}/result") is True:
        return checked.forward
    return checked.message


def replay(guard: railguard.Guard, conversation: dict[str, Any], verbose: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for provider, turns in ADAPTERS.items():
        data = conversation[provider]
        approvals: Approvals = data.get("approvals", {})
        print(provider)
        for checked in turns(guard, data, f"{provider}-session"):
            is_result = isinstance(checked, CheckedResult)
            label = "" if is_result else str(checked.id)
            tool = "  result" if is_result else str(checked.tool or "?")
            shown = decision(checked, approvals)
            counts[shown.split(" ")[0]] += 1
            line = f"  {label:<30} {tool:<16} {shown:<21} {reason(checked)}"
            print(line.rstrip())
            back = handed_back(checked, approvals)
            if verbose and back is not None:
                print(f"  {'':<30} -> model: {json.dumps(back, ensure_ascii=False)}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conversation", nargs="?", default=str(HERE / "conversation.json"))
    parser.add_argument("-p", "--policy", default=str(HERE / "agent"), help="policy file or folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="print what the model gets")
    args = parser.parse_args(argv)
    try:
        guard = railguard.load(args.policy)
        conversation = json.loads(Path(args.conversation).read_text(encoding="utf-8"))
    except (OSError, ValueError, railguard.PolicyError) as exc:
        print(f"agent_loop: {exc}", file=sys.stderr)
        return 2
    counts = replay(guard, conversation, args.verbose)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("allow", "redacted", "escalate", "deny"))
    print(f"{sum(counts.values())} checks: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
