"""`railguard approvals list|show|approve|deny`: decide on escalated events from a terminal."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DEFAULT_URL = "http://127.0.0.1:8181"


def _options(fn: Any) -> Any:
    fn = click.option(
        "--url",
        default=lambda: os.environ.get("RAILGUARD_URL", DEFAULT_URL),
        show_default="$RAILGUARD_URL or " + DEFAULT_URL,
        help="The sidecar.",
    )(fn)
    fn = click.option(
        "--token-file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="The approver token's file (else $RAILGUARD_APPROVER_TOKEN).",
    )(fn)
    return fn


def _client(url: str, token_file: Path | None) -> Any:
    from railguard.engine.approvals_client import ApproverClient

    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            click.echo(f"railguard approvals: cannot read `{token_file}`: {exc.strerror}", err=True)
            sys.exit(EXIT_USAGE)
    else:
        token = os.environ.get("RAILGUARD_APPROVER_TOKEN", "").strip()
    return ApproverClient(url, token or None)


def _call(fn: Any, *args: Any) -> Any:
    import httpx

    from railguard.engine.approvals import ApprovalError

    try:
        return fn(*args)
    except ApprovalError as exc:
        click.echo(f"railguard approvals: {exc.code} (HTTP {exc.status}): {exc.detail}", err=True)
        sys.exit(EXIT_REFUSED)
    except httpx.HTTPError as exc:
        click.echo(f"railguard approvals: cannot reach the sidecar: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _when(ts: Any) -> str:
    if not isinstance(ts, int | float):
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _describe(r: dict[str, Any]) -> str:
    event = r.get("event") or {}
    shown = event.get("args") if r.get("kind") == "call" else event.get("content")
    lines = [
        f"id:         {r['id']}",
        f"status:     {r['status']}",
        f"event:      {r['kind']} {r.get('tool') or ''}".rstrip(),
        f"session:    {r.get('session') or '-'}",
        f"rule:       {r.get('rule') or '-'}",
        f"message:    {r.get('message') or ''}",
        f"requested:  {_when(r.get('requested_at'))} UTC",
        f"expires:    {_when(r.get('expires_at'))} UTC",
    ]
    if r.get("decided_by"):
        lines.append(f"decided:    {r['decided_by']} at {_when(r.get('decided_at'))} UTC")
        lines.append(f"comment:    {r.get('comment') or ''}")
    if r.get("used_by"):
        lines.append(f"used by:    {r['used_by']} at {_when(r.get('used_at'))} UTC")
    lines.append("arguments:" if r.get("kind") == "call" else "content:")
    lines.append(json.dumps(shown, indent=2, ensure_ascii=False))
    return "\n".join(lines)


@click.group()
def approvals() -> None:
    """Decide on escalated events waiting for a human (the approver token is required)."""


@approvals.command("list")
@_options
@click.option(
    "--status",
    type=click.Choice(["pending", "approved", "denied", "used", "expired", "all"]),
    default="pending",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_(url: str, token_file: Path | None, status: str, fmt: str) -> None:
    """List approval requests, newest first."""
    with _client(url, token_file) as client:
        found = _call(client.list, status)
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo(f"no {status if status != 'all' else ''} approvals".replace("  ", " "))
        return
    for r in found:
        target = f"{r['kind']} {r.get('tool') or ''}".strip()
        click.echo(
            f"{r['id']}  {r['status']:<8}  {target:<24}  session {r.get('session') or '-'}  "
            f"expires {_when(r.get('expires_at'))}  {r.get('message') or ''}"
        )


@approvals.command()
@_options
@click.argument("approval_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def show(url: str, token_file: Path | None, approval_id: str, fmt: str) -> None:
    """Show one approval request: the event (secrets masked), the rule, the decision."""
    with _client(url, token_file) as client:
        record = _call(client.show, approval_id)
    click.echo(json.dumps(record, indent=2) if fmt == "json" else _describe(record))


def _decide(action: str) -> Any:
    @_options
    @click.argument("approval_id")
    @click.option("--by", default=None, help="Who decides (recorded; default: your login name).")
    @click.option("--comment", "-m", default="", help="Why (recorded in the decision log).")
    def command(
        url: str, token_file: Path | None, approval_id: str, by: str | None, comment: str
    ) -> None:
        who = by or getpass.getuser()
        with _client(url, token_file) as client:
            record = _call(client.decide, approval_id, action, who, comment)
        click.echo(f"{record['id']}: {record['status']} by {record['decided_by']}")

    command.__doc__ = f"{action.capitalize()} a pending approval request."
    return command


approvals.command("approve")(_decide("approve"))
approvals.command("deny")(_decide("deny"))
