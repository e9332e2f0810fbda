"""Compare two slices metric by metric, and render what changed.

Every metric is a rate (a count out of a total in each slice) except the length of outputs
(a mean). For a rate: Fisher's exact test and Newcombe's interval of the difference; for the
mean: Welch's t-test and its interval. The p-values of all the metrics compared are adjusted
together with Benjamini-Hochberg: a metric *changed* when its q-value is below `alpha`.
Metrics are ordered by the size of the effect (Cohen's h for rates, d for the mean), largest
first.

| metric id | rate of | out of |
|---|---|---|
| `decision:deny`, `decision:escalate` | that decision | all events (the allow rate is what is left: shown, not tested twice) |
| `rule:ID` | events where rule ID matched (violation or warning) | all events |
| `tool:NAME` | calls of that tool | all `call` events |
| `kind:KIND` | events of that kind | all events |
| `schema:KIND` | events with a schema finding (`details.schema`) | events of that kind (`call`: arguments) |
| `findings:pii`, `findings:injection` | events with PII / injection evidence in `details` | all events |
| `errors` | events with a failed check (`error` in a violation or warning) | all events |
| `redactions` | events whose payload a rule rewrote | all events |
| `shadow:disagree` | events whose shadow decision differed | events with a shadow verdict |
| `output_length` | mean characters of `content` | `output` events that hold their payload |
"""

from __future__ import annotations

import fnmatch
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from railguard.engine.drift import stats
from railguard.engine.drift.slices import SliceStats

_DECISIONS_TESTED = ("deny", "escalate")
_KIND_LABEL = {"call": "arguments of calls", "output": "outputs", "result": "tool results"}


@dataclass(frozen=True)
class Side:
    """One slice's side of a metric: `count` of `total` for a rate; `total` values with
    `value` as their mean and `sd` for the mean."""

    count: int
    total: int
    value: float
    sd: float | None = None


@dataclass
class Metric:
    id: str
    group: str
    label: str
    type: str  # "rate" or "mean"
    baseline: Side
    candidate: Side
    diff: float  # candidate - baseline
    ci_low: float
    ci_high: float
    p: float
    effect: float
    q: float = 1.0
    changed: bool = False
    threshold: float | None = None
    fails: bool = False

    @property
    def relative(self) -> float:
        """The difference relative to the baseline value (inf from zero)."""
        base = self.baseline.value
        if base == 0:
            return 0.0 if self.diff == 0 else math.inf
        return self.diff / base


@dataclass
class SliceInfo:
    selector: str
    events: int
    first_time: str | None
    last_time: str | None
    models: dict[str, int]
    decisions: dict[str, int]


@dataclass
class DriftReport:
    baseline: SliceInfo
    candidate: SliceInfo
    alpha: float
    metrics: list[Metric]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[Metric]:
        return [m for m in self.metrics if m.changed]

    @property
    def failing(self) -> list[Metric]:
        return [m for m in self.metrics if m.fails]

    def to_dict(self) -> dict[str, Any]:
        def metric(m: Metric) -> dict[str, Any]:
            out = asdict(m)
            for key in ("diff", "ci_low", "ci_high", "effect"):
                out[key] = _finite(out[key])
            return out

        return {
            "baseline": asdict(self.baseline),
            "candidate": asdict(self.candidate),
            "alpha": self.alpha,
            "compared": len(self.metrics),
            "changed": [m.id for m in self.changed],
            "failing": [m.id for m in self.failing],
            "metrics": [metric(m) for m in self.metrics],
            "notes": self.notes,
        }


def _finite(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


Thresholds = list[tuple[str | None, float | None]]  # (metric glob or None for all, threshold)


def parse_fail_on(values: list[str]) -> Thresholds:
    """`0.02` (every metric), `rule:*=0.01`, `output_length=0.25`, `tool:*=none`."""
    out: Thresholds = []
    for text in values:
        pattern, sep, value = text.rpartition("=")
        value = value.strip()
        try:
            number = None if value.lower() == "none" else float(value)
        except ValueError:
            raise ValueError(
                f"`{text}`: expected a number (e.g. 0.02), or METRIC=NUMBER (e.g. rule:*=0.01), "
                "or METRIC=none"
            ) from None
        if number is not None and (math.isnan(number) or number < 0):
            raise ValueError(f"`{text}`: a threshold is at least 0")
        out.append((pattern.strip() if sep else None, number))
    return out


def threshold_for(metric_id: str, thresholds: Thresholds) -> float | None:
    """The threshold of the most specific (longest) glob matching the metric, else the bare
    one given last, else 0 (any change that is significant)."""
    best: tuple[int, float | None] | None = None
    default: float | None = 0.0
    for pattern, value in thresholds:
        if pattern is None:
            default = value
        elif fnmatch.fnmatchcase(metric_id, pattern) and (best is None or len(pattern) >= best[0]):
            best = (len(pattern), value)
    return best[1] if best is not None else default


def _rate(mid: str, group: str, label: str, x1: int, n1: int, x2: int, n2: int) -> Metric | None:
    if n1 == 0 or n2 == 0 or x1 + x2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    low, high = stats.newcombe(x1, n1, x2, n2)
    return Metric(
        id=mid,
        group=group,
        label=label,
        type="rate",
        baseline=Side(x1, n1, p1),
        candidate=Side(x2, n2, p2),
        diff=p2 - p1,
        ci_low=low,
        ci_high=high,
        p=stats.fisher_exact(x1, n1, x2, n2),
        effect=stats.cohen_h(p1, p2),
    )


def _keys(a: Counter[str], b: Counter[str]) -> list[str]:
    return sorted(set(a) | set(b))


def compare(
    base: SliceStats,
    cand: SliceStats,
    alpha: float = 0.05,
    fail_on: Thresholds | None = None,
    notes: list[str] | None = None,
) -> DriftReport:
    """Test every metric the two slices have, adjust with Benjamini-Hochberg, apply the
    `fail_on` thresholds (absolute rate difference; relative difference for the mean)."""
    n1, n2 = base.events, cand.events
    found: list[Metric | None] = []
    for d in _DECISIONS_TESTED:
        found.append(
            _rate(
                f"decision:{d}",
                "decision",
                f"{d} rate",
                base.decisions[d],
                n1,
                cand.decisions[d],
                n2,
            )
        )
    for rule in _keys(base.rules, cand.rules):
        found.append(
            _rate(
                f"rule:{rule}",
                "rule",
                f"rule {rule} matched",
                base.rules[rule],
                n1,
                cand.rules[rule],
                n2,
            )
        )
    c1, c2 = base.kinds["call"], cand.kinds["call"]
    for tool in _keys(base.tools, cand.tools):
        found.append(
            _rate(
                f"tool:{tool}",
                "tool",
                f"share of calls to {tool}",
                base.tools[tool],
                c1,
                cand.tools[tool],
                c2,
            )
        )
    for kind in _keys(base.kinds, cand.kinds):
        found.append(
            _rate(
                f"kind:{kind}",
                "kind",
                f"share of {kind} events",
                base.kinds[kind],
                n1,
                cand.kinds[kind],
                n2,
            )
        )
    for kind in _keys(base.schema, cand.schema):
        what = _KIND_LABEL.get(kind, f"{kind} events")
        found.append(
            _rate(
                f"schema:{kind}",
                "schema",
                f"schema violations of {what}",
                base.schema[kind],
                base.kinds[kind],
                cand.schema[kind],
                cand.kinds[kind],
            )
        )
    found.append(
        _rate("findings:pii", "findings", "events with PII findings", base.pii, n1, cand.pii, n2)
    )
    found.append(
        _rate(
            "findings:injection",
            "findings",
            "events with injection findings",
            base.injection,
            n1,
            cand.injection,
            n2,
        )
    )
    found.append(
        _rate("errors", "errors", "events with a failed check", base.errors, n1, cand.errors, n2)
    )
    found.append(
        _rate("redactions", "redactions", "events redacted", base.redacted, n1, cand.redacted, n2)
    )
    found.append(
        _rate(
            "shadow:disagree",
            "shadow",
            "shadow verdicts that disagree",
            base.shadow_disagree,
            base.shadowed,
            cand.shadow_disagree,
            cand.shadowed,
        )
    )
    found.append(_mean(base, cand))
    metrics = [m for m in found if m is not None]
    for m, q in zip(metrics, stats.benjamini_hochberg([m.p for m in metrics]), strict=True):
        m.q = q
        m.changed = q < alpha
        m.threshold = threshold_for(m.id, fail_on or [])
        size = abs(m.relative) if m.type == "mean" else abs(m.diff)
        m.fails = m.changed and m.threshold is not None and size > m.threshold
    metrics.sort(key=lambda m: (-abs(m.effect), m.id))
    return DriftReport(_info(base), _info(cand), alpha, metrics, list(notes or ()))


def _mean(base: SliceStats, cand: SliceStats) -> Metric | None:
    a, b = base.output_length, cand.output_length
    if a.n == 0 or b.n == 0:
        return None
    w = stats.welch(a.mean, a.variance, a.n, b.mean, b.variance, b.n)
    return Metric(
        id="output_length",
        group="output_length",
        label="mean length of outputs (characters)",
        type="mean",
        baseline=Side(a.n, a.n, a.mean, a.sd),
        candidate=Side(b.n, b.n, b.mean, b.sd),
        diff=w.diff,
        ci_low=w.low,
        ci_high=w.high,
        p=w.p,
        effect=stats.cohen_d(a.mean, a.variance, a.n, b.mean, b.variance, b.n),
    )


def _info(s: SliceStats) -> SliceInfo:
    return SliceInfo(
        selector=s.selector,
        events=s.events,
        first_time=s.first_time,
        last_time=s.last_time,
        models=dict(s.models.most_common(10)),
        decisions=dict(sorted(s.decisions.items())),
    )


# --- rendering ------------------------------------------------------------------------------


def fmt_value(m: Metric, side: Side) -> str:
    if m.type == "mean":
        return f"{side.value:.1f} (n={side.total})"
    return f"{side.count}/{side.total} = {100 * side.value:.2f}%"


def fmt_diff(m: Metric) -> str:
    if m.type == "mean":
        return f"{m.diff:+.1f} [{m.ci_low:+.1f}, {m.ci_high:+.1f}]"
    return f"{100 * m.diff:+.2f} pp [{100 * m.ci_low:+.2f}, {100 * m.ci_high:+.2f}]"


def fmt_q(q: float) -> str:
    return f"{q:.1e}" if q < 0.001 else f"{q:.3f}"


COLUMNS = ("metric", "baseline", "candidate", "difference [95% CI]", "q", "effect", "")


def rows(report: DriftReport, every: bool = False) -> list[tuple[str, ...]]:
    shown = report.metrics if every else report.changed
    return [
        (
            m.id,
            fmt_value(m, m.baseline),
            fmt_value(m, m.candidate),
            fmt_diff(m),
            fmt_q(m.q),
            f"{m.effect:+.2f}",
            "FAIL" if m.fails else ("changed" if m.changed else ""),
        )
        for m in shown
    ]


def header_lines(report: DriftReport) -> list[str]:
    out = []
    for name, s in (("baseline", report.baseline), ("candidate", report.candidate)):
        span = f", {s.first_time} .. {s.last_time}" if s.first_time else ""
        allow = s.decisions.get("allow", 0)
        rate = f", allow {100 * allow / s.events:.1f}%" if s.events else ""
        out.append(f"{name}: {s.selector}: {s.events} events{span}{rate}")
    out.append(
        f"{len(report.metrics)} metrics compared, {len(report.changed)} changed "
        f"(Benjamini-Hochberg q < {report.alpha}), {len(report.failing)} past --fail-on"
    )
    return out


def render_text(report: DriftReport, every: bool = False) -> str:
    lines = [*header_lines(report), *(f"note: {n}" for n in report.notes)]
    body = rows(report, every)
    if body:
        widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(COLUMNS)]
        lines.append("")
        for line in (COLUMNS, *body):
            lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("\n", " ")


def render_markdown(report: DriftReport, every: bool = False) -> str:
    lines = ["# Drift report", ""]
    lines += [f"- {_md_cell(line)}" for line in header_lines(report)]
    lines += [f"- note: {_md_cell(n)}" for n in report.notes]
    body = rows(report, every)
    lines.append("")
    if not body:
        lines.append("No metric changed.")
        return "\n".join(lines) + "\n"
    lines.append("| " + " | ".join(c or "status" for c in COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    for r in body:
        lines.append("| " + " | ".join(_md_cell(c) for c in r) + " |")
    return "\n".join(lines) + "\n"


def print_rich(report: DriftReport, every: bool = False) -> None:
    """The table on a terminal, with `rich` (imported only here)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    for line in header_lines(report):
        console.print(Text(line))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    body = rows(report, every)
    if not body:
        return
    table = Table(show_header=True, header_style="bold")
    for c in COLUMNS:  # ids fold onto more lines rather than being cut short
        table.add_column(c, justify="right" if c in ("q", "effect") else "left", overflow="fold")
    for r in body:
        style = "bold red" if r[-1] == "FAIL" else ("yellow" if r[-1] else None)
        table.add_row(*(Text(c) for c in r), style=style)
    console.print(table)
