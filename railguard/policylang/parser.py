"""Parse policy text into a `Module`, collecting every syntax error instead of stopping at one.

The whole file is parsed in one LALR pass. Only when that fails does the parser fall back to
recovery: it splits the file into items (settings and rules) with a small scanner and parses
each item on its own, so that one broken rule yields one diagnostic and the other rules are
still parsed and checked.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics
from railguard.policylang.literals import LiteralError, decode_regex, decode_string
from railguard.policylang.span import Span

MAX_SOURCE_BYTES = 1_000_000
_state = threading.local()  # the _Builder of the parse running on this thread

ITEM_KEYWORDS = frozenset(
    [
        "rule",
        "allow",
        "deny",
        "escalate",
        "warn",
        "redact",
        "label",
        "default",
        "on_error",
        "mode",
        "version",
        "include",
        "tools",
        "limit",
        "dialect",
        "recognizer",
        "breaker",
    ]
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
        maybe_placeholders=True,
        transformer=_ToAst(),
        lexer_callbacks={"COMMENT": _comment},
        cache=_table_cache(),
    )


def _table_cache() -> str | bool:
    """Where Lark keeps the parse tables it built (a cold `railguard lint` then skips
    building them: about 70 ms): a file in the user's own cache folder, never a shared
    temporary one (Lark unpickles it). Lark checks the grammar's hash and rebuilds on a
    mismatch. `RAILGUARD_CACHE_DIR` moves the folder; an empty value, or a folder that
    cannot be created, turns the cache off."""
    folder = os.environ.get("RAILGUARD_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "railguard")
    if not folder:
        return False
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    version = "".join(map(str, sys.version_info[:2]))
    return os.path.join(folder, f"grammar-py{version}.lark-tables")


def _comment(tok: Token) -> Token:
    builder = getattr(_state, "builder", None)
    if builder is not None:
        builder.comments.append(tok)
    return tok


# ---- public entry points ----------------------------------------------------


def parse(text: str, file: str = "<policy>", diagnostics: Diagnostics | None = None) -> ast.Module:
    """Parse a policy file. Problems go to `diagnostics`; the returned module holds what parsed."""
    diags = diagnostics if diagnostics is not None else Diagnostics()
    diags.add_source(file, text)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        diags.error(
            "RG110", f"policy file is larger than {MAX_SOURCE_BYTES} bytes", Span.at(file, text, 0)
        )
        return ast.Module(file, ())
    builder = _Builder(file, text, diags)
    try:
        policies = builder.parse(text, "start")
        comments = [ast.Comment(str(t), builder.token(t)) for t in builder.comments]
    except UnexpectedInput:
        scan = _Scan(text)
        policies = _recover(text, file, scan, builder, diags)
        comments = [ast.Comment(t.text, Span.at(file, text, t.start, t.end)) for t in scan.comments]
    return ast.Module(file, tuple(policies), tuple(comments))


def parse_expression(
    text: str, file: str, offset: int, diagnostics: Diagnostics, full_text: str
) -> ast.Expr | None:
    """Parse a one-line expression found at `offset` in `full_text` (a message template's)."""
    origin = Span.at(file, full_text, offset)
    builder = _Builder(file, text, diagnostics, origin)
    simple = _simple_path(text, builder)
    if simple is not None:
        return simple
    try:
        result = builder.parse(text, "expr")
    except UnexpectedInput as exc:
        inner = Diagnostics()
        _report_syntax_error(exc, text, file, inner, "expression")
        for d in inner.items:
            diagnostics.error(d.code, d.message, builder.shift(d.span), d.help)
        return None
    return result if isinstance(result, _EXPR_TYPES) else None


_SIMPLE_PATH = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\Z")
_WORDS = frozenset({"true", "false", "null", "not"})


def _simple_path(text: str, builder: _Builder) -> ast.Expr | None:
    """`args.to` and the like without the parser: most message templates are just paths."""
    m = _SIMPLE_PATH.match(text)
    if m is None or m.group(1) in _WORDS:
        return None
    pos = m.start(1)
    root = m.group(1)
    node: ast.Expr = ast.Name(
        root, builder.shift(Span.at(builder.file, text, pos, pos + len(root)))
    )
    end = pos + len(root)
    for part in m.group(2).split(".")[1:]:
        end += 1 + len(part)
        node = ast.Attr(node, part, builder.shift(Span.at(builder.file, text, pos, end)))
    return node


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


_EXPRESSION_START = frozenset(
    [
        "NAME",
        "STRING",
        "NUMBER",
        "REGEX",
        "MINUS",
        "LPAR",
        "LSQB",
        "LBRACE",
        "TRUE",
        "FALSE",
        "NULL",
        "NOT",
    ]
)


def _expected(names: set[str] | frozenset[str], unit: str = "file") -> str | None:
    names = {n for n in names if not n.startswith("__")}
    described: set[str] = set()
    if {"NAME", "STRING", "NUMBER", "REGEX"} <= names:  # whatever can start an expression
        names -= _EXPRESSION_START
        described.add("an expression")
    described |= {f"end of {unit}" if n == "$END" else _describe(n) for n in names}
    words = sorted(described)
    if not words:
        return None
    if len(words) > 8:
        words = [*words[:8], "..."]
    return "expected " + (words[0] if len(words) == 1 else "one of " + ", ".join(words))


_CHAR_HELP = {
    "=": "write `==` to compare",
    ";": "settings and rules need no `;` between them",
    "'": 'strings are written in double quotes: `"..."`',
    "!": "write `not` to negate, `!=` to compare",
}


def _report_syntax_error(
    exc: UnexpectedInput, text: str, file: str, diags: Diagnostics, unit: str = "file"
) -> None:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
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
                help=_CHAR_HELP.get(char)
                or ("names are ASCII letters, digits and `_`" if char.isalpha() else None)
                or _expected(exc.allowed or set(), unit),
            )
        return
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            end = len(text.rstrip())
            diags.error(
                "RG105",
                f"unexpected end of {unit}",
                Span.at(file, text, end, end),
                help=_expected(exc.expected, unit),
            )
            return
        start = token.start_pos if token.start_pos is not None else 0
        doubled = token.value in ("&", "|") and text[start - 1 : start] == token.value
        shown = start - 1 if doubled else start  # `&&` and `||`: show both characters
        diags.error(
            "RG101",
            f"unexpected `{text[shown : start + len(token.value)]}`",
            Span.at(file, text, shown, start + len(token.value)),
            help=f"write `{'and' if token.value == '&' else 'or'}` instead of `{token.value * 2}`"
            if doubled
            else _expected(exc.accepts or exc.expected, unit),
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
    """A tolerant tokenizer for recovery: the comments, and the tokens items are split on."""

    def __init__(self, text: str) -> None:
        self.tokens: list[_Tok] = []
        self.comments: list[_Tok] = []
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup or "punct"
            if kind == "ws":
                continue
            tok = _Tok(kind, m.group(), m.start(), m.end())
            if kind == "comment":
                self.comments.append(tok)
                continue
            self.tokens.append(tok)


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
        while (
            j < n
            and toks[j].text != "{"
            and not (toks[j].kind == "word" and toks[j].text == "policy")
        ):
            j += 1
        if j >= n or toks[j].text != "{":
            yield ("policy", tok.start, toks[j - 1].end)
            i = j
            continue
        yield ("policy", tok.start, toks[j].end)
        i = j + 1
        opened: list[str] = []  # brackets open inside the current item
        item_start: int | None = None
        prev: _Tok | None = None
        closed = False
        while i < n:
            t = toks[i]
            if not opened and t.kind == "word" and t.text == "policy":
                break
            if t.kind == "punct" and t.text == "}" and "{" not in opened:
                # closes the policy, even when a `(` or `[` of the last item was never closed
                if item_start is not None and prev is not None:
                    yield ("item", item_start, prev.end)
                yield ("close", t.start, t.end)
                item_start = None
                closed = True
                i += 1
                break
            nxt = toks[i + 1] if i + 1 < n else None
            starts_item = (
                t.kind == "word"
                and t.text in ITEM_KEYWORDS
                and not (prev is not None and prev.text in ("default", "on_error", ":", "."))
                and not (nxt is not None and nxt.text == ":" and t.text != "rule")
            )
            if starts_item:
                opened.clear()
                if item_start is not None and prev is not None:
                    yield ("item", item_start, prev.end)
                item_start = t.start
            elif item_start is None:
                item_start = t.start
            if t.kind == "punct" and t.text in "([{":
                opened.append(t.text)
            elif t.kind == "punct" and t.text in ")]}":
                match = {")": "(", "]": "[", "}": "{"}[t.text]
                if match in opened:
                    while opened.pop() != match:
                        pass
            prev = t
            i += 1
        if not closed:
            if item_start is not None and prev is not None:
                yield ("item", item_start, prev.end)
            end = prev.end if prev is not None else toks[i - 1].end
            yield ("eof", end, end)


_GAP = r"(?:\s|#[^\n]*\n)"  # whitespace, and comments with their line end
_HEADER_RE = re.compile(rf"policy{_GAP}+([A-Za-z_][A-Za-z0-9_]*){_GAP}*\{{\Z")


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
                _parse_fragment(text[:end], blank, start, file, diags, builder, "start")
                current = None
                continue
            current = (m.group(1), Span.at(file, text, start, end), Span.at(file, text, *m.span(1)))
        elif kind == "item":
            if current is None:
                continue
            item = _parse_fragment(text[:end], blank, start, file, diags, builder, "item")
            if isinstance(item, ast.Setting | ast.Rule | ast.Recognizer | ast.Breaker):
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
        return builder.parse(padded, rule)
    except UnexpectedInput as exc:
        first = text[start:].split(None, 1)[0] if text[start:].strip() else ""
        unit = (
            "policy header"
            if rule == "start"
            else "breaker"
            if first == "breaker"
            else "rule"
            if first not in _SETTING_WORDS
            else "setting"
        )
        _report_syntax_error(exc, padded, file, diags, unit)
        return None


_SETTING_WORDS = frozenset(
    {"default", "on_error", "mode", "version", "include", "tools", "limit", "dialect"}
)


# ---- tree to AST ------------------------------------------------------------


class _Builder:
    """Turns Lark trees into AST nodes; reports literal errors (bad escapes) as it goes.

    `origin` places a fragment parsed on its own (a template's expression, one line) at
    its position in the file.
    """

    def __init__(
        self, file: str, text: str, diags: Diagnostics, origin: Span | None = None
    ) -> None:
        self.file = file
        self.text = text
        self.diags = diags
        self.origin = origin
        self.comments: list[Token] = []

    def parse(self, text: str, start: str) -> Any:
        """Parse `text` from grammar rule `start` straight into AST nodes."""
        previous = getattr(_state, "builder", None)
        _state.builder = self
        try:
            return _lark().parse(text, start=start)
        finally:
            _state.builder = previous

    def number(self, tok: Token) -> int | float:
        value = _number(str(tok))
        if isinstance(value, float) and not math.isfinite(value):
            self.diags.error(
                "RG106",
                f"number `{tok}` is too large",
                self.token(tok),
                help="numbers must fit a 64-bit float",
            )
            return 0
        return value

    def shift(self, span: Span) -> Span:
        o = self.origin
        if o is None:
            return span
        return Span(
            self.file,
            o.line + span.line - 1,
            o.column + span.column - 1,
            o.line + span.end_line - 1,
            o.column + span.end_column - 1,
            o.start + span.start,
            o.start + span.end,
        )

    def token(self, tok: Token) -> Span:
        span = Span(
            self.file,
            tok.line or 0,
            tok.column or 0,
            tok.end_line or 0,
            tok.end_column or 0,
            tok.start_pos or 0,
            tok.end_pos or 0,
        )
        return span if self.origin is None else self.shift(span)

    def string(self, tok: Token) -> str:
        try:
            return decode_string(str(tok))
        except LiteralError as exc:
            start = (tok.start_pos or 0) + exc.offset
            self.diags.error(
                "RG104",
                str(exc),
                self.shift(Span.at(self.file, self.text, start, start + exc.length)),
                help='valid escapes are `\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{XXXX}`',
            )
            return str(tok)[1:-1]


def _current() -> _Builder:
    builder: _Builder = _state.builder
    return builder


def _edge(x: Any) -> Span | None:
    if isinstance(x, Span):
        return x
    if isinstance(x, Token):
        return _current().token(x)
    if isinstance(x, tuple | list):
        spans = [e for e in (_edge(i) for i in x) if e is not None]
        return spans[0].to(spans[-1]) if spans else None
    span: Span | None = getattr(x, "span", None)
    return span


def _cover(children: list[Any]) -> Span:
    """The span from the first child's start to the last child's end."""
    spans = [s for s in (_edge(c) for c in children if c is not None) if s is not None]
    if not spans:
        b = _current()
        return b.shift(Span.at(b.file, b.text, 0))
    return spans[0].to(spans[-1])


def _nodes(children: list[Any]) -> list[Any]:
    """Children without the keywords and punctuation `!` rules keep."""
    return [c for c in children if c is not None and not isinstance(c, Token)]


class _ToAst(Transformer[Token, Any]):
    """Lark callbacks, run while parsing (no parse tree is built); spans come from tokens."""

    @property
    def b(self) -> _Builder:
        return _current()

    # -- file structure
    def start(self, c: list[ast.Policy]) -> list[ast.Policy]:
        return [p for p in c if p is not None]

    def policy(self, c: list[Any]) -> ast.Policy:
        name = c[1]
        items = tuple(
            i
            for i in c[3:-1]
            if isinstance(i, ast.Setting | ast.Rule | ast.Recognizer | ast.Breaker)
        )
        return ast.Policy(str(name), items, _cover(c), self.b.token(name))

    # -- settings
    def _setting(self, c: list[Any], name: str, value: Any, key: str | None = None) -> ast.Setting:
        return ast.Setting(name, value, key, _cover(c), self.b.token(c[-1]))

    def default_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "default", str(c[-1]))

    def on_error_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "on_error", str(c[-1]))

    def mode_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "mode", str(c[-1]))

    def version_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "version", self.b.string(c[-1]))

    def include_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "include", self.b.string(c[-1]))

    def tools_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "tools", self.b.string(c[-1]))

    def dialect_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "dialect", self.b.string(c[-1]))

    def limit_setting(self, c: list[Token]) -> ast.Setting:
        return self._setting(c, "limit", self.b.number(c[2]), str(c[1]))

    # -- custom recognizers
    def recognizer(self, c: list[Any]) -> ast.Recognizer:
        name, patterns = c[1], c[2]
        words: list[Token] = c[4] if len(c) > 4 and c[4] is not None else []
        score = self.b.number(c[6]) if len(c) > 6 and c[6] is not None else None
        parts = [c[0], *patterns, *words, *(t for t in c[3:] if isinstance(t, Token))]
        spans = [s for s in map(_edge, parts) if s is not None]
        return ast.Recognizer(
            str(name),
            tuple(patterns),
            tuple(self.b.string(w) for w in words),
            None if score is None else float(score),
            spans[0].to(max(spans, key=lambda s: s.end)),
            self.b.token(name),
        )

    def recognizer_patterns(self, c: list[Token]) -> list[ast.RegexLit]:
        out = []
        for tok in c:
            if tok.type == "REGEX":
                pattern, flags = decode_regex(str(tok))
                out.append(ast.RegexLit(pattern, flags, self.b.token(tok)))
            else:
                out.append(ast.RegexLit(self.b.string(tok), "", self.b.token(tok)))
        return out

    def recognizer_words(self, c: list[Token]) -> list[Token]:
        return c

    # -- circuit breakers
    def breaker(self, c: list[Any]) -> ast.Breaker:
        # breaker TOOLS : open TRIP within STRING for STRING OPTION*
        failures, failures_span, min_calls, min_calls_span = c[4]
        order = {name: i for i, name in enumerate(ast.BREAKER_OPTIONS)}
        options = sorted(c[9:], key=lambda o: order[o.name])  # stable: repeats keep their order
        return ast.Breaker(
            tools=tuple(c[1]),
            failures=failures,
            within=self.b.string(c[6]),
            cool_down=self.b.string(c[8]),
            min_calls=min_calls,
            options=tuple(options),
            span=_cover(c),
            failures_span=failures_span,
            within_span=self.b.token(c[6]),
            cool_down_span=self.b.token(c[8]),
            min_calls_span=min_calls_span,
        )

    def breaker_count(self, c: list[Token]) -> tuple[Any, Span, None, Span]:
        return self.b.number(c[1]), self.b.token(c[1]), None, self.b.token(c[1])

    def breaker_rate(self, c: list[Token]) -> tuple[Any, Span, Any, Span]:
        percent = self.b.token(c[1]).to(self.b.token(c[2]))
        return self.b.number(c[1]), percent, self.b.number(c[7]), self.b.token(c[7])

    def breaker_kinds(self, c: list[Token]) -> ast.BreakerOption:
        names = tuple(str(t) for t in c[1:] if t.type == "NAME")
        return ast.BreakerOption("kinds", names, _cover(c))

    def breaker_trials(self, c: list[Token]) -> ast.BreakerOption:
        return ast.BreakerOption("trials", (self.b.number(c[1]),), _cover(c))

    def breaker_max(self, c: list[Token]) -> ast.BreakerOption:
        return ast.BreakerOption("max", (self.b.string(c[1]),), _cover(c))

    def breaker_scope(self, c: list[Token]) -> ast.BreakerOption:
        return ast.BreakerOption("per", (str(c[1]),), _cover(c))

    def breaker_fallback(self, c: list[Any]) -> ast.BreakerOption:
        return ast.BreakerOption("fallback", tuple(c[1]), _cover(c))

    def fallback(self, c: list[Any]) -> tuple[tuple[ast.ToolPattern, ...], Span]:
        return tuple(c[1]), _cover(c)

    def decision(self, c: list[Token]) -> Token:
        return c[0]

    def mode(self, c: list[Token]) -> Token:
        return c[0]

    # -- rules
    def rule(self, c: list[Any]) -> ast.Rule:
        name, effect, target, redactor, *rest = c
        message = rest.pop() if rest else None
        fallback = rest.pop() if rest else None
        conditions = tuple(x for x in rest if x is not None)
        kind, tools, target_span = target
        effect_name, label, effect_span = effect
        return ast.Rule(
            name=str(name[0]) if name is not None else None,
            effect=effect_name,
            kind=kind,
            tools=tools,
            label=label,
            redactor=redactor,
            conditions=conditions,
            message=message,
            span=_cover([name[1] if name is not None else None, effect_span, target_span, *c[3:]]),
            name_span=self.b.token(name[0]) if name is not None else effect_span,
            target_span=target_span,
            fallback=fallback[0] if fallback is not None else (),
        )

    def rule_name(self, c: list[Token]) -> tuple[Token, Span]:
        return c[1], _cover(c)

    def effect(self, c: list[Token]) -> tuple[str, str | None, Span]:
        return str(c[0]), (str(c[1]) if len(c) > 1 else None), _cover(c)

    def target(self, c: list[Any]) -> tuple[str, tuple[ast.ToolPattern, ...], Span]:
        kind, tools = c
        return str(kind), tuple(tools or ()), _cover([kind, tools])

    def kind(self, c: list[Token]) -> Token:
        return c[0]

    def tool_list(self, c: list[ast.ToolPattern]) -> list[ast.ToolPattern]:
        return c

    def tool_pattern(self, c: list[Token]) -> ast.ToolPattern:
        tok = c[0]
        span = self.b.token(tok)
        if tok.type == "STRING":
            return ast.ToolPattern(self.b.string(tok), True, span)
        return ast.ToolPattern(str(tok), False, span)

    def redactor(self, c: list[Any]) -> ast.Expr:
        expr: ast.Expr = c[1]
        return expr

    def when(self, c: list[Any]) -> ast.Condition:
        return ast.Condition(False, c[1], _cover(c))

    def unless(self, c: list[Any]) -> ast.Condition:
        return ast.Condition(True, c[1], _cover(c))

    def message(self, c: list[Token]) -> ast.Message:
        return ast.Message(self.b.string(c[1]), self.b.token(c[1]))

    # -- expressions
    def or_(self, c: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp("or", tuple(c), _cover(c))

    def and_(self, c: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp("and", tuple(c), _cover(c))

    def not_(self, c: list[Any]) -> ast.Expr:
        return ast.Not(c[1], _cover(c))

    def compare(self, c: list[Any]) -> ast.Expr:
        return ast.Compare(str(c[1]), c[0], c[2], _cover(c))

    def in_(self, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("in", c[0], c[1], _cover(c))

    def not_in(self, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("not in", c[0], c[1], _cover(c))

    def matches(self, c: list[ast.Expr]) -> ast.Expr:
        return ast.Compare("matches", c[0], c[1], _cover(c))

    def binop(self, c: list[Any]) -> ast.Expr:
        return ast.BinOp(str(c[1]), c[0], c[2], _cover(c))

    def neg(self, c: list[Any]) -> ast.Expr:
        operand = c[1]
        span = _cover(c)
        if isinstance(operand, ast.Literal) and type(operand.value) in (int, float):
            return ast.Literal(-operand.value, span)  # type: ignore[operator]
        return ast.Neg(operand, span)

    def attr(self, c: list[Any]) -> ast.Expr:
        return ast.Attr(c[0], str(c[2]), _cover(c))

    def index(self, c: list[Any]) -> ast.Expr:
        return ast.Index(c[0], c[2], _cover(c))

    def call(self, c: list[Any]) -> ast.Expr:
        return ast.Call(c[0], tuple(c[2] or ()), _cover(c))

    def arguments(self, c: list[Any]) -> list[ast.Argument]:
        return [
            x if isinstance(x, ast.Argument) else ast.Argument(None, x, x.span)
            for x in c
            if x is not None
        ]

    def named_argument(self, c: list[Any]) -> ast.Argument:
        return ast.Argument(str(c[0]), c[1], _cover(c))

    def atom(self, c: list[Any]) -> ast.Expr:  # `( expr )`
        expr: ast.Expr = c[1]
        return expr

    def name(self, c: list[Token]) -> ast.Expr:
        return ast.Name(str(c[0]), self.b.token(c[0]))

    def string(self, c: list[Token]) -> ast.Expr:
        return ast.Literal(self.b.string(c[0]), self.b.token(c[0]))

    def number(self, c: list[Token]) -> ast.Expr:
        return ast.Literal(self.b.number(c[0]), self.b.token(c[0]))

    def regex(self, c: list[Token]) -> ast.Expr:
        pattern, flags = decode_regex(str(c[0]))
        return ast.RegexLit(pattern, flags, self.b.token(c[0]))

    def true(self, c: list[Token]) -> ast.Expr:
        return ast.Literal(True, self.b.token(c[0]))

    def false(self, c: list[Token]) -> ast.Expr:
        return ast.Literal(False, self.b.token(c[0]))

    def null(self, c: list[Token]) -> ast.Expr:
        return ast.Literal(None, self.b.token(c[0]))

    def list_lit(self, c: list[Any]) -> ast.Expr:
        return ast.ListLit(tuple(_nodes(c)), _cover(c))

    def set_lit(self, c: list[Any]) -> ast.Expr:
        return ast.SetLit(tuple(_nodes(c)), _cover(c))


def _number(text: str) -> int | float:
    if len(text) > 18 or any(ch in text for ch in ".eE"):
        return float(text)
    return int(text)
