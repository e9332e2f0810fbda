"""`railguard audit verify|show` and `railguard replay`: the decision log from the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_BROKEN, EXIT_USAGE, EXIT_TORN = 0, 1, 2, 3

_LOGS = click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path))


@click.group()
def audit() -> None:
    """Check and read decision logs."""


@audit.command()
@_LOGS
@click.option(
    "--head", default=None, help="The last record's hash, kept elsewhere: the log must end there."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify(logs: tuple[Path, ...], head: str | None, fmt: str) -> None:
    """Check that LOGS are whole and unaltered: sequence numbers and the hash chain.

    Exit 0 when every record verifies, 1 at the first record edited, missing, reordered or
    unreadable (or a head that differs from --head), 3 when the log is intact up to a torn
    last line (a crash while writing), 2 on a usage error. A live log brings its rotated
    segments (LOG.000001, ...).
    """
    from railguard.engine.auditread import log_files
    from railguard.engine.auditread import verify as verify_logs

    missing = [str(p) for p in log_files(logs) if not p.exists()]
    if missing:
        click.echo(f"railguard audit verify: `{missing[0]}` does not exist", err=True)
        sys.exit(EXIT_USAGE)
    report = verify_logs(logs)
    if report.broken is None and head is not None and report.last_hash != head:
        report.broken = _head_problem(report.last_seq, report.last_hash, head)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "records": report.records,
                    "last_seq": report.last_seq,
                    "last_hash": report.last_hash,
                    "broken": str(report.broken) if report.broken else None,
                    "torn": str(report.torn) if report.torn else None,
                    "recoveries": [str(r) for r in report.recoveries],
                },
                indent=2,
            )
        )
    else:
        for note in report.recoveries:
            click.echo(f"note: {note}")
        if report.broken is not None:
            click.echo(f"BROKEN: {report.broken}")
        elif report.torn is not None:
            click.echo(f"TORN: {report.torn}")
        else:
            click.echo(f"ok: {report.records} records, last {report.last_seq} {report.last_hash}")
    sys.exit(EXIT_BROKEN if report.broken else EXIT_TORN if report.torn else EXIT_OK)


def _head_problem(seq: int, got: str, want: str) -> Any:
    from railguard.engine.auditread import Problem

    return Problem("<head>", seq, f"the log ends at {got}, not at the expected head {want}")


@audit.command()
@_LOGS
@click.option("--session", default=None, help="Only this session.")
@click.option("--decision", type=click.Choice(["allow", "deny", "escalate"]), default=None)
@click.option("--rule", default=None, help="Only records a rule with this id violated.")
@click.option("--tool", default=None, help="Only this tool.")
@click.option("--since", default=None, help="From this time (ISO 8601, e.g. 2026-11-25T10:00).")
@click.option("--until", default=None, help="Before this time (ISO 8601).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def show(
    logs: tuple[Path, ...],
    session: str | None,
    decision: str | None,
    rule: str | None,
    tool: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
) -> None:
    """Print the records of LOGS that match every filter, as a table or JSON lines."""
    from railguard.engine.auditread import records

    start, end = _time(since, "--since"), _time(until, "--until")

    def wanted() -> Iterator[dict[str, Any]]:
        for _, _, r in records(logs):
            ts = float(r.get("ts") or 0.0)
            if session is not None and r.get("session") != session:
                continue
            if decision is not None and r.get("decision") != decision:
                continue
            if tool is not None and r.get("tool") != tool:
                continue
            if rule is not None and rule not in (r.get("rules") or ()):
                continue
            if (start is not None and ts < start) or (end is not None and ts >= end):
                continue
            yield r

    if fmt == "json":
        for r in wanted():
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    rows = [
        (
            str(r.get("seq", "")),
            str(r.get("time", ""))[:23],
            str(r.get("session") or "-"),
            f"{r.get('kind')} {r.get('tool') or ''}".strip(),
            str(r.get("decision")),
            ", ".join(r.get("rules") or ()) or "-",
        )
        for r in wanted()
    ]
    _table(("seq", "time", "session", "event", "decision", "rules"), rows)


def _time(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"`{text}` is not an ISO 8601 time", param_hint=option) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    for line in (header, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@click.command()
@click.argument("log", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "-p",
    "--policies",
    "policy_paths",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="The policy files or folders to replay against (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--progress/--no-progress", default=None, help="A progress bar (default: on a terminal)."
)
def replay(
    log: tuple[Path, ...], policy_paths: tuple[Path, ...], fmt: str, progress: bool | None
) -> None:
    """Re-decide the events recorded in LOG with other policies; list every decision that changes.

    The log must hold payloads (`payloads: full` or `redacted`). Exit 0 when no decision
    changes, 1 when some do (a CI gate for policy changes), 2 on a usage error.
    """
    import railguard
    from railguard.engine.auditread import log_files
    from railguard.engine.replay import replay as run_replay
    from railguard.policylang.diagnostics import PolicyError

    try:
        guard = railguard.load(list(policy_paths))
    except PolicyError as exc:
        click.echo(f"railguard replay: the policies do not compile:\n{exc}", err=True)
        sys.exit(EXIT_USAGE)
    files = log_files(log)
    show_bar = sys.stderr.isatty() if progress is None else progress
    if show_bar:
        total = sum(_count_lines(f) for f in files)
        with click.progressbar(length=total, label="replaying", file=sys.stderr) as bar:
            result = run_replay(files, guard, bar.update)
    else:
        result = run_replay(files, guard)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for c in result.changes:
            target = f"{c.kind} {c.tool}" if c.tool else c.kind
            click.echo(
                f"{c.where}: record {c.seq} ({c.time}, session {c.session or '-'}) {target}: "
                f"{c.old} -> {c.new}"
            )
            click.echo(f"    old rules: {', '.join(c.old_rules) or '-'}")
            click.echo(f"    new rules: {', '.join(c.new_rules) or '-'}")
        click.echo("")
        _table(
            ("old", "new", "events"),
            [(old, new, str(n)) for (old, new), n in sorted(result.transitions.items())],
        )
        click.echo(
            f"\n{result.replayed} events replayed, {len(result.changes)} changed, "
            f"{result.skipped} skipped (no payload)"
        )
    sys.exit(EXIT_BROKEN if result.changes else EXIT_OK)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
