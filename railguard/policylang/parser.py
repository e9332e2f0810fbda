"""Parse policy text into a `Module`, collecting every syntax error instead of stopping at one.

The whole file is parsed in one LALR pass. Only when that fails does the parser fall back to
recovery: it splits the file into items (settings and rules) with a small scanner and parses
each item on its own, so that one broken rule yields one diagnostic and the other rules are
still parsed and checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics
from railguard.policylang.literals import LiteralError, decode_regex, decode_string
from railguard.policylang.span import Span

MAX_SOURCE_BYTES = 1_000_000
MAX_NESTING = 64

ITEM_KEYWORDS = frozenset(
    "rule allow deny escalate warn redact label default on_error mode version include tools limit".split()
)

_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "REGEX": "a regular expression",
    "GLOB": "a tool pattern",
    "COMP_OP": "a comparison",
    "SUM_OP": "an operator",
    "MINUS": "`-`",
    "$END": "end of file",
}


@functools.cache
def _lark() -> Lark:
    grammar = resources.files("railguard.policylang").joinpath("grammar.lark").read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["start", "item", "expr"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=False,
    )


# ---- public entry points ----------------------------------------------------


def parse(text: str, file: str = "<policy>", diagnostics: Diagnostics | None = None) -> ast.Module:
    """Parse a policy file. Problems go to `diagnostics`; the returned module holds what parsed."""
    diags = diagnostics if diagnostics is not None else Diagnostics()
    diags.add_source(file, text)
    scan = _Scan(text)
    comments = tuple(ast.Comment(t.text, Span.at(file, text, t.start, t.end)) for t in scan.comments)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        diags.error(
            "RG110", f"policy file is larger than {MAX_SOURCE_BYTES} bytes", Span.at(file, text, 0)
        )
        return ast.Module(file, (), comments)
    if scan.deepest is not None:
        start = scan.deepest
        diags.error(
            "RG109",
            f"brackets nest more than {MAX_NESTING} deep",
            Span.at(file, text, start, start + 1),
            help="split the expression into smaller rules",
        )
        return ast.Module(file, (), comments)
    builder = _Builder(file, text, diags)
    try:
        tree = _lark().parse(text, start="start")
    except UnexpectedInput:
        policies = _recover(text, file, scan, builder, diags)
    else:
        policies = builder.transform_policies(tree)
    return ast.Module(file, tuple(policies), comments)


def parse_expression(
    text: str, file: str, offset: int, diagnostics: Diagnostics, full_text: str
) -> ast.Expr | None:
    """Parse one expression that sits at `offset` in `full_text` (used for message templates)."""
    padded = _blank(full_text[:offset]) + text
    builder = _Builder(file, full_text, diagnostics)
    try:
        tree = _lark().parse(padded, start="expr")
    except UnexpectedInput as exc:
        _report_syntax_error(exc, padded, file, diagnostics, builder)
        return None
    result = builder.transform_node(tree)
    return result if isinstance(result, _EXPR_TYPES) else None


_EXPR_TYPES = (
    ast.Literal,
    ast.RegexLit,
    ast.ListLit,
    ast.SetLit,
    ast.Name,
    ast.Attr,
    ast.Index,
    ast.Call,
    ast.Not,
    ast.Neg,
    ast.BoolOp,
    ast.Compare,
    ast.BinOp,
)


# ---- syntax errors ----------------------------------------------------------


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    try:
        pattern = _lark().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"`{pattern.value}`" if pattern.type == "str" else terminal.lower()


def _expected(names: set[str] | frozenset[str]) -> str | None:
    words = sorted({_describe(n) for n in names if not n.startswith("__")})
    if not words:
        return None
    if len(words) > 8:
        words = [*words[:8], "..."]
    return "expected " + (words[0] if len(words) == 1 else "one of " + ", ".join(words))


def _report_syntax_error(
    exc: UnexpectedInput, text: str, file: str, diags: Diagnostics, builder: _Builder | None = None
) -> None:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        char = text[pos] if pos < len(text) else ""
        if char == '"':
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            diags.error(
                "RG103",
                "unterminated string",
                Span.at(file, text, pos, end),
                help='close the string with `"` on the same line',
            )
        elif char == "/":
            diags.error(
                "RG107",
                "unterminated regular expression",
                Span.at(file, text, pos, pos + 1),
                help="close the pattern with `/` on the same line, and write a slash inside it as `\\/`",
            )
        else:
            diags.error(
                "RG102",
                f"unexpected character `{char}`",
                Span.at(file, text, pos, pos + 1),
                help=_expected(exc.allowed or set()),
            )
        return
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            end = len(text.rstrip())
            diags.error(
                "RG105",
                "unexpected end of file",
                Span.at(file, text, end, end),
                help=_expected(exc.expected),
            )
            return
        start = token.start_pos if token.start_pos is not None else 0
        diags.error(
            "RG101",
            f"unexpected `{token.value}`",
            Span.at(file, text, start, start + len(token.value)),
            help=_expected(exc.accepts or exc.expected),
        )
        return
    diags.error("RG101", "syntax error", Span.at(file, text, 0))  # pragma: no cover


# ---- recovery ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # ws comment string regex word punct
    text: str
    start: int
    end: int


_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"?)
      | (?P<regex>/(?:[^/\\\n]|\\.)+/[ims]*)
      | (?P<word>[A-Za-z0-9_.*?\-]+)
      | (?P<punct>.)""",
    re.X | re.S,
)


class _Scan:
    """A tolerant tokenizer: comments, bracket depth, and the tokens recovery splits on."""

    def __init__(self, text: str) -> None:
        self.tokens: list[_Tok] = []
        self.comments: list[_Tok] = []
        self.deepest: int | None = None
        depth = 0
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup or "punct"
            if kind == "ws":
                continue
            tok = _Tok(kind, m.group(), m.start(), m.end())
            if kind == "comment":
                self.comments.append(tok)
                continue
            self.tokens.append(tok)
            if kind == "punct" and tok.text in "([{":
                depth += 1
                if depth > MAX_NESTING + 1 and self.deepest is None:
                    self.deepest = tok.start
            elif kind == "punct" and tok.text in ")]}":
                depth = max(depth - 1, 0)


def _blank(text: str) -> str:
    """Whitespace of the same length and line structure, so parsed positions stay absolute."""
    return re.sub(r"[^\n]", " ", text)


def _segments(scan: _Scan) -> Iterator[tuple[str, int, int]]:
    """Yield ("policy", start, end) headers, ("item", start, end) items, ("stray", ...) junk."""
    toks = scan.tokens
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        if not (tok.kind == "word" and tok.text == "policy"):
            j = i
            while j < n and not (toks[j].kind == "word" and toks[j].text == "policy"):
                j += 1
            yield ("stray", tok.start, toks[j - 1].end)
            i = j
            continue
        # header: `policy NAME {`
        j = i + 1
        while j < n and toks[j].text != "{" and not (toks[j].kind == "word" and toks[j].text == "policy"):
            j += 1
        if j >= n or toks[j].text != "{":
            yield ("policy", tok.start, toks[j - 1].end)
            i = j
            continue
        yield ("policy", tok.start, toks[j].end)
        i = j + 1
        depth = 0
        item_start: int | None = None
        prev: _Tok | None = None
        while i < n:
            t = toks[i]
            if depth == 0 and t.kind == "word" and t.text == "policy":
                break
            if depth == 0 and t.text == "}" and t.kind == "punct":
                if item_start is not None:
                    yield ("item", item_start, prev.end if prev else t.start)
                yield ("close", t.start, t.end)
                item_start = None
                i += 1
                break
            nxt = toks[i + 1] if i + 1 < n else None
            starts_item = (
                t.kind == "word"
                and t.text in ITEM_KEYWORDS
                and not (prev is not None and (prev.text in ("default", "on_error", ":", ".")))
                and not (nxt is not None and nxt.text == ":" and t.text != "rule")
            )
            if starts_item:
                depth = 0
                if item_start is not None and prev is not None:
                    yield ("item", item_start, prev.end)
                item_start = t.start
            elif item_start is None:
                item_start = t.start
            if t.kind == "punct" and t.text in "([{":
                depth += 1
            elif t.kind == "punct" and t.text in ")]}":
                depth = max(depth - 1, 0)
            prev = t
            i += 1
        else:
            if item_start is not None and prev is not None:
                yield ("item", item_start, prev.end)
            yield ("eof", n and toks[-1].end, n and toks[-1].end)
            continue
        if item_start is not None and prev is not None and (i >= n or toks[i].text == "policy"):
            yield ("item", item_start, prev.end)
            yield ("eof", prev.end, prev.end)


_HEADER_RE = re.compile(r"policy\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{\Z", re.S)


def _recover(
    text: str, file: str, scan: _Scan, builder: _Builder, diags: Diagnostics
) -> list[ast.Policy]:
    blank = _blank(text)
    policies: list[ast.Policy] = []
    current: tuple[str, Span, Span] | None = None
    items: list[ast.Item] = []

    def close(end: int) -> None:
        nonlocal current, items
        if current is not None:
            name, start_span, name_span = current
            span = Span.at(file, text, start_span.start, end)
            policies.append(ast.Policy(name, tuple(items), span, name_span))
        current, items = None, []

    for kind, start, end in _segments(scan):
        if kind == "stray":
            diags.error(
                "RG101",
                f"unexpected `{text[start:end].split()[0]}`",
                Span.at(file, text, start, start + len(text[start:end].split()[0])),
                help="expected `policy`",
            )
        elif kind == "policy":
            close(start)
            m = _HEADER_RE.match(text, start, end)
            if m is None:
                _parse_fragment(text[:end] + " }", blank, start, file, diags, builder, "start")
                current = None
                continue
            current = (m.group(1), Span.at(file, text, start, end), Span.at(file, text, *m.span(1)))
        elif kind == "item":
            if current is None:
                continue
            item = _parse_fragment(text[:end], blank, start, file, diags, builder, "item")
            if isinstance(item, ast.Setting | ast.Rule):
                items.append(item)
        elif kind == "close":
            close(end)
        elif kind == "eof":
            if current is not None:
                diags.error(
                    "RG105",
                    f"policy `{current[0]}` is not closed",
                    current[1],
                    help="add `}` at the end of the policy",
                )
            close(end)
    close(len(text))
    return policies


def _parse_fragment(
    text: str, blank: str, start: int, file: str, diags: Diagnostics, builder: _Builder, rule: str
) -> Any:
    padded = blank[:start] + text[start:]
    try:
        tree = _lark().parse(padded, start=rule)
    except UnexpectedInput as exc:
        _report_syntax_error(exc, padded, file, diags)
        return None
    return builder.transform_node(tree)


# ---- tree to AST ------------------------------------------------------------


def _tok_span(file: str, tok: Token) -> Span:
    return Span(
        file,
        tok.line or 0,
        tok.column or 0,
        tok.end_line or 0,
        tok.end_column or 0,
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


class _Builder:
    """Turns Lark trees into AST nodes; reports literal errors (bad escapes) as it goes."""

    def __init__(self, file: str, text: str, diags: Diagnostics) -> None:
        self.file = file
        self.text = text
        self.diags = diags
        self._transformer = _ToAst(self)

    def transform_policies(self, tree: lark.Tree[Token]) -> list[ast.Policy]:
        result = self.transform_node(tree)
        return list(result) if isinstance(result, list) else []

    def transform_node(self, tree: lark.Tree[Token]) -> Any:
        try:
            return self._transformer.transform(tree)
        except (VisitError, RecursionError) as exc:
            if isinstance(exc, RecursionError) or isinstance(exc.orig_exc, RecursionError):
                self.diags.error("RG109", "policy nests too deeply", Span.at(self.file, self.text, 0))
                return None
            raise

    def span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span.at(self.file, self.text, 0)
        return Span(
            self.file, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos
        )

    def string(self, tok: Token) -> str:
        try:
            return decode_string(str(tok))
        except LiteralError as exc:
            start = (tok.start_pos or 0) + exc.offset
            self.diags.error(
                "RG104",
                str(exc),
                Span.at(self.file, self.text, start, start + exc.length),
                help='valid escapes are `\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{XXXX}`',
            )
            return str(tok)[1:-1]


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    def __init__(self, builder: _Builder) -> None:
        super().__init__()
        self.b = builder

    # -- file structure
    def start(self, meta: Any, children: list[ast.Policy]) -> list[ast.Policy]:
        return children

    def policy(self, meta: Any, children: list[Any]) -> ast.Policy:
        name, *items = children
        return ast.Policy(str(name), tuple(items), self.b.span(meta), _tok_span(self.b.file, name))

    # -- settings
    def _setting(self, meta: Any, name: str, value: Any, value_span: Span, key: str | None = None) -> ast.Setting:
        return ast.Setting(name, value, key, self.b.span(meta), value_span)

    def default_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "default", str(c[0]), _tok_span(self.b.file, c[0]))

    def on_error_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "on_error", str(c[0]), _tok_span(self.b.file, c[0]))

    def mode_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "mode", str(c[0]), _tok_span(self.b.file, c[0]))

    def version_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "version", self.b.string(c[0]), _tok_span(self.b.file, c[0]))

    def include_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "include", self.b.string(c[0]), _tok_span(self.b.file, c[0]))

    def tools_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        return self._setting(meta, "tools", self.b.string(c[0]), _tok_span(self.b.file, c[0]))

    def limit_setting(self, meta: Any, c: list[Token]) -> ast.Setting:
        key, number = c
        return self._setting(meta, "limit", _number(number), _tok_span(self.b.file, number), str(key))

    def decision(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    def mode(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    # -- rules
    def rule(self, meta: Any, c: list[Any]) -> ast.Rule:
        name_tok, effect, target, redactor, *rest = c
        message = rest.pop() if rest else None
        conditions = tuple(x for x in rest if x is not None)
        kind, tools, target_span = target
        effect_name, label = effect
        name_span = _tok_span(self.b.file, name_tok) if name_tok is not None else self.b.span(meta)
        return ast.Rule(
            name=str(name_tok) if name_tok is not None else None,
            effect=effect_name,
            kind=kind,
            tools=tools,
            label=label,
            redactor=redactor,
            conditions=conditions,
            message=message,
            span=self.b.span(meta),
            name_span=name_span,
            target_span=target_span,
        )

    def rule_name(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    def effect(self, meta: Any, c: list[Token]) -> tuple[str, str | None]:
        return str(c[0]), (str(c[1]) if len(c) > 1 else None)

    def target(self, meta: Any, c: list[Any]) -> tuple[str, tuple[ast.ToolPattern, ...], Span]:
        kind, tools = c
        return str(kind), tuple(tools or ()), self.b.span(meta)

    def kind(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    def tool_list(self, meta: Any, c: list[ast.ToolPattern]) -> list[ast.ToolPattern]:
        return c

    def tool_pattern(self, meta: Any, c: list[Token]) -> ast.ToolPattern:
        tok = c[0]
        span = _tok_span(self.b.file, tok)
        if tok.type == "STRING":
            return ast.ToolPattern(self.b.string(tok), True, span)
        return ast.ToolPattern(str(tok), False, span)

    def redactor(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return c[0]

    def when(self, meta: Any, c: list[ast.Expr]) -> ast.Condition:
        return ast.Condition(False, c[0], self.b.span(meta))

    def unless(self, meta: Any, c: list[ast.Expr]) -> ast.Condition:
        return ast.Condition(True, c[0], self.b.span(meta))

    def message(self, meta: Any, c: list[Token]) -> ast.Message:
        return ast.Message(self.b.string(c[0]), _tok_span(self.b.file, c[0]))

    # -- expressions
    def or_(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp("or", tuple(c), self.b.span(meta))

    def and_(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp("and", tuple(c), self.b.span(meta))

    def not_(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.Not(c[0], self.b.span(meta))

    def compare(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Compare(str(c[1]), c[0], c[2], self.b.span(meta))

    def in_(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("in", c[0], c[1], self.b.span(meta))

    def not_in(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("not in", c[0], c[1], self.b.span(meta))

    def matches(self, meta: Any, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("matches", c[0], c[1], self.b.span(meta))

    def binop(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.BinOp(str(c[1]), c[0], c[2], self.b.span(meta))

    def neg(self, meta: Any, c: list[Any]) -> ast.Expr:
        operand = c[1]
        span = self.b.span(meta)
        if isinstance(operand, ast.Literal) and type(operand.value) in (int, float):
            return ast.Literal(-operand.value, span)  # type: ignore[operator]
        return ast.Neg(operand, span)

    def attr(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Attr(c[0], str(c[1]), self.b.span(meta))

    def index(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Index(c[0], c[1], self.b.span(meta))

    def call(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Call(c[0], tuple(c[1] or ()), self.b.span(meta))

    def arguments(self, meta: Any, c: list[Any]) -> list[ast.Argument]:
        return [
            x if isinstance(x, ast.Argument) else ast.Argument(None, x, x.span)
            for x in c
            if x is not None
        ]

    def named_argument(self, meta: Any, c: list[Any]) -> ast.Argument:
        return ast.Argument(str(c[0]), c[1], self.b.span(meta))

    def name(self, meta: Any, c: list[Token]) -> ast.Expr:
        return ast.Name(str(c[0]), self.b.span(meta))

    def string(self, meta: Any, c: list[Token]) -> ast.Expr:
        return ast.Literal(self.b.string(c[0]), self.b.span(meta))

    def number(self, meta: Any, c: list[Token]) -> ast.Expr:
        return ast.Literal(_number(c[0]), self.b.span(meta))

    def regex(self, meta: Any, c: list[Token]) -> ast.Expr:
        pattern, flags = decode_regex(str(c[0]))
        return ast.RegexLit(pattern, flags, self.b.span(meta))

    def true(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Literal(True, self.b.span(meta))

    def false(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Literal(False, self.b.span(meta))

    def null(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.Literal(None, self.b.span(meta))

    def list(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.ListLit(tuple(x for x in c if x is not None), self.b.span(meta))

    def set(self, meta: Any, c: list[Any]) -> ast.Expr:
        return ast.SetLit(tuple(x for x in c if x is not None), self.b.span(meta))


def _number(tok: Token) -> int | float:
    text = str(tok)
    if len(text) > 18 or any(ch in text for ch in ".eE"):
        return float(text)
    return int(text)
