"""The `railguard` command: lint, fmt, eval, serve and the builtin reference."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from railguard import __version__
from railguard.cli_approvals import approvals
from railguard.cli_audit import audit, replay
from railguard.cli_drift import drift
from railguard.policylang.diagnostics import Diagnostic, render_human, summary

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_DENY, EXIT_ESCALATE = 3, 4


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="railguard")
def main() -> None:
    """Policy-as-code guardrails for LLM agents."""


def _print_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "diagnostics": [d.to_dict() for d in diagnostics],
                    "summary": summary(diagnostics),
                },
                indent=2,
            )
        )
        return
    if diagnostics:
        click.echo(render_human(diagnostics))
        click.echo()
    click.echo(summary(diagnostics))


def _is_io_problem(d: Diagnostic) -> bool:
    return d.code == "RG213" and d.span.line == 0


_ALLOW_IMPORT = click.option(
    "--allow-import",
    "allow_imports",
    multiple=True,
    metavar="MODULE",
    help="A module (with its submodules) whose pydantic models `schema.model` may name (repeatable).",
)
_SCHEMA_ROOT = click.option(
    "--schema-root",
    "schema_roots",
    multiple=True,
    metavar="URI=FOLDER",
    help="Read schemas under the URI prefix from a local folder, offline (repeatable).",
)


def _engine_config(allow_imports: tuple[str, ...], schema_roots: tuple[str, ...]) -> Any:
    from railguard.api import engine_config

    roots: dict[str, str] = {}
    for item in schema_roots:
        prefix, sep, folder = item.partition("=")
        if not sep or not prefix or not folder:
            raise click.BadParameter(
                f"expected URI=FOLDER, got `{item}`", param_hint="--schema-root"
            )
        roots[prefix] = folder
    return engine_config(allow_imports, roots)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="sarif: SARIF 2.1.0 for code scanning; github: workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
@_ALLOW_IMPORT
@_SCHEMA_ROOT
def lint(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    allow_imports: tuple[str, ...],
    schema_roots: tuple[str, ...],
) -> None:
    """Check policy files and folders; report every problem with file:line:col.

    Exit status: 0 when there is no error (and, with --strict, no warning), 1 when there
    is, 2 when a path cannot be read. Rules and directives: docs/lint.md.
    """
    from railguard.policylang.lint import lint as run_lint

    diagnostics = run_lint(list(paths), _engine_config(allow_imports, schema_roots))
    if fmt == "sarif":
        from railguard.policylang.reporters import render_sarif

        click.echo(render_sarif(diagnostics, __version__))
    elif fmt == "github":
        from railguard.policylang.reporters import render_github

        if diagnostics:
            click.echo(render_github(diagnostics))
    else:
        _print_diagnostics(diagnostics, fmt)
    if any(_is_io_problem(d) for d in diagnostics):
        sys.exit(EXIT_USAGE)
    failing = ("error", "warning") if strict else ("error",)
    sys.exit(EXIT_FINDINGS if any(d.severity in failing for d in diagnostics) else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file is not formatted.")
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    """Rewrite policy files in the canonical layout (comments are kept)."""
    from railguard.policylang.ast import MAX_DEPTH, too_deep
    from railguard.policylang.diagnostics import Diagnostics
    from railguard.policylang.formatter import format_module
    from railguard.policylang.loader import discover, read_text
    from railguard.policylang.parser import parse

    diags = Diagnostics()
    files = discover(list(paths), diags)
    if diags.items:
        _print_diagnostics(diags.items, "text")
        sys.exit(EXIT_USAGE)
    unformatted: list[Path] = []
    broken = False
    for path in files:
        text = read_text(path, diags)
        if text is None:
            broken = True
            continue
        file_diags = Diagnostics()
        module = parse(text, str(path), file_diags)
        for deepest, span in too_deep(module):
            file_diags.error(
                "RG109",
                f"this expression nests {deepest} levels deep, over the limit of {MAX_DEPTH}",
                span,
            )
        if file_diags.has_errors:
            click.echo(render_human(file_diags.sorted()), err=True)
            broken = True
            continue
        formatted = format_module(module, text)
        if formatted == text:
            continue
        unformatted.append(path)
        if not check:
            path.write_text(formatted, encoding="utf-8")
    verb = "would reformat" if check else "reformatted"
    for path in unformatted:
        click.echo(f"{verb} {path}")
    if broken:
        sys.exit(EXIT_USAGE)
    if check and unformatted:
        sys.exit(EXIT_FINDINGS)
    if not unformatted:
        click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} already formatted")


@main.command(name="test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--coverage", is_flag=True, help="List the rules no case exercised.")
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="PERCENT",
    help="Fail (exit 1) when rule coverage is under PERCENT.",
)
@click.option("-v", "--verbose", is_flag=True, help="One line per case instead of dots.")
def test_command(
    paths: tuple[Path, ...], fmt: str, coverage: bool, min_coverage: float | None, verbose: bool
) -> None:
    """Run policy test files (`*.test.yaml`, `*.test.json`, `cases.yaml`) under PATHS.

    Exit status: 0 when every case passes (and coverage reaches --min-coverage), 1 when a
    case fails or coverage is short, 2 when a test file or its policy cannot be used.
    See docs/testing.md.
    """
    from railguard.policytest.render import coverage_ok, render_json, render_text
    from railguard.policytest.runner import UsageError, run

    try:
        report = run(list(paths), untested_from=[p for p in paths if p.is_dir()])
    except UsageError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(render_json(report, min_coverage))
    else:
        click.echo(render_text(report, verbose=verbose, coverage=coverage, minimum=min_coverage))
    ok = not report.failed and coverage_ok(report, min_coverage)
    sys.exit(EXIT_OK if ok else EXIT_FINDINGS)


@main.command(name="eval")
@click.option(
    "-p",
    "--policy",
    "policies",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A policy file or folder (repeatable).",
)
@click.argument("event", type=click.File("r", encoding="utf-8"))
@click.option("--explain", is_flag=True, help="Print a readable explanation instead of JSON.")
@_ALLOW_IMPORT
@_SCHEMA_ROOT
def eval_command(
    policies: tuple[Path, ...],
    event: Any,
    explain: bool,
    allow_imports: tuple[str, ...],
    schema_roots: tuple[str, ...],
) -> None:
    """Evaluate one EVENT (a JSON file, or - for stdin) and print the verdict.

    Exit status: 0 allow, 3 deny, 4 escalate, 2 for a bad policy or event.
    """
    import railguard

    config = _engine_config(allow_imports, schema_roots)
    guard, diagnostics = railguard.check(
        list(policies), allow_imports=config["allow_imports"], schema_roots=config["schema_roots"]
    )
    if guard is None:
        click.echo(render_human([d for d in diagnostics if d.is_error]), err=True)
        sys.exit(EXIT_USAGE)
    try:
        data = json.load(event)
    except json.JSONDecodeError as exc:
        name = getattr(event, "name", "<event>")
        click.echo(
            f"{name}:{exc.lineno}:{exc.colno}: error[RG403]: the event is not JSON: {exc.msg.lower()}",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    try:
        parsed = railguard.event_from_dict(data, source=getattr(event, "name", "<event>"))
    except railguard.EventError as exc:
        for d in exc.diagnostics:
            click.echo(f"{d.span.file}: error[{d.code}]: {d.message}", err=True)
        sys.exit(EXIT_USAGE)
    verdict = guard.evaluate(parsed)
    click.echo(verdict.explain() if explain else verdict.to_json(indent=2))
    sys.exit({"allow": EXIT_OK, "deny": EXIT_DENY, "escalate": EXIT_ESCALATE}[verdict.decision])


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True
)
def builtins(fmt: str) -> None:
    """List the builtins policies can call (markdown: the reference in docs/builtins.md)."""
    from railguard.builtins.reference import render_markdown
    from railguard.builtins.registry import registry

    if fmt == "markdown":
        click.echo(render_markdown(), nl=False)
        return
    for spec in sorted(registry().values(), key=lambda s: s.name):
        click.echo(f"{spec.signature}\n    {spec.summary}")


@main.command()
@click.argument("code", required=False)
@click.option("--markdown", is_flag=True, help="Print every code as the docs/errors.md page.")
@click.option(
    "--lint", "lint_rules", is_flag=True, help="The lint rules (docs/lint.md with --markdown)."
)
def explain(code: str | None, markdown: bool, lint_rules: bool) -> None:
    """Explain a diagnostic code such as RG211 (all codes when none is given)."""
    from railguard.policylang.codes import CODES, render_markdown

    if lint_rules:
        from railguard.policylang.lintrules import RULES
        from railguard.policylang.lintrules.docs import render_markdown as render_lint

        if markdown:
            click.echo(render_lint(), nl=False)
            return
        for key, rule in sorted(RULES.items()):
            click.echo(f"{key}  {rule.severity:<7}  {rule.name:<22}  {rule.title}")
        return
    if markdown:
        click.echo(render_markdown(), nl=False)
        return
    if code is None:
        for key, (title, _) in CODES.items():
            click.echo(f"{key}  {title}")
        return
    entry = CODES.get(code.upper())
    if entry is None:
        click.echo(f"unknown code `{code}`; `railguard explain` lists them", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{code.upper()}: {entry[0]}\n\n{entry[1]}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1: loopback only).")
@click.option("--port", type=int, default=None, help="Port (default 8181).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A YAML or JSON file of settings (see docs/sidecar.md); flags override it.",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Require this bearer token (else $RAILGUARD_TOKEN, else no authentication).",
)
@click.option("--no-watch", is_flag=True, default=False, help="Reload only on POST /v1/reload.")
@click.option(
    "--sessions",
    default=None,
    metavar="URL",
    help="Session store: memory:// (default, per worker) or redis://HOST:PORT/DB (shared).",
)
@click.option(
    "--shadow",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="A candidate policy set to decide on in shadow: logged and counted, never enforced.",
)
@click.option(
    "--audit",
    "audit_path",
    default=None,
    metavar="FILE",
    help="Append every verdict to this decision log.",
)
@click.option(
    "--audit-payloads",
    type=click.Choice(["none", "hash", "redacted", "full"]),
    default=None,
    help="What the log keeps of each event (default: hash).",
)
@click.option(
    "--approver-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The approvers' token (else $RAILGUARD_APPROVER_TOKEN); distinct from --token-file.",
)
@_ALLOW_IMPORT
@_SCHEMA_ROOT
def serve(
    paths: tuple[Path, ...],
    host: str | None,
    port: int | None,
    workers: int | None,
    config_file: Path | None,
    token_file: Path | None,
    no_watch: bool,
    sessions: str | None,
    shadow: tuple[Path, ...],
    audit_path: str | None,
    audit_payloads: str | None,
    approver_token_file: Path | None,
    allow_imports: tuple[str, ...],
    schema_roots: tuple[str, ...],
) -> None:
    """Serve verdicts over HTTP for the policies in PATHS (the sidecar).

    POST /v1/evaluate, /v1/evaluate/batch and /v1/reload; GET /v1/policies, /healthz,
    /readyz, /metrics and /openapi.json. Policies reload when their files change; a set
    that does not compile is refused and the last good one keeps serving.
    """
    from railguard.engine.serveconfig import ServeConfig, load_config

    base = ServeConfig()
    if config_file is not None:
        loaded = load_config(config_file)
        if isinstance(loaded, ValueError):
            click.echo(f"railguard serve: {loaded}", err=True)
            sys.exit(EXIT_USAGE)
        base = loaded
    engine = _engine_config(allow_imports, schema_roots)
    config = base.replace(
        paths=[str(p) for p in paths],
        host=host,
        port=port,
        workers=workers,
        token_file=str(token_file) if token_file else None,
        watch=False if no_watch else None,
        sessions=sessions,
        shadow=[str(p) for p in shadow] if shadow else None,
        audit=audit_path,
        audit_payloads=audit_payloads,
        approver_token_file=str(approver_token_file) if approver_token_file else None,
        allow_imports=[*base.allow_imports, *engine["allow_imports"]] if allow_imports else None,
        schema_roots={**base.schema_roots, **{k: str(v) for k, v in engine["schema_roots"].items()}}
        if schema_roots
        else None,
    )
    token = config.token()
    if isinstance(token, ValueError):
        click.echo(f"railguard serve: {token}", err=True)
        sys.exit(EXIT_USAGE)
    missing = [p for p in config.paths if not Path(p).exists()]
    if missing:
        click.echo(f"railguard serve: `{missing[0]}` does not exist", err=True)
        sys.exit(EXIT_USAGE)
    from railguard.engine.stores import open_store

    try:
        open_store(config.sessions).close()
    except ValueError as exc:
        click.echo(f"railguard serve: --sessions: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    from railguard.engine.server import run

    run(config)


main.add_command(audit)
main.add_command(replay)
main.add_command(drift)
main.add_command(approvals)
