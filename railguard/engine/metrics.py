"""The sidecar's counters, rendered as Prometheus text (exposition format 0.0.4).

Plain dicts on the event loop's thread; no client library. Each worker process counts its
own requests (Prometheus adds them up per pod). Label sets are bounded: decisions, the
rules of the loaded policies, HTTP statuses and reload outcomes.
"""

from __future__ import annotations

import bisect
from collections import Counter

from railguard.engine.breakers.metrics import METRICS as BREAKERS
from railguard.engine.verdict import Verdict

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.decisions: Counter[str] = Counter()
        self.rules: Counter[tuple[str, str, str]] = Counter()  # (policy, rule, decision)
        self.errors: Counter[tuple[str, str]] = Counter()  # (status, code)
        self.reloads: Counter[str] = Counter()  # success, failure, unchanged
        self.shadow: Counter[str] = Counter()  # agree, disagree
        self._bucket_counts = [0] * (len(BUCKETS) + 1)
        self._latency_sum = 0.0
        self._latency_count = 0

    def observe(self, verdict: Verdict, seconds: float) -> None:
        decision = verdict.decision
        self.decisions[decision] += 1
        for v in verdict.violations:
            self.rules[(v.policy, v.rule, decision)] += 1
        if verdict.shadow is not None:
            self.shadow["agree" if verdict.shadow.decision == decision else "disagree"] += 1
        self._bucket_counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self._latency_sum += seconds
        self._latency_count += 1

    def error(self, status: int, code: str) -> None:
        self.errors[(str(status), code)] += 1

    def reload(self, outcome: str) -> None:
        self.reloads[outcome] += 1

    def render(self, digest: str | None, ready: bool) -> str:
        out: list[str] = []
        add = out.append
        add("# HELP railguard_decisions_total Verdicts by decision.")
        add("# TYPE railguard_decisions_total counter")
        for decision in ("allow", "deny", "escalate"):
            add(f'railguard_decisions_total{{decision="{decision}"}} {self.decisions[decision]}')
        add("# HELP railguard_rule_decisions_total Violations by policy, rule and decision.")
        add("# TYPE railguard_rule_decisions_total counter")
        for (policy, rule, decision), n in sorted(self.rules.items()):
            add(
                f'railguard_rule_decisions_total{{policy="{_esc(policy)}",rule="{_esc(rule)}",'
                f'decision="{decision}"}} {n}'
            )
        add("# HELP railguard_evaluate_seconds Time to read, evaluate and answer one event.")
        add("# TYPE railguard_evaluate_seconds histogram")
        running = 0
        for bound, n in zip(BUCKETS, self._bucket_counts, strict=False):
            running += n
            add(f'railguard_evaluate_seconds_bucket{{le="{bound}"}} {running}')
        add(f'railguard_evaluate_seconds_bucket{{le="+Inf"}} {self._latency_count}')
        add(f"railguard_evaluate_seconds_sum {self._latency_sum:.9f}")
        add(f"railguard_evaluate_seconds_count {self._latency_count}")
        add("# HELP railguard_reloads_total Policy reloads by outcome.")
        add("# TYPE railguard_reloads_total counter")
        for outcome in ("success", "failure", "unchanged"):
            add(f'railguard_reloads_total{{outcome="{outcome}"}} {self.reloads[outcome]}')
        add(
            "# HELP railguard_shadow_decisions_total Shadow verdicts that agree with the enforced ones, or not."
        )
        add("# TYPE railguard_shadow_decisions_total counter")
        for outcome in ("agree", "disagree"):
            add(f'railguard_shadow_decisions_total{{outcome="{outcome}"}} {self.shadow[outcome]}')
        add("# HELP railguard_request_errors_total Refused or failed requests by status and code.")
        add("# TYPE railguard_request_errors_total counter")
        for (status, code), n in sorted(self.errors.items()):
            add(f'railguard_request_errors_total{{status="{status}",code="{_esc(code)}"}} {n}')
        out.extend(BREAKERS.lines())  # circuit breakers' states and transitions
        add("# HELP railguard_ready Whether a compiled policy set is serving.")
        add("# TYPE railguard_ready gauge")
        add(f"railguard_ready {1 if ready else 0}")
        if digest is not None:
            add("# HELP railguard_policy_info The digest of the policy set serving.")
            add("# TYPE railguard_policy_info gauge")
            add(f'railguard_policy_info{{digest="{_esc(digest)}"}} 1')
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
