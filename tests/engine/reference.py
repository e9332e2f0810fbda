"""A tree-walking reference evaluator for Railguard policies, for differential tests.

Written from DESIGN.md section 4 and docs/language.md, not from the compiler: it walks the
parsed AST afresh for every event, with no constant folding, no plans and no closures, and
it uses `re2` directly for `matches`. `tests/engine/test_reference_agreement.py` checks
that `Guard.evaluate()` reaches the same decision for the same reasons.

The semantics it spells out:

* A missing key, an index out of range or a step into a non-container gives `null`.
* `==` is strict, at every depth: `true != 1`, `[true] != [1]`; `1 == 1.0`. Sets hold
  strings, numbers, booleans and null, compared the same way (`{true, 1}` has two items).
* `<`, `<=`, `>`, `>=` need two numbers or two strings; `matches` needs a string; `in`
  needs a list, set, object (its keys) or string (substring, of a string) on its right;
  arithmetic needs numbers (`+` also joins strings and lists), and `- & |` on lists and
  sets are set operations. Anything else is an error. Builtins check their argument types;
  an argument left out takes the policy's setting of that name (`dialect`; `recognizers`, its
  `recognizer` declarations), else its default.
* A rule applies when its kind (and tool) fit the event and its conditions, taken in
  order, all hold (`when X`: X is truthy; `unless X`: X is falsy); the first that fails
  stops the rule. A condition that raises makes the whole rule an error, which fails
  closed: a `deny`/`escalate` rule counts as matched (and `redact` as a deny), an
  `allow` does not match, and `warn`, `label` and `allow` errors become warnings. In an
  `on_error allow` policy every error is a warning, and an erroring `allow` matches.
* A `mode shadow` policy is evaluated the same way, but whatever it would do is a warning
  and never changes the decision or the payload. Its `default deny` is judged against its
  own allow rules: a call it would deny is a warning `POLICY.default`.
* `redact` rewrites every string of the payload (`args` of a call, else `content`), or
  only the string at the path given as its first argument (nothing when it is missing, an
  error when it is not a string), for the rules after it; once a deny is recorded, a
  matching `redact` does nothing (the event will not be sent), so it cannot fail either.
* Decision: any deny violation denies; else any escalate escalates; else allow. For a
  call, every enforced `default deny` policy needs one of its own allow rules to match,
  or the call is denied by `POLICY.default`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from railguard.builtins.regex import Regex
from railguard.builtins.registry import ANY, LoadContext, registry
from railguard.policylang import ast


class EvalError(Exception):
    """An expression met a value it cannot handle."""


@dataclass
class Outcome:
    decision: str
    violations: list[str] = field(default_factory=list)  # rule ids, in rule order
    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


# ---- values -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """A `/regex/flags` literal."""

    pattern: str
    flags: str = ""

    def search(self, text: str) -> bool:
        source = f"(?{self.flags}){self.pattern}" if self.flags else self.pattern
        return re2.compile(source).search(text) is not None


class Set:
    """A set of strings, numbers, booleans and null, under strict equality."""

    def __init__(self, items: list[Any]) -> None:
        self.items: list[Any] = []
        for item in items:
            if type(item) in (list, dict, Set):
                raise EvalError("a set can only hold strings, numbers, booleans and null")
            if not self.has(item):
                self.items.append(item)

    def has(self, value: Any) -> bool:
        return any(same(value, x) for x in self.items)


def is_number(v: Any) -> bool:
    return type(v) in (int, float)


def type_name(v: Any) -> str:
    if type(v) is bool:
        return "bool"
    if is_number(v):
        return "number"
    names = {str: "string", type(None): "null", list: "list", Set: "set", dict: "object"}
    return names.get(type(v), "regex")


def same(a: Any, b: Any) -> bool:
    """Strict equality."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if type(a) is Set:
        return len(a.items) == len(b.items) and all(b.has(x) for x in a.items)
    return bool(a == b)


def truthy(v: Any) -> bool:
    if type(v) is Set:
        return bool(v.items)
    return bool(v) if not isinstance(v, Pattern) else True


def as_set(v: Any, op: str) -> Set:
    if type(v) is Set:
        return v
    if type(v) is list:
        return Set(v)
    raise EvalError(f"`{op}` needs lists or sets")


def to_python(v: Any) -> Any:
    """A value as a builtin function receives it."""
    if type(v) is Set:
        return frozenset(v.items)
    if isinstance(v, Pattern):
        return Regex(v.pattern, v.flags)
    if type(v) is list:
        return [to_python(x) for x in v]
    if type(v) is dict:
        return {k: to_python(x) for k, x in v.items()}
    return v


def from_python(v: Any) -> Any:
    return Set(list(v)) if isinstance(v, frozenset | set) else v


# ---- expressions --------------------------------------------------------------


def root(name: str, event: Any) -> Any:
    return {
        "args": lambda: event.args,
        "content": lambda: event.content,
        "tool": lambda: event.tool,
        "context": lambda: event.context,
        "session": lambda: event.session,
        "kind": lambda: event.kind,
    }[name]()


def step(value: Any, key: Any) -> Any:
    if type(value) is dict and type(key) is str:
        return value.get(key)
    if type(value) is list and type(key) is int and -len(value) <= key < len(value):
        return value[key]
    return None


def member(item: Any, container: Any) -> bool:
    if type(container) is str:
        if type(item) is not str:
            raise EvalError("`in` a string needs a string")
        return item in container
    if type(container) is dict:
        return type(item) is str and item in container
    if type(container) is list:
        return any(same(item, x) for x in container)
    if type(container) is Set:
        return container.has(item)
    raise EvalError("`in` needs a list, set, object or string on its right")


def arithmetic(op: str, a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b) and op in "+-":
        return a + b if op == "+" else a - b
    if op == "+" and type(a) is type(b) and type(a) in (str, list):
        return a + b
    if op == "-" and type(a) is list and type(b) in (list, Set):
        return Set([x for x in a if not member(x, b)])
    if op in "-&|":
        left, right = as_set(a, op), as_set(b, op)
        if op == "-":
            return Set([x for x in left.items if not right.has(x)])
        if op == "&":
            return Set([x for x in left.items if right.has(x)])
        return Set(left.items + right.items)
    raise EvalError(f"cannot apply `{op}` to {type_name(a)} and {type_name(b)}")


def compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return same(a, b)
    if op == "!=":
        return not same(a, b)
    if op in ("in", "not in"):
        return member(a, b) == (op == "in")
    if op == "matches":
        if type(a) is not str:
            raise EvalError("`matches` needs a string")
        pattern = b if isinstance(b, Pattern) else Pattern(b)
        return pattern.search(a)
    if not ((is_number(a) and is_number(b)) or (type(a) is str and type(b) is str)):
        raise EvalError(f"cannot order {type_name(a)} and {type_name(b)}")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def call(node: ast.Call, event: Any, defaults: dict[str, Any]) -> Any:
    spec = registry()[str(ast.dotted_name(node.func))]
    values: dict[str, Any] = {}
    for param, arg in zip(spec.params, node.args, strict=False):
        if arg.name is None:
            values[param.name] = evaluate_expr(arg.value, event, defaults)
    for arg in node.args:
        if arg.name is not None:
            values[arg.name] = evaluate_expr(arg.value, event, defaults)
    args = []
    for param in spec.params:
        # A default is a Python value (an empty frozenset): read it as the language's.
        value = values.get(param.name, defaults.get(param.name, from_python(param.default)))
        if param.types == {"regex"} and type(value) is str:  # a pattern written as a string
            value = Pattern(value)
        if param.types != ANY and type_name(value) not in param.types:
            raise EvalError(f"`{spec.name}`: `{param.name}` cannot be {type_name(value)}")
        args.append(to_python(value))
    for i, param in enumerate(spec.params):
        if param.static is not None:  # loaded as the compiler loads it (a schema file, ...)
            uses = {p.name: a for p, a in zip(spec.params, args, strict=True)}
            context = LoadContext(Path.cwd())
            args[i] = param.static.loader(
                args[i], context, **{n: uses[n] for n in param.static.uses}
            )
    try:
        return from_python(spec.func(*args))
    except Exception as exc:
        raise EvalError(f"`{spec.name}` failed: {exc}") from exc


def evaluate_expr(node: ast.Expr, event: Any, defaults: dict[str, Any] | None = None) -> Any:
    """The value of `node` for `event`; `defaults` are the policy settings that supply a
    builtin argument left out (`dialect "mysql"`)."""
    defaults = defaults or {}
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.RegexLit):
        return Pattern(node.pattern, node.flags)
    if isinstance(node, ast.ListLit):
        return [evaluate_expr(i, event, defaults) for i in node.items]
    if isinstance(node, ast.SetLit):
        return Set([evaluate_expr(i, event, defaults) for i in node.items])
    if isinstance(node, ast.Name):
        return root(node.name, event)
    if isinstance(node, ast.Attr):
        return step(evaluate_expr(node.obj, event, defaults), node.name)
    if isinstance(node, ast.Index):
        return step(
            evaluate_expr(node.obj, event, defaults), evaluate_expr(node.index, event, defaults)
        )
    if isinstance(node, ast.Call):
        return call(node, event, defaults)
    if isinstance(node, ast.Not):
        return not truthy(evaluate_expr(node.operand, event, defaults))
    if isinstance(node, ast.Neg):
        value = evaluate_expr(node.operand, event, defaults)
        if not is_number(value):
            raise EvalError(f"`-` needs a number, got {type_name(value)}")
        return -value
    if isinstance(node, ast.BoolOp):
        for operand in node.operands:  # short-circuits, like the language
            if truthy(evaluate_expr(operand, event, defaults)) != (node.op == "and"):
                return node.op == "or"
        return node.op == "and"
    if isinstance(node, ast.Compare):
        left = evaluate_expr(node.left, event, defaults)
        return compare(node.op, left, evaluate_expr(node.right, event, defaults))
    if isinstance(node, ast.BinOp):
        left = evaluate_expr(node.left, event, defaults)
        return arithmetic(node.op, left, evaluate_expr(node.right, event, defaults))
    raise AssertionError(f"unknown node {node!r}")


# ---- rules and decisions ------------------------------------------------------


def targets(rule: ast.Rule, event: Any) -> bool:
    if rule.kind != event.kind:
        return False
    if not rule.tools or any(t.pattern == "*" and not t.quoted for t in rule.tools):
        return True
    return any(
        fnmatch.fnmatchcase(event.tool, t.pattern) if t.is_glob else event.tool == t.pattern
        for t in rule.tools
    )


def applies(rule: ast.Rule, event: Any, defaults: dict[str, Any]) -> bool:
    """Whether every condition holds; raises EvalError when one cannot be evaluated."""
    for condition in rule.conditions:
        if truthy(evaluate_expr(condition.expr, event, defaults)) == condition.negated:
            return False
    return True


def path_keys(node: ast.Expr) -> list[Any]:
    """`args.items[0]` -> ["items", 0]: the keys after the root (indexes are literals)."""
    keys: list[Any] = []
    while isinstance(node, ast.Attr | ast.Index):
        if isinstance(node, ast.Attr):
            keys.insert(0, node.name)
        else:
            assert isinstance(node.index, ast.Literal)
            keys.insert(0, node.index.value)
        node = node.obj
    return keys


def redact(rule: ast.Rule, event: Any) -> Any:
    """The event with its payload rewritten by the rule's `redact.pattern(...)`: every string
    (`args` of a call, else `content`), or only the one string a first path argument names."""
    assert isinstance(rule.redactor, ast.Call)
    args = list(rule.redactor.args)
    target = None
    if args and (
        args[0].name == "value"
        or (args[0].name is None and isinstance(args[0].value, ast.Name | ast.Attr | ast.Index))
    ):
        target = path_keys(args.pop(0).value)
    given = {a.name or ("pattern", "replacement")[i]: a.value for i, a in enumerate(args)}
    pattern = given["pattern"]
    assert isinstance(pattern, ast.RegexLit)
    replacement = given.get("replacement")
    text = replacement.value if isinstance(replacement, ast.Literal) else "<REDACTED>"
    flags = f"(?{pattern.flags})" if pattern.flags else ""
    regex = re2.compile(flags + pattern.pattern)

    def rewrite(value: Any) -> Any:
        if type(value) is str:
            out, last = [], 0
            for m in regex.finditer(value):
                if m.end() > m.start():
                    out += [value[last : m.start()], text]
                    last = m.end()
            return "".join(out) + value[last:]
        if type(value) is dict:
            return {k: rewrite(v) for k, v in value.items()}
        if type(value) is list:
            return [rewrite(v) for v in value]
        return value

    def rewrite_at(value: Any, keys: list[Any]) -> Any:
        """Rewrite the string at `keys`; nothing there is nothing to do, a non-string an error."""
        if not keys:
            if value is not None and type(value) is not str:
                raise EvalError(f"only a string can be rewritten, not {type_name(value)}")
            return rewrite(value)
        key, rest = keys[0], keys[1:]
        if type(value) is dict and type(key) is str and key in value:
            return {**value, key: rewrite_at(value[key], rest)}
        if type(value) is list and type(key) is int and -len(value) <= key < len(value):
            return [
                rewrite_at(v, rest) if i == key % len(value) else v for i, v in enumerate(value)
            ]
        return value

    payload = event.args if event.kind == "call" else event.content
    new = rewrite(payload) if target is None else rewrite_at(payload, target)
    return dataclasses.replace(event, **{"args" if event.kind == "call" else "content": new})


def recognizer(r: ast.Recognizer) -> Any:
    from railguard.builtins import pii

    patterns = [Regex(p.pattern, p.flags) for p in r.patterns]
    return pii.custom_recognizer(r.name, patterns, r.context, 0.6 if r.score is None else r.score)


def evaluate(module: ast.Module, event: Any) -> Outcome:
    """The decision on `event` under every policy of `module`, and the rules behind it."""
    out = Outcome("allow")
    effects: list[str] = []  # the effect of each violation
    allowed: set[str] = set()
    for policy in module.policies:
        settings = {s.name: s.value for s in policy.settings}
        shadow = settings.get("mode") == "shadow"
        fail_open = settings.get("on_error") == "allow"
        defaults: dict[str, Any] = {k: v for k, v in settings.items() if k == "dialect"}
        if policy.recognizers:  # the policy's `pii` calls run its recognizers
            defaults["recognizers"] = [recognizer(r) for r in policy.recognizers]
        for ordinal, rule in enumerate(policy.rules, start=1):
            rule_id = f"{policy.name}.{rule.name or f'rule_{ordinal}'}"
            if not targets(rule, event):
                continue
            try:
                if not applies(rule, event, defaults):
                    continue
                error = False
            except EvalError:
                error = True
            effect = rule.effect
            if not error and not shadow and effect == "redact":
                if "deny" in effects:
                    continue  # a denied event is never sent: it is not rewritten
                try:
                    event = redact(rule, event)
                    continue
                except Exception:
                    error = True
            if shadow or (error and (fail_open or effect in ("warn", "allow"))):
                out.warnings.append(rule_id)
                if effect == "allow" and (not error or fail_open):
                    allowed.add(policy.name)
            elif effect == "label" and rule.label not in out.labels:
                out.labels.append(str(rule.label))
                if error:
                    out.warnings.append(rule_id)
            elif effect == "label" and error:
                out.warnings.append(rule_id)
            elif effect == "allow":
                allowed.add(policy.name)
            elif effect == "warn":
                out.warnings.append(rule_id)
            elif effect in ("deny", "escalate", "redact"):  # a redaction that fails denies
                out.violations.append(rule_id)
                effects.append("escalate" if effect == "escalate" else "deny")
    if event.kind == "call":
        for policy in module.policies:
            settings = {s.name: s.value for s in policy.settings}
            if settings.get("default") == "deny" and policy.name not in allowed:
                gate = f"{policy.name}.default"
                if settings.get("mode") == "shadow":
                    out.warnings.append(gate)
                else:
                    out.violations.append(gate)
                    effects.append("deny")
    if "deny" in effects:
        out.decision = "deny"
    elif "escalate" in effects:
        out.decision = "escalate"
    return out
