"""Compile expression ASTs into closures over an event, checking them on the way.

Every expression becomes either a constant (folded at compile time) or a function of the
event. Type errors that can be seen in the source are diagnostics; the rest raise
`EvalError` at run time, which the engine turns into a fail-closed error violation.
Comparisons with a constant on one side, the most common shape in policies, get closures
of their own so that a condition costs one or two Python calls.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railguard.builtins.regex import Regex, RegexError
from railguard.builtins.registry import (
    ANY,
    BuiltinSpec,
    EvalError,
    LoadContext,
    LoadError,
    Param,
    describe_types,
    registry,
    type_of,
)
from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics, did_you_mean
from railguard.policylang.span import Span

Thunk = Callable[[Any], Any]

ALL_KINDS = frozenset({"input", "call", "result", "output"})
ROOTS: dict[str, frozenset[str]] = {
    "args": frozenset({"call"}),
    "content": frozenset({"input", "result", "output"}),
    "tool": frozenset({"call", "result"}),
    "context": ALL_KINDS,
    "session": ALL_KINDS,
    "kind": ALL_KINDS,
}
_ROOT_TYPES = {
    "tool": frozenset({"string"}),
    "kind": frozenset({"string"}),
    "session": frozenset({"string", "null"}),
}
_NUM = (int, float)
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "bool": (bool,),
    "null": (type(None),),
    "list": (list, tuple),
    "set": (frozenset, set),
    "object": (dict,),
    "regex": (Regex,),
}


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled expression: a constant, or a function of the event."""

    fn: Thunk | None
    const: Any = None
    types: frozenset[str] = ANY
    bad: bool = False

    @property
    def is_const(self) -> bool:
        return self.fn is None and not self.bad

    def thunk(self) -> Thunk:
        if self.fn is not None:
            return self.fn
        value = self.const
        return lambda ev: value


BAD = Compiled(None, None, ANY, bad=True)


def _const(value: Any) -> Compiled:
    return Compiled(None, value, frozenset({type_of(value)}))


# ---- runtime helpers ----------------------------------------------------------


def truthy(value: Any) -> bool:
    return bool(value)


def equal(a: Any, b: Any) -> bool:
    """Equality where `true` is not `1`, also inside lists and objects."""
    ta, tb = type(a), type(b)
    if ta in (list, tuple) and tb in (list, tuple):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict and tb is dict:
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return bool(a == b) and (ta is bool) == (tb is bool)


def member(item: Any, container: Any) -> bool:
    t = type(container)
    if t is str:
        if type(item) is not str:
            raise EvalError(f"`in` a string needs a string on its left, got {type_of(item)}")
        return item in container
    if t is dict:
        return type(item) is str and item in container
    if t in (list, tuple, frozenset, set):
        if type(item) in (bool, int, float) or t in (list, tuple):
            return any(equal(item, x) for x in container)
        try:
            return item in container
        except TypeError:
            return any(equal(item, x) for x in container)
    raise EvalError(
        f"`in` needs a list, set, object or string on its right, got {type_of(container)}"
    )


_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def order(op: str, a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if (ta in _NUM and tb in _NUM) or (ta is str and tb is str):
        return _ORDER_OPS[op](a, b)
    raise EvalError(f"cannot compare {type_of(a)} with {type_of(b)} using `{op}`")


def _as_set(value: Any, op: str) -> frozenset[Any]:
    if type(value) in (list, tuple, frozenset, set):
        try:
            return frozenset(value)
        except TypeError:
            raise EvalError(f"`{op}` needs lists of strings, numbers or booleans") from None
    raise EvalError(f"`{op}` needs lists or sets, got {type_of(value)}")


def binop(op: str, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta in _NUM and tb in _NUM:
        if op == "-":
            return a - b
        if op == "+":
            return a + b
    if op == "+" and ta is str and tb is str:
        return a + b
    if op == "+" and ta in (list, tuple) and tb in (list, tuple):
        return [*a, *b]
    if op == "-":
        if ta in (list, tuple) and tb in (list, tuple, frozenset, set):
            return frozenset(x for x in a if not member(x, b))
        return _as_set(a, op) - _as_set(b, op)
    if op == "&":
        return _as_set(a, op) & _as_set(b, op)
    if op == "|":
        return _as_set(a, op) | _as_set(b, op)
    raise EvalError(f"cannot apply `{op}` to {type_of(a)} and {type_of(b)}")


def step(obj: Any, key: Any) -> Any:
    """One step of a path: a missing key, an index out of range or a wrong type gives null."""
    if type(obj) is dict:
        return obj.get(key) if type(key) is str else None
    if type(obj) in (list, tuple) and type(key) is int:
        return obj[key] if -len(obj) <= key < len(obj) else None
    return None


def render(value: Any) -> str:
    """How a value appears in a message."""
    if type(value) is str:
        return value
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (frozenset, set):
        return "{" + ", ".join(sorted(_render_item(v) for v in value)) + "}"
    if type(value) in (list, tuple):
        return "[" + ", ".join(_render_item(v) for v in value) + "]"
    if type(value) is dict:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _render_item(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if type(value) is str else render(value)


# ---- the compiler -------------------------------------------------------------


class ExprCompiler:
    """Compiles the expressions of one rule, whose event kind fixes the available roots."""

    def __init__(
        self,
        kind: str,
        diags: Diagnostics,
        defaults: Mapping[str, tuple[Any, Span]] | None = None,
        load: LoadContext | None = None,
        prepare: bool = True,
    ) -> None:
        self.kind = kind
        self.prepare = prepare  # run the builtins' warm-up (not when only linting)
        self.diags = diags
        self.builtins = registry()
        self.calls_builtins = False
        self.reads_session = False
        # The calls whose builtins explain a match (`details=`): (hook, argument thunks).
        self.evidence: list[tuple[Callable[..., Any], tuple[Thunk, ...]]] = []
        # Policy settings that supply a builtin argument left out (`dialect "mysql"`).
        self.defaults = dict(defaults or {})
        # Where the policy is and the engine's configuration, for load-time arguments.
        self.load = load

    def compile(self, node: ast.Expr) -> Compiled:
        method = getattr(self, "_" + type(node).__name__.lower())
        result: Compiled = method(node)
        return result

    def condition(self, node: ast.Expr) -> Compiled:
        """Compile for truthiness only: `and`, `or` and `not` may return any truthy value."""
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(o) for o in node.operands]
            if any(p.bad for p in parts):
                return BAD
            return self._combine(node.op == "and", parts, as_bool=False)
        if isinstance(node, ast.Not):
            inner = self.condition(node.operand)
            if inner.bad or inner.is_const:
                return inner if inner.bad else _const(not inner.const)
            fn = inner.thunk()
            return Compiled(lambda ev: not fn(ev), types=frozenset({"bool"}))
        return self.compile(node)

    # -- literals
    def _literal(self, node: ast.Literal) -> Compiled:
        return _const(node.value)

    def _regexlit(self, node: ast.RegexLit) -> Compiled:
        regex = self.regex(node.pattern, node.flags, node.span)
        return BAD if regex is None else _const(regex)

    def _listlit(self, node: ast.ListLit) -> Compiled:
        items = [self.compile(i) for i in node.items]
        if any(i.bad for i in items):
            return BAD
        if all(i.is_const for i in items):
            return _const([i.const for i in items])
        thunks = [i.thunk() for i in items]
        return Compiled(lambda ev: [t(ev) for t in thunks], types=frozenset({"list"}))

    def _setlit(self, node: ast.SetLit) -> Compiled:
        items = [self.compile(i) for i in node.items]
        if any(i.bad for i in items):
            return BAD
        for item, source in zip(items, node.items, strict=True):
            if item.types <= frozenset({"list", "set", "object"}):
                self.diags.error(
                    "RG221",
                    f"a set cannot hold a {describe_types(item.types)}",
                    source.span,
                    help="sets hold strings, numbers, booleans and null",
                )
                return BAD
        if all(i.is_const for i in items):
            return _const(frozenset(i.const for i in items))
        thunks = [i.thunk() for i in items]

        def make_set(ev: Any) -> frozenset[Any]:
            try:
                return frozenset(t(ev) for t in thunks)
            except TypeError:
                raise EvalError("a set can only hold strings, numbers, booleans and null") from None

        return Compiled(make_set, types=frozenset({"set"}))

    # -- paths
    def _name(self, node: ast.Name) -> Compiled:
        return self._path(node)

    def _attr(self, node: ast.Attr) -> Compiled:
        return self._path(node)

    def _index(self, node: ast.Index) -> Compiled:
        return self._path(node)

    def _path(self, node: ast.Expr) -> Compiled:
        chain: list[Compiled] = []
        cur = node
        while isinstance(cur, ast.Attr | ast.Index):
            if isinstance(cur, ast.Attr):
                chain.append(_const(cur.name))
            else:
                index = self.compile(cur.index)
                if index.bad:
                    return BAD
                chain.append(index)
            cur = cur.obj
        if not isinstance(cur, ast.Name):
            base = self.compile(cur)
            if base.bad:
                return BAD
            root_fn = base.thunk()
        else:
            root = self.root(cur, node)
            if root is None:
                return BAD
            root_fn = root
            if not chain:
                return Compiled(root_fn, types=_ROOT_TYPES.get(cur.name, ANY))
        chain.reverse()
        if all(c.is_const for c in chain):
            keys = tuple(c.const for c in chain)
            return Compiled(
                _const_path(root_fn, keys, cur.name if isinstance(cur, ast.Name) else None)
            )
        thunks = [c.thunk() for c in chain]

        def dynamic_path(ev: Any) -> Any:
            value = root_fn(ev)
            for t in thunks:
                value = step(value, t(ev))
            return value

        return Compiled(dynamic_path)

    def root(self, name: ast.Name, whole: ast.Expr) -> Thunk | None:
        kinds = ROOTS.get(name.name)
        if kinds is None:
            dotted = ast.dotted_name(whole)
            if dotted is not None and dotted in self.builtins:
                help_text: str | None = f"`{dotted}` is a builtin: call it as `{dotted}(...)`"
            else:
                help_text = did_you_mean(name.name, ROOTS) or (
                    "paths start with " + ", ".join(f"`{r}`" for r in ROOTS)
                )
            self.diags.error("RG208", f"unknown name `{name.name}`", name.span, help=help_text)
            return None
        if self.kind not in kinds:
            where = ", ".join(f"`{k}`" for k in sorted(kinds))
            self.diags.error(
                "RG209",
                f"`{name.name}` is not part of `{self.kind}` events, so this rule can never apply",
                name.span,
                help=f"`{name.name}` exists on {where} events",
            )
            return None
        return operator.attrgetter(name.name)

    # -- operators
    def _not(self, node: ast.Not) -> Compiled:
        inner = self.compile(node.operand)
        if inner.bad:
            return BAD
        if inner.is_const:
            return _const(not inner.const)
        fn = inner.thunk()
        return Compiled(lambda ev: not fn(ev), types=frozenset({"bool"}))

    def _neg(self, node: ast.Neg) -> Compiled:
        inner = self.compile(node.operand)
        if inner.bad:
            return BAD
        if "number" not in inner.types:
            return self._type_error(
                node.span, f"`-` needs a number, found {describe_types(inner.types)}"
            )

        def negate(value: Any) -> Any:
            if type(value) not in _NUM:
                raise EvalError(f"`-` needs a number, got {type_of(value)}")
            return -value

        return self._apply(node.span, negate, [inner], frozenset({"number"}))

    def _boolop(self, node: ast.BoolOp) -> Compiled:
        parts = [self.compile(o) for o in node.operands]
        if any(p.bad for p in parts):
            return BAD
        return self._combine(node.op == "and", parts, as_bool=True)

    def _combine(self, is_and: bool, parts: list[Compiled], *, as_bool: bool) -> Compiled:
        # A constant that decides the result folds it; constants that don't are dropped.
        dynamic: list[Thunk] = []
        for p in parts:
            if p.is_const:
                if truthy(p.const) != is_and:
                    if not dynamic:
                        return _const(not is_and)
                    dynamic.append(p.thunk())
                    break
                continue
            dynamic.append(p.thunk())
        if not dynamic:
            return _const(is_and)
        fns = tuple(dynamic)
        bool_type = frozenset({"bool"})
        if len(fns) == 1:
            only = fns[0]
            return Compiled((lambda ev: bool(only(ev))) if as_bool else only, types=bool_type)
        if len(fns) == 2:
            a, b = fns
            if is_and:
                fn: Thunk = (
                    (lambda ev: bool(a(ev) and b(ev))) if as_bool else (lambda ev: a(ev) and b(ev))
                )
            else:
                fn = (lambda ev: bool(a(ev) or b(ev))) if as_bool else (lambda ev: a(ev) or b(ev))
            return Compiled(fn, types=bool_type)
        if is_and:
            return Compiled(lambda ev: all(f(ev) for f in fns), types=bool_type)
        return Compiled(lambda ev: any(f(ev) for f in fns), types=bool_type)

    def _binop(self, node: ast.BinOp) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        if left.bad or right.bad:
            return BAD
        op = node.op
        if op == "-" and left.types <= {"number"} and right.types <= {"number"}:
            result = frozenset({"number"})
        elif op in "-&|" and not (left.types <= {"number"} or right.types <= {"number"}):
            result = frozenset({"set", "number"}) if op == "-" else frozenset({"set"})
        else:
            result = ANY
        return self._apply(node.span, lambda a, b: binop(op, a, b), [left, right], result)

    def _compare(self, node: ast.Compare) -> Compiled:
        op = node.op
        if op == "matches":
            return self._matches(node)
        left, right = self.compile(node.left), self.compile(node.right)
        if left.bad or right.bad:
            return BAD
        bool_type = frozenset({"bool"})
        if op in ("==", "!="):
            negate = op == "!="
            if right.is_const and not left.is_const:
                lf, c = left.thunk(), right.const
                if type(c) is str:
                    fn: Thunk = (lambda ev: lf(ev) != c) if negate else (lambda ev: lf(ev) == c)
                    return Compiled(fn, types=bool_type)
                if negate:
                    return Compiled(lambda ev: not equal(lf(ev), c), types=bool_type)
                return Compiled(lambda ev: equal(lf(ev), c), types=bool_type)
            return self._apply(
                node.span,
                (lambda a, b: not equal(a, b)) if negate else equal,
                [left, right],
                bool_type,
            )
        if op in _ORDER_OPS:
            for side in (left, right):
                if side.types.isdisjoint({"number", "string"}):
                    return self._type_error(
                        node.span,
                        f"`{op}` compares numbers or strings, found {describe_types(side.types)}",
                    )
            if right.is_const and not left.is_const and type(right.const) in _NUM:
                return Compiled(_order_const(op, left.thunk(), right.const), types=bool_type)
            return self._apply(node.span, lambda a, b: order(op, a, b), [left, right], bool_type)
        if op in ("in", "not in"):
            if right.types.isdisjoint({"list", "set", "object", "string"}):
                return self._type_error(
                    node.span,
                    f"`{op}` needs a list, set, object or string on its right, found {describe_types(right.types)}",
                )
            negate = op == "not in"
            if right.is_const and not left.is_const and type(right.const) is frozenset:
                fn = _in_const_set(left.thunk(), right.const)
                if negate:
                    inner = fn
                    fn = lambda ev: not inner(ev)  # noqa: E731
                return Compiled(fn, types=bool_type)
            check = (lambda a, b: not member(a, b)) if negate else member
            return self._apply(node.span, check, [left, right], bool_type)
        raise AssertionError(f"unknown comparison {op}")  # pragma: no cover

    def _matches(self, node: ast.Compare) -> Compiled:
        left = self.compile(node.left)
        right = self.compile(node.right)
        if left.bad or right.bad:
            return BAD
        if not right.is_const:
            self.diags.error(
                "RG219",
                "the pattern of `matches` must be written in the policy",
                node.right.span,
                help="patterns are compiled once, when the policy loads; use a `/regex/` or a string literal",
            )
            return BAD
        pattern = right.const
        if isinstance(pattern, str):
            regex = self.regex(pattern, "", node.right.span)
            if regex is None:
                return BAD
            pattern = regex
        if not isinstance(pattern, Regex):
            return self._type_error(
                node.right.span, f"`matches` needs a pattern, found {type_of(pattern)}"
            )
        if "string" not in left.types:
            return self._type_error(
                node.left.span, f"`matches` needs a string, found {describe_types(left.types)}"
            )
        search = pattern.search

        def matches(value: Any) -> bool:
            if type(value) is not str:
                raise EvalError(f"`matches` needs a string, got {type_of(value)}")
            return search(value)

        if left.is_const:
            return self._fold(node.span, matches, [left.const])
        lf = left.thunk()

        def matches_path(ev: Any) -> bool:
            value = lf(ev)
            if type(value) is str:
                return search(value)
            raise EvalError(f"`matches` needs a string, got {type_of(value)}")

        return Compiled(matches_path, types=frozenset({"bool"}))

    # -- calls
    def _call(self, node: ast.Call) -> Compiled:
        spec = self.builtin(node)
        if spec is None:
            return BAD
        if spec.kind == "redactor":
            self.diags.error(
                "RG218",
                f"`{spec.name}` rewrites the payload and can only follow `with` in a `redact` rule",
                node.func.span,
                help=f"write `redact <kind> with {spec.name}(...)`",
            )
            return BAD
        bound = self.bind(node, spec, spec.params)
        if bound is None:
            return BAD
        self.calls_builtins = True
        reads_session = spec.family == "session"  # reads the session, not only its arguments
        self.reads_session = self.reads_session or reads_session
        if spec.prepare is not None and self.prepare:
            spec.prepare()
        if spec.details is not None:
            self.evidence.append((spec.details, tuple(a.thunk() for a in bound)))
        return self._apply(node.span, spec.func, bound, spec.returns, pure=not reads_session)

    def builtin(self, node: ast.Call) -> BuiltinSpec | None:
        name = ast.dotted_name(node.func)
        if name is None or name not in self.builtins:
            shown = name or "this expression"
            help_text = did_you_mean(name, self.builtins) if name else None
            if help_text is None and name is not None and name.split(".")[0] in ROOTS:
                help_text = "only builtins can be called; see `railguard builtins` for the list"
            self.diags.error("RG201", f"unknown builtin `{shown}`", node.func.span, help=help_text)
            return None
        return self.builtins[name]

    def bind(
        self, node: ast.Call, spec: BuiltinSpec, params: tuple[Any, ...]
    ) -> list[Compiled] | None:
        """Match the call's arguments to `params`; check their count, names and types."""
        values: dict[str, tuple[Compiled, ast.Argument]] = {}
        ok = True
        misnamed = False
        seen_named = False
        for i, arg in enumerate(node.args):
            if arg.name is None:
                if seen_named:
                    self.diags.error(
                        "RG207",
                        "a positional argument cannot follow a named one",
                        arg.span,
                        help="name this argument too, or move it before the named ones",
                    )
                    ok = False
                    misnamed = True  # its parameter is unknown: do not also report it missing
                    continue
                if i >= len(params):
                    self.diags.error(
                        "RG204",
                        f"`{spec.name}` takes {len(params)} argument{'s' if len(params) != 1 else ''}, got {len(node.args)}",
                        arg.span,
                        help=f"the signature is `{spec.signature}`",
                    )
                    ok = False
                    continue
                pname = params[i].name
            else:
                seen_named = True
                pname = arg.name
                if not any(p.name == pname for p in params):
                    names = [p.name for p in params]
                    self.diags.error(
                        "RG202",
                        f"`{spec.name}` has no argument `{pname}`",
                        arg.span,
                        help=did_you_mean(pname, names) or f"the signature is `{spec.signature}`",
                    )
                    ok = False
                    misnamed = True
                    continue
            if pname in values:
                self.diags.error(
                    "RG206",
                    f"argument `{pname}` is given twice",
                    arg.span,
                    help=f"the signature is `{spec.signature}`",
                )
                ok = False
                continue
            compiled = self.compile(arg.value)
            ok = ok and not compiled.bad
            values[pname] = (compiled, arg)
        bound: list[Compiled] = []
        for p in params:
            if p.name not in values and p.name in self.defaults:
                value, where = self.defaults[p.name]
                if p.choices is not None and value not in p.choices:
                    self.diags.error(
                        "RG205",
                        f"`{value}` is not a {p.name} `{spec.name}` knows",
                        where,
                        help=did_you_mean(value, p.choices)
                        or "choose one of " + ", ".join(p.choices),
                    )
                    ok = False
                else:
                    bound.append(_const(value))
                continue
            if p.name not in values:
                if p.required and not misnamed:
                    self.diags.error(
                        "RG203",
                        f"`{spec.name}` needs the argument `{p.name}`",
                        node.span,
                        help=f"the signature is `{spec.signature}`",
                    )
                    ok = False
                elif p.required:
                    ok = False
                else:
                    bound.append(_const(p.default))
                continue
            compiled, arg = values[p.name]
            if compiled.bad:
                continue
            checked = self._check_arg(spec, p, compiled, arg)
            ok = ok and checked is not None
            if checked is not None:
                bound.append(checked)
        if ok and any(p.static is not None for p in params):
            return self._load_static(node, spec, params, bound, values)
        return bound if ok else None

    def _load_static(
        self,
        node: ast.Call,
        spec: BuiltinSpec,
        params: tuple[Param, ...],
        bound: list[Compiled],
        values: Mapping[str, tuple[Compiled, ast.Argument]],
    ) -> list[Compiled] | None:
        """Run the loaders of load-time parameters (`Static`) on their constant values; the
        builtin receives what they return. Every failure is a diagnostic at the argument."""
        by_name = {p.name: b for p, b in zip(params, bound, strict=True)}
        out = list(bound)
        ok = True
        reported: set[str] = set()
        for i, param in enumerate(params):
            static = param.static
            if static is None:
                continue
            names = [param.name, *(n for n in static.uses if n in by_name)]
            loose = [n for n in names if not by_name[n].is_const]
            for name in loose:
                if name not in reported:
                    reported.add(name)
                    self.diags.error(
                        "RG219",
                        f"the argument `{name}` of `{spec.name}` must be written in the policy",
                        values[name][1].value.span if name in values else node.span,
                        help="it is loaded once, when the policy loads: write a literal value",
                    )
            if loose:
                ok = False
                continue
            given = values.get(param.name)
            span = given[1].value.span if given is not None else node.span
            context = self.load or LoadContext(Path.cwd())
            uses = {n: by_name[n].const for n in names[1:]}
            try:
                loaded = static.loader(by_name[param.name].const, context, **uses)
            except LoadError as exc:
                self.diags.error("RG240", exc.message, span, help=exc.hint)
                ok = False
                continue
            except Exception as exc:  # a loader's bug must not crash the compiler
                self.diags.error("RG240", f"`{spec.name}` cannot load `{param.name}`: {exc}", span)
                ok = False
                continue
            out[i] = Compiled(None, loaded, param.types)
        return out if ok else None

    def _check_arg(
        self, spec: BuiltinSpec, param: Any, value: Compiled, arg: ast.Argument
    ) -> Compiled | None:
        if param.choices is not None and value.is_const and value.const not in param.choices:
            self.diags.error(
                "RG205",
                f"`{value.const}` is not a {param.name} `{spec.name}` knows",
                arg.value.span,
                help=did_you_mean(str(value.const), param.choices)
                or "choose one of " + ", ".join(param.choices),
            )
            return None
        if param.types == frozenset({"regex"}):
            if not value.is_const:
                self.diags.error(
                    "RG219",
                    f"the pattern `{param.name}` of `{spec.name}` must be written in the policy",
                    arg.value.span,
                    help="patterns are compiled once, when the policy loads; use a `/regex/` or a string literal",
                )
                return None
            if isinstance(value.const, str):
                regex = self.regex(value.const, "", arg.value.span)
                return None if regex is None else _const(regex)
        if value.types.isdisjoint(param.types):
            self.diags.error(
                "RG205",
                f"argument `{param.name}` of `{spec.name}` must be {describe_types(param.types)}, "
                f"found {describe_types(value.types)}",
                arg.value.span,
                help=f"the signature is `{spec.signature}`",
            )
            return None
        if value.is_const or value.types <= param.types or param.types == ANY:
            return value
        allowed = tuple(t for name in param.types for t in _PY_TYPES[name])
        fn, where, pname, expected = (
            value.thunk(),
            spec.name,
            param.name,
            describe_types(param.types),
        )

        def checked(ev: Any) -> Any:
            v = fn(ev)
            if type(v) in allowed:
                return v
            raise EvalError(f"`{where}`: argument `{pname}` must be {expected}, got {type_of(v)}")

        return Compiled(checked, types=param.types)

    # -- shared
    def regex(self, pattern: str, flags: str, span: Span) -> Regex | None:
        try:
            return Regex(pattern, flags)
        except RegexError as exc:
            self.diags.error(
                "RG211",
                f"RE2 cannot run this pattern: {exc}",
                span,
                help="Railguard runs patterns in linear time with RE2, which has no backreferences or lookaround",
            )
            return None

    def _type_error(self, span: Span, message: str) -> Compiled:
        self.diags.error("RG221", message, span)
        return BAD

    def _fold(self, span: Span, func: Callable[..., Any], args: list[Any]) -> Compiled:
        try:
            return _const(func(*args))
        except (EvalError, TypeError, ValueError, ArithmeticError) as exc:
            self.diags.error("RG221", f"this expression always fails: {exc}", span)
            return BAD

    def _apply(
        self,
        span: Span,
        func: Callable[..., Any],
        args: list[Compiled],
        types: frozenset[str],
        pure: bool = True,
    ) -> Compiled:
        """`func(*args)` as a constant when every argument is one and `func` reads nothing
        but them, else as a closure."""
        if all(a.is_const for a in args):
            if pure:
                return self._fold(span, func, [a.const for a in args])
            fixed = tuple(a.const for a in args)
            return Compiled(lambda ev: func(*fixed), types=types)
        fns = [a.thunk() for a in args]
        consts = [a.is_const for a in args]
        if len(fns) == 1:
            (f0,) = fns
            return Compiled(lambda ev: func(f0(ev)), types=types)
        if len(fns) == 2:
            f0, f1 = fns
            if consts[1]:
                c1 = args[1].const
                return Compiled(lambda ev: func(f0(ev), c1), types=types)
            return Compiled(lambda ev: func(f0(ev), f1(ev)), types=types)
        if all(consts[1:]):  # `f(args, "schema.json", strict: true)`: one value, the rest fixed
            first, rest = fns[0], tuple(a.const for a in args[1:])
            return Compiled(lambda ev: func(first(ev), *rest), types=types)
        return Compiled(lambda ev: func(*[f(ev) for f in fns]), types=types)


def _const_path(root: Thunk, keys: tuple[Any, ...], root_name: str | None = None) -> Thunk:
    if len(keys) == 1 and type(keys[0]) is str:
        key = keys[0]
        if root_name in ("args", "context"):  # the engine checks both are objects before rules run
            if root_name == "args":
                return lambda ev: ev.args.get(key)
            return lambda ev: ev.context.get(key)

        def one(ev: Any) -> Any:
            obj = root(ev)
            return obj.get(key) if type(obj) is dict else None

        return one

    def walk(ev: Any) -> Any:
        value = root(ev)
        for k in keys:
            value = step(value, k)
        return value

    return walk


def _order_const(op: str, left: Thunk, c: int | float) -> Thunk:
    compare = _ORDER_OPS[op]

    def order_const(ev: Any) -> bool:
        v = left(ev)
        if type(v) is int or type(v) is float:
            return compare(v, c)
        raise EvalError(f"cannot compare {type_of(v)} with number using `{op}`")

    return order_const


def _in_const_set(left: Thunk, values: frozenset[Any]) -> Thunk:
    if all(type(v) is str for v in values):

        def in_strings(ev: Any) -> bool:
            v = left(ev)
            return type(v) is str and v in values

        return in_strings
    return lambda ev: member(left(ev), values)
