"""Each diagnostic code: which source text it underlines, and that its help says how to fix it.

The table pins one mistake per row; `expect_diagnostic` also checks that the mistake is the
only thing reported (no cascade) and that `file:line:col` agrees with the underline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import railguard
from railguard.policylang.diagnostics import render_human
from railguard.policylang.lint import lint
from tests.policylang.diagnostic_helpers import (
    INCIDENTAL,
    diagnostics_for,
    expect_diagnostic,
    policy,
    underlined,
)

GOLDEN = Path(__file__).parent / "golden" / "errors"
TOOLS_JSON = GOLDEN / "_support" / "tools.json"

# (id, source, code, underlined text, a piece of the help or None)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # ---- syntax
    ("bad-setting-value", policy("default block"), "RG101", "block", "`allow`, `deny`"),
    (
        "missing-kind",
        policy("deny run_sql when args.q == 1"),
        "RG101",
        "run_sql",
        "`call`, `input`, `output`, `result`",
    ),
    ("missing-when", policy("deny call x args.q == 1"), "RG101", "args", "`when`"),
    ("and-as-ampersands", policy("deny call x when args.a && args.b"), "RG101", "&&", "`and`"),
    ("or-as-bars", policy("deny call x when args.a || args.b"), "RG101", "||", "`or`"),
    ("single-equals", policy("deny call x when args.n = 1"), "RG102", "=", "`==`"),
    ("single-quotes", policy("deny call x when args.s == 'a'"), "RG102", "'", "double quotes"),
    ("semicolon", policy("default deny;"), "RG102", ";", "no `;`"),
    ("non-ascii-name", policy("deny call x when args.naïve"), "RG102", "ï", "ASCII"),
    (
        "unterminated-string",
        policy('deny call x message "no export'),
        "RG103",
        '"no export',
        'close the string with `"`',
    ),
    ("bad-escape", policy(r'deny call x when args.p == "C:\data"'), "RG104", r"\d", r"`\\`"),
    ("end-of-rule", policy("deny call x when args.n >"), "RG105", "", "an expression"),
    ("unclosed-paren", policy("deny call x when (args.n > 1"), "RG105", "", "`)`"),
    (
        "policy-not-closed",
        "policy p {\n  deny call x\n",
        "RG105",
        "policy p {",
        "add `}`",
    ),
    ("header-without-name", "policy {\n  deny call x\n}\n", "RG101", "{", "a name"),
    ("number-too-large", policy("deny call x when args.n > 1e999"), "RG106", "1e999", "64-bit"),
    (
        "unterminated-regex",
        policy("deny call x when args.q matches /drop"),
        "RG107",
        "/",
        r"`\/`",
    ),
    (
        "template-unclosed",
        policy('deny call x message "to {args.to"'),
        "RG108",
        "{",
        "close the expression with `}`",
    ),
    ("template-unmatched", policy('deny call x message "to}"'), "RG108", "}", "`}}`"),
    (
        "template-bad-expression",
        policy('deny call x message "{args.n >}"'),
        "RG105",
        "",
        "an expression",
    ),
    ("stray-before-policy", "allow call x\npolicy p {\n}\n", "RG101", "allow", "`policy`"),
    # ---- names and builtins
    ("unknown-builtin", policy("deny call x when lenght(args.q) > 3"), "RG201", "lenght", "`len`"),
    (
        "unknown-argument",
        policy("deny call x unless between(args.n, min: 1, maximum: 5)"),
        "RG202",
        "maximum: 5",
        "did you mean `max`?",
    ),
    (
        "missing-argument",
        policy("deny call x unless between(args.n, min: 1)"),
        "RG203",
        "between(args.n, min: 1)",
        "between(value: number, min: number, max: number)",
    ),
    (
        "too-many-arguments",
        policy('deny call x when lower(args.s, "en") == "a"'),
        "RG204",
        '"en"',
        "lower(value: string)",
    ),
    (
        "argument-type",
        policy("deny call x when startswith(args.path, 5)"),
        "RG205",
        "5",
        "prefix: string",
    ),
    (
        "argument-twice",
        policy("deny call x unless between(args.n, 1, 5, min: 2)"),
        "RG206",
        "min: 2",
        "the signature is",
    ),
    (
        "positional-after-named",
        policy("deny call x unless between(args.n, min: 1, 5)"),
        "RG207",
        "5",
        "name this argument",
    ),
    ("unknown-root", policy("deny call x when arg.q == 1"), "RG208", "arg", "`args`"),
    (
        "builtin-not-called",
        policy('deny call x unless url.host == "acme.com"'),
        "RG208",
        "url",
        "call it as `url.host(...)`",
    ),
    ("unknown-root-no-close-name", policy("deny call x when zzz"), "RG208", "zzz", "`args`"),
    (
        "args-on-output",
        policy("deny output when args.q == 1"),
        "RG209",
        "args",
        "`call` events",
    ),
    (
        "content-on-call",
        policy('deny call x when content == "a"'),
        "RG209",
        "content",
        "`input`, `output`, `result`",
    ),
    (
        "tools-on-input",
        policy("deny input send_email, read_file"),
        "RG210",
        "send_email, read_file",
        "write `deny input`",
    ),
    # ---- regular expressions
    (
        "backreference",
        policy(r"deny input when content matches /(\w+) \1/"),
        "RG211",
        r"/(\w+) \1/",
        "no backreferences",
    ),
    (
        "lookahead",
        policy("deny input when content matches /a(?=b)/"),
        "RG211",
        "/a(?=b)/",
        "lookaround",
    ),
    (
        "lookbehind-in-string-pattern",
        policy('deny input when regex.search(content, "(?<=a)b")'),
        "RG211",
        '"(?<=a)b"',
        "lookaround",
    ),
    (
        "pattern-from-event",
        policy("deny call x when args.q matches args.p"),
        "RG219",
        "args.p",
        "compiled once",
    ),
    (
        "builtin-pattern-from-event",
        policy("deny call x when regex.search(args.q, args.p)"),
        "RG219",
        "args.p",
        "compiled once",
    ),
    # ---- rules and settings
    (
        "duplicate-rule",
        policy("rule r: deny call x", "rule r: deny call y"),
        "RG212",
        "r",
        "first definition is at <policy>:2:8",
    ),
    (
        "setting-repeated",
        policy("default deny", "default allow"),
        "RG215",
        "default allow",
        "<policy>:2:3",
    ),
    (
        "limit-repeated",
        policy("limit depth 5", "limit depth 6"),
        "RG215",
        "limit depth 6",
        "<policy>:2:3",
    ),
    (
        "with-on-deny",
        policy("deny output with redact.pattern(/x/)"),
        "RG217",
        "redact.pattern(/x/)",
        "make the rule `redact`",
    ),
    ("redact-without-with", policy("redact output"), "RG217", "output", "redact.pattern"),
    ("not-a-redactor", policy("redact output with lower(content)"), "RG218", "lower", None),
    (
        "redactor-not-a-call",
        policy("redact output with content"),
        "RG218",
        "content",
        "redact.pattern",
    ),
    (
        "redactor-in-condition",
        policy("deny output when redact.pattern(/x/)"),
        "RG218",
        "redact.pattern",
        "`redact <kind> with redact.pattern(...)`",
    ),
    (
        "redaction-from-event",
        policy("redact output with redact.pattern(/x/, replacement: context.user)"),
        "RG219",
        "redact.pattern(/x/, replacement: context.user)",
        "prepared once",
    ),
    # ---- types
    ("compare-string-number", policy('deny call x when "a" > 3'), "RG221", '"a" > 3', None),
    ("matches-a-number", policy("deny call x when 5 matches /x/"), "RG221", "5", None),
    ("negate-a-string", policy('deny call x when args.n < -"a"'), "RG221", '-"a"', None),
    ("in-a-number", policy("deny call x when args.n in 5"), "RG221", "args.n in 5", None),
    ("set-of-lists", policy("deny call x when args.n in {[1]}"), "RG221", "[1]", "sets hold"),
    ("matches-a-list", policy("deny call x when args.s matches [1]"), "RG221", "[1]", None),
    # ---- limits, policies
    (
        "unknown-limit",
        policy("limit payload_size 100"),
        "RG225",
        "limit payload_size 100",
        "`payload_bytes`",
    ),
    ("unknown-limit-far", policy("limit speed 100"), "RG225", "limit speed 100", "limits are"),
    ("limit-zero", policy("limit depth 0"), "RG228", "0", None),
    ("limit-fraction", policy("limit depth 2.5"), "RG228", "2.5", None),
    (
        "duplicate-policy",
        "policy p {\n}\npolicy p {\n}\n",
        "RG222",
        "p",
        "first definition is at <policy>:1:8",
    ),
]


@pytest.mark.parametrize(
    ("src", "code", "underline", "help_part"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_diagnostic(src: str, code: str, underline: str, help_part: str | None) -> None:
    d = expect_diagnostic(src, code=code, underline=underline, help=help_part)
    assert d.is_error
    # Cedar style: lowercase (an acronym such as RE2 may lead), no final period
    assert not (d.message[0].isupper() and d.message[1].islower()), d.message
    assert not d.message.endswith("."), d.message


def test_case_table_covers_25_codes() -> None:
    assert len({case[2] for case in CASES}) >= 25


@pytest.mark.parametrize(
    ("src", "code", "underline", "help_part"),
    [
        (policy('allow output when content == "x"'), "RG229", "output", "call"),
        (policy("on_error allow"), "RG302", "on_error allow", "remove `on_error allow`"),
        (policy("mode shadow"), "RG303", "mode shadow", "`mode enforce`"),
    ],
    ids=["allow-on-output", "fails-open", "shadow-mode"],
)
def test_warnings(src: str, code: str, underline: str, help_part: str) -> None:
    expect_diagnostic(src, code=code, underline=underline, help=help_part, severity="warning")


def test_unknown_tool_against_catalog() -> None:
    src = policy(f'tools from "{TOOLS_JSON}"', "allow call search_invoices, run_sq")
    d = expect_diagnostic(src, code="RG301", underline="run_sq", help="did you mean `run_sql`?")
    assert "not in the catalog" in d.message


def test_glob_matching_no_tool_is_a_warning() -> None:
    src = policy(f'tools from "{TOOLS_JSON}"', "deny call db_*")
    expect_diagnostic(src, code="RG301", underline="db_*", severity="warning")


def test_duplicate_rule_points_at_the_second_definition() -> None:
    src = policy("rule r: deny call x", "rule r: deny call y")
    d = expect_diagnostic(src, code="RG212", underline="r")
    assert d.span.line == 3


# ---- acceptance: several mistakes, each reported with file:line:col and a caret -----------


def test_three_mistakes_in_one_file_are_all_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A syntax error, an unknown builtin and a bad regex, in three rules: three reports."""
    monkeypatch.chdir(GOLDEN)
    src = Path("three_mistakes.rail").read_text()
    found = [d for d in lint("three_mistakes.rail") if d.code not in INCIDENTAL]
    assert [d.code for d in found] == ["RG105", "RG201", "RG211"]
    assert [underlined(src, d) for d in found] == ["", "startwith", r"/(\w+) \1/"]
    lines = src.splitlines()
    for d in found:
        rendered = render_human([d]).splitlines()
        assert rendered[0].startswith(f"three_mistakes.rail:{d.span.line}:{d.span.column}: ")
        assert f"error[{d.code}]" in rendered[0]
        source_row, caret_row = rendered[2], rendered[3]
        assert source_row.endswith(lines[d.span.line - 1])
        gutter = source_row.index("| ") + 2
        caret = caret_row[gutter:]
        assert caret.strip() and set(caret.strip()) == {"^"}
        assert len(caret) - len(caret.lstrip()) == d.span.column - 1
    with pytest.raises(railguard.PolicyError) as raised:
        railguard.load("three_mistakes.rail")
    assert [d.code for d in raised.value.diagnostics] == ["RG105", "RG201", "RG211"]


def test_a_broken_rule_does_not_hide_errors_in_other_policies() -> None:
    src = policy("deny call x when args.n = 1", name="a") + policy(
        "deny call y when lenght(args.q) > 1", name="b"
    )
    assert [d.code for d in diagnostics_for(src)] == ["RG102", "RG201"]


def test_a_comment_in_a_policy_header_does_not_drop_the_policy_in_recovery() -> None:
    """Regression: with a syntax error elsewhere, `policy p # ...` lost all its rules."""
    src = "policy p # the finance policy\n{\n  deny call x when lenght(args.q) > 1\n  deny call y when args.n = 1\n}\n"
    assert [d.code for d in diagnostics_for(src)] == ["RG201", "RG102"]


def test_an_incomplete_header_is_reported_where_the_file_ends() -> None:
    expect_diagnostic("policy\n", code="RG105", underline="", help="a name")
    d = expect_diagnostic("policy p\n", code="RG105", underline="", help="`{`")
    assert d.message == "unexpected end of policy header"


# ---- nesting: reported, never a crash -------------------------------------------------------


def test_deep_condition_is_reported_on_the_condition() -> None:
    expr = "not " * 70 + "args.a"
    expect_diagnostic(policy(f"deny call x when {expr}"), code="RG109", underline=expr)


def test_deep_expression_in_a_message_is_reported_not_a_crash() -> None:
    expr = "not " * 3000 + "args.a"
    expect_diagnostic(policy(f'deny call x message "{{{expr}}}"'), code="RG109", underline=expr)


def test_deep_expression_in_a_redaction_is_reported_not_a_crash() -> None:
    value = "lower(" * 3000 + '"a"' + ")" * 3000
    src = policy(f"redact output with redact.pattern(/x/, replacement: {value})")
    d = expect_diagnostic(src, code="RG109", underline=src.split("with ")[1].rstrip("\n}"))
    assert "64" in d.message


def test_parentheses_do_not_count_as_nesting() -> None:
    src = policy("deny call x when " + "(" * 200 + "args.a" + ")" * 200)
    assert diagnostics_for(src) == []
