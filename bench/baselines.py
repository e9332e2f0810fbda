"""The peers Railguard is benchmarked against, deciding the same scenario.

Scenario ("tool allowlist plus three argument constraints"): an agent may
call ``search_invoices``, ``get_invoice``, ``send_payment`` and
``send_email``; anything else is denied. ``send_payment`` is also denied
unless its ``reference`` matches ``^INV-[0-9]{6}$``, its integer ``amount``
is within 1..10000, and its ``currency`` is one of USD, EUR, GBP.

Every builder does all parsing/compilation once and returns a callable
``decide(event) -> "allow" | "deny"`` where ``event`` is
``{"tool": str, "args": dict}``. Whatever a peer needs per call to turn that
event into its own request (JSON encoding, request dicts) happens inside
``decide`` and is timed, because a caller holding a tool call has to pay it.
Each returned callable carries ``.api`` (the exact API it calls, for the
report) and ``.label``.

Peers whose package is not installed raise :class:`Unavailable` with the
reason, so the benchmark can print "skipped: <reason>" for that column.

Install them with ``pip install -e '.[bench]'`` (cedarpy, gordon-to-regorus).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
Decider = Callable[[Event], str]

__all__ = [
    "CEDAR_POLICY",
    "CEDAR_REGEX_CAVEAT",
    "REGO_POLICY",
    "REGO_QUERY",
    "Unavailable",
    "cedar",
    "cedar_raw",
    "python_floor",
    "rego",
    "rego_interpreter",
    "versions",
]


class Unavailable(RuntimeError):
    """A peer cannot be built here (package missing, API changed); str() is the reason."""


# --------------------------------------------------------------------------------------
# Cedar
# --------------------------------------------------------------------------------------
#
# Model: principal Agent::"a", action Action::"call", resource Tool::"<tool name>",
# context = the call's args. One permit for the allowlist; one forbid ... unless per
# constraint (Cedar is deny-overrides, like Railguard: any matching forbid wins, and
# no matching permit means Deny). The `has` guards matter: without them a missing
# attribute is an evaluation *error*, Cedar skips an erroring policy, and the forbid
# would silently not apply (fail open).
#
# Cedar has no regular expressions. The closest is `like` with `*` wildcards, so
# reference_format is `like "INV-*"`: it accepts any string starting with "INV-"
# (e.g. "INV-12345", "INV-abc"), which the regex ^INV-[0-9]{6}$ rejects. The
# benchmark's events are chosen so this does not change any timed decision, and its
# agreement check asserts that Cedar does differ on such a reference (so this caveat
# stays true).
CEDAR_REGEX_CAVEAT = (
    'cedar has no regex: reference_format uses `like "INV-*"`, which also accepts '
    'e.g. "INV-12345" that ^INV-[0-9]{6}$ rejects'
)

CEDAR_POLICY = """\
@id("tool_allowlist")
permit (principal, action == Action::"call", resource)
when {
  resource in [
    Tool::"search_invoices",
    Tool::"get_invoice",
    Tool::"send_payment",
    Tool::"send_email"
  ]
};

@id("reference_format")
forbid (principal, action == Action::"call", resource == Tool::"send_payment")
unless { context has reference && context.reference like "INV-*" };

@id("amount_range")
forbid (principal, action == Action::"call", resource == Tool::"send_payment")
unless { context has amount && context.amount >= 1 && context.amount <= 10000 };

@id("currency_allowed")
forbid (principal, action == Action::"call", resource == Tool::"send_payment")
unless {
  context has currency && ["USD", "EUR", "GBP"].contains(context.currency)
};
"""

# Entity uids are passed in cedarpy's structured {"type", "id"} form: it skips running
# Cedar's surface-syntax parser on 'Tool::"x"' for every request (measured ~15% faster
# here) and cannot be broken by a tool name containing a quote.
_CEDAR_PRINCIPAL = {"type": "Agent", "id": "a"}
_CEDAR_ACTION = {"type": "Action", "id": "call"}


def _import_cedarpy() -> Any:
    try:
        cedarpy = importlib.import_module("cedarpy")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise Unavailable(f"cedarpy not importable ({exc}); pip install cedarpy") from exc
    for name in ("PolicySet", "Entities", "is_authorized", "Decision"):
        if not hasattr(cedarpy, name):
            raise Unavailable(
                f"cedarpy {_version('cedarpy')} has no {name} (prepared-handle API needs >= 4.1)"
            )
    return cedarpy


def cedar() -> Decider:
    """Cedar via cedarpy's public API, with the policies and entities prepared once.

    cedarpy (>= 4.1) has a prepared API: ``PolicySet.from_str`` parses the policy
    text once into a reusable Rust handle and ``Entities.from_json_str`` does the
    same for the (here empty) entity store; ``is_authorized(request, policy_set,
    entities)`` then skips all re-parsing. Per call cedarpy still JSON-encodes the
    context dict, Cedar parses it into a Context, evaluates, and the result comes
    back as a JSON string that cedarpy decodes into an ``AuthzResult``: that is the
    cheapest *public* path. No schema is passed: it would add request validation and
    did not make evaluation faster.
    """
    cedarpy = _import_cedarpy()
    policies = cedarpy.PolicySet.from_str(CEDAR_POLICY)
    entities = cedarpy.Entities.from_json_str("[]")
    is_authorized = cedarpy.is_authorized
    allow = cedarpy.Decision.Allow
    principal, action = _CEDAR_PRINCIPAL, _CEDAR_ACTION

    def decide(event: Event) -> str:
        request = {
            "principal": principal,
            "action": action,
            "resource": {"type": "Tool", "id": event["tool"]},
            "context": event["args"],
        }
        result = is_authorized(request, policies, entities)
        return "allow" if result.decision is allow else "deny"

    decide.label = "cedarpy"  # type: ignore[attr-defined]
    decide.api = (  # type: ignore[attr-defined]
        "cedarpy.is_authorized(request, PolicySet.from_str(...), Entities.from_json_str('[]'))"
    )
    return decide


def cedar_raw() -> Decider:
    """Cedar via cedarpy's private extension entry point (``cedarpy._internal``).

    Same prepared handles as :func:`cedar`, but calls the Rust function the public
    wrapper delegates to, skipping the wrapper's request copy and ``AuthzResult``
    objects. cedarpy's stubs say not to import ``_internal``; this variant is only
    reported to show the lowest per-call cost cedarpy can reach from Python, so a
    "faster than Cedar" claim is made against Cedar at its fastest.
    """
    cedarpy = _import_cedarpy()
    try:
        _internal = importlib.import_module("cedarpy._internal")
    except ImportError as exc:  # pragma: no cover
        raise Unavailable(f"cedarpy._internal not importable ({exc})") from exc
    if not hasattr(_internal, "is_authorized"):
        raise Unavailable("cedarpy._internal has no is_authorized")
    policies = cedarpy.PolicySet.from_str(CEDAR_POLICY)
    entities = cedarpy.Entities.from_json_str("[]")
    inner_entities = getattr(entities, "_inner", entities)
    is_authorized = _internal.is_authorized
    dumps, loads = json.dumps, json.loads
    principal, action = _CEDAR_PRINCIPAL, _CEDAR_ACTION

    def decide(event: Event) -> str:
        request = {
            "principal": principal,
            "action": action,
            "resource": {"type": "Tool", "id": event["tool"]},
            "context": dumps(event["args"]),  # _internal takes the context as JSON text
        }
        response = loads(is_authorized(request, policies, inner_entities))
        return "allow" if response["decision"] == "Allow" else "deny"

    decide.label = "cedarpy (raw _internal)"  # type: ignore[attr-defined]
    decide.api = (  # type: ignore[attr-defined]
        "cedarpy._internal.is_authorized(request, PolicySet, Entities._inner) + json.loads"
    )
    return decide


# --------------------------------------------------------------------------------------
# Rego (regorus)
# --------------------------------------------------------------------------------------
#
# The usual OPA shape: a `deny` set of reasons, and `allow` when the tool is on the
# allowlist and nothing denies. Rego v1 syntax (regorus' default; `import rego.v1`
# keeps it valid for OPA 0.x too). `deny` holds rule ids rather than sprintf'd
# messages: sprintf over an undefined input.args.reference would make the message,
# and so the whole deny entry, undefined, i.e. fail open on a missing argument.
REGO_QUERY = "data.railguard.payments.allow"

REGO_POLICY = """\
package railguard.payments

import rego.v1

default allow := false

allowed_tools := {"search_invoices", "get_invoice", "send_payment", "send_email"}

allowed_currencies := {"USD", "EUR", "GBP"}

allow if {
	input.tool in allowed_tools
	count(deny) == 0
}

deny contains "reference_format" if {
	input.tool == "send_payment"
	not regex.match(`^INV-[0-9]{6}$`, input.args.reference)
}

deny contains "amount_range" if {
	input.tool == "send_payment"
	not amount_in_range
}

deny contains "currency_allowed" if {
	input.tool == "send_payment"
	not input.args.currency in allowed_currencies
}

amount_in_range if {
	input.args.amount >= 1
	input.args.amount <= 10000
}
"""


def _import_regorus() -> Any:
    try:
        regorus = importlib.import_module("regorus")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise Unavailable(f"regorus not importable ({exc}); pip install gordon-to-regorus") from exc
    return regorus


def rego() -> Decider:
    """Rego compiled to regorus' RVM bytecode: regorus' fastest prepared API.

    ``Program.compile_from_modules(data_json, [(name, text)], [entry_point])``
    parses, analyses and compiles the policy to a bytecode program once;
    ``Rvm.load_program`` loads it into a VM once. Per call: ``set_input_json``
    (the RVM only takes input as JSON text, so the event is ``json.dumps``-ed) and
    ``execute()``, which runs the single entry point and returns the result as JSON
    text ('true' / 'false'). Measured about twice as fast as the tree-walking
    ``Engine`` (see :func:`rego_interpreter`). The VM holds the input between
    calls, so this decider is not thread-safe (one VM per thread).
    """
    regorus = _import_regorus()
    if not (hasattr(regorus, "Program") and hasattr(regorus, "Rvm")):
        raise Unavailable(f"regorus {_version('gordon-to-regorus')} has no Program/Rvm")
    program = regorus.Program.compile_from_modules(
        "{}", [("payments.rego", REGO_POLICY)], [REGO_QUERY]
    )
    vm = regorus.Rvm()
    vm.load_program(program)
    set_input_json, execute, dumps = vm.set_input_json, vm.execute, json.dumps

    def decide(event: Event) -> str:
        set_input_json(dumps(event))
        return "allow" if execute() == "true" else "deny"

    decide.label = "regorus"  # type: ignore[attr-defined]
    decide.api = (  # type: ignore[attr-defined]
        "regorus.Program.compile_from_modules + Rvm.load_program; "
        "per call Rvm.set_input_json(json.dumps(event)) + Rvm.execute()"
    )
    return decide


def rego_interpreter() -> Decider:
    """Rego on regorus' classic ``Engine`` (tree-walking interpreter).

    ``Engine.add_policy`` parses once; per call ``set_input(event)`` converts the
    Python dict directly (no JSON text) and ``eval_rule`` evaluates the rule and
    returns a Python value. Reported as a variant: it is the API most regorus
    examples use, but slower than the RVM.
    """
    regorus = _import_regorus()
    engine = regorus.Engine()
    engine.add_policy("payments.rego", REGO_POLICY)
    set_input, eval_rule, query = engine.set_input, engine.eval_rule, REGO_QUERY

    def decide(event: Event) -> str:
        set_input(event)
        return "allow" if eval_rule(query) is True else "deny"

    decide.label = "regorus (Engine)"  # type: ignore[attr-defined]
    decide.api = "regorus.Engine.add_policy; per call Engine.set_input(event) + eval_rule(rule)"  # type: ignore[attr-defined]
    return decide


# --------------------------------------------------------------------------------------
# Bare Python floor
# --------------------------------------------------------------------------------------


def python_floor() -> Decider:
    """The same decision hand-written in plain Python: the floor no engine can beat.

    ``fullmatch`` on ``INV-[0-9]{6}`` rather than ``match`` on ``^...$``: Python's
    ``$`` also matches before a trailing newline, RE2's (Railguard) and Rust's
    (regorus) do not.
    """
    allowed_tools = frozenset({"search_invoices", "get_invoice", "send_payment", "send_email"})
    currencies = frozenset({"USD", "EUR", "GBP"})
    reference_ok = re.compile(r"INV-[0-9]{6}").fullmatch

    def decide(event: Event) -> str:
        tool = event["tool"]
        if tool not in allowed_tools:
            return "deny"
        if tool == "send_payment":
            args = event["args"]
            reference = args.get("reference")
            if type(reference) is not str or reference_ok(reference) is None:
                return "deny"
            amount = args.get("amount")
            if type(amount) is not int or not 1 <= amount <= 10000:
                return "deny"
            currency = args.get("currency")
            if type(currency) is not str or currency not in currencies:
                return "deny"
        return "allow"

    decide.label = "python floor"  # type: ignore[attr-defined]
    decide.api = "hand-written Python (dict lookups, frozenset, re.fullmatch)"  # type: ignore[attr-defined]
    return decide


# --------------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Installed versions of the peers' distributions (None if not installed)."""
    return {"cedarpy": _version("cedarpy"), "gordon-to-regorus": _version("gordon-to-regorus")}
