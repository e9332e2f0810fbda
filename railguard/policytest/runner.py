"""`railguard test`: collect test files, compile each one's policy once, run every case.

Collection comes first and reports every problem at once (`UsageError`): a path that does
not exist, a folder without test files, a malformed test file, a policy that does not
compile. Only then do cases run. Each test file's policy runs on a traced copy of its guard
(`coverage.traced`), so the run also yields rule coverage.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from railguard.api import check, loads
from railguard.engine.guard import Guard
from railguard.engine.rules import Limits
from railguard.policylang.diagnostics import Diagnostic, PolicyError, render_human
from railguard.policylang.loader import POLICY_SUFFIX
from railguard.policytest.check import Outcome, run_case
from railguard.policytest.coverage import Coverage, Recorder, file_key, traced
from railguard.policytest.testfile import TestFile, TestFileError, discover, load


class UsageError(Exception):
    """Test files or policies that cannot run; `.problems` holds one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(slots=True)
class FileResult:
    test: TestFile
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    results: list[FileResult]
    coverage: Coverage
    elapsed_s: float

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for r in self.results for o in r.outcomes]

    @property
    def failed(self) -> list[tuple[TestFile, Outcome]]:
        return [(r.test, o) for r in self.results for o in r.outcomes if not o.passed]

    @property
    def passed_count(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)


def collect(paths: list[Path]) -> list[tuple[TestFile, Guard]]:
    """Every test file under `paths` with its compiled policy; `UsageError` lists all problems."""
    try:
        files = discover(paths)
    except TestFileError as exc:
        raise UsageError([str(exc)]) from exc
    problems: list[str] = []
    tests: list[TestFile] = []
    for path in files:
        try:
            tests.append(load(path))
        except TestFileError as exc:
            problems.append(str(exc))
    if any(t.allow_imports for t in tests) and os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # as `python -m` would: modules of the project run from
    cache: dict[tuple[object, ...], Guard] = {}
    collected: list[tuple[TestFile, Guard]] = []
    for test in tests:
        try:
            collected.append((test, _guard(test, cache)))
        except TestFileError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError(problems)
    return collected


# Tests check decisions, which must not depend on how busy the machine is: the per-check
# time budget is relaxed to 10 s (a `limit checker_ms` written in the policy still holds).
TEST_LIMITS = Limits(checker_ms=10_000)


def policy_paths(test: TestFile) -> list[Path]:
    """What a test file tests: its `policies`, else the `*.rail` files beside it."""
    if test.policies:
        return list(test.policies)
    return sorted(p for p in test.path.parent.glob("*" + POLICY_SUFFIX) if p.is_file())


def _guard(test: TestFile, cache: dict[tuple[object, ...], Guard]) -> Guard:
    if test.policy is not None:
        try:
            name, text = test.inline_source()
            with contextlib.chdir(test.path.parent):
                return loads(text, name=name, allow_imports=test.allow_imports, limits=TEST_LIMITS)
        except PolicyError as exc:
            raise _no_compile(test, exc.diagnostics) from exc
    paths = policy_paths(test)
    if not paths:
        raise TestFileError(
            test.path,
            0,
            0,
            f"no policy to test: give `policy` or `policies`, or put `*{POLICY_SUFFIX}` files beside the test file",
        )
    for p in paths:
        if not p.exists():
            raise TestFileError(test.path, 0, 0, f"policy path `{p}` does not exist")
    key = (tuple(str(p.resolve()) for p in paths), test.allow_imports)
    guard = cache.get(key)
    if guard is None:
        found, diagnostics = check(paths, allow_imports=test.allow_imports, limits=TEST_LIMITS)
        if found is None:
            raise _no_compile(test, diagnostics)
        guard = cache[key] = found
    return guard


def _no_compile(test: TestFile, diagnostics: list[Diagnostic]) -> TestFileError:
    errors = render_human([d for d in diagnostics if d.is_error])
    return TestFileError(test.path, 0, 0, f"the policy under test does not compile:\n{errors}")


def run(paths: list[Path], untested_from: list[Path] | None = None) -> Report:
    """Run every case of every test file under `paths`.

    Rules of `*.rail` files under the folders of `untested_from` that no test file loads
    count as uncovered (so a policy without tests shows up in coverage).
    """
    start = time.perf_counter()
    coverage = Coverage()
    results: list[FileResult] = []
    tracers: dict[int, tuple[Guard, Recorder]] = {}
    for test, guard in collect(paths):
        if id(guard) not in tracers:
            tracers[id(guard)] = traced(guard)
        twin, recorder = tracers[id(guard)]
        result = FileResult(test)
        for case in test.cases:
            result.outcomes.append(run_case(twin, case, recorder=recorder))
        results.append(result)
    for guard, recorder in tracers.values():
        coverage.add(guard.policies, recorder)
    _add_untested(coverage, untested_from or [])
    return Report(results, coverage, time.perf_counter() - start)


def _add_untested(coverage: Coverage, roots: list[Path]) -> None:
    tested = coverage.files()
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*" + POLICY_SUFFIX)):
            if file_key(str(path)) in tested or not path.is_file():
                continue
            guard, _ = check([path])
            if guard is not None:
                coverage.add(guard.policies, None)
            else:
                coverage.add_file(str(path), "no test file loads it, and it does not compile alone")
