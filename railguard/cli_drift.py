"""`railguard drift`: what changed between two slices of a decision log (docs/drift.md)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import click

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


@click.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--baseline",
    default=None,
    metavar="EXPR",
    help="The baseline slice, e.g. model=gpt-4o-2024-08-06 or time<2026-11-01 "
    "(conditions joined with `,`). Default: the first of the log's two models.",
)
@click.option(
    "--candidate",
    default=None,
    metavar="EXPR",
    help="The candidate slice, e.g. model=gpt-4o-2024-11-20,time>=2026-11-01.",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="[METRIC=]THRESHOLD",
    help="Exit 1 when a changed metric moves by more than THRESHOLD (a rate's absolute "
    "difference, e.g. 0.02; the mean output length's relative one); METRIC=THRESHOLD "
    "for metrics matching a glob (rule:*=0.01), METRIC=none to never fail on them. "
    "Repeatable. Default: any change fails.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="The false discovery rate: a metric changed when its Benjamini-Hochberg q < alpha.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option("--all", "every", is_flag=True, help="List every metric compared, not only changes.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write an HTML report with a chart per changed metric (needs railguard[drift]).",
)
def drift(
    logs: tuple[Path, ...],
    baseline: str | None,
    candidate: str | None,
    fail_on: tuple[str, ...],
    alpha: float,
    fmt: str,
    every: bool,
    html_path: Path | None,
) -> None:
    """Compare two slices of the decision log LOGS: decision rates, each rule's match rate,
    tool shares, schema, PII and injection findings, errors, output length.

    Each rate is tested with Fisher's exact test, corrected with Benjamini-Hochberg across
    all metrics. Exit 0 when no change passes --fail-on, 1 when one does (a CI gate for a
    model upgrade), 2 on a usage error. The log is streamed: memory does not grow with it.
    """
    from railguard.engine.drift import DriftError
    from railguard.engine.drift import drift as run_drift
    from railguard.engine.drift.report import (
        parse_fail_on,
        print_rich,
        render_markdown,
        render_text,
    )

    if html_path is not None and importlib.util.find_spec("matplotlib") is None:
        click.echo(
            "railguard drift: --html needs matplotlib: pip install 'railguard[drift]'", err=True
        )
        sys.exit(EXIT_USAGE)
    try:
        thresholds = parse_fail_on(list(fail_on))
    except ValueError as exc:
        click.echo(f"railguard drift: --fail-on: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        report = run_drift(logs, baseline, candidate, alpha=alpha, fail_on=thresholds)
    except DriftError as exc:
        click.echo(f"railguard drift: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if html_path is not None:
        from railguard.engine.drift.html import render_html

        try:
            html_path.write_text(render_html(report, every), encoding="utf-8")
        except OSError as exc:
            click.echo(f"railguard drift: cannot write {html_path}: {exc.strerror}", err=True)
            sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render_markdown(report, every), nl=False)
    elif sys.stdout.isatty() and _has_rich():
        print_rich(report, every)
    else:
        click.echo(render_text(report, every))
    if html_path is not None and fmt != "json":
        click.echo(f"wrote {html_path}", err=True)
    sys.exit(EXIT_FAIL if report.failing else EXIT_OK)


def _has_rich() -> bool:
    return importlib.util.find_spec("rich") is not None
