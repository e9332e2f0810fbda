"""Lint reports for machines: SARIF 2.1.0 (code scanning) and GitHub workflow annotations.

The human and JSON renderings live in `diagnostics.py`; these two are what CI reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePath
from urllib.parse import quote

from railguard.policylang.codes import CODES
from railguard.policylang.diagnostics import Diagnostic, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_sarif(diagnostics: Sequence[Diagnostic], version: str) -> str:
    """One SARIF 2.1.0 log with one run; every code is a rule of the driver."""
    from railguard.policylang.lintrules import RULES

    codes = list(CODES)
    rules = []
    for code in codes:
        title, text = CODES[code]
        lint_rule = RULES.get(code)
        default = lint_rule.severity if lint_rule is not None else Severity.ERROR
        rule: dict[str, object] = {
            "id": code,
            "name": lint_rule.name if lint_rule is not None else title.replace(" ", "-"),
            "shortDescription": {"text": title},
            "fullDescription": {"text": text},
            "help": {"text": text},
            "defaultConfiguration": {"level": _SARIF_LEVEL[default]},
        }
        if lint_rule is not None:
            rule["properties"] = {"tags": [lint_rule.category]}
        rules.append(rule)
    index = {code: i for i, code in enumerate(codes)}
    results = [_sarif_result(d, index) for d in diagnostics]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "railguard",
                        "version": version,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": Path.cwd().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _sarif_result(d: Diagnostic, index: dict[str, int]) -> dict[str, object]:
    location: dict[str, object] = {"artifactLocation": _artifact(d.span.file)}
    if d.span.line > 0:
        location["region"] = {
            "startLine": d.span.line,
            "startColumn": max(d.span.column, 1),
            "endLine": max(d.span.end_line, d.span.line),
            "endColumn": max(d.span.end_column, 1),
            "snippet": {"text": d.source_line},
        }
    result: dict[str, object] = {
        "ruleId": d.code,
        "level": _SARIF_LEVEL[d.severity],
        "message": {"text": d.message + (f"\nhelp: {d.help}" if d.help else "")},
        "locations": [{"physicalLocation": location}],
    }
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    return result


def _artifact(file: str) -> dict[str, str]:
    path = PurePath(file)
    if path.is_absolute():
        return {"uri": Path(file).as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "SRCROOT"}


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """One workflow command per diagnostic:
    `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message`."""
    lines = []
    for d in diagnostics:
        props = [("file", d.span.file)]
        if d.span.line > 0:
            props += [
                ("line", str(d.span.line)),
                ("col", str(max(d.span.column, 1))),
                ("endLine", str(max(d.span.end_line, d.span.line))),
                ("endColumn", str(max(d.span.end_column, 1))),
            ]
        title = f"{d.code} {CODES[d.code][0]}" if d.code in CODES else d.code
        props.append(("title", title))
        shown = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {shown}::{escape_data(message)}")
    return "\n".join(lines)


def escape_data(text: str) -> str:
    """The message of a workflow command, as `@actions/core` escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command, as `@actions/core` escapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
