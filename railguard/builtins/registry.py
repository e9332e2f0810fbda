"""The one registry of builtins: each declares its signature beside its implementation.

A builtin is a plain Python function decorated with `@builtin(...)`. Its parameters, their
types, defaults and descriptions come from the function's own signature
(`Annotated[type, "description"]`), its summary from the docstring's first line. The
compiler type-checks calls against this, the linter suggests names from it, and
`railguard builtins` renders `docs/builtins.md` from it.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from railguard.builtins.regex import Regex

# ---- value types --------------------------------------------------------------

TYPE_NAMES = ("string", "number", "bool", "null", "list", "set", "object", "regex")
ANY: frozenset[str] = frozenset(TYPE_NAMES)

Number = int | float
Redaction = tuple[int, int, str]  # start, end, replacement


def type_of(value: object) -> str:
    """The language's name for the type of a runtime value."""
    t = type(value)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is int or t is float:
        return "number"
    if value is None:
        return "null"
    if t is list or t is tuple:
        return "list"
    if t is frozenset or t is set:
        return "set"
    if t is dict:
        return "object"
    if t is Regex:
        return "regex"
    return (
        "object"
        if isinstance(value, Mapping)
        else "list"
        if isinstance(value, Sequence)
        else "object"
    )


def describe_types(types_: frozenset[str]) -> str:
    if types_ == ANY:
        return "any"
    return " or ".join(t for t in TYPE_NAMES if t in types_)


def _types_of(annotation: Any) -> frozenset[str]:
    if annotation is Any:
        return ANY
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        static = next((m for m in annotation.__metadata__ if isinstance(m, Static)), None)
        return _types_of(get_args(annotation)[0] if static is None else static.accepts)
    if origin in (types.UnionType, typing.Union):
        out: frozenset[str] = frozenset()
        for arg in get_args(annotation):
            out |= _types_of(arg)
        return out
    base = origin or annotation
    table: dict[Any, str] = {
        str: "string",
        bool: "bool",
        int: "number",
        float: "number",
        type(None): "null",
        None: "null",
        list: "list",
        tuple: "list",
        frozenset: "set",
        set: "set",
        dict: "object",
        Regex: "regex",
    }
    if base in table:
        return frozenset({table[base]})
    if base in (Sequence, typing.Sequence):
        return frozenset({"list"})
    if base in (Mapping, typing.Mapping):
        return frozenset({"object"})
    raise TypeError(f"builtin parameter type {annotation!r} has no policy-language type")


# ---- declarations -------------------------------------------------------------

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Choices:
    """`Annotated[str, "...", Choices(...)]`: the values a string parameter accepts."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoadContext:
    """What a load-time argument's loader may read: where the policy is, and the engine's
    configuration (`allow_imports`, `schema_roots`), the policy's tool catalog (tool name ->
    `catalog.Tool`), and a cache shared by one compilation (to load a file once)."""

    policy_dir: Path
    policy_file: str = "<policy>"
    config: Mapping[str, Any] = field(default_factory=dict)
    catalog: Mapping[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)


class LoadError(ValueError):
    """A load-time argument cannot be loaded; the compiler reports it at the argument."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Static:
    """`Annotated[Loaded, "...", Static(loader)]`: an argument fixed in the policy and
    loaded once, when the policy compiles (a schema file, a model name).

    The policy writes a value of type `accepts` (a string by default). The compiler calls
    `loader(value, context, **uses)` with that constant (the default when the call leaves
    it out), a `LoadContext`, and the constant values of the parameters named in `uses`;
    the builtin receives what the loader returns (`Loaded`). A `LoadError` it raises
    becomes a compile error at the argument.
    """

    loader: Callable[..., object]
    uses: tuple[str, ...] = ()
    accepts: Any = str


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    types: frozenset[str]
    description: str
    default: Any = _MISSING
    choices: tuple[str, ...] | None = None
    static: Static | None = None  # loaded when the policy compiles

    @property
    def required(self) -> bool:
        return self.default is _MISSING


@dataclass(frozen=True, slots=True)
class BuiltinSpec:
    """A builtin's declaration: what the compiler, linter and docs read."""

    name: str
    func: Callable[..., Any]
    params: tuple[Param, ...]
    returns: frozenset[str]
    summary: str
    description: str
    examples: tuple[str, ...]
    kind: Literal["function", "redactor"]
    family: str
    prepare: Callable[[], object] | None = None  # run once when a policy uses the builtin
    details: Callable[..., dict[str, Any] | None] | None = None  # a matched rule's evidence
    lint: LintHook | None = None  # the builtin's own lint checks of one call

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def signature(self) -> str:
        """`name(param: type = default, ...) -> type`; a redactor's text parameter is the
        optional path it rewrites (every string of the payload when left out)."""
        params = self.params[1:] if self.kind == "redactor" else self.params
        parts = ["[path]"] if self.kind == "redactor" else []
        for p in params:
            text = f"{p.name}: {describe_types(p.types)}"
            if not p.required:
                text += f" = {show_default(p.default)}"
            parts.append(text)
        return f"{self.name}({', '.join(parts)}) -> {describe_types(self.returns)}"


def show_default(value: object) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show_default(v) for v in value) + "]"
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(sorted(show_default(v) for v in value)) + "}"
    return repr(value)


@dataclass(frozen=True, slots=True)
class LintCall:
    """One call of a builtin as `railguard lint` shows it to the builtin's `lint` hook.

    `args` holds the arguments written as literals (strings, numbers, booleans, null and
    lists or sets of them), by parameter name, whether passed by position or by name;
    `spans` the span of every argument given, `span` that of the whole call. `rule` is the
    calling rule (`effect`, `kind`, `tools`: its tool patterns, empty for every tool),
    `catalog` the policy's tool catalog (may be empty) and `labels` every label that a
    `label` rule of the linted policy set attaches.
    """

    name: str
    args: Mapping[str, Any]
    spans: Mapping[str, Any]
    span: Any
    effect: str
    kind: str
    tools: tuple[str, ...]
    catalog: Mapping[str, Any]
    labels: frozenset[str]


@dataclass(frozen=True, slots=True)
class LintFinding:
    """What a builtin's lint hook reports: a code registered in `policylang/codes.py`."""

    code: str
    message: str
    span: Any
    severity: Literal["error", "warning", "info"] = "warning"
    help: str | None = None


LintHook = Callable[[LintCall], Sequence[LintFinding]]


REGISTRY: dict[str, BuiltinSpec] = {}


def builtin(
    name: str,
    *,
    examples: Sequence[str],
    kind: Literal["function", "redactor"] = "function",
    prepare: Callable[[], object] | None = None,
    details: Callable[..., dict[str, Any] | None] | None = None,
    lint: LintHook | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `func` as the builtin `name`; its signature is the declaration.

    A `redactor` takes the text to rewrite as its first parameter and returns the list of
    `(start, end, replacement)` spans to replace; it is used as `redact ... with NAME(...)`.
    `prepare` runs when a policy that calls the builtin compiles (to import a heavy
    library then, rather than on the first event). `details` takes the builtin's own
    arguments and returns what goes into the `details` of a violation when a rule whose
    condition calls the builtin matches (which table, which entity and where); it runs only
    then, never on the allow path. `lint` checks one call of the builtin for `railguard
    lint` (a tool name the catalog lacks, a label no rule attaches) and returns findings.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise ValueError(f"builtin {name!r} is registered twice")
        hints = get_type_hints(func, include_extras=True)
        params = []
        for p in inspect.signature(func).parameters.values():
            annotation = hints[p.name]
            meta = getattr(annotation, "__metadata__", ())
            description = next((m for m in meta if isinstance(m, str)), "")
            choices = next((m.values for m in meta if isinstance(m, Choices)), None)
            static = next((m for m in meta if isinstance(m, Static)), None)
            default = _MISSING if p.default is inspect.Parameter.empty else p.default
            params.append(
                Param(p.name, _types_of(annotation), description, default, choices, static)
            )
        doc = inspect.cleandoc(func.__doc__ or "")
        summary, _, rest = doc.partition("\n")
        REGISTRY[name] = BuiltinSpec(
            name=name,
            func=func,
            params=tuple(params),
            returns=_types_of(hints["return"]) if kind == "function" else frozenset({"list"}),
            summary=summary.strip(),
            description=rest.strip(),
            examples=tuple(examples),
            kind=kind,
            prepare=prepare,
            details=details,
            lint=lint,
            family=func.__module__.rsplit(".", 1)[-1],
        )
        return func

    return register


class EvalError(Exception):
    """A builtin met input it cannot handle; the engine turns this into a fail-closed error.

    `details` (where the input went wrong: a line and column, a JSON pointer) is copied
    into the violation.
    """

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details


def registry() -> Mapping[str, BuiltinSpec]:
    """Every builtin, with all families imported."""
    from railguard.builtins import families  # noqa: F401  (imports register the builtins)

    return REGISTRY
