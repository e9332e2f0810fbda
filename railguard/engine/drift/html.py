"""The HTML report of `railguard drift --html`: one self-contained file.

The summary, the table of what changed, and one bar chart per changed metric (baseline
beside candidate, with 95% intervals) drawn by matplotlib as inline SVG: no script, no CDN,
no network. Every piece of text from the log (rule ids, tool names, selectors) is escaped:
in the HTML with `html.escape`, in the SVG by matplotlib's writer, with math text parsing
turned off so that a `$` in a tool name is only a character. matplotlib is imported here
only (`pip install 'railguard[drift]'`).
"""

from __future__ import annotations

import html
import io
import math

from railguard.engine.drift import stats
from railguard.engine.drift.report import COLUMNS, DriftReport, Metric, Side, header_lines, rows

MAX_CHARTS = 200
_BASE_COLOUR, _CAND_COLOUR = "#7f8c8d", "#d35400"

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { color: #b00020; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 0; border: 1px solid #ddd; padding: 8px; width: 340px; }
figure.chart svg { width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; word-break: break-all; }
.note { color: #8a6d00; }
"""


def _interval(side: Side, kind: str) -> tuple[float, float]:
    if kind == "mean":
        half = stats.Z95 * (side.sd or 0.0) / math.sqrt(side.total) if side.total else 0.0
        return side.value - half, side.value + half
    low, high = stats.wilson(side.count, side.total)
    return 100 * low, 100 * high


def chart_svg(metric: Metric, salt: str) -> str:
    """A bar chart of one metric, baseline beside candidate, as an `<svg>` element."""
    import matplotlib
    from matplotlib.figure import Figure

    scale = 1.0 if metric.type == "mean" else 100.0
    values = [metric.baseline.value * scale, metric.candidate.value * scale]
    intervals = [_interval(metric.baseline, metric.type), _interval(metric.candidate, metric.type)]
    errors = [
        [max(0.0, v - lo) for v, (lo, _) in zip(values, intervals, strict=True)],
        [max(0.0, hi - v) for v, (_, hi) in zip(values, intervals, strict=True)],
    ]
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": salt, "text.parse_math": False}
    ):
        fig = Figure(figsize=(4.2, 2.8), dpi=72)
        ax = fig.add_subplot()
        bars = ax.bar(
            ["baseline", "candidate"],
            values,
            yerr=errors,
            capsize=6,
            color=[_BASE_COLOUR, _CAND_COLOUR],
            width=0.55,
        )
        labels = [f"{v:.1f}" if metric.type == "mean" else f"{v:.2f}%" for v in values]
        ax.bar_label(bars, labels=labels, label_type="center", color="white", fontsize=9)
        ax.set_ylabel("characters" if metric.type == "mean" else "% of events")
        title = metric.id if len(metric.id) <= 48 else metric.id[:45] + "..."
        ax.set_title(title, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_ylim(bottom=0)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def render_html(report: DriftReport, every: bool = False) -> str:
    """The whole report as one HTML document."""
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Railguard drift report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Railguard drift report</h1>",
        '<ul class="summary">',
        *(f"<li>{e(line)}</li>" for line in header_lines(report)),
        *(f'<li class="note">note: {e(n)}</li>' for n in report.notes),
        "</ul>",
    ]
    body = rows(report, every)
    out.append(f"<h2>{'Every metric' if every else 'What changed'}</h2>")
    if body:
        out.append('<table class="changes"><thead><tr>')
        out += [f"<th>{e(c or 'status')}</th>" for c in COLUMNS]
        out.append("</tr></thead><tbody>")
        for r in body:
            css = ' class="fail"' if r[-1] == "FAIL" else ""
            cells = "".join(
                f'<td class="num">{e(c)}</td>' if i in (4, 5) else f"<td>{e(c)}</td>"
                for i, c in enumerate(r)
            )
            out.append(f"<tr{css}>{cells}</tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="nochange">No metric changed.</p>')
    changed = report.changed
    if changed:
        out.append("<h2>Charts</h2>")
        if len(changed) > MAX_CHARTS:
            out.append(f'<p class="note">The first {MAX_CHARTS} of {len(changed)} changes.</p>')
        out.append('<div class="charts">')
        for i, m in enumerate(changed[:MAX_CHARTS]):
            caption = f"{m.label}: {fmt_caption(m)}"
            out.append(
                f'<figure class="chart" data-metric="{e(m.id, quote=True)}">'
                f"{chart_svg(m, salt=f'chart{i}')}"
                f"<figcaption>{e(caption)}</figcaption></figure>"
            )
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def fmt_caption(m: Metric) -> str:
    from railguard.engine.drift.report import fmt_diff, fmt_q

    return f"{fmt_diff(m)}, q = {fmt_q(m.q)}"
