"""The typed AST of a policy file: frozen dataclasses whose spans do not take part in equality.

Two trees that differ only in layout compare equal, which is what the formatter's
meaning-preservation property and the parser's golden tests rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from railguard.policylang.span import NO_SPAN, Span

Scalar = str | int | float | bool | None


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---- expressions ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RegexLit:
    pattern: str
    flags: str = ""
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SetLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    """A bare identifier: a path root such as `args`, or the start of a builtin's name."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Attr:
    obj: Expr
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Index:
    obj: Expr
    index: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Argument:
    name: str | None
    value: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    func: Expr
    args: tuple[Argument, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >= in "not in" matches
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # - + & |
    left: Expr
    right: Expr
    span: Span = _span()


Expr = (
    Literal
    | RegexLit
    | ListLit
    | SetLit
    | Name
    | Attr
    | Index
    | Call
    | Not
    | Neg
    | BoolOp
    | Compare
    | BinOp
)


MAX_DEPTH = 64  # deeper expressions are refused (RG109): the compiler and formatter recurse


def depth(node: Expr) -> int:
    """How deep an expression nests, counted without recursion (the input may be hostile)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        for name in getattr(n, "__dataclass_fields__", ()):
            if name != "span":
                value = getattr(n, name)
                children = value if isinstance(value, tuple) else (value,)
                stack.extend((c, d + 1) for c in children if hasattr(c, "__dataclass_fields__"))
    return deepest


def too_deep(module: Module) -> list[tuple[int, Span]]:
    """The expressions of `module` nested deeper than `MAX_DEPTH`, with their depth."""
    found = []
    for policy in module.policies:
        for rule in policy.rules:
            exprs = [c.expr for c in rule.conditions]
            exprs += [rule.redactor] if rule.redactor is not None else []
            found += [(d, e.span) for e in exprs if (d := depth(e)) > MAX_DEPTH]
    return found


def dotted_name(expr: Expr) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Attr):
        head = dotted_name(expr.obj)
        return None if head is None else f"{head}.{expr.name}"
    return None


# ---- rules and settings -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolPattern:
    pattern: str
    quoted: bool = False
    span: Span = _span()

    @property
    def is_glob(self) -> bool:
        return not self.quoted and ("*" in self.pattern or "?" in self.pattern)


@dataclass(frozen=True, slots=True)
class Condition:
    negated: bool  # True for `unless`
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rule:
    name: str | None
    effect: str  # allow deny escalate warn redact label
    kind: str  # input call result output
    tools: tuple[ToolPattern, ...] = ()
    label: str | None = None
    redactor: Expr | None = None
    conditions: tuple[Condition, ...] = ()
    message: Message | None = None
    span: Span = _span()
    name_span: Span = _span()
    target_span: Span = _span()
    fallback: tuple[ToolPattern, ...] = ()  # `fallback run_sql_replica`: tools to offer instead


@dataclass(frozen=True, slots=True)
class Setting:
    """`default deny`, `mode shadow`, `include "x.rail"`, `limit depth 32`, ..."""

    name: str  # default on_error mode version include tools limit
    value: str | int | float
    key: str | None = None  # the limit's name for `limit NAME N`
    span: Span = _span()
    value_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Recognizer:
    """`recognizer employee_id /EMP-[0-9]{6}/ context "employee" score 0.6`: an entity the
    policy's `pii` builtins find beside Presidio's."""

    name: str
    patterns: tuple[RegexLit, ...]  # a string pattern is kept as a RegexLit without flags
    context: tuple[str, ...] = ()
    score: float | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class BreakerOption:
    """A clause after a breaker's trip condition: `kinds timeout, unavailable`, `trials 2`,
    `max "10m"`, `per session`, `fallback run_sql_replica`."""

    name: str  # kinds trials max per fallback
    values: tuple[str | int | float | ToolPattern, ...]
    span: Span = _span()


BREAKER_OPTIONS = ("kinds", "trials", "max", "per", "fallback")  # the canonical order


@dataclass(frozen=True, slots=True)
class Breaker:
    """`breaker run_sql: open after 5 failures within "60s" for "30s" ...`: a circuit breaker
    on each tool it names. `min_calls` is set for the failure-rate form (`open at 50%
    failures of at least 20 calls ...`), where `failures` is the percentage."""

    tools: tuple[ToolPattern, ...]
    failures: int | float
    within: str
    cool_down: str
    min_calls: int | float | None = None
    options: tuple[BreakerOption, ...] = ()  # in the canonical order, repeats kept
    span: Span = _span()
    failures_span: Span = _span()
    within_span: Span = _span()
    cool_down_span: Span = _span()
    min_calls_span: Span = _span()

    @property
    def rate(self) -> bool:
        return self.min_calls is not None

    def option(self, name: str) -> BreakerOption | None:
        return next((o for o in self.options if o.name == name), None)


Item = Setting | Rule | Recognizer | Breaker


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    items: tuple[Item, ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(i for i in self.items if isinstance(i, Rule))

    @property
    def settings(self) -> tuple[Setting, ...]:
        return tuple(i for i in self.items if isinstance(i, Setting))

    @property
    def recognizers(self) -> tuple[Recognizer, ...]:
        return tuple(i for i in self.items if isinstance(i, Recognizer))

    @property
    def breakers(self) -> tuple[Breaker, ...]:
        return tuple(i for i in self.items if isinstance(i, Breaker))


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed policy file."""

    file: str
    policies: tuple[Policy, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
