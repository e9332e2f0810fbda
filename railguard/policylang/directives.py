"""Comment directives that disable lint findings or change their severity.

    # railguard: disable=RG311,RG308          this line; alone on its line: the next item
    # railguard: disable-file=RG311           the whole file
    # railguard: severity=RG312:error         like disable=, but re-grades
    # railguard: severity-file=RG313:info     the whole file
    # railguard: disable=RG311 -- why         text after ` -- ` is a free comment

A directive alone on its line applies to the line after it, and when a rule or policy
starts there, to the whole rule or policy. Levels are `error`, `warning`, `info` and `off`.
Only lint findings (RG3xx) can be disabled or re-graded: parse and compile errors stop the
policy from loading whatever a comment says. A directive lint cannot read is RG316.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from railguard.policylang.codes import CODES
from railguard.policylang.diagnostics import Diagnostic, Severity
from railguard.policylang.span import Span

_DIRECTIVE = re.compile(r"#\s*railguard\s*:(?P<body>.*)$")
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "off": None}
_KEYS = ("disable", "disable-file", "severity", "severity-file")

Level = Severity | None  # None: disabled


@dataclass(slots=True)
class _Scoped:
    first: int
    last: int
    levels: dict[str, Level]


@dataclass(slots=True)
class FileDirectives:
    """The directives of one file: file-wide levels and line-range ones."""

    file_levels: dict[str, Level] = field(default_factory=dict)
    scoped: list[_Scoped] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)

    def level(self, code: str, line: int, default: Severity) -> Level:
        for s in self.scoped:
            if s.first <= line <= s.last and code in s.levels:
                return s.levels[code]
        return self.file_levels.get(code, default)


def adjustable(code: str) -> bool:
    return code.startswith("RG3") and code in CODES


def parse_directives(
    file: str, text: str, blocks: Sequence[tuple[int, int]] = ()
) -> FileDirectives:
    """Read the `# railguard:` comments of `text`. `blocks` are the line ranges of the
    file's rules and policies, so that a directive before one covers all of it."""
    out = FileDirectives()
    lines = text.split("\n")
    offset = 0
    for number, line in enumerate(lines, start=1):
        start_of_line = offset
        offset += len(line) + 1
        if "railguard" not in line:
            continue
        m = _DIRECTIVE.search(line)
        if m is None or _inside_literal(line, m.start()):
            continue
        span = Span(
            file,
            number,
            m.start() + 1,
            number,
            len(line) + 1,
            start_of_line + m.start(),
            start_of_line + len(line),
        )
        levels_file: dict[str, Level] = {}
        levels_line: dict[str, Level] = {}
        body = m.group("body").split(" -- ", 1)[0].strip()
        for item in body.split():
            key, sep, value = item.partition("=")
            if not sep or key not in _KEYS or not value:
                out.problems.append(_problem(f"cannot read the directive `{item}`", span))
                continue
            target = levels_file if key.endswith("-file") else levels_line
            for entry in value.split(","):
                parsed = _entry(key, entry, span, out.problems)
                if parsed is not None:
                    target[parsed[0]] = parsed[1]
        if not body:
            out.problems.append(_problem("empty `railguard:` directive", span))
        out.file_levels.update(levels_file)
        if levels_line:
            alone = line[: m.start()].strip() == ""
            first = last = number
            if alone:
                first = last = _next_code_line(lines, number)
                for b_first, b_last in blocks:
                    if b_first == first:
                        last = max(last, b_last)
            out.scoped.append(_Scoped(first, last, levels_line))
    return out


def _entry(
    key: str, entry: str, span: Span, problems: list[Diagnostic]
) -> tuple[str, Level] | None:
    if key.startswith("disable"):
        code, level = entry.strip().upper(), None
    else:
        code, sep, name = entry.partition(":")
        code = code.strip().upper()
        if not sep or name.strip().lower() not in _LEVELS:
            problems.append(
                _problem(
                    f"`{entry}` is not CODE:LEVEL",
                    span,
                    "levels are `error`, `warning`, `info` and `off`",
                )
            )
            return None
        level = _LEVELS[name.strip().lower()]
    if code not in CODES:
        problems.append(
            _problem(f"unknown code `{code}`", span, "`railguard explain` lists the codes")
        )
        return None
    if not adjustable(code):
        problems.append(
            _problem(
                f"`{code}` cannot be disabled or re-graded",
                span,
                "only lint findings (RG3xx) can; parse and compile errors stop the policy from loading",
            )
        )
        return None
    return code, level


def _problem(message: str, span: Span, help: str | None = None) -> Diagnostic:
    return Diagnostic("RG316", message, span, Severity.WARNING, help)


def _next_code_line(lines: list[str], number: int) -> int:
    for i in range(number, len(lines)):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i + 1
    return number + 1


def _inside_literal(line: str, index: int) -> bool:
    """Whether `index` is inside a string on this line (a `#` in a message is no comment)."""
    quoted = False
    i = 0
    while i < index:
        if line[i] == "\\" and quoted:
            i += 2
            continue
        if line[i] == '"':
            quoted = not quoted
        i += 1
    return quoted


def apply(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, str],
    blocks: Mapping[str, Sequence[tuple[int, int]]],
) -> list[Diagnostic]:
    """`diagnostics` with the directives of their files applied, plus RG316 for directives
    that cannot be read."""
    parsed = {f: parse_directives(f, t, blocks.get(f, ())) for f, t in sources.items()}
    out: list[Diagnostic] = []
    for file, file_directives in parsed.items():
        lines = sources[file].split("\n")
        out.extend(replace(p, source_line=lines[p.span.line - 1]) for p in file_directives.problems)
    for d in diagnostics:
        directives = parsed.get(d.span.file)
        if directives is None or not adjustable(d.code):
            out.append(d)
            continue
        level = directives.level(d.code, d.span.line, d.severity)
        if level is not None:
            out.append(d if level is d.severity else replace(d, severity=level))
    return out
