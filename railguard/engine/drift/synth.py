"""Synthetic decision logs for the tests, the benchmark and demos of `railguard drift`.

`write_log(path, model=..., events=..., seed=...)` writes records in the decision log's
format (not hash-chained: drift does not need the chain) drawn from a fixed agent profile:
event kinds, tools, rules that deny, escalate, warn and redact, schema, PII and injection
findings, failed checks and output lengths. `rates` overrides the match rate of named rules
(of all events), which is how a test moves one rule between two models.

    python -m railguard.engine.drift.synth OUT.jsonl --model m1 --events 2000 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

KINDS = (("call", 0.6), ("output", 0.2), ("input", 0.1), ("result", 0.1))
TOOLS = (("search_invoices", 0.4), ("get_invoice", 0.3), ("run_sql", 0.2), ("send_email", 0.1))
DIGEST = "sha256:" + "5" * 64

# rule id -> (effect, kind, tool or None, rate of all events, what its violation carries)
RULES: dict[str, tuple[str, str, str | None, float, str | None]] = {
    "finance.read_only_sql": ("deny", "call", "run_sql", 0.02, None),
    "finance.sql_parse": ("deny", "call", "run_sql", 0.004, "error"),
    "finance.invoice_args": ("deny", "call", "get_invoice", 0.012, "schema"),
    "finance.outside_mail": ("escalate", "call", "send_email", 0.015, None),
    "finance.output_format": ("warn", "output", None, 0.01, "schema"),
    "finance.pii_out": ("warn", "output", None, 0.02, "pii"),
    "finance.web_injection": ("warn", "result", None, 0.006, "injection"),
}
REDACT_RATE = 0.03  # of all events: outputs with a redaction


def _share(kind: str, tool: str | None) -> float:
    share = dict(KINDS)[kind]
    return share * dict(TOOLS)[tool] if tool else share


def _violation(rule: str, effect: str, carries: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": rule,
        "policy": "finance",
        "effect": effect,
        "message": f"{rule} matched",
        "location": "finance.rail:1:1",
    }
    if carries == "error":
        out["error"] = "the query could not be parsed"
    elif carries == "schema":
        out["details"] = {"schema": [{"pointer": "/x", "keyword": "type", "message": "bad"}]}
    elif carries == "pii":
        out["details"] = {"pii": [{"entity": "EMAIL_ADDRESS", "start": 0, "end": 5, "score": 0.9}]}
    elif carries == "injection":
        out["details"] = {
            "injection": [{"kind": "instruction", "start": 0, "end": 9}],
            "score": 0.9,
        }
    return out


def write_records(
    out: TextIO,
    model: str | None,
    events: int,
    seed: int,
    rates: Mapping[str, float] | None = None,
    start: float = 1_793_836_800.0,  # 2026-11-05T00:00:00Z
    step: float = 1.0,
    model_at_top: bool = True,
    length_mu: float = 5.0,
) -> None:
    """Write `events` records to an open text file."""
    rng = random.Random(seed)
    chances = {
        rule: (effect, kind, tool, (rates or {}).get(rule, rate) / _share(kind, tool), carries)
        for rule, (effect, kind, tool, rate, carries) in RULES.items()
    }
    kinds, kind_weights = [k for k, _ in KINDS], [w for _, w in KINDS]
    tools, tool_weights = [t for t, _ in TOOLS], [w for _, w in TOOLS]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    context = {"model": model} if model is not None else {}
    redact_chance = REDACT_RATE / _share("output", None)
    for i in range(events):
        kind = rng.choices(kinds, kind_weights)[0]
        tool = rng.choices(tools, tool_weights)[0] if kind in ("call", "result") else None
        violations: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        for rule, (effect, rkind, rtool, chance, carries) in chances.items():
            if rkind == kind and (rtool is None or rtool == tool) and rng.random() < chance:
                (warnings if effect == "warn" else violations).append(
                    _violation(rule, effect, carries)
                )
        effects = {v["effect"] for v in violations}
        decision = "deny" if "deny" in effects else "escalate" if "escalate" in effects else "allow"
        ts = start + i * step
        payload: dict[str, Any] = {"kind": kind, "session": f"s-{i % 97}", "context": context}
        if kind == "call":
            payload["tool"] = tool
            payload["args"] = {"query": f"q{i}"}
        elif kind == "result":
            payload["tool"] = tool
            payload["content"] = f"result {i}"
        else:
            length = int(rng.lognormvariate(length_mu, 0.6)) if kind == "output" else 20
            payload["content"] = "x" * length
        record: dict[str, Any] = {
            "id": f"synth-{seed}-{i:010d}",
            "time": dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="microseconds"),
            "ts": ts,
            "policy_digest": DIGEST,
            "policy_version": "finance=1.4",
            "kind": kind,
            "tool": tool,
            "session": payload["session"],
            "decision": decision,
            "rules": [v["rule"] for v in violations],
            "violations": violations,
            "warnings": warnings,
            "elapsed_us": 40.0,
            "payload": payload,
        }
        if model is not None and model_at_top:
            record["model"] = model
        if kind == "output" and rng.random() < redact_chance:
            record["redactions"] = [
                {
                    "rule": "finance.mask",
                    "path": "content",
                    "start": 0,
                    "end": 4,
                    "replacement": "<EMAIL>",
                }
            ]
        out.write(encode(record))
        out.write("\n")


def write_log(path: str | Path, model: str | None, events: int, seed: int, **options: Any) -> Path:
    """Write a synthetic log at `path` (see `write_records` for the options); returns it."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as out:
        write_records(out, model, events, seed, **options)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", default="model-a")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", action="append", default=[], metavar="RULE=RATE")
    args = parser.parse_args()
    rates = {k: float(v) for k, _, v in (r.partition("=") for r in args.rate)}
    write_log(args.out, args.model, args.events, args.seed, rates=rates)


if __name__ == "__main__":
    main()
