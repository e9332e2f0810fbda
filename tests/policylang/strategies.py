"""Hypothesis strategies for policy text: valid policies built from the grammar, and garbage.

`policy_files()` draws whole files (one to three policies with settings and rules of every
effect and kind; every builtin in the registry, with positional and named arguments;
redactions with and without a target path; message templates) in a random but legal
layout: redundant parentheses, line breaks and comments (at line ends and on lines of
their own) between any two tokens, escapes in strings, trailing commas. With `clean=True`
(the default) every file also compiles without errors: expressions are built with the
static types the compiler checks in mind (see `WANTS`), and every comparison reads the
event, so only run-time errors remain. With `clean=False`, settings the compiler would
refuse without files (`include`, `tools from`) and tight limits appear too.

`random_text`, `token_soup` and `mutated_policies()` draw inputs the parser must survive.

The generators below are plain functions of `draw` over a few cached primitive strategies:
building strategy objects per call made generation several times slower.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from railguard.builtins.registry import ANY, BuiltinSpec, registry
from railguard.engine.rules import Limits
from railguard.policylang.literals import encode_regex

T = TypeVar("T")
Draw = Any  # hypothesis' draw function

KEYWORDS = (
    *("policy", "default", "on_error", "mode", "version", "include", "tools", "from", "limit"),
    "dialect",
    *("allow", "deny", "escalate", "warn", "redact", "label", "enforce", "shadow", "rule"),
    *("call", "result", "input", "output", "with", "when", "unless", "message"),
    *("or", "and", "not", "in", "matches", "true", "false", "null"),
)
# Keywords that can follow a rule's target: a first tool with such a name must be quoted.
AFTER_TARGET = frozenset(
    {"rule", "allow", "deny", "escalate", "warn", "redact", "label", "with", "when", "unless"}
    | {"message", "default", "on_error", "mode", "version", "include", "tools", "limit", "dialect"}
)
KINDS = ("input", "call", "result", "output")
ROOTS = {
    "call": ("args", "tool", "context", "session", "kind"),
    "result": ("content", "tool", "context", "session", "kind"),
    "input": ("content", "context", "session", "kind"),
    "output": ("content", "context", "session", "kind"),
}
ANY_ROOTS = ("args", "content", "context")  # roots the compiler types as "any"
KEYS = ("a", "b", "to", "n", "tags", "items", "x", "in", "true")  # event strategies use these
TOOL_NAMES = ("search", "run_sql", "send_email", "get", "db_read", "db_write", "x1", "call")
GLOBS = ("db_*", "*", "?et", "x*", "*_email", "run-*", "a.b*", "1*", "*l")
QUOTED_TOOLS = ("a.b", "run sql", "*", "x?", "when", "db_*")
# RE2-valid patterns that Python's `re` also reads (so some take the fast path).
PATTERNS = (
    "a",
    "^a",
    "b$",
    "\\d+",
    "[a-c]+x?",
    "(?i)foo",
    "x|y",
    "a.b",
    "^$",
    "é",
    "\\bto\\b",
    "a/b",
    ".*",
    "[^0-9]{2,3}",
    "\\s",
    "@acme\\.com$",
    "(a|b)c*",
)
FLAGS = ("", "", "i", "s", "m", "is")

# Precedence levels, as in the grammar: or < and < not < comparison < sum < unary < postfix.
OR, AND, NOT, CMP, SUM, UNARY, POSTFIX = range(1, 8)


@dataclass(frozen=True)
class Ex:
    """A generated expression: its tokens, its static types (as the compiler infers them),
    whether it reads the event, and its precedence level."""

    tokens: tuple[str, ...]
    types: frozenset[str]
    dyn: bool
    prec: int


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


BOOL, NUM, STR = _t("bool"), _t("number"), _t("string")
# What each "want" accepts, mirroring the static checks in railguard/policylang/expressions.py.
WANTS = {
    "any": lambda t: True,
    "cond": lambda t: True,
    "orderable": lambda t: bool(t & {"number", "string"}),  # `<` and friends
    "container": lambda t: bool(t & {"list", "set", "object", "string"}),  # right of `in`
    "string": lambda t: "string" in t,  # left of `matches`
    "number": lambda t: "number" in t,  # operand of unary `-`
    "list_or_set": lambda t: bool(t & {"list", "set"}),
    "list": lambda t: "list" in t,
    "object": lambda t: "object" in t,
    "settable": lambda t: not t <= {"list", "set", "object"},  # an item of a set literal
}


# ---- drawing primitives -------------------------------------------------------


@functools.cache
def _upto(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n)


def _int(draw: Draw, low: int, high: int) -> int:
    return low + int(draw(_upto(high - low)))


def _pick(draw: Draw, seq: Sequence[T]) -> T:
    return seq[_int(draw, 0, len(seq) - 1)]


def _chance(draw: Draw, one_in: int) -> bool:
    return _int(draw, 0, one_in - 1) == 0


_TEXT = st.text(
    st.one_of(
        st.sampled_from('ab xyz"\\#{}/*é\t\n\x00\x7f@.-'),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=8,
)
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _string(draw: Draw, value: str | None = None) -> str:
    """A `"..."` token for `value`: plain, with every named escape, or with `\\u{...}`."""
    if value is None:
        value = draw(_TEXT)
    style = _int(draw, 0, 3)
    out = []
    for i, ch in enumerate(value):
        if style == 3 and (i % 2 or not ch.isalnum()):
            out.append(f"\\u{{{ord(ch):x}}}" if i % 3 else f"\\u{{{ord(ch):04X}}}")
        elif ch in _ESCAPES and (ch in '"\\\n' or style == 1):
            out.append(_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_NUMBERS = ("0", "1", "2", "10", "0.5", "1.5", "1e3", "2.5E-1", "007", "1e+2", "3.0")
_FLOAT = st.floats(0, 1e9)


def _number(draw: Draw) -> str:
    choice = _int(draw, 0, 2)
    if choice == 0:
        return _pick(draw, _NUMBERS)
    if choice == 1:
        return str(_int(draw, 0, 10**6))
    return repr(abs(draw(_FLOAT)))


def _regex(draw: Draw) -> str:
    return encode_regex(_pick(draw, PATTERNS), _pick(draw, FLAGS))


# ---- expressions --------------------------------------------------------------


def _paren(draw: Draw, ex: Ex, minimum: int) -> tuple[str, ...]:
    """The tokens of `ex` in a slot that needs precedence `minimum`; sometimes extra parens."""
    if ex.prec < minimum or _chance(draw, 8):
        return ("(", *ex.tokens, ")")
    return ex.tokens


def _path(draw: Draw, kind: str, want: str) -> Ex:
    roots = ROOTS[kind]
    root = _pick(draw, roots)
    steps: list[str] = []
    for _ in range(_int(draw, 0, 3)):
        step = _int(draw, 0, 5)
        if step <= 2:
            steps += [".", _pick(draw, (*KEYS, "when", "not", "call"))]
        elif step == 3:
            steps += ["[", _pick(draw, ("0", "1", "2", "-1", "1.0", "true")), "]"]
        elif step == 4:
            steps += ["[", _string(draw, _pick(draw, KEYS)), "]"]
        else:
            steps += ["[", *_path(draw, kind, "any").tokens, "]"]
    root_types = {"tool": STR, "kind": STR, "session": _t("string", "null")}
    types = ANY if steps or root in ANY_ROOTS else root_types[root]
    if not WANTS[want](types):
        root, types = _pick(draw, [r for r in roots if r in ANY_ROOTS]), ANY
    return Ex((root, *steps), types, True, POSTFIX)


def _literal(draw: Draw, kind: str, want: str, depth: int) -> Ex:
    options = []
    if want in ("any", "cond", "orderable", "container", "string", "settable"):
        options.append("string")
    if want in ("any", "cond", "orderable", "number", "settable"):
        options.append("number")
    if want in ("any", "cond", "settable"):
        options += ["true", "false", "null"]
    if want in ("any", "container", "list_or_set", "list"):
        options.append("list")
    if want in ("any", "container", "list_or_set"):
        options.append("set")
    if not options:
        return _path(draw, kind, want)
    choice = _pick(draw, options)
    if choice == "string":
        return Ex((_string(draw),), STR, False, POSTFIX)
    if choice == "number":
        if _chance(draw, 5):
            return Ex(("-", _number(draw)), NUM, False, UNARY)
        return Ex((_number(draw),), NUM, False, POSTFIX)
    if choice in ("true", "false", "null"):
        return Ex((choice,), _t("null") if choice == "null" else BOOL, False, POSTFIX)
    item_want = "any" if choice == "list" else "settable"
    items = [_expression(draw, kind, item_want, depth - 1) for _ in range(_int(draw, 0, 3))]
    body: list[str] = []
    for i, item in enumerate(items):
        body += [*([","] if i else []), *item.tokens]
    if items and _chance(draw, 3):
        body.append(",")
    open_, close = ("[", "]") if choice == "list" else ("{", "}")
    return Ex((open_, *body, close), _t(choice), any(i.dyn for i in items), POSTFIX)


# For a builtin parameter: the first want whose every value has a type the parameter takes.
_ARGUMENT_WANTS = (
    ("container", _t("string", "list", "set", "object")),
    ("list_or_set", _t("list", "set")),
    ("string", STR),
    ("number", NUM),
    ("list", _t("list")),
)


def _want_of(types: frozenset[str]) -> str:
    """The want that generates arguments for a builtin parameter of these types."""
    if types == ANY:
        return "any"
    return next((want for want, needs in _ARGUMENT_WANTS if needs <= types), "object")


@functools.cache
def choices(name: str) -> tuple[str, ...]:
    """The values builtin parameters called `name` accept (for the `dialect` setting too)."""
    found = {
        c for s in registry().values() for p in s.params if p.name == name for c in p.choices or ()
    }
    return tuple(sorted(found)) or ("postgres", "mysql", "sqlite")


# Load-time arguments (`Static`) the generator writes, by parameter name: values that load
# in any policy. Builtins with another load-time parameter (a catalog, a model) are left out.
STATIC_SAMPLES: dict[str, tuple[str, ...]] = {
    "schema": ('{"type": "object"}', "true", '{"type": "string", "maxLength": 3}', "{}"),
}


def _generable(spec: BuiltinSpec) -> bool:
    # Session builtins read state the reference evaluator does not model; their case files
    # run against both session stores instead.
    if spec.family == "session":
        return False
    return all(p.static is None or p.name in STATIC_SAMPLES for p in spec.params)


def _fixed(spec: BuiltinSpec) -> frozenset[str]:
    """The parameters a load-time parameter reads, which must be literals too."""
    return frozenset(n for p in spec.params if p.static is not None for n in p.static.uses)


@functools.cache
def _specs(want: str) -> tuple[BuiltinSpec, ...]:
    """Condition builtins whose result fits `want` (their first argument is never a regex)."""
    return tuple(
        sorted(
            (
                s
                for s in registry().values()
                if s.kind == "function" and WANTS[want](s.returns) and _generable(s)
            ),
            key=lambda s: s.name,
        )
    )


def _argument(draw: Draw, kind: str, param: Any, depth: int, dyn: bool, fixed: bool = False) -> Ex:
    types = param.types
    if param.static is not None:
        return Ex((_string(draw, _pick(draw, STATIC_SAMPLES[param.name])),), STR, False, POSTFIX)
    if fixed:
        return Ex((_pick(draw, ("true", "false")),), _t("bool"), False, POSTFIX)
    if param.choices is not None or param.name == "dialect":
        values = param.choices if param.choices is not None else choices(param.name)
        return Ex((_string(draw, _pick(draw, values)),), STR, False, POSTFIX)
    if types == _t("regex"):
        if _chance(draw, 2):
            return Ex((_regex(draw),), _t("regex"), False, POSTFIX)
        return Ex((_string(draw, _pick(draw, PATTERNS)),), STR, False, POSTFIX)
    return _expression(draw, kind, _want_of(types), depth - 1, dyn=dyn)


def _call(draw: Draw, kind: str, want: str, depth: int) -> Ex:
    specs = _specs(want)
    if not specs:
        return _path(draw, kind, want)
    spec = _pick(draw, specs)
    params = list(spec.params)
    # Positional arguments first (at least the first, which reads the event), then the
    # rest by name in any order; an optional parameter may be left out.
    n_positional = _int(draw, 1, len(params))
    named = [p for p in params[n_positional:] if p.required or _chance(draw, 2)]
    named = draw(st.permutations(named)) if len(named) > 1 else named
    tokens: list[str] = []
    for i, p in enumerate([*params[:n_positional], *named]):
        if i:
            tokens.append(",")
        if i >= n_positional:
            tokens += [p.name, ":"]
        tokens += _argument(draw, kind, p, depth, dyn=i == 0, fixed=p.name in _fixed(spec)).tokens
    if _chance(draw, 6):
        tokens.append(",")
    head, *rest = spec.name.split(".")
    func = [head, *(t for part in rest for t in (".", part))]
    return Ex((*func, "(", *tokens, ")"), spec.returns, True, POSTFIX)


def _binop(draw: Draw, kind: str, want: str, depth: int) -> Ex:
    """`a OP b` whose static type (by the compiler's rule) fits `want`."""
    if want == "object":
        return _path(draw, kind, want)
    if want == "number":
        op, side = _pick(draw, "+-"), "number"
    elif want == "string":
        op, side = "+", _pick(draw, ("orderable", "list"))
    elif want in ("container", "list_or_set"):
        op = _pick(draw, "+&|-")
        side = "list" if op == "+" else "list_or_set"
    elif want == "list":
        op, side = "+", "list"
    else:  # orderable, settable, any, cond
        op, side = _pick(draw, "+-"), _pick(draw, ("orderable", "list"))
    left = _expression(draw, kind, side, depth - 1, dyn=True)
    right = _expression(draw, kind, side, depth - 1)
    if op == "-" and left.types <= NUM and right.types <= NUM:
        types = NUM
    elif op in "-&|" and not (left.types <= NUM or right.types <= NUM):
        types = _t("set", "number") if op == "-" else _t("set")
    else:
        types = ANY
    assert WANTS[want](types), (want, op, types)
    return Ex((*_paren(draw, left, SUM), op, *_paren(draw, right, UNARY)), types, True, SUM)


_PATTERN_PARAM = registry()["regex.search"].param("pattern")


def _comparison(draw: Draw, kind: str, choice: str, depth: int) -> Ex:
    """A comparison that reads the event on at least one side, so it never folds."""
    if choice == "compare":
        op = _pick(draw, ("==", "!="))
        left = _expression(draw, kind, "any", depth - 1, dyn=True)
        right = _expression(draw, kind, "any", depth - 1)
    elif choice == "order":
        op = _pick(draw, ("<", "<=", ">", ">="))
        left = _expression(draw, kind, "orderable", depth - 1, dyn=True)
        right = _expression(draw, kind, "orderable", depth - 1)
    elif choice == "in":
        op = _pick(draw, ("in", "not in"))
        if _chance(draw, 2):
            left = _expression(draw, kind, "any", depth - 1, dyn=True)
            right = _expression(draw, kind, "container", depth - 1)
        else:
            left = _literal(draw, kind, "settable", depth - 1)
            right = _expression(draw, kind, "container", depth - 1, dyn=True)
    else:
        op = "matches"
        left = _expression(draw, kind, "string", depth - 1, dyn=True)
        right = _argument(draw, kind, _PATTERN_PARAM, depth, dyn=False)
    return Ex((*_paren(draw, left, SUM), *op.split(), *_paren(draw, right, SUM)), BOOL, True, CMP)


def _expression(draw: Draw, kind: str, want: str, depth: int, dyn: bool = False) -> Ex:
    choices = ["path"] if dyn else ["path", "literal"]
    if depth > 0:
        choices += ["call", "binop"]
        if WANTS[want](NUM):
            choices.append("neg")
        if WANTS[want](BOOL):
            choices += ["compare", "order", "in", "matches", "not", "boolop", "call"]
    choice = _pick(draw, choices)
    if choice == "path":
        return _path(draw, kind, want)
    if choice == "literal":
        return _literal(draw, kind, want, depth)
    if choice == "call":
        return _call(draw, kind, want, depth)
    if choice == "binop":
        return _binop(draw, kind, want, depth)
    if choice == "neg":
        inner = _expression(draw, kind, "number", depth - 1, dyn=True)
        return Ex(("-", *_paren(draw, inner, UNARY)), NUM, True, UNARY)
    if choice == "not":
        inner = _expression(draw, kind, "cond", depth - 1, dyn=dyn)
        return Ex(("not", *_paren(draw, inner, NOT)), BOOL, inner.dyn, NOT)
    if choice == "boolop":
        op = _pick(draw, ("and", "or"))
        level = AND if op == "and" else OR
        parts = [_expression(draw, kind, "cond", depth - 1, dyn=dyn and i == 0) for i in range(2)]
        parts += [_expression(draw, kind, "cond", depth - 1) for _ in range(_int(draw, 0, 1))]
        tokens: list[str] = []
        for i, p in enumerate(parts):
            tokens += [*([op] if i else []), *_paren(draw, p, level + 1)]
        return Ex(tuple(tokens), BOOL, any(p.dyn for p in parts), level)
    return _comparison(draw, kind, choice, depth)


@st.composite
def expressions(draw: Draw, kind: str = "call", want: str = "cond", depth: int = 3) -> Ex:
    """An expression valid in a `kind` rule whose static type fits `want`."""
    return _expression(draw, kind, want, depth)


# ---- rules, settings, policies ------------------------------------------------

NAMES = ("p", "finance", "a_b", "_x", "r1", "rule_2", "Z9", "mail", "sql", "n", "_", "aB_3")


def _name(draw: Draw) -> str:
    return _pick(draw, KEYWORDS) if _chance(draw, 4) else _pick(draw, NAMES)


def _tool(draw: Draw, first: bool) -> str:
    choice = _int(draw, 0, 9)
    if choice <= 4:
        tool = _pick(draw, TOOL_NAMES)
    elif choice <= 6:
        return _pick(draw, GLOBS)
    elif choice <= 8:
        return _string(draw, _pick(draw, QUOTED_TOOLS))
    else:
        tool = _pick(draw, KEYWORDS)
    return _string(draw, tool) if first and tool in AFTER_TARGET else tool


def _message(draw: Draw, kind: str) -> tuple[str, ...]:
    """`message "..."` with text, `{{`/`}}` escapes and `{expression}` interpolations."""
    parts = []
    for _ in range(_int(draw, 0, 4)):
        piece = _int(draw, 0, 5)
        if piece <= 1:
            parts.append(draw(_TEXT).replace("{", "").replace("}", ""))
        elif piece == 2:
            parts.append(_pick(draw, ("{{", "}}", "{{}}")))
        else:
            inner = " ".join(_expression(draw, kind, "any", _int(draw, 0, 1)).tokens)
            parts.append("{(" + inner + ")}" if inner.startswith("{") else "{" + inner + "}")
    return ("message", _string(draw, "".join(parts)))


def _redaction_args(draw: Draw, kind: str) -> list[str]:
    """`redact.pattern`'s arguments: an optional path to rewrite, the pattern, a replacement."""
    args: list[str] = []
    if _chance(draw, 2):  # only this string is rewritten, not every string of the payload
        target = ["args" if kind == "call" else "content"]
        for _ in range(_int(draw, 0, 2)):
            if _chance(draw, 3):
                target += ["[", _pick(draw, ("0", "-1", '"a"', '"to"')), "]"]
            else:
                target += [".", _pick(draw, KEYS)]
        args += [*(["value", ":"] if _chance(draw, 3) else []), *target, ","]
    pattern = _regex(draw)
    named = args[:1] == ["value"] or _chance(draw, 2)  # a positional cannot follow a named one
    args += ["pattern", ":", pattern] if named else [pattern]
    if _chance(draw, 2):
        args += [",", "replacement", ":", _string(draw)]
    return args


def _rule(draw: Draw, rule_name: str | None) -> tuple[str, ...]:
    effect = _pick(draw, ("allow", "allow", "deny", "escalate", "warn", "redact", "label"))
    kind = _pick(draw, ("call", "call", *KINDS))
    tokens: list[str] = ["rule", rule_name, ":"] if rule_name else []
    tokens += ["label", _name(draw)] if effect == "label" else [effect]
    tokens.append(kind)
    if kind in ("call", "result") and not _chance(draw, 4):
        for i in range(_int(draw, 1, 3)):
            tokens += [*([","] if i else []), _tool(draw, first=i == 0)]
    if effect == "redact":
        tokens += ["with", "redact", ".", "pattern", "(", *_redaction_args(draw, kind), ")"]
    for _ in range(_int(draw, 0, 3)):
        cond = _expression(draw, kind, "cond", _int(draw, 0, 3))
        tokens += [_pick(draw, ("when", "unless")), *cond.tokens]
    if _chance(draw, 2):
        tokens += _message(draw, kind)
    return tuple(tokens)


def _setting(draw: Draw, key: str, clean: bool) -> tuple[str, ...]:
    if key == "default":
        return ("default", _pick(draw, ("allow", "deny")))
    if key == "on_error":
        return ("on_error", _pick(draw, ("deny", "allow")))
    if key == "mode":
        return ("mode", _pick(draw, ("enforce", "shadow")))
    if key == "version":
        return (key, _string(draw))
    if key == "dialect":  # the default of every builtin argument called `dialect`
        return (key, _string(draw, _pick(draw, choices("dialect"))))
    if key in ("include", "tools"):
        value = _string(draw, _pick(draw, ("a.rail", "../x/tools.json", "é")))
        return ("include", value) if key == "include" else ("tools", "from", value)
    limit = key.removeprefix("limit.")
    low = getattr(Limits(), limit) if clean else 1  # a clean policy never tightens a limit
    return ("limit", limit, str(_int(draw, low, 10 * low)))


_SETTING_KEYS = ("default", "on_error", "mode", "version", "dialect")
_SETTING_KEYS += tuple(f"limit.{n}" for n in Limits.names())


_CONTEXT_WORDS = ("employee", "staff id", "badge", "ñame", "x")
_SCORES = ("0.5", "1", "0.25", "1e-1", "0.999")


def _recognizer(draw: Draw, name: str) -> tuple[str, ...]:
    """`recognizer NAME /p/[, "p"]... [context "w", ...] [score N]`."""
    patterns: list[str] = []
    for i in range(_int(draw, 1, 3)):
        patterns += [","] if i else []
        patterns.append(_regex(draw) if _chance(draw, 2) else _string(draw, _pick(draw, PATTERNS)))
    out = ["recognizer", name, *patterns]
    if _chance(draw, 2):
        out.append("context")
        for i in range(_int(draw, 1, 3)):
            out += [","] if i else []
            out.append(_string(draw, _pick(draw, _CONTEXT_WORDS)))
    if _chance(draw, 2):
        out += ["score", _pick(draw, _SCORES)]
    return tuple(out)


def _policy(draw: Draw, policy_name: str, clean: bool, max_rules: int) -> tuple[str, ...]:
    keys = _SETTING_KEYS if clean else (*_SETTING_KEYS, "include", "tools")
    chosen = {_pick(draw, keys) for _ in range(_int(draw, 0, 4))}
    settings = [_setting(draw, k, clean) for k in sorted(chosen)]
    names = {_name(draw) for _ in range(_int(draw, 0, max_rules))}
    rules = [_rule(draw, n if _chance(draw, 2) else None) for n in sorted(names)]
    rules += [_rule(draw, None) for _ in range(_int(draw, 0, max_rules - len(rules)))]
    # a recognizer's name starts with a letter (its entity is the name in upper case)
    named = {n for n in (_name(draw) for _ in range(_int(draw, 0, 2))) if n[0].isalpha()}
    recognizers = [_recognizer(draw, n) for n in sorted(named)]
    items = draw(st.permutations([*settings, *rules, *recognizers]))
    return ("policy", policy_name, "{", *(t for item in items for t in item), "}")


_COMMENTS = ("#", "# note", "#{ not a } string", '# "quoted', "# \u2028 \x0b\r", "#é # #")
_SEPARATORS = ("\n  ", "\n\n  ", "\n", "  ", "\t", "\r\n", "\f ")
_SEED = st.integers(0, 2**32)


def _layout(draw: Draw, tokens: Sequence[str]) -> str:
    """Join tokens with whitespace: mostly a space, often a line break, sometimes a comment.

    One seed picks every separator, which keeps generation fast; shrinking still works on
    the tokens.
    """
    rnd = random.Random(draw(_SEED))
    density = rnd.choice([0, 4, 10])  # percent of separators that hold a comment
    out = []
    for i, tok in enumerate(tokens):
        if i:
            roll = rnd.randrange(100)
            if roll < density:  # at the end of a line, or on lines of its own
                before = rnd.choice(["", "  ", "\n  ", "\n\n", "\n  \n  "])
                out.append(before + rnd.choice(_COMMENTS) + rnd.choice(["\n  ", "\n\n  "]))
            elif roll < 30:
                out.append(rnd.choice(_SEPARATORS))
            else:
                out.append(" ")
        out.append(tok)
    return "".join(out)


_COMMENT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n"),
    max_size=12,
).map(lambda s: "#" + s)


@st.composite
def policy_files(draw: Draw, clean: bool = True, max_policies: int = 3, max_rules: int = 7) -> str:
    """A policy file: one to `max_policies` policies with distinct names, laid out at random."""
    names = {_name(draw) for _ in range(_int(draw, 1, max_policies))}
    tokens = [t for n in sorted(names) for t in _policy(draw, n, clean, max_rules)]
    comments = [draw(_COMMENT) for _ in range(_int(draw, 0, 2))]
    split = _int(draw, 0, len(comments))
    before = "".join(c + "\n" for c in comments[:split])
    after = "".join(c + "\n" for c in comments[split:])
    return before + _layout(draw, tokens) + "\n" + after


# ---- garbage ------------------------------------------------------------------

random_text = st.text(
    st.one_of(
        st.characters(),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
        st.sampled_from('{}()[]",:.#/\\\n*-=<>!'),
    ),
    max_size=200,
)
PUNCTUATION = ("{", "}", "(", ")", "[", "]", ",", ":", ".", "==", "!=", "<=", ">=", "<", ">")
PUNCTUATION += ("+", "&", "|", "-", "*", "?", "=", "!", "\\", "/", "@", "#", '"')
_ODD = ('"', '"abc', '"\\q"', '"\\u{110000}"', '"\\u{41}"', "/", "/a", "/(?=x)/", "/a/ims")
_ODD += ("1e999", "db_*", "a?", "-1", "# c\n", "args.a", "redact.pattern(", "{{", "}}", "\x00")
_ODD += ('"a b"', '"{args.a}"', '"}"', "/\\//", "\u2028", "é", "1.5e3", "007", "\r")
_SOUP = (
    *KEYWORDS,
    *PUNCTUATION,
    *_ODD,
    *NAMES,
    *_NUMBERS,
    *(encode_regex(p, "") for p in PATTERNS),
)
_SOUP_ATOMS = st.sampled_from(_SOUP)
# Whitespace is an atom too (a fifth of the draws), so tokens sometimes touch.
token_soup = st.lists(
    st.sampled_from((*_SOUP, *[" ", " ", " ", "\n", "  ", "\t"] * (len(_SOUP) // 24))),
    max_size=80,
).map("".join)


@st.composite
def mutated_policies(draw: Draw) -> str:
    """A valid policy file after a few random deletions, insertions and duplications."""
    text = draw(policy_files(clean=_chance(draw, 2), max_policies=2, max_rules=3))
    for _ in range(_int(draw, 1, 4)):
        i = _int(draw, 0, len(text))
        j = _int(draw, i, min(len(text), i + 12))
        edit = _int(draw, 0, 3)
        if edit == 0:
            text = text[:i] + text[j:]
        elif edit == 1:
            text = text[:i] + draw(_SOUP_ATOMS) + text[i:]
        elif edit == 2:
            text = text[:i] + text[i:j] + text[i:]
        else:
            text = text[:i] + draw(random_text)[:3] + text[j:]
    return text
