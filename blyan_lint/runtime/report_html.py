"""`confirm --html report.html`: one self-contained page (no scripts, fonts or images from
elsewhere): a section per finding with its code, source excerpt, verdict and observation,
and an inline-SVG bar chart of its op result dtypes with and without the construct."""

from __future__ import annotations

import html
import os

from ..findings import Finding
from .evidence import Verdict

COLOURS = {"confirmed": "#b42318", "refuted": "#027a48", "unresolved": "#8a6d00"}
BAR_COLOURS = {"with": "#d92d20", "without": "#667085"}
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#101828}
h1{font-size:1.4rem}section{border:1px solid #d0d5dd;border-radius:6px;padding:1rem;margin:1rem 0}
pre{background:#f9fafb;padding:.6rem;overflow-x:auto;font-size:.85rem}.hit{background:#fee4e2}
.verdict{font-weight:700;text-transform:uppercase}table{border-collapse:collapse}
td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #eaecf0}
"""


def _excerpt(finding: Finding, context: int = 2) -> str:
    try:
        with open(finding.path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return ""
    first = max(1, finding.start.line - context)
    last = min(len(lines), finding.end.line + context)
    rows = []
    for number in range(first, last + 1):
        text = html.escape(lines[number - 1])
        hit = finding.start.line <= number <= finding.end.line
        rows.append(f'<span class="{"hit" if hit else ""}">{number:4d}  {text}</span>')
    return "\n".join(rows)


def bar_chart(with_ops: dict[str, int], without_ops: dict[str, int]) -> str:
    """Grouped bars per dtype: result counts of the traced ops with and without the construct."""
    dtypes = sorted(set(with_ops) | set(without_ops), key=lambda d: -(with_ops.get(d, 0) + without_ops.get(d, 0)))
    if not dtypes:
        return ""
    top = max([*with_ops.values(), *without_ops.values(), 1])
    bar_h, gap, label_w, plot_w = 14, 10, 90, 420
    height = len(dtypes) * (2 * bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 80}" height="{height}" '
        f'role="img" aria-label="op result dtypes with and without the construct">'
    ]
    y = 4
    for dtype in dtypes:
        parts.append(f'<text x="0" y="{y + bar_h + 4}" font-size="12">{html.escape(dtype)}</text>')
        for run, ops in (("with", with_ops), ("without", without_ops)):
            count = ops.get(dtype, 0)
            width = int(plot_w * count / top)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{max(width, 1)}" height="{bar_h}" fill="{BAR_COLOURS[run]}">'
                f"<title>{run}: {count}</title></rect>"
                f'<text x="{label_w + width + 4}" y="{y + bar_h - 3}" font-size="11">{count} ({run})</text>'
            )
            y += bar_h
        y += gap
    legend_y = height - 8
    parts.append(
        f'<text x="{label_w}" y="{legend_y}" font-size="11" fill="{BAR_COLOURS["with"]}">with the construct</text>'
        f'<text x="{label_w + 150}" y="{legend_y}" font-size="11" fill="{BAR_COLOURS["without"]}">without</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render(findings: list[Finding], verdicts: dict[int, Verdict], device: str, seconds: float) -> str:
    sections = []
    for index, finding in enumerate(findings):
        verdict = verdicts.get(index)
        if verdict is None:
            continue
        colour = COLOURS[verdict.verdict]
        label = verdict.verdict + (" (CPU-simulated)" if verdict.simulated else "")
        chart = bar_chart(verdict.ops_with, verdict.ops_without)
        changed = "".join(
            f"<tr><td><code>{html.escape(c['op'])}</code></td><td>{html.escape(_hist(c['without']))}</td>"
            f"<td>{html.escape(_hist(c['with']))}</td></tr>"
            for c in verdict.changed_ops[:12]
        )
        table = f"<table><tr><th>op</th><th>without</th><th>with</th></tr>{changed}</table>" if changed else ""
        sections.append(
            f'<section id="f{index}"><h2>{finding.code} <small>{html.escape(os.path.relpath(finding.path))}:'
            f"{finding.start.line}:{finding.start.col}</small></h2>"
            f"<p>{html.escape(finding.message)}</p><pre>{_excerpt(finding)}</pre>"
            f'<p>Verdict: <span class="verdict" style="color:{colour}">{html.escape(label)}</span></p>'
            f"<p>{html.escape(verdict.observation)}</p><p><small>Replay: {html.escape(verdict.how)}</small></p>"
            f"{chart}{table}</section>"
        )
    counts = {v: sum(1 for x in verdicts.values() if x.verdict == v) for v in COLOURS}
    where = "CPU (CPU-simulated, not proof)" if device == "cpu" else "GPU"
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>blyan-lint confirm</title>'
        f"<style>{STYLE}</style></head><body><h1>blyan-lint confirm</h1>"
        f"<p>{len(verdicts)} model-related findings replayed on the {where} in {seconds:.1f} s: {summary}.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )


def _hist(hist: dict[str, int]) -> str:
    return ", ".join(f"{n} {d}" for d, n in sorted(hist.items(), key=lambda kv: -kv[1])) or "-"
