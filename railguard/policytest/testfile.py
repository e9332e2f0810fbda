"""Policy test files: find them, read them, and check their shape before anything runs.

A test file is YAML (or JSON, which the same reader takes) holding a mapping:

    policies: [finance.rail]     # optional: policy files or folders, relative to this file
    policy: |                    # or: the policy text, inline (paths in it: this file's folder)
      policy p { ... }
    allow_imports: [app.models]  # optional: modules `schema.model` may import
    note: optional
    cases:
      - name: a large payment escalates          # unique within the file
        event: {kind: call, tool: send_payment, args: {...}}
        decision: escalate
        violations: [finance.large_payment]      # and the other optional expectations

Without `policy` or `policies`, the policy under test is every `*.rail` file in the test
file's folder. Every problem is a `TestFileError` naming `file:line:col`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from railguard.engine.events import EventError, event_from_dict

TEST_SUFFIXES = (".test.yaml", ".test.yml", ".test.json")
CASE_FILE_NAME = "cases.yaml"  # the builtin case files, tests/cases/<builtin>/cases.yaml
TOP_KEYS = ("policy", "policies", "allow_imports", "note", "cases")
EXPECT_KEYS = (
    "decision",
    "violations",
    "warnings",
    "errors",
    "messages",
    "content",
    "args",
    "redactions",
    "labels",
    "retry_after",
    "fallback",
)
CASE_KEYS = ("name", "note", "event", "history", "at", *EXPECT_KEYS)
DECISIONS = ("allow", "deny", "escalate")
_RULE_LISTS = ("violations", "warnings", "errors", "labels")
_REDACTION_KEYS = frozenset({"rule", "path", "start", "end", "replacement"})


class TestFileError(Exception):
    """A test file that cannot be read or does not have the expected shape."""

    __test__ = False  # not a pytest test class

    def __init__(self, path: Path | str, line: int, col: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.col = col
        self.message = message
        where = f"{self.path}:{line}:{col}" if line else self.path
        super().__init__(f"{where}: error: {message}")


@dataclass(frozen=True, slots=True)
class Case:
    """One event, what comes before it in its session, and what its verdict must say."""

    name: str
    line: int
    event: dict[str, Any]
    expect: dict[str, Any]  # the keys the case checks, `decision` always among them
    history: tuple[tuple[float, dict[str, Any]], ...] = ()
    at: float = 0.0
    note: str | None = None

    @property
    def summary(self) -> str:
        """`call send_email`, `output`: what the event is, in a few words."""
        tool = self.event.get("tool")
        return (
            f"{self.event.get('kind')} {tool}"
            if isinstance(tool, str)
            else str(self.event.get("kind"))
        )


@dataclass(frozen=True, slots=True)
class TestFile:
    """A parsed test file: the policy under test and its cases."""

    __test__ = False

    path: Path
    cases: tuple[Case, ...]
    policy: str | None = None  # inline policy text
    # The inline text placed at its lines and columns in the test file (see `_in_place`).
    policy_in_place: str | None = None
    policies: tuple[Path, ...] = ()  # files and folders, joined to the test file's folder
    allow_imports: tuple[str, ...] = ()
    note: str | None = None

    def inline_source(self) -> tuple[str, str]:
        """The name and text an inline policy compiles under: the test file itself when
        the text lines up with it, so rule locations point into the test file."""
        if self.policy_in_place is not None:
            return str(self.path), self.policy_in_place
        assert self.policy is not None
        return f"{self.path}#policy", self.policy


def is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_SUFFIXES) or path.name == CASE_FILE_NAME


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into the test files under them (sorted); keep files as given.

    Raises `TestFileError` for a path that does not exist or a folder without test files.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                f
                for f in path.rglob("*")
                if f.is_file() and is_test_file(f) and not _hidden(f.relative_to(path))
            )
            if not files:
                raise TestFileError(
                    path,
                    0,
                    0,
                    f"no test files under `{path}` (names end in {', '.join(TEST_SUFFIXES)}, or are {CASE_FILE_NAME})",
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise TestFileError(path, 0, 0, f"`{path}` does not exist")
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


# ---- reading --------------------------------------------------------------------------------


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys start (1-based)."""

    __slots__ = ("at", "blocks", "key_at")

    at: tuple[int, int]
    key_at: dict[Any, tuple[int, int]]
    blocks: dict[Any, int]  # key -> 0-based line of the `|` of a literal block value


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Iterator[_Mapping]:
    data = _Mapping()
    data.at = (node.start_mark.line + 1, node.start_mark.column + 1)
    data.key_at = {}
    data.blocks = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str):
            data.key_at[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if isinstance(value_node, yaml.ScalarNode) and value_node.style == "|":
                data.blocks[key] = value_node.start_mark.line
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def plain(value: Any) -> Any:
    """The same data with plain dicts, for comparison, dumping and the engine."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def load(path: Path) -> TestFile:
    """Read and check one test file; raise `TestFileError` at the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TestFileError(path, 0, 0, f"cannot read the file: {exc}") from exc
    try:
        doc = yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        problem = getattr(exc, "problem", None) or str(exc)
        raise TestFileError(path, line, col, f"not valid YAML or JSON: {problem}") from exc
    test = _parse(path, doc)
    if test.policy is not None and isinstance(doc, _Mapping) and "policy" in doc.blocks:
        placed = _in_place(test.policy, text.splitlines(), doc.blocks["policy"] + 1)
        test = dataclasses.replace(test, policy_in_place=placed)
    return test


def _in_place(policy: str, lines: list[str], first: int) -> str | None:
    """The policy text padded with blank lines and its block's indentation, so that its
    line and column numbers are those of the test file; None when it does not line up."""
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines):
        return None
    indent = len(lines[first]) - len(lines[first].lstrip(" "))
    out = [""] * first
    for i, line in enumerate(policy.splitlines()):
        placed = " " * indent + line if line else ""
        if first + i >= len(lines) or lines[first + i].rstrip() != placed.rstrip():
            return None
        out.append(placed)
    return "\n".join(out) + "\n"


def _parse(path: Path, doc: Any) -> TestFile:
    if not isinstance(doc, _Mapping):
        raise TestFileError(
            path, 1, 1, "a test file is a mapping with `cases` (and `policy` or `policies`)"
        )
    _known_keys(path, doc, TOP_KEYS, "test file")
    policy = doc.get("policy")
    if "policy" in doc and not isinstance(policy, str):
        raise TestFileError(path, *_at(doc, "policy"), "`policy` must be the policy text")
    if "policy" in doc and "policies" in doc:
        raise TestFileError(
            path,
            *_at(doc, "policies"),
            "give `policy` (inline text) or `policies` (paths), not both",
        )
    policies = _strings(path, doc, "policies")
    allow_imports = _strings(path, doc, "allow_imports")
    cases = doc.get("cases")
    if not isinstance(cases, list) or not cases:
        raise TestFileError(path, *_at(doc, "cases"), "`cases` must be a non-empty list of cases")
    parsed: list[Case] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(cases):
        case = _case(path, raw, i, doc)
        if case.name in names:
            where: tuple[int, int] = raw.at
            raise TestFileError(
                path,
                *where,
                f"two cases are named `{case.name}` (the other is on line {names[case.name]})",
            )
        names[case.name] = case.line
        parsed.append(case)
    note = doc.get("note")
    return TestFile(
        path=path,
        cases=tuple(parsed),
        policy=policy,
        policies=tuple(path.parent / p for p in policies),
        allow_imports=tuple(allow_imports),
        note=note if isinstance(note, str) else None,
    )


def _case(path: Path, raw: Any, index: int, doc: _Mapping) -> Case:
    if not isinstance(raw, _Mapping):
        raise TestFileError(
            path,
            *_at(doc, "cases"),
            f"case {index + 1} must be a mapping with `name`, `event` and `decision`",
        )
    _known_keys(path, raw, CASE_KEYS, "case")
    for key in ("name", "event", "decision"):
        if key not in raw:
            raise TestFileError(path, *raw.at, f"case {index + 1} has no `{key}`")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise TestFileError(path, *_at(raw, "name"), "`name` must be a non-empty string")
    event = _event(path, raw, "event")
    expect: dict[str, Any] = {}
    for key in EXPECT_KEYS:
        if key in raw:
            expect[key] = _expectation(path, raw, key)
    history: list[tuple[float, dict[str, Any]]] = []
    earlier = raw.get("history")
    if earlier is not None:
        if not isinstance(earlier, list):
            raise TestFileError(
                path, *_at(raw, "history"), "`history` must be a list of `{at, event}`"
            )
        for item in earlier:
            if not isinstance(item, _Mapping) or "event" not in item:
                raise TestFileError(
                    path,
                    *_at(raw, "history"),
                    "each `history` entry is a mapping with `event` and optional `at`",
                )
            _known_keys(path, item, ("at", "event"), "history entry")
            history.append((_seconds(path, item), _event(path, item, "event")))
    note = raw.get("note")
    return Case(
        name=name,
        line=raw.at[0],
        event=event,
        expect=expect,
        history=tuple(history),
        at=_seconds(path, raw),
        note=note if isinstance(note, str) else None,
    )


def _event(path: Path, mapping: _Mapping, key: str) -> dict[str, Any]:
    raw = mapping[key]
    where = raw.at if isinstance(raw, _Mapping) else _at(mapping, key)
    if not isinstance(raw, dict):
        raise TestFileError(path, *where, f"`{key}` must be an event: a mapping with `kind`")
    event: dict[str, Any] = plain(raw)
    try:
        event_from_dict(event, source=f"{path}:{where[0]}")
    except EventError as exc:
        problems = "; ".join(d.message for d in exc.diagnostics) or str(exc)
        raise TestFileError(path, *where, f"not a valid event: {problems}") from exc
    return event


def _expectation(path: Path, case: _Mapping, key: str) -> Any:
    value = plain(case[key])
    where = _at(case, key)
    if key == "decision":
        if value not in DECISIONS:
            raise TestFileError(
                path, *where, f"`decision` is one of {', '.join(DECISIONS)}, got `{value}`"
            )
    elif key in _RULE_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TestFileError(
                path,
                *where,
                f"`{key}` must be a list of {'labels' if key == 'labels' else 'rule ids'}",
            )
        return sorted(value)
    elif key == "messages":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise TestFileError(path, *where, "`messages` maps rule ids to their exact messages")
    elif key == "args":
        if value is not None and not isinstance(value, dict):
            raise TestFileError(
                path, *where, "`args` is the rewritten arguments (a mapping), or null for none"
            )
    elif key == "redactions":
        if not isinstance(value, list) or not all(
            isinstance(r, dict) and set(r) == _REDACTION_KEYS for r in value
        ):
            raise TestFileError(
                path, *where, "`redactions` is a list of {rule, path, start, end, replacement}"
            )
    elif key == "retry_after" and not _number_or_null(value):
        raise TestFileError(path, *where, "`retry_after` is a number of seconds, or null")
    elif key == "fallback" and (
        not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    ):
        raise TestFileError(path, *where, "`fallback` is the list of tools offered instead")
    return value


def _seconds(path: Path, mapping: _Mapping) -> float:
    value = mapping.get("at", 0)
    if not _number(value):
        raise TestFileError(path, *_at(mapping, "at"), "`at` is a number of seconds")
    return float(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number_or_null(value: Any) -> bool:
    return value is None or _number(value)


def _strings(path: Path, doc: _Mapping, key: str) -> list[str]:
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TestFileError(path, *_at(doc, key), f"`{key}` must be a list of strings")
    return list(value)


def _known_keys(path: Path, mapping: _Mapping, known: tuple[str, ...], what: str) -> None:
    for key in mapping:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(known)})"
            raise TestFileError(path, *_at(mapping, key), f"unknown key `{key}` in a {what}{hint}")


def _at(mapping: _Mapping, key: str) -> tuple[int, int]:
    return mapping.key_at.get(key, mapping.at)
