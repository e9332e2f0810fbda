"""Diagnostics as values, and the one place that renders them.

The parser, compiler, linter, engine and sidecar all produce `Diagnostic`s; nothing prints
itself. `render_human` is what the CLI shows, `Diagnostic.to_dict` what JSON consumers get.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from railguard.policylang.span import Span

DOCS_URL = "docs/errors.md#"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a policy or an event, with where it is and how to fix it."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    help: str | None = None
    source_line: str = field(default="", compare=False)

    @property
    def url(self) -> str:
        return DOCS_URL + self.code.lower()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
            "url": self.url,
        }

    def render(self) -> str:
        return render_human([self])


class PolicyError(Exception):
    """Raised by the public API when policies do not compile; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(render_human(self.diagnostics))


class Diagnostics:
    """Collects diagnostics for one or more source files, filling in their source lines."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._sources: dict[str, str] = {}

    def add_source(self, file: str, text: str) -> None:
        self._sources[file] = text

    def error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.add(code, message, span, Severity.ERROR, help)

    def warning(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.add(code, message, span, Severity.WARNING, help)

    def add(
        self, code: str, message: str, span: Span, severity: Severity, help: str | None = None
    ) -> None:
        self.items.append(Diagnostic(code, message, span, severity, help, self._line_of(span)))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.file, d.span.start, d.code))

    def _line_of(self, span: Span) -> str:
        text = self._sources.get(span.file)
        if text is None or span.line < 1:
            return ""
        lines = text.split("\n")
        return lines[span.line - 1] if span.line <= len(lines) else ""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A `help` text suggesting the closest candidate, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def render_plain(diagnostic: Diagnostic) -> str:
    d = diagnostic
    where = str(d.span) if d.span.line > 0 else d.span.file  # a whole file: no `:0:0`
    return f"{where}: {d.severity}[{d.code}]: {d.message}"


def render_human(diagnostics: Sequence[Diagnostic]) -> str:
    """`file:line:col: error[CODE]: message`, the source line, a caret, then the help."""
    blocks = [_render_one(d) for d in diagnostics]
    return "\n\n".join(blocks)


def _render_one(d: Diagnostic) -> str:
    out = [render_plain(d)]
    if d.source_line or d.span.line > 0:
        number = str(d.span.line)
        gutter = " " * len(number)
        line = d.source_line.rstrip("\n")
        start = max(d.span.column - 1, 0)
        if d.span.end_line == d.span.line:
            width = max(d.span.end_column - d.span.column, 1)
        else:
            width = max(len(line) - start, 1)
        pad = "".join("\t" if c == "\t" else " " for c in line[:start])
        pad += " " * max(start - len(line), 0)
        out.append(f"{gutter} |")
        out.append(f"{number} | {line}")
        out.append(f"{gutter} | {pad}{'^' * width}")
        if d.help:
            out.append(f"{gutter} = help: {d.help}")
    elif d.help:
        out.append(f"  = help: {d.help}")
    return "\n".join(out)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "found " + " and ".join(parts) if parts else "no problems found"
