"""Regular expressions: anchors that do not do what the pattern's shape says was meant.

(A pattern RE2 cannot run, RG211, is a compile error; it is documented here too.)
"""

from __future__ import annotations

import re

from railguard.policylang import ast
from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import (
    LintRule,
    PolicyContext,
    Reporter,
    lint_rule,
    nodes,
    register,
    rule_exprs,
)

register(
    LintRule(
        "RG211",
        "re2-unsupported",
        "bugs",
        Severity.ERROR,
        bad="""policy mail {
  deny call send_email when args.to matches /^(?!.*@acme\\.com$)/ message "outside acme.com"
}""",
        good="""policy mail {
  deny call send_email unless args.to matches /@acme\\.com$/ message "outside acme.com"
}""",
        reported_by="the compiler",
    )
)

_FLAGS = re.compile(r"^\(\?[a-zA-Z]+\)")
_REPEAT = re.compile(r"(?:[+*]|\{\d+,\})\??")
_CLASS_ESCAPE = re.compile(r"\\[wWdDsSpP](?:\{[^}]*\}|[A-Za-z])?")


@lint_rule(
    "RG312",
    "unanchored-regex",
    "security",
    Severity.WARNING,
    bad="""policy shell {
  rule simple_names:
    deny call run_script
      unless args.name matches /^[a-z0-9_]+/
      message "script names are lowercase words"
}""",
    good="""policy shell {
  rule simple_names:
    deny call run_script
      unless args.name matches /^[a-z0-9_]+$/
      message "script names are lowercase words"
}""",
)
def unanchored_regex(ctx: PolicyContext, report: Reporter) -> None:
    """A pattern anchored at one end whose shape says a full match was meant."""
    for rule in ctx.rules:
        for expr in rule_exprs(rule):
            for node in nodes(expr):
                regex = _checked_regex(node)
                if regex is not None:
                    problem = anchoring_problem(regex.pattern)
                    if problem is not None:
                        report(problem[0], regex.span, help=problem[1])


def _checked_regex(node: object) -> ast.RegexLit | None:
    """The pattern of `x matches /.../` or `regex.search(x, /.../)`: searches, not full matches."""
    if isinstance(node, ast.Compare) and node.op == "matches":
        return node.right if isinstance(node.right, ast.RegexLit) else None
    if isinstance(node, ast.Call) and ast.dotted_name(node.func) == "regex.search":
        for arg in node.args:
            if isinstance(arg.value, ast.RegexLit):
                return arg.value
    return None


def anchoring_problem(pattern: str) -> tuple[str, str] | None:
    """What is wrong with the anchors of `pattern`, and the fix; None when nothing is."""
    body = _FLAGS.sub("", pattern, count=1)
    start = body.startswith("^") or body.startswith("\\A")
    end = _ends_with_anchor(body)
    if not (start or end):
        return None
    if _top_level_alternation(body):
        if start and end:
            return (
                f"`^` and `$` in `/{pattern}/` bind to the first and last alternatives only",
                "group the alternatives: `^(?:a|b)$`",
            )
        return None
    if start and not end and _ends_with_repeat(body):
        return (
            f"`/{pattern}/` is anchored at the start only: any text that starts this way matches",
            "add `$` to match the whole value (the repetition at the end changes nothing without it)",
        )
    if end and not start and _starts_with_repeat(body):
        return (
            f"`/{pattern}/` is anchored at the end only: any text that ends this way matches",
            "add `^` to match the whole value (the repetition at the start changes nothing without it)",
        )
    return None


def _ends_with_anchor(body: str) -> bool:
    if body.endswith("\\z"):
        return _escaped_count(body, len(body) - 2) % 2 == 0
    return body.endswith("$") and _escaped_count(body, len(body) - 1) % 2 == 0


def _escaped_count(text: str, index: int) -> int:
    """How many backslashes stand right before `text[index]`."""
    n = 0
    while index - n - 1 >= 0 and text[index - n - 1] == "\\":
        n += 1
    return n


def _top_level_alternation(body: str) -> bool:
    depth, i, in_class = 0, 0, False
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if body[i + 1 : i + 2] == "^":
                i += 1
            if body[i + 1 : i + 2] == "]":
                i += 1  # `[]...]`: a literal `]` first
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _ends_with_repeat(body: str) -> bool:
    """Ends with a repeated character class, class escape or literal (not `.`, not a group)."""
    for m in re.finditer(r"(?:[+*]|\{\d+,\})\??$", body):
        atom_end = m.start()
        head = body[:atom_end]
        if head.endswith("]") and _escaped_count(head, len(head) - 1) % 2 == 0:
            return True
        if re.search(r"\\[wWdDsS]$", head) and _escaped_count(head, len(head) - 2) % 2 == 0:
            return True
    return False


def _starts_with_repeat(body: str) -> bool:
    """Starts with a repeated character class or class escape."""
    if body.startswith("["):
        i = 1 + (body[1:2] == "^")
        i += body[i : i + 1] == "]"
        while i < len(body) and body[i] != "]":
            i += 2 if body[i] == "\\" else 1
        return bool(_REPEAT.match(body, i + 1))
    m = _CLASS_ESCAPE.match(body)
    return bool(m and _REPEAT.match(body, m.end()))
