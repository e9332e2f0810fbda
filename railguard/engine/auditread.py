"""Reading the decision log back: verify its chain, and iterate its records.

`verify(paths)` walks the files in chain order and reports the first record that is
missing, out of order, edited or unreadable, with its file and line; a torn last line (a
crash in the middle of a write) is reported as such, apart from tampering. A chain verifies
against its own contents: deleting records from the end, or rewriting every hash after an
edit, is only caught by comparing the head (`last_hash`) with a copy kept elsewhere
(`--head`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.engine.auditfile import GENESIS, record_hash, segments


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Report:
    records: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    broken: Problem | None = None  # tampering: a record edited, missing, reordered, unreadable
    torn: Problem | None = None  # a crash: the last line was cut short
    recoveries: list[Problem] = field(default_factory=list)  # torn records cut off earlier

    @property
    def ok(self) -> bool:
        return self.broken is None and self.torn is None


def log_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files of the logs named: a live file brings its rotated segments, oldest first."""
    out: list[Path] = []
    for p in map(Path, paths):
        files = segments(p) if not p.suffix[1:].isdigit() else [p]
        for f in files or [p]:
            if f not in out:
                out.append(f)
    return out


def verify(paths: Iterable[str | Path]) -> Report:
    report = Report()
    files = log_files(paths)
    expected_seq = 1
    prev = GENESIS
    for index, path in enumerate(files):
        last_file = index == len(files) - 1
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.broken = Problem(str(path), 0, f"cannot read the file: {exc.strerror}")
            return report
        lines = data.split(b"\n")
        tail = lines.pop()  # after the last newline: empty, or a torn line
        for lineno, raw in enumerate(lines, 1):
            where = (str(path), lineno)
            try:
                record = json.loads(raw)
                seq, hashed, linked = record["seq"], record["hash"], record["prev"]
            except (ValueError, KeyError, TypeError):
                report.broken = Problem(*where, "not a decision record (unreadable or incomplete)")
                return report
            if seq != expected_seq:
                report.broken = Problem(
                    *where,
                    f"expected record {expected_seq}, found record {seq}: "
                    "a record is missing, repeated or out of order",
                )
                return report
            if record_hash(record) != hashed:
                report.broken = Problem(
                    *where, f"record {seq} was altered: its hash does not match its contents"
                )
                return report
            if linked != prev:
                report.broken = Problem(
                    *where, f"record {seq} does not follow record {seq - 1}: the chain is broken"
                )
                return report
            if "recovered" in record:
                report.recoveries.append(
                    Problem(
                        *where,
                        f"record {seq}: {record['torn_bytes']} bytes of a torn record were cut off after a crash",
                    )
                )
            prev = hashed
            expected_seq = seq + 1
            report.records += 1
            report.last_seq = seq
            report.last_hash = hashed
        if tail:
            where_torn = Problem(
                str(path),
                len(lines) + 1,
                f"the last line is torn ({len(tail)} bytes, no newline): a crash while writing; "
                f"the {report.records} records before it verify",
            )
            if not last_file:
                report.broken = Problem(
                    where_torn.file, where_torn.line, "a torn line inside the log, not at its end"
                )
                return report
            report.torn = where_torn
    return report


def records(paths: Iterable[str | Path]) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """Every complete record, with its file and line; unreadable lines are skipped."""
    for path in log_files(paths):
        with open(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    break  # a torn tail
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict) and "recovered" not in record:
                    yield path, lineno, record
