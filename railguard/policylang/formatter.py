"""`railguard fmt`: print a parsed policy file in the one canonical layout, keeping comments.

The layout depends only on the AST, so formatting is idempotent, and parsing the output
gives an equal AST (spans aside) with the same comments in the same order.

Comments are anchored to the source position of the line they sit on or before: an
own-line comment is printed before the first output line that starts after it, an
end-of-line comment after the last output line that starts before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from railguard.policylang import ast
from railguard.policylang.literals import encode_regex, encode_string

INDENT = "  "
MAX_WIDTH = 100

_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_SUM, _PREC_UNARY, _PREC_POSTFIX = range(1, 8)
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Keywords that can follow a rule's target, so a first tool with one of these names is
# quoted; anywhere else a tool name that was unquoted in the source is read as a name again.
_AFTER_TARGET = frozenset(
    {"rule", "allow", "deny", "escalate", "warn", "redact", "label", "with", "when", "unless"}
    | {"message", "default", "on_error", "mode", "version", "include", "tools", "limit", "dialect"}
    | {"recognizer", "breaker", "fallback"}
)


def format_module(module: ast.Module, source: str) -> str:
    """The canonical text of `module`, parsed from `source`."""
    return _Formatter(module, source).run()


# ---- expressions ------------------------------------------------------------


def expr(node: ast.Expr) -> str:
    return _expr(node)


def _prec(node: ast.Expr) -> int:
    if isinstance(node, ast.BoolOp):
        return _PREC_OR if node.op == "or" else _PREC_AND
    if isinstance(node, ast.Not):
        return _PREC_NOT
    if isinstance(node, ast.Compare):
        return _PREC_CMP
    if isinstance(node, ast.BinOp):
        return _PREC_SUM
    if isinstance(node, ast.Neg):
        return _PREC_UNARY
    if (
        isinstance(node, ast.Literal)
        and type(node.value) in (int, float)
        and str(node.value).startswith("-")
    ):
        return _PREC_UNARY
    return _PREC_POSTFIX


def _wrap(node: ast.Expr, minimum: int) -> str:
    text = _expr(node)
    return f"({text})" if _prec(node) < minimum else text


def _expr(node: ast.Expr) -> str:
    if isinstance(node, ast.Literal):
        return _literal(node.value)
    if isinstance(node, ast.RegexLit):
        return encode_regex(node.pattern, node.flags)
    if isinstance(node, ast.ListLit):
        return "[" + ", ".join(_expr(i) for i in node.items) + "]"
    if isinstance(node, ast.SetLit):
        return "{" + ", ".join(_expr(i) for i in node.items) + "}"
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Attr):
        return f"{_wrap(node.obj, _PREC_POSTFIX)}.{node.name}"
    if isinstance(node, ast.Index):
        return f"{_wrap(node.obj, _PREC_POSTFIX)}[{_expr(node.index)}]"
    if isinstance(node, ast.Call):
        args = ", ".join(
            f"{a.name}: {_expr(a.value)}" if a.name is not None else _expr(a.value)
            for a in node.args
        )
        return f"{_wrap(node.func, _PREC_POSTFIX)}({args})"
    if isinstance(node, ast.Not):
        return "not " + _wrap(node.operand, _PREC_NOT)
    if isinstance(node, ast.Neg):
        return "-" + _wrap(node.operand, _PREC_UNARY)
    if isinstance(node, ast.BoolOp):
        own = _prec(node)
        return f" {node.op} ".join(_wrap(o, own + 1) for o in node.operands)
    if isinstance(node, ast.Compare):
        return f"{_wrap(node.left, _PREC_SUM)} {node.op} {_wrap(node.right, _PREC_SUM)}"
    if isinstance(node, ast.BinOp):
        return f"{_wrap(node.left, _PREC_SUM)} {node.op} {_wrap(node.right, _PREC_UNARY)}"
    raise TypeError(f"cannot format {type(node).__name__}")  # pragma: no cover


def _literal(value: ast.Scalar) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_string(value)
    return repr(value)


# ---- items ------------------------------------------------------------------


def _tool(t: ast.ToolPattern, first: bool) -> str:
    if (
        t.quoted
        or not (_NAME_RE.match(t.pattern) or t.is_glob)
        or (first and t.pattern in _AFTER_TARGET)
    ):
        return encode_string(t.pattern)
    return t.pattern


def setting_text(s: ast.Setting) -> str:
    if s.name == "tools":
        return f"tools from {encode_string(str(s.value))}"
    if s.name == "limit":
        return f"limit {s.key} {s.value}"
    if s.name in ("version", "include", "dialect"):
        return f"{s.name} {encode_string(str(s.value))}"
    return f"{s.name} {s.value}"


def recognizer_lines(r: ast.Recognizer) -> list[tuple[str, int]]:
    """`recognizer NAME patterns`, then `context ...` and `score N` on the same line when it
    fits, else each on its own indented line."""
    head = f"recognizer {r.name} " + ", ".join(_expr(p) for p in r.patterns)
    clauses = []
    if r.context:
        clauses.append("context " + ", ".join(encode_string(w) for w in r.context))
    if r.score is not None:
        clauses.append(f"score {r.score:g}")
    one_line = " ".join([head, *clauses])
    if len(INDENT + one_line) <= MAX_WIDTH:
        return [(one_line, r.span.start)]
    return [(head, r.span.start)] + [(INDENT + c, r.span.start) for c in clauses]


def breaker_lines(b: ast.Breaker) -> list[tuple[str, int]]:
    """`breaker TOOLS: open ... for "30s"`, then its options on the same line when it fits,
    else each on its own indented line, in the canonical order."""
    tools = ", ".join(_tool(t, False) for t in b.tools)
    if b.min_calls is None:
        word = "failure" if b.failures == 1 else "failures"
        trip = f"after {_literal(b.failures)} {word}"
    else:
        trip = f"at {_literal(b.failures)}% failures of at least {_literal(b.min_calls)} calls"
    head = (
        f"breaker {tools}: open {trip} within {encode_string(b.within)}"
        f" for {encode_string(b.cool_down)}"
    )
    clauses = [(_breaker_option(o), o.span.start) for o in b.options]
    one_line = " ".join([head, *(c for c, _ in clauses)])
    if len(INDENT + one_line) <= MAX_WIDTH:
        return [(one_line, b.span.start)]
    return [(head, b.span.start)] + [(INDENT + c, pos) for c, pos in clauses]


def _breaker_option(o: ast.BreakerOption) -> str:
    if o.name == "fallback":
        tools = [v for v in o.values if isinstance(v, ast.ToolPattern)]
        return "fallback " + ", ".join(_tool(t, False) for t in tools)
    if o.name == "max":
        return f"max {encode_string(str(o.values[0]))}"
    if o.name == "trials":
        return f"trials {_literal(o.values[0])}"  # type: ignore[arg-type]
    return f"{o.name} " + ", ".join(str(v) for v in o.values)  # kinds, per


def rule_lines(rule: ast.Rule) -> list[tuple[str, int]]:
    """The rule's output lines, each with the source offset of the clause it prints."""
    head = f"label {rule.label}" if rule.effect == "label" else rule.effect
    head += f" {rule.kind}"
    if rule.tools:
        head += " " + ", ".join(_tool(t, i == 0) for i, t in enumerate(rule.tools))
    clauses: list[tuple[str, int]] = []
    if rule.redactor is not None:
        clauses.append(("with " + _expr(rule.redactor), rule.redactor.span.start))
    for c in rule.conditions:
        clauses.append((("unless " if c.negated else "when ") + _expr(c.expr), c.span.start))
    if rule.fallback:
        fallback = "fallback " + ", ".join(_tool(t, False) for t in rule.fallback)
        clauses.append((fallback, rule.fallback[0].span.start))
    if rule.message is not None:
        clauses.append(("message " + encode_string(rule.message.text), rule.message.span.start))
    if rule.name is None:
        one_line = " ".join([head, *(c for c, _ in clauses)])
        if len(INDENT + one_line) <= MAX_WIDTH:
            return [(one_line, rule.span.start)]
        return [(head, rule.span.start)] + [(INDENT + c, pos) for c, pos in clauses]
    return [(f"rule {rule.name}:", rule.span.start), (INDENT + head, rule.target_span.start)] + [
        (INDENT * 2 + c, pos) for c, pos in clauses
    ]


@dataclass
class _Line:
    text: str
    anchor: int  # source offset this line prints; comments are placed relative to it
    leading: list[tuple[str, bool]] = field(default_factory=list)  # (comment, blank line before)
    trailing: list[str] = field(default_factory=list)
    blank_before: bool = False
    separate: bool = False  # a blank line goes above the line and the comments leading it


class _Formatter:
    """Blank lines are kept (one at most) above an item, a policy or an own-line comment."""

    def __init__(self, module: ast.Module, source: str) -> None:
        self.module = module
        self.source = source

    def run(self) -> str:
        lines: list[_Line] = []
        for i, policy in enumerate(self.module.policies):
            start = policy.span.start
            lines.append(
                _Line(
                    f"policy {policy.name} {{",
                    start,
                    blank_before=self._blank_above(start),
                    separate=i > 0,
                )
            )
            for item in policy.items:
                if isinstance(item, ast.Setting):
                    out = [(setting_text(item), item.span.start)]
                elif isinstance(item, ast.Recognizer):
                    out = recognizer_lines(item)
                elif isinstance(item, ast.Breaker):
                    out = breaker_lines(item)
                else:
                    out = rule_lines(item)
                blank = self._blank_above(item.span.start)
                for j, (text, anchor) in enumerate(out):
                    lines.append(_Line(INDENT + text, anchor, blank_before=blank and j == 0))
            lines.append(_Line("}", max(policy.span.end - 1, policy.span.start)))
        tail = self._place_comments(lines)
        text_lines: list[str] = []

        def emit(text: str, blank: bool) -> None:
            if blank and text_lines and text_lines[-1]:
                text_lines.append("")
            text_lines.append(text)

        for line in lines:
            indent = (
                INDENT
                if line.text == "}"
                else line.text[: len(line.text) - len(line.text.lstrip())]
            )
            for j, (comment, blank) in enumerate(line.leading):
                emit(indent + comment, blank or (line.separate and j == 0))
            text = line.text + ("  " + line.trailing[-1] if line.trailing else "")
            emit(text, line.blank_before or (line.separate and not line.leading))
        for comment, blank in tail:
            emit(comment, blank)
        return "\n".join(text_lines) + "\n" if text_lines else ""

    def _blank_above(self, pos: int) -> bool:
        """Whether `pos` starts its source line and the line above it is empty."""
        line_start = self.source.rfind("\n", 0, pos)
        if line_start <= 0 or self.source[line_start + 1 : pos].strip():
            return False
        above_start = self.source.rfind("\n", 0, line_start) + 1
        return not self.source[above_start:line_start].strip()

    def _place_comments(self, lines: list[_Line]) -> list[tuple[str, bool]]:
        tail: list[tuple[str, bool]] = []
        anchors = [ln.anchor for ln in lines]
        floor = -1  # the line the last own-line comment went above: later ones stay below it
        for comment in self.module.comments:
            pos = comment.span.start
            line_start = self.source.rfind("\n", 0, pos) + 1
            if not self.source[line_start:pos].strip():  # a comment on its own line
                entry = (comment.text, self._blank_above(pos))
                index = next((i for i, a in enumerate(anchors) if a >= pos), None)
                if index is None:
                    tail.append(entry)
                else:
                    lines[index].leading.append(entry)
                    floor = index
                continue
            before = [i for i, a in enumerate(anchors) if a <= pos]
            if not before:
                (lines[0].leading if lines else tail).append((comment.text, False))
                continue
            if before[-1] < floor:  # inside the line an own-line comment went below: follow it
                lines[floor].leading.append((comment.text, False))
                continue
            target = lines[before[-1]]
            target.leading.extend((t, False) for t in target.trailing)
            target.trailing = [comment.text]
        return tail
