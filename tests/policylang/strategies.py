"""Hypothesis strategies for policy text: valid policies built from the grammar, and garbage.

`policy_files()` draws whole files (one to three policies with settings and rules of every
effect and kind) in a random but legal layout: extra parentheses, line breaks and comments
between any two tokens, escapes in strings, trailing commas. With `clean=True` (the
default) every file also compiles without errors: expressions are built with the static
types the compiler checks in mind, so only run-time errors remain possible. With
`clean=False`, settings the compiler would refuse without files (`include`, `tools from`)
and strict limits appear too; the text still parses.

`random_text()`, `token_soup()` and `mutated_policies()` draw inputs the parser must
survive without raising.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from railguard.builtins.registry import ANY, registry
from railguard.engine.rules import Limits
from railguard.policylang.literals import encode_regex

KEYWORDS = (
    "policy default on_error mode version include tools from limit allow deny escalate warn "
    "redact label enforce shadow rule call result input output with when unless message "
    "or and not in matches true false null"
).split()
# Keywords that may follow a rule's target, so a first tool with this name must be quoted.
AFTER_TARGET = frozenset(
    "rule allow deny escalate warn redact label default on_error mode version include tools "
    "limit with when unless message".split()
)
KINDS = ("input", "call", "result", "output")
ROOTS = {
    "call": ("args", "tool", "context", "session", "kind"),
    "result": ("content", "tool", "context", "session", "kind"),
    "input": ("content", "context", "session", "kind"),
    "output": ("content", "context", "session", "kind"),
}
OBJECT_ROOTS = frozenset({"args", "content", "context"})  # roots of any type: not `tool`...
KEYS = ("a", "b", "to", "n", "tags", "items", "x", "in", "true")  # also used by event strategies
TOOL_NAMES = ("search", "run_sql", "send_email", "get", "db_read", "db_write", "x1", "call")
# RE2-valid patterns, each also valid for Python's `re` (for the redaction fast path too).
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

# Precedence levels, as in the grammar: or < and < not < comparison < sum < unary < postfix.
OR, AND, NOT, CMP, SUM, UNARY, POSTFIX = range(1, 8)


@dataclass(frozen=True)
class Ex:
    """A generated expression: its tokens, static types (as the compiler sees them),
    whether it reads the event, and its precedence level."""

    tokens: tuple[str, ...]
    types: frozenset[str]
    dyn: bool
    prec: int


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


BOOL = _t("bool")
# Which static types each "want" accepts: the compiler's checks, from expressions.py.
WANTS = {
    "any": lambda t: True,
    "cond": lambda t: True,
    "orderable": lambda t: bool(t & {"number", "string"}),
    "container": lambda t: bool(t & {"list", "set", "object", "string"}),
    "string": lambda t: "string" in t,
    "number": lambda t: "number" in t,
    "list_or_set": lambda t: bool(t & {"list", "set"}),
    "list": lambda t: "list" in t,
    "object": lambda t: "object" in t,
    "settable": lambda t: not t <= {"list", "set", "object"},
}


def _want_of(types: frozenset[str]) -> str:
    """The want that generates values for a builtin parameter of these types."""
    if types == ANY:
        return "any"
    if types == _t("string"):
        return "string"
    if types == _t("number"):
        return "number"
    if types == _t("list"):
        return "list"
    if types == _t("object"):
        return "object"
    if types == _t("list", "set"):
        return "list_or_set"
    if types == _t("string", "list", "set", "object"):
        return "container"
    raise AssertionError(f"no generator for parameter types {sorted(types)}")


def _specs(want: str) -> list[object]:
    return sorted(
        (
            s
            for s in registry().values()
            if s.kind == "function" and WANTS[want](s.returns) and "regex" not in s.params[0].types
        ),
        key=lambda s: s.name,
    )


# ---- literals -----------------------------------------------------------------

_TEXT = st.text(
    st.one_of(
        st.sampled_from('ab xyz"\\#{}/*é\t\n\x00\x7f@.-'),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=8,
)


@st.composite
def string_literal(draw: st.DrawFn, value: str | None = None) -> str:
    """A `"..."` token for `value`, with each character written plainly or as an escape."""
    if value is None:
        value = draw(_TEXT)
    out = []
    for ch in value:
        named = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
        if ch in named and (ch in '"\\\n' or draw(st.booleans())):
            out.append(named[ch])
        elif ch < " " or ch == "\x7f" or draw(st.integers(0, 9)) == 0:
            out.append("\\u{" + draw(st.sampled_from(["%x", "%X", "%04x"])) % ord(ch) + "}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


number_literal = st.one_of(
    st.integers(0, 10**6).map(str),
    st.sampled_from(["0", "1", "2", "10", "0.5", "1.5", "1e3", "2.5E-1", "007", "1e+2"]),
    st.floats(0, 1e9).map(lambda f: repr(abs(f))),
)
regex_literal = st.builds(
    encode_regex, st.sampled_from(PATTERNS), st.sampled_from(["", "", "i", "s", "m", "is"])
)


# ---- expressions --------------------------------------------------------------


def _paren(draw: st.DrawFn, ex: Ex, minimum: int) -> tuple[str, ...]:
    """The tokens of `ex` in a slot needing precedence `minimum`; sometimes extra parens."""
    if ex.prec < minimum or draw(st.integers(0, 7)) == 0:
        return ("(", *ex.tokens, ")")
    return ex.tokens


@st.composite
def path(draw: st.DrawFn, kind: str, want: str) -> Ex:
    roots = ROOTS[kind]
    root = draw(st.sampled_from(roots))
    steps: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        step = draw(st.integers(0, 5))
        if step <= 2:
            steps += [".", draw(st.sampled_from((*KEYS, "when", "not", "call")))]
        elif step == 3:
            steps += ["[", str(draw(st.integers(0, 3))), "]"]
        elif step == 4:
            steps += ["[", draw(string_literal(draw(st.sampled_from(KEYS)))), "]"]
        else:
            index = draw(path(kind, "any"))
            steps += ["[", *index.tokens, "]"]
    types = {"tool": _t("string"), "kind": _t("string"), "session": _t("string", "null")}
    t = ANY if steps or root in OBJECT_ROOTS else types[root]
    if not WANTS[want](t):
        root, t = draw(st.sampled_from(sorted(OBJECT_ROOTS & set(roots)))), ANY
    return Ex((root, *steps), t, True, POSTFIX)


@st.composite
def literal(draw: st.DrawFn, kind: str, want: str, depth: int) -> Ex:
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
        return draw(path(kind, want))
    choice = draw(st.sampled_from(options))
    if choice == "string":
        return Ex((draw(string_literal()),), _t("string"), False, POSTFIX)
    if choice == "number":
        if draw(st.integers(0, 4)) == 0:
            return Ex(("-", draw(number_literal)), _t("number"), False, UNARY)
        return Ex((draw(number_literal),), _t("number"), False, POSTFIX)
    if choice in ("true", "false", "null"):
        return Ex((choice,), _t("null") if choice == "null" else BOOL, False, POSTFIX)
    item_want = "any" if choice == "list" else "settable"
    items = draw(st.lists(expression(kind, item_want, depth - 1), max_size=3))
    body: list[str] = []
    for i, item in enumerate(items):
        body += [*([","] if i else []), *item.tokens]
    if items and draw(st.booleans()):
        body.append(",")
    dyn = any(i.dyn for i in items)
    bracket = ("[", "]") if choice == "list" else ("{", "}")
    return Ex((bracket[0], *body, bracket[1]), _t(choice), dyn, POSTFIX)


@st.composite
def builtin_call(draw: st.DrawFn, kind: str, want: str, depth: int) -> Ex | None:
    specs = _specs(want)
    if not specs:
        return None
    spec = draw(st.sampled_from(specs))
    params = list(spec.params)
    # Positional arguments first (at least the first, which reads the event), then the
    # rest named, in any order; optional parameters may be left out.
    n_positional = draw(st.integers(1, len(params)))
    named = params[n_positional:]
    named = [p for p in named if p.required or draw(st.booleans())]
    named = draw(st.permutations(named)) if named else []
    tokens: list[str] = []
    for i, p in enumerate([*params[:n_positional], *named]):
        if i:
            tokens.append(",")
        if i >= n_positional:
            tokens += [p.name, ":"]
        tokens += draw(argument(kind, p.types, depth, first=i == 0)).tokens
    if draw(st.integers(0, 5)) == 0:
        tokens.append(",")
    name = spec.name.split(".")
    func = [name[0], *(t for part in name[1:] for t in (".", part))]
    return Ex((*func, "(", *tokens, ")"), spec.returns, True, POSTFIX)


@st.composite
def argument(draw: st.DrawFn, kind: str, types: frozenset[str], depth: int, first: bool) -> Ex:
    if types == _t("regex"):
        if draw(st.booleans()):
            return Ex((draw(regex_literal),), _t("regex"), False, POSTFIX)
        pattern = draw(st.sampled_from(PATTERNS))
        return Ex((draw(string_literal(pattern)),), _t("string"), False, POSTFIX)
    return draw(expression(kind, _want_of(types), depth - 1, dyn=first))


@st.composite
def expression(
    draw: st.DrawFn, kind: str, want: str = "cond", depth: int = 3, dyn: bool = False
) -> Ex:
    """An expression valid in a `kind` rule whose static type fits `want`.

    `dyn` asks for one that reads the event (so the compiler cannot fold it and find an
    error that only a constant could have).
    """
    choices = ["path"] if dyn else ["path", "literal"]
    if depth > 0:
        choices += ["call", "binop"]
        if WANTS[want](_t("number")):
            choices.append("neg")
        if WANTS[want](BOOL):
            choices += ["compare", "order", "in", "matches", "not", "boolop", "call"]
    choice = draw(st.sampled_from(choices))
    if choice == "path":
        return draw(path(kind, want))
    if choice == "literal":
        return draw(literal(kind, want, depth))
    if choice == "call":
        call = draw(builtin_call(kind, want, depth))
        return call if call is not None else draw(path(kind, want))
    if choice == "neg":
        inner = draw(expression(kind, "number", depth - 1, dyn=True))
        return Ex(("-", *_paren(draw, inner, UNARY)), _t("number"), True, UNARY)
    if choice == "binop":
        return draw(binop(kind, want, depth))
    if choice == "not":
        inner = draw(expression(kind, "cond", depth - 1, dyn=dyn))
        return Ex(("not", *_paren(draw, inner, NOT)), BOOL, inner.dyn, NOT)
    if choice == "boolop":
        op = draw(st.sampled_from(["and", "or"]))
        level = AND if op == "and" else OR
        parts = draw(st.lists(expression(kind, "cond", depth - 1), min_size=2, max_size=3))
        if dyn:
            parts[0] = draw(expression(kind, "cond", depth - 1, dyn=True))
        tokens: list[str] = []
        for i, p in enumerate(parts):
            tokens += [*([op] if i else []), *_paren(draw, p, level + 1)]
        return Ex(tuple(tokens), BOOL, any(p.dyn for p in parts), level)
    # comparisons: the left side reads the event, so no comparison folds to a constant
    if choice == "compare":
        op = draw(st.sampled_from(["==", "!="]))
        left = draw(expression(kind, "any", depth - 1, dyn=True))
        right = draw(expression(kind, "any", depth - 1))
    elif choice == "order":
        op = draw(st.sampled_from(["<", "<=", ">", ">="]))
        left = draw(expression(kind, "orderable", depth - 1, dyn=True))
        right = draw(expression(kind, "orderable", depth - 1))
    elif choice == "in":
        op = draw(st.sampled_from(["in", "not in"]))
        if draw(st.booleans()):
            left = draw(expression(kind, "any", depth - 1, dyn=True))
            right = draw(expression(kind, "container", depth - 1))
        else:
            left = draw(literal(kind, "settable", depth - 1))
            right = draw(expression(kind, "container", depth - 1, dyn=True))
    else:
        op = "matches"
        left = draw(expression(kind, "string", depth - 1, dyn=True))
        right = draw(argument(kind, _t("regex"), depth, first=False))
    tokens = (*_paren(draw, left, SUM), *op.split(), *_paren(draw, right, SUM))
    return Ex(tokens, BOOL, True, CMP)


@st.composite
def binop(draw: st.DrawFn, kind: str, want: str, depth: int) -> Ex:
    """`a OP b` whose static type (by the compiler's rule) fits `want`."""
    if want == "object":
        return draw(path(kind, want))
    if want == "number":
        op, side = draw(st.sampled_from(["+", "-"])), "number"
    elif want == "string":
        op, side = "+", draw(st.sampled_from(["orderable", "list"]))
    elif want in ("container", "list_or_set"):
        op = draw(st.sampled_from(["+", "&", "|", "-"]))
        side = "list" if op == "+" else "list_or_set"
    elif want == "list":
        op, side = "+", "list"
    else:  # orderable, settable, any, cond
        op, side = draw(st.sampled_from(["+", "-"])), draw(st.sampled_from(["orderable", "list"]))
    left = draw(expression(kind, side, depth - 1, dyn=True))
    right = draw(expression(kind, side, depth - 1))
    num = _t("number")
    if op == "-" and left.types <= num and right.types <= num:
        types = num
    elif op in "-&|" and not (left.types <= num or right.types <= num):
        types = _t("set", "number") if op == "-" else _t("set")
    else:
        types = ANY
    assert WANTS[want](types), (want, op, types)
    tokens = (*_paren(draw, left, SUM), op, *_paren(draw, right, UNARY))
    return Ex(tokens, types, True, SUM)


# ---- rules, settings, policies ------------------------------------------------

name = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
name_or_keyword = st.one_of(name, name, name, st.sampled_from(KEYWORDS))


@st.composite
def tool_pattern(draw: st.DrawFn, first: bool) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 4:
        tool = draw(st.sampled_from(TOOL_NAMES))
        return draw(string_literal(tool)) if first and tool in AFTER_TARGET else tool
    if choice <= 6:
        return draw(st.sampled_from(["db_*", "*", "?et", "x*", "*_email", "run-*", "a.b*", "1*"]))
    if choice <= 8:
        return draw(string_literal(draw(st.sampled_from(["a.b", "run sql", "*", "x?", "when"]))))
    keyword = draw(st.sampled_from(KEYWORDS))
    return draw(string_literal(keyword)) if first and keyword in AFTER_TARGET else keyword


@st.composite
def message(draw: st.DrawFn, kind: str) -> tuple[str, ...]:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        piece = draw(st.integers(0, 5))
        if piece <= 1:
            parts.append(draw(_TEXT).replace("{", "").replace("}", ""))
        elif piece == 2:
            parts.append(draw(st.sampled_from(["{{", "}}", "{{}}"])))
        else:
            ex = draw(expression(kind, "any", draw(st.integers(0, 1))))
            inner = " ".join(ex.tokens)
            parts.append("{(" + inner + ")}" if inner.startswith("{") else "{" + inner + "}")
    return ("message", draw(string_literal("".join(parts))))


@st.composite
def rule(draw: st.DrawFn, rule_name: str | None) -> tuple[str, ...]:
    effect = draw(st.sampled_from(["allow", "allow", "deny", "escalate", "warn", "redact", "label"]))
    kind = draw(st.sampled_from(["call", "call", *KINDS]))
    tokens: list[str] = ["rule", rule_name, ":"] if rule_name else []
    tokens += ["label", draw(name_or_keyword)] if effect == "label" else [effect]
    tokens.append(kind)
    if kind in ("call", "result") and draw(st.integers(0, 3)):
        for i in range(draw(st.integers(1, 3))):
            tokens += [*([","] if i else []), draw(tool_pattern(first=i == 0))]
    if effect == "redact":
        pattern = draw(regex_literal)
        args = [pattern] if draw(st.booleans()) else ["pattern", ":", pattern]
        if draw(st.booleans()):
            args += [",", "replacement", ":", draw(string_literal())]
        tokens += ["with", "redact", ".", "pattern", "(", *args, ")"]
    for _ in range(draw(st.integers(0, 3))):
        cond = draw(expression(kind, "cond", draw(st.integers(0, 3))))
        tokens += [draw(st.sampled_from(["when", "unless"])), *cond.tokens]
    if draw(st.booleans()):
        tokens += draw(message(kind))
    return tuple(tokens)


@st.composite
def setting(draw: st.DrawFn, key: str, clean: bool) -> tuple[str, ...]:
    if key == "default":
        return ("default", draw(st.sampled_from(["allow", "deny"])))
    if key == "on_error":
        return ("on_error", draw(st.sampled_from(["deny", "allow"])))
    if key == "mode":
        return ("mode", draw(st.sampled_from(["enforce", "shadow"])))
    if key == "version":
        return ("version", draw(string_literal()))
    if key in ("include", "tools"):
        value = draw(string_literal(draw(st.sampled_from(["a.rail", "../x/tools.json", "é"]))))
        return ("include", value) if key == "include" else ("tools", "from", value)
    limit = key.removeprefix("limit.")
    low = getattr(Limits(), limit) if clean else 1  # a clean policy never tightens a limit
    return ("limit", limit, str(draw(st.integers(low, 10 * low))))


@st.composite
def policy(draw: st.DrawFn, policy_name: str, clean: bool = True) -> tuple[str, ...]:
    keys = ["default", "on_error", "mode", "version", *(f"limit.{n}" for n in Limits.names())]
    if not clean:
        keys += ["include", "tools"]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=4))
    settings = [draw(setting(k, clean)) for k in chosen]
    names = draw(st.lists(name_or_keyword, unique=True, max_size=6))
    rules = [draw(rule(n if draw(st.booleans()) else None)) for n in names]
    rules += [draw(rule(None)) for _ in range(draw(st.integers(0, 2)))]
    items = draw(st.permutations([*settings, *rules]))
    return ("policy", policy_name, "{", *(t for item in items for t in item), "}")


_COMMENT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n"),
    max_size=12,
).map(lambda s: "#" + s)


@st.composite
def separator(draw: st.DrawFn) -> str:
    """The text between two tokens: whitespace, often a line break, sometimes a comment."""
    choice = draw(st.integers(0, 29))
    if choice < 18:
        return " "
    if choice < 25:
        return draw(st.sampled_from(["\n  ", "\n\n  ", "\n", "  ", "\t", "\r\n", "\f "]))
    return draw(st.sampled_from(["", "  "])) + draw(_COMMENT) + "\n" + draw(st.sampled_from(["", "  "]))


@st.composite
def layout(draw: st.DrawFn, tokens: tuple[str, ...]) -> str:
    out = []
    for i, tok in enumerate(tokens):
        if i:
            out.append(draw(separator()))
        out.append(tok)
    return "".join(out)


@st.composite
def policy_files(draw: st.DrawFn, clean: bool = True) -> str:
    """A policy file: one to three policies with unique names, laid out at random."""
    names = draw(st.lists(name_or_keyword, min_size=1, max_size=3, unique=True))
    tokens = [t for n in names for t in draw(policy(n, clean))]
    text = draw(layout(tuple(tokens)))
    before = draw(st.lists(_COMMENT, max_size=2))
    after = draw(st.lists(_COMMENT, max_size=2))
    return "".join(c + "\n" for c in before) + text + "\n" + "".join(c + "\n" for c in after)


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
PUNCTUATION += ("+", "&", "|", "-", "*", "?", "=", "!", "\\", "/", "@", "#", "\n", '"')
_SOUP_ATOMS = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(PUNCTUATION),
    name,
    number_literal,
    st.sampled_from(['"', '"abc', '"\\q"', '"\\u{110000}"', "/", "/a", "/(?=x)/", "1e999"]),
    string_literal(),
    regex_literal,
    st.sampled_from(["db_*", "*", "a?", "-1", "# c\n", "args.a", "redact.pattern("]),
)
token_soup = st.lists(
    st.tuples(_SOUP_ATOMS, st.sampled_from(["", " ", "\n", "  "])), max_size=60
).map(lambda parts: "".join(tok + sep for tok, sep in parts))


@st.composite
def mutated_policies(draw: st.DrawFn) -> str:
    """A valid policy file after a few random deletions, insertions and duplications."""
    text = draw(policy_files(clean=draw(st.booleans())))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        edit = draw(st.integers(0, 3))
        if edit == 0:
            text = text[:i] + text[j:]
        elif edit == 1:
            text = text[:i] + draw(_SOUP_ATOMS) + text[i:]
        elif edit == 2:
            text = text[:i] + text[i:j] + text[i:]
        else:
            text = text[:i] + draw(random_text)[:3] + text[j:]
    return text
