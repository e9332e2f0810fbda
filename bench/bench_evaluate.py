#!/usr/bin/env python3
"""Benchmark Railguard's ``Guard.evaluate()`` against Cedar, Rego and bare Python.

    python bench/bench_evaluate.py            # full run, table on stdout
    python bench/bench_evaluate.py --quick    # fewer rounds (CI smoke)
    python bench/bench_evaluate.py --json     # machine-readable results on stdout

What it does, in order:

1. builds every decider for the same scenario (tool allowlist plus a regex, a
   numeric range and a set membership on send_payment's arguments): Railguard from
   ``POLICY`` below, Cedar (cedarpy) and Rego (regorus) from ``baselines``, and a
   hand-written Python function (the floor). Peers that cannot be imported, and
   Railguard while it cannot be imported, are reported as "skipped: <reason>";
2. checks that all deciders agree on every scenario event (exit status 1 if not);
3. times warm ``evaluate`` (median and p99 per call) on one allowed and three
   denied events, with each peer's ratio to Railguard and everyone's to the floor;
4. times ``railguard.loads()`` of a generated 200-rule policy (cold compile: a
   fresh policy text every run; plus the first load in a fresh process);
5. prints PASS/FAIL per goal. The exit status does not depend on speed.

Requires the peers from ``pip install -e '.[bench]'``; stdlib otherwise.
"""

from __future__ import annotations

import argparse
import copy
import functools
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import baselines  # noqa: E402
import timing  # noqa: E402

# ---------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------

POLICY = """\
policy payments {
  default deny
  allow call search_invoices, get_invoice, send_payment, send_email

  rule reference_format:
    deny call send_payment unless args.reference matches /^INV-[0-9]{6}$/
      message "payment reference {args.reference} is not an invoice number"
  rule amount_range:
    deny call send_payment unless args.amount >= 1 and args.amount <= 10000
      message "amount {args.amount} is outside 1..10000"
  rule currency_allowed:
    deny call send_payment unless args.currency in {"USD", "EUR", "GBP"}
      message "currency {args.currency} is not allowed"
}
"""

GOAL_ALLOW_MEDIAN_US = 5.0
GOAL_COMPILE_MS = 200.0
COMPILE_RULES = 200


@dataclass(frozen=True)
class Case:
    key: str
    tool: str
    args: dict[str, Any]
    expected: str
    timed: bool = False
    # deciders known to decide differently, with their (documented) decision
    known_differences: dict[str, str] = field(default_factory=dict)

    @property
    def event(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": self.args}

    def describe(self) -> str:
        args = " ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.tool}({args})" if args else f"{self.tool}()"


def _payment(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"reference": "INV-004211", "amount": 250, "currency": "EUR"}
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


CASES: list[Case] = [
    # timed: one allow, three denies (one per kind of reason)
    Case("allow", "send_payment", _payment(), "allow", timed=True),
    Case("deny_amount", "send_payment", _payment(amount=50000), "deny", timed=True),
    Case("deny_currency", "send_payment", _payment(currency="BTC"), "deny", timed=True),
    Case("deny_tool", "drop_database", {}, "deny", timed=True),
    # agreement only: boundaries and edge cases
    Case("amount_min", "send_payment", _payment(amount=1), "allow"),
    Case("amount_max", "send_payment", _payment(amount=10000), "allow"),
    Case("amount_zero", "send_payment", _payment(amount=0), "deny"),
    Case("amount_over", "send_payment", _payment(amount=10001), "deny"),
    Case("currency_case", "send_payment", _payment(currency="usd"), "deny"),
    Case("ref_lowercase", "send_payment", _payment(reference="inv-004211"), "deny"),
    Case("ref_missing", "send_payment", _payment(reference=None), "deny"),
    # like "INV-*" is not the regex: Cedar accepts these two (note [1] in the report)
    Case(
        "ref_short",
        "send_payment",
        _payment(reference="INV-12345"),
        "deny",
        known_differences={"cedarpy": "allow"},
    ),
    Case(
        "ref_newline",  # RE2/Rust `$` does not match before a trailing newline
        "send_payment",
        _payment(reference="INV-004211\n"),
        "deny",
        known_differences={"cedarpy": "allow"},
    ),
    Case("other_tool", "get_invoice", {"id": "INV-004211"}, "allow"),
    Case("other_tool_no_args", "send_email", {}, "allow"),
]

# ---------------------------------------------------------------------------------------
# Generated 200-rule policy (for compile time)
# ---------------------------------------------------------------------------------------


def generate_policy(n_rules: int = COMPILE_RULES, *, name: str = "big", n_tools: int = 40) -> str:
    """A ``policy NAME { default deny ... }`` with allow lines and ``n_rules`` named rules.

    Rule shapes rotate through regex + numeric comparison, set membership,
    path prefix/suffix builtins, range/length builtins and substring escalation.
    """
    lines = [f"policy {name} {{", "  default deny", ""]
    for start in range(0, n_tools, 10):
        tools = ", ".join(f"tool_{t}" for t in range(start, min(start + 10, n_tools)))
        lines.append(f"  allow call {tools}")
    lines.append("")
    for i in range(n_rules):
        tool = f"tool_{i % n_tools}"
        shape = (i + i // n_tools) % 5  # each tool gets a mix of shapes
        lines.append(f"  rule r{i}:")
        if shape == 0:
            lines.append(
                f"    deny call {tool} when args.x{i % 7} matches /^v{i}[a-z]*$/ and args.n > {i}"
            )
            lines.append(f'      message "r{i} {{args.n}}"')
        elif shape == 1:
            lines.append(
                f'    deny call {tool} unless args.mode in {{"m{i}", "m{i + 1}", "shared"}}'
            )
            lines.append(f'      message "r{i}: mode {{args.mode}} is not allowed"')
        elif shape == 2:
            lines.append(
                f'    deny call {tool} when startswith(args.path, "/p{i}")'
                f' and not endswith(args.path, ".ro")'
            )
            lines.append(f'      message "r{i}: {{args.path}} is writable"')
        elif shape == 3:
            lines.append(
                f"    deny call {tool} unless between(args.n, min: 0, max: {1000 + i})"
                f" and len(args.note) <= {64 + i}"
            )
            lines.append(f'      message "r{i}: n={{args.n}} out of range"')
        else:
            lines.append(
                f'    escalate call {tool} when contains(args.note, "urgent-{i}")'
                f" or args.n >= {5000 + i}"
            )
            lines.append(f'      message "r{i} needs approval"')
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Deciders
# ---------------------------------------------------------------------------------------


@dataclass
class Decider:
    name: str
    role: str  # "subject", "peer", "variant" or "floor"
    peer: str | None = None  # which peer a variant belongs to
    api: str = ""
    skipped: str | None = None  # reason, when it could not be built
    decide: Callable[[Case], str] | None = None
    timed_fn: Callable[[Case], Callable[[], object]] | None = None


def _normalize_decision(decision: Any) -> str:
    return str(getattr(decision, "value", decision)).lower()


def build_railguard() -> tuple[Decider, Any]:
    d = Decider("railguard", "subject", api="railguard.loads(POLICY).evaluate(ToolCall(...))")
    try:
        railguard = importlib.import_module("railguard")
    except Exception as exc:  # the engine may be missing or half-written
        d.skipped = f"railguard not importable ({type(exc).__name__}: {exc})"
        return d, None
    missing = [n for n in ("loads", "ToolCall") if not hasattr(railguard, n)]
    if missing:
        d.skipped = f"railguard has no {', '.join(missing)} yet"
        return d, None
    try:
        guard = railguard.loads(POLICY)
    except Exception as exc:
        # not a skip: the engine is there but refuses the scenario policy
        raise SystemExit(
            f"error: railguard.loads() rejected the scenario policy: {type(exc).__name__}: {exc}"
        ) from exc

    calls = {c.key: railguard.ToolCall(tool=c.tool, args=copy.deepcopy(c.args)) for c in CASES}
    evaluate = guard.evaluate

    def decide(case: Case) -> str:
        return _normalize_decision(evaluate(calls[case.key]).decision)

    d.decide = decide
    d.timed_fn = lambda case: functools.partial(evaluate, calls[case.key])
    return d, railguard


def wrap_baseline(name: str, role: str, builder: Callable[[], Any], peer: str | None) -> Decider:
    d = Decider(name, role, peer=peer)
    try:
        fn = builder()
    except baselines.Unavailable as exc:
        d.skipped = str(exc)
        return d
    d.api = getattr(fn, "api", "")
    events = {c.key: copy.deepcopy(c.event) for c in CASES}
    d.decide = lambda case: fn(events[case.key])
    d.timed_fn = lambda case: functools.partial(fn, events[case.key])
    return d


def build_deciders() -> tuple[list[Decider], Any]:
    railguard_decider, railguard = build_railguard()
    deciders = [
        railguard_decider,
        wrap_baseline("cedarpy", "peer", baselines.cedar, "cedarpy"),
        wrap_baseline("cedarpy (raw _internal)", "variant", baselines.cedar_raw, "cedarpy"),
        wrap_baseline("regorus", "peer", baselines.rego, "regorus"),
        wrap_baseline("regorus (Engine)", "variant", baselines.rego_interpreter, "regorus"),
        wrap_baseline("python floor", "floor", baselines.python_floor, None),
    ]
    return deciders, railguard


def family(d: Decider) -> str:
    return d.peer or d.name


# ---------------------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------------------


def check_agreement(deciders: list[Decider]) -> dict[str, Any]:
    """Every decider's decision on every case, twice (forward, then reversed, so a
    decider that leaks state from one call into the next shows up)."""
    problems: list[str] = []
    known: list[str] = []
    live = [d for d in deciders if d.decide is not None]
    for order in (CASES, list(reversed(CASES))):
        for case in order:
            for d in live:
                try:
                    got = d.decide(case)  # type: ignore[misc]
                except Exception as exc:
                    problems.append(f"{d.name} raised on {case.key}: {type(exc).__name__}: {exc}")
                    continue
                want = case.known_differences.get(family(d), case.expected)
                if got != want:
                    problems.append(
                        f"{d.name} says {got} on {case.key} {case.describe()}, expected {want}"
                    )
                elif want != case.expected and order is CASES:
                    known.append(f"{d.name} says {got} on {case.key} {case.describe()}")
    return {
        "ok": not problems,
        "cases": len(CASES),
        "deciders": [d.name for d in live],
        "problems": sorted(set(problems)),
        "known_differences": known,
    }


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


def _noop(_event: object) -> None:
    return None


def time_evaluate(deciders: list[Decider], rounds: int, batch_us: float) -> dict[str, Any]:
    """Every (event, decider) cell, plus the harness' own call overhead, measured in one
    interleaved pool (see timing.measure_interleaved): a slow phase of the machine hits
    all cells alike instead of skewing one event's or one decider's numbers."""
    overhead = "(harness overhead)"
    fns: dict[tuple[str, str], Callable[[], object]] = {}
    for case in (c for c in CASES if c.timed):
        for d in deciders:
            if d.timed_fn is not None:
                fns[case.key, d.name] = d.timed_fn(case)
        fns[case.key, overhead] = functools.partial(_noop, case.event)
    stats = timing.measure_interleaved(fns, rounds=rounds, inner=None, target_batch_us=batch_us)
    results: dict[str, dict[str, Any]] = {}
    for (key, name), st in stats.items():
        results.setdefault(key, {})[name] = st.as_dict()
    overhead_us = statistics.median(per.pop(overhead)["median_us"] for per in results.values())
    return {"events": results, "harness_overhead_us": overhead_us}


def time_compile(railguard: Any, runs: int, fresh_process_runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"rules": COMPILE_RULES, "budget_ms": GOAL_COMPILE_MS}
    text = generate_policy()
    out["policy_chars"] = len(text)
    out["policy_lines"] = text.count("\n")
    if railguard is None:
        out["skipped"] = "railguard not available"
        return out
    # a different policy name per run, so no cache keyed on the text can help
    texts = iter([generate_policy(name=f"big_{k}") for k in range(runs + 2)])

    def compile_next() -> object:
        return railguard.loads(next(texts))

    try:
        stats = timing.measure(compile_next, rounds=runs, inner=1, warmup=1, disable_gc=False)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {_first_line(exc)}"
        return out
    out["in_process_ms"] = {
        "median": stats.median_us / 1000,
        "min": stats.min_us / 1000,
        "max": stats.max_us / 1000,
        "runs": runs,
    }
    out["fresh_process"] = _time_fresh_process(text, fresh_process_runs)
    return out


_FRESH_PROCESS_SNIPPET = textwrap.dedent(
    """
    import json, sys, time
    text = sys.stdin.read()
    t0 = time.perf_counter()
    import railguard
    t1 = time.perf_counter()
    railguard.loads(text)
    t2 = time.perf_counter()
    print(json.dumps({"import_ms": (t1 - t0) * 1e3, "first_load_ms": (t2 - t1) * 1e3}))
    """
)


def _time_fresh_process(text: str, runs: int) -> dict[str, Any]:
    """First ``loads()`` in a new interpreter: includes one-time costs such as building
    the parser, which the in-process median leaves out."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _FRESH_PROCESS_SNIPPET],
                input=text,
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": "timed out after 120 s"}
        if proc.returncode != 0:
            return {"error": _first_line(proc.stderr.strip().splitlines()[-1:] or ["failed"])}
        samples.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {
        "import_ms": statistics.median(s["import_ms"] for s in samples),
        "first_load_ms": statistics.median(s["first_load_ms"] for s in samples),
        "runs": runs,
    }


def _first_line(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    lines = str(value).strip().splitlines()
    return lines[0] if lines else ""


# ---------------------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------------------


def evaluate_goals(
    deciders: list[Decider], timings: dict[str, Any] | None, compile_: dict[str, Any]
) -> list[dict[str, Any]]:
    goals: list[dict[str, Any]] = []
    rg = next(d for d in deciders if d.name == "railguard")
    events = (timings or {}).get("events", {})

    # 1. allow median
    goal: dict[str, Any] = {"goal": f"railguard allow median <= {GOAL_ALLOW_MEDIAN_US:g} us"}
    if rg.skipped or "railguard" not in events.get("allow", {}):
        goal.update(status="SKIP", detail=rg.skipped or "not timed (deciders disagree)")
    else:
        median = events["allow"]["railguard"]["median_us"]
        goal.update(
            status="PASS" if median <= GOAL_ALLOW_MEDIAN_US else "FAIL",
            detail=f"median {median:.2f} us",
            value=median,
        )
    goals.append(goal)

    # 2. faster than each peer, on every timed event, against the peer's fastest variant
    for peer in ("cedarpy", "regorus"):
        goal = {"goal": f"railguard faster than {peer} on the same decision"}
        members = [d for d in deciders if family(d) == peer and not d.skipped]
        if rg.skipped:
            goal.update(status="SKIP", detail=rg.skipped)
        elif not events:
            goal.update(status="SKIP", detail="not timed (deciders disagree)")
        elif not members:
            reason = next(d.skipped for d in deciders if family(d) == peer)
            goal.update(status="SKIP", detail=f"{peer} skipped: {reason}")
        else:
            ratios = {}
            for key, per in events.items():
                if "railguard" not in per:
                    continue
                fastest = min(per[m.name]["median_us"] for m in members if m.name in per)
                ratios[key] = fastest / per["railguard"]["median_us"]
            worst_key = min(ratios, key=ratios.__getitem__)
            ok = all(r > 1.0 for r in ratios.values())
            goal.update(
                status="PASS" if ok else "FAIL",
                detail=(
                    f"slowest margin on {worst_key}: {peer} (fastest API) takes "
                    f"{ratios[worst_key]:.1f}x railguard's median"
                ),
                ratios=ratios,
            )
        goals.append(goal)

    # 3. compile
    goal = {"goal": f"{COMPILE_RULES}-rule policy compiles in < {GOAL_COMPILE_MS:g} ms"}
    if "skipped" in compile_:
        goal.update(status="SKIP", detail=compile_["skipped"])
    elif "error" in compile_:
        goal.update(status="FAIL", detail=f"loads() failed: {compile_['error']}")
    else:
        median = compile_["in_process_ms"]["median"]
        goal.update(
            status="PASS" if median < GOAL_COMPILE_MS else "FAIL",
            detail=f"median {median:.1f} ms",
            value=median,
        )
    goals.append(goal)
    return goals


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if a / b >= 10 else f"{a / b:.2f}x"


def render(report: dict[str, Any], deciders: list[Decider]) -> str:
    out: list[str] = []
    m = report["machine"]
    v = report["versions"]
    out.append(
        f"Railguard evaluate() benchmark: Python {m['python']} on {m['platform']}, "
        f"{m['cpus']} cpus; {report['settings']['rounds']} rounds per cell"
        f"{' (--quick)' if report['settings']['quick'] else ''}"
    )
    out.append(
        f"peers: cedarpy {v.get('cedarpy') or '-'}, gordon-to-regorus "
        f"{v.get('gordon-to-regorus') or '-'}"
    )
    out.append("")
    out.append("deciders")
    width = max(len(d.name) for d in deciders)
    for d in deciders:
        detail = f"skipped: {d.skipped}" if d.skipped else d.api
        out.append(f"  {d.name.ljust(width)}  {detail}")
    out.append("")

    agree = report["agreement"]
    if agree["ok"]:
        out.append(
            f"agreement: OK, {len(agree['deciders'])} deciders agree on {agree['cases']} events"
            " (forward and reversed)"
        )
    else:
        out.append("agreement: FAILED")
        out.extend(f"  {p}" for p in agree["problems"])
    out.extend(f"  known difference [1]: {k}" for k in agree["known_differences"])
    out.append("")

    timings = report.get("evaluate")
    if timings:
        rows: list[Any] = []
        by_key = {c.key: c for c in CASES}
        for key, per in timings["events"].items():
            case = by_key[key]
            rows.append(f"{case.expected:<5}  {case.describe()}")
            rg = per.get("railguard")
            floor = per.get("python floor")
            for d in deciders:
                if d.skipped:
                    rows.append([f"  {d.name}", "skipped", "", "", ""])
                    continue
                s = per[d.name]
                vs_rg = (
                    f"{_ratio(s['median_us'], rg['median_us'])} railguard"
                    if rg and d.name != "railguard"
                    else ""
                )
                vs_floor = (
                    f"{_ratio(s['median_us'], floor['median_us'])} floor"
                    if floor and d.name != "python floor"
                    else ""
                )
                rows.append([f"  {d.name}", s["median_us"], s["p99_us"], vs_rg, vs_floor])
        out.append("warm evaluate(), per call")
        out.append(
            timing.format_table(
                ["event / decider", "median us", "p99 us", "vs railguard", "vs floor"], rows
            )
        )
        out.append("")

    c = report["compile"]
    out.append(
        f"cold compile: railguard.loads() of a generated {c['rules']}-rule policy "
        f"({c['policy_lines']} lines), budget {c['budget_ms']:g} ms"
    )
    if "skipped" in c:
        out.append(f"  skipped: {c['skipped']}")
    elif "error" in c:
        out.append(f"  error: {c['error']}")
    else:
        ip = c["in_process_ms"]
        out.append(
            f"  in process, new text each run: median {ip['median']:.1f} ms "
            f"(min {ip['min']:.1f}, max {ip['max']:.1f}, {ip['runs']} runs) = "
            f"{ip['median'] / c['budget_ms'] * 100:.0f}% of budget"
        )
        fp = c.get("fresh_process", {})
        if "error" in fp:
            out.append(f"  fresh process: error: {fp['error']}")
        elif fp:
            out.append(
                f"  first load in a fresh process: {fp['first_load_ms']:.1f} ms "
                f"(import railguard took {fp['import_ms']:.1f} ms before it; "
                f"median of {fp['runs']})"
            )
    out.append("")

    out.append("goals")
    for g in report["goals"]:
        out.append(f"  {g['status']:<4}  {g['goal']}: {g['detail']}")
    out.append("")

    out.append("notes")
    notes = [
        f"[1] {baselines.CEDAR_REGEX_CAVEAT}; no timed event depends on it.",
        "[2] p99 is over batch means: each round times a batch of calls sized to "
        f"~{report['settings']['batch_us']:g} us and divides; gc is off while timing; "
        "deciders are timed in interleaved turns so machine noise hits them alike.",
        "[3] 'faster than' goals compare with the fastest API measured for that peer "
        "(variants included), event by event.",
    ]
    if timings:
        notes.append(
            "[4] times include each decider's per-call request building (cedarpy/regorus: "
            "JSON-encoding the event) and the harness' call overhead "
            f"(~{timings['harness_overhead_us']:.2f} us)."
        )
    out.extend(n for n in notes if n)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON results instead")
    parser.add_argument("--rounds", type=int, help="timed batches per cell (default 1000)")
    args = parser.parse_args(argv)

    rounds = args.rounds or (150 if args.quick else 1000)
    batch_us = 200.0
    compile_runs = 3 if args.quick else 9
    fresh_runs = 1 if args.quick else 3

    deciders, railguard = build_deciders()
    report: dict[str, Any] = {
        "scenario": {
            "policy": POLICY,
            "cedar_policy": baselines.CEDAR_POLICY,
            "rego_policy": baselines.REGO_POLICY,
            "events": {
                c.key: {"tool": c.tool, "args": c.args, "expected": c.expected, "timed": c.timed}
                for c in CASES
            },
            "notes": [baselines.CEDAR_REGEX_CAVEAT],
        },
        "machine": machine_info(),
        "versions": baselines.versions(),
        "settings": {"rounds": rounds, "batch_us": batch_us, "quick": args.quick},
        "deciders": {
            d.name: {"role": d.role, "api": d.api, "skipped": d.skipped} for d in deciders
        },
    }

    agreement = check_agreement(deciders)
    report["agreement"] = agreement
    if agreement["ok"]:
        report["evaluate"] = time_evaluate(deciders, rounds, batch_us)
    report["compile"] = time_compile(railguard, compile_runs, fresh_runs)
    report["goals"] = evaluate_goals(deciders, report.get("evaluate"), report["compile"])

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report, deciders))
    if not agreement["ok"]:
        print("error: deciders disagree; timings not taken", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
