"""OpenTelemetry: a span `railguard.evaluate` (or an event on the current span) per verdict.

With `railguard[otel]` (opentelemetry-api) installed and a tracer provider set by the
application, every `Guard.evaluate()` records the decision, the rules and policies behind
it, the policy digest and version, the elapsed time, and the GenAI semantic-convention
attributes of the event (`gen_ai.operation.name`, `gen_ai.tool.name`,
`gen_ai.request.model` from `context.model`, `gen_ai.conversation.id` from the session).
The sidecar takes the parent from the request's W3C `traceparent` header, so its spans join
the agent's trace, and `railguard.Client` sends the caller's.

Cost when off: whether to record is decided once, by `refresh()` (which `railguard.load()`
and the clients call) or `configure()`: only when the application has already imported
`opentelemetry.trace` and set a real tracer provider (not the API's no-op proxy). Until
then `STATE.recorder` is None, and `evaluate()` pays one attribute check. Nothing here
imports OpenTelemetry on its own, except `configure()` and `setup_from_env()`.

The span is made after the decision, with the evaluation's start and end times, so tracing
never runs inside the rules and cannot change a verdict; a failure to record is swallowed.

Attribute names follow the sidecar's Prometheus names (docs/observability.md): the label
`decision` of `railguard_decisions_total` is `railguard.decision`, the labels `rule` and
`policy` of `railguard_rule_decisions_total` are `railguard.rule` and `railguard.policy`
(lists, one item per violation), the `digest` of `railguard_policy_info` is
`railguard.policy.digest`, `railguard_evaluate_seconds` is `railguard.evaluate.seconds`, and
the `outcome` of `railguard_shadow_decisions_total` is `railguard.shadow.outcome`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from railguard.engine.events import Event
    from railguard.engine.guard import Guard
    from railguard.engine.verdict import Verdict

SPAN_NAME = "railguard.evaluate"
ENV_MODE = "RAILGUARD_OTEL"  # span (default), event, off
ENV_EXPORTER = "RAILGUARD_OTEL_EXPORTER"  # for `railguard serve`: console, or file:PATH
Mode = Literal["span", "event", "off"]

Recorder = Callable[["Guard", "Event", "Verdict"], None]

# GenAI semantic conventions: the operation an event belongs to.
_OPERATIONS = {"call": "execute_tool", "result": "execute_tool", "input": "chat", "output": "chat"}


class _State:
    """What `Guard.evaluate()` reads: `recorder` is None unless spans are recorded."""

    __slots__ = ("explicit", "recorder")

    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        self.explicit = False  # set by configure(): refresh() leaves it alone


STATE = _State()


def refresh() -> None:
    """Record spans if the application has set a tracer provider (cheap; no import)."""
    if STATE.explicit:
        return
    mode = os.environ.get(ENV_MODE, "span").strip().lower()
    trace = sys.modules.get("opentelemetry.trace")
    if mode == "off" or trace is None:
        STATE.recorder = None
        return
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        STATE.recorder = None
        return
    STATE.recorder = _recorder(provider, "event" if mode == "event" else "span")


def configure(mode: Mode = "span", tracer_provider: Any = None) -> None:
    """Record spans (`span`), events on the current span (`event`) or nothing (`off`),
    with `tracer_provider` (default: the global one), whatever `refresh()` would decide."""
    STATE.explicit = True
    if mode == "off":
        STATE.recorder = None
        return
    if mode not in ("span", "event"):
        raise ValueError(f"the OpenTelemetry mode is `span`, `event` or `off`, not {mode!r}")
    from opentelemetry import trace

    STATE.recorder = _recorder(tracer_provider or trace.get_tracer_provider(), mode)


def reset() -> None:
    """Forget `configure()`; decide again from the environment (for tests)."""
    STATE.explicit = False
    STATE.recorder = None
    refresh()


def _recorder(provider: Any, mode: Mode) -> Recorder:
    from railguard import __version__ as version

    tracer = provider.get_tracer("railguard", version)

    def record_span(guard: Guard, event: Event, verdict: Verdict) -> None:
        try:
            end = time.time_ns()
            span = tracer.start_span(
                SPAN_NAME,
                start_time=end - int(verdict.elapsed_us * 1000),
                attributes=attributes(guard, event, verdict),
            )
            span.end(end_time=end)
        except Exception:  # tracing must never break a verdict
            pass

    def record_event(guard: Guard, event: Event, verdict: Verdict) -> None:
        try:
            from opentelemetry import trace

            span = trace.get_current_span()
            if span.is_recording():
                span.add_event(SPAN_NAME, attributes=attributes(guard, event, verdict))
        except Exception:
            pass

    return record_span if mode == "span" else record_event


def attributes(guard: Guard, event: Event, verdict: Verdict) -> dict[str, Any]:
    """The span's attributes (docs/observability.md lists each with its Prometheus name)."""
    attrs: dict[str, Any] = {
        "railguard.decision": verdict.decision,
        "railguard.event.kind": event.kind,
        "railguard.policy.digest": verdict.policy_digest,
        "railguard.evaluate.seconds": verdict.elapsed_us / 1e6,
        "railguard.decision_id": verdict.decision_id,
        "gen_ai.operation.name": _OPERATIONS.get(event.kind, event.kind),
    }
    if verdict.violations:
        attrs["railguard.rule"] = [v.rule for v in verdict.violations]
        attrs["railguard.policy"] = list(dict.fromkeys(v.policy for v in verdict.violations))
        errors = [v.rule for v in verdict.violations if v.error is not None]
        if errors:
            attrs["railguard.error.rule"] = errors
    if verdict.warnings:
        attrs["railguard.warning.rule"] = [v.rule for v in verdict.warnings]
    version = guard.version
    if version is not None:
        attrs["railguard.policy.version"] = version
    if verdict.shadow is not None:
        attrs["railguard.shadow.decision"] = verdict.shadow.decision
        attrs["railguard.shadow.outcome"] = (
            "agree" if verdict.shadow.decision == verdict.decision else "disagree"
        )
    if type(event.tool) is str:
        attrs["gen_ai.tool.name"] = event.tool
    context = event.context
    if type(context) is dict:
        model = context.get("model")
        if type(model) is str:
            attrs["gen_ai.request.model"] = model
    if type(event.session) is str:
        attrs["gen_ai.conversation.id"] = event.session
    return attrs


# ---- W3C trace context over HTTP: the client injects, the sidecar extracts ------------


def inject() -> dict[str, str]:
    """The current trace context as headers (`traceparent`, `tracestate`)."""
    carrier: dict[str, str] = {}
    try:
        from opentelemetry import propagate

        propagate.inject(carrier)
    except Exception:
        return {}
    return carrier


def attach(headers: Mapping[str, str]) -> object | None:
    """Make the request's `traceparent` the parent of the spans recorded until `detach`."""
    if "traceparent" not in headers:
        return None
    try:
        from opentelemetry import context, propagate

        return context.attach(propagate.extract(headers))
    except Exception:
        return None


def detach(token: object | None) -> None:
    if token is None:
        return
    try:
        from opentelemetry import context

        context.detach(token)  # type: ignore[arg-type]
    except Exception:
        pass


# ---- `railguard serve`: an exporter chosen by the environment -------------------------


def setup_from_env() -> None:
    """`RAILGUARD_OTEL_EXPORTER=console` or `file:PATH` (one JSON span a line): install the
    SDK's tracer provider with that exporter, for trying tracing out and for tests. In
    production, configure the SDK as usual (for example with `opentelemetry-instrument`)."""
    spec = os.environ.get(ENV_EXPORTER, "").strip()
    if not spec:
        refresh()
        return
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    if spec == "console":
        exporter = ConsoleSpanExporter()
    elif spec.startswith("file:"):
        out = open(spec[len("file:") :], "a", encoding="utf-8", buffering=1)  # noqa: SIM115

        def one_line(span: ReadableSpan) -> str:
            return str(span.to_json(indent=None)) + "\n"

        exporter = ConsoleSpanExporter(out=out, formatter=one_line)
    else:
        raise SystemExit(
            f"railguard serve: {ENV_EXPORTER} is `console` or `file:PATH`, not {spec!r}"
        )
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    refresh()
