"""Assert diagnostics by the source text they underline, not by column numbers (Cedar style).

    expect_diagnostic(
        "policy p { deny call x when lenght(args.q) > 3 }",
        code="RG201",
        underline="lenght",
        help="did you mean `len`?",
    )

A test written this way survives layout changes to the policy and still pins the span.
"""

from __future__ import annotations

from railguard.policylang.diagnostics import Diagnostic
from railguard.policylang.lint import lint
from railguard.policylang.span import Span


def policy(*lines: str, name: str = "p") -> str:
    """A policy named `name` holding `lines`, one per line, as `railguard fmt` lays it out."""
    body = "".join(f"  {line}\n" for line in lines)
    return f"policy {name} {{\n{body}}}\n"


# Lint findings that the tests' one-line policies provoke by their brevity (a deny without
# a message, a policy without `default deny`): left out unless they are what is tested.
INCIDENTAL = frozenset({"RG311", "RG313"})


def diagnostics_for(src: str, keep: str | None = None) -> list[Diagnostic]:
    """Everything `railguard lint` reports for policy text (parse, compile and lint checks),
    but the `INCIDENTAL` findings other than `keep`."""
    assert "\n" in src or "{" in src, "lint() would read this source as a path"
    return [d for d in lint(src) if d.code not in INCIDENTAL or d.code == keep]


def underlined(src: str, diagnostic: Diagnostic) -> str:
    """The source text a diagnostic's span covers."""
    return src[diagnostic.span.start : diagnostic.span.end]


def expect_diagnostic(
    src: str,
    *,
    code: str,
    underline: str,
    help: str | None = None,
    message: str | None = None,
    severity: str | None = None,
    only: bool = True,
) -> Diagnostic:
    """Assert that linting `src` reports `code` on exactly the text `underline`.

    `help` and `message`, when given, must occur in the diagnostic's help and message.
    With `only` (the default) it must be the only diagnostic: one mistake, one report,
    no cascade. Returns the diagnostic for further checks.
    """
    found = diagnostics_for(src, keep=code)
    shown = "\n".join(f"  {d.code} {underlined(src, d)!r}: {d.message}" for d in found)
    matching = [d for d in found if d.code == code]
    assert matching, f"no {code} reported; got:\n{shown or '  nothing'}"
    if only:
        assert len(found) == 1, f"expected only {code}; got:\n{shown}"
    hits = [d for d in matching if underlined(src, d) == underline]
    assert hits, f"{code} does not underline {underline!r}; got:\n{shown}"
    d = hits[0]
    # file:line:col and the caret must point at the same text as the offsets
    assert Span.at(d.span.file, src, d.span.start, d.span.end) == d.span, d.span
    if help is not None:
        assert d.help is not None and help in d.help, f"help of {code} is {d.help!r}"
    if message is not None:
        assert message in d.message, f"message of {code} is {d.message!r}"
    if severity is not None:
        assert str(d.severity) == severity, f"{code} is a {d.severity}"
    return d
