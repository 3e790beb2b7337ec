"""Run reports: a terminal table, a JSON file and a self-contained HTML page with charts."""

from __future__ import annotations

import html
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evals.harness import RunResult

SHOWN = (
    "leaks",
    "citation_validity",
    "risk_recall",
    "risk_precision",
    "goal_coverage",
    "section_completeness",
    "fallbacks",
    "input_tokens",
    "latency_ms",
)


def print_table(run: RunResult, console: Console) -> None:
    table = Table(
        "case",
        "pass",
        "status",
        *[m.replace("_", " ") for m in SHOWN[:6]],
        "notes",
        title=f"{run.suite} · {run.mode} · prompt {run.prompt_version} · model {run.model or '?'}",
    )
    for c in run.cases:
        table.add_row(
            c.id,
            "[green]yes[/]" if c.passed else "[red]no[/]",
            c.reason or c.status,
            *[f"{c.metrics.get(m, 0):.2f}" for m in SHOWN[:6]],
            "; ".join(c.failures)[:80],
        )
    console.print(table)
    console.print("  ".join(f"{k}={v:.3f}" for k, v in sorted(run.metrics.items())))
    console.print(model_line(run))
    if run.provenance:
        console.print(f"[yellow]{run.provenance}[/]")


def model_line(run: RunResult) -> str:
    """The model's own figures: how often its raw answer parsed, what survived the citation check."""
    m = run.metrics
    return (
        f"model {run.model or '?'}: parse validity {m.get('parse_validity', float('nan')):.2f}, "
        f"statements kept {m.get('statements_kept', 0):.0f}, dropped: "
        f"no_citation {m.get('dropped_no_citation', 0):.0f}, unknown_id {m.get('dropped_unknown_id', 0):.0f}"
    )


def _bars(values: dict[str, float], width: int = 420, scale: float | None = None) -> str:
    top = scale or max([abs(v) for v in values.values()] + [1e-9])
    rows = []
    for i, (name, v) in enumerate(values.items()):
        w = int(width * abs(v) / top)
        rows.append(
            f'<text x="0" y="{i * 22 + 15}" font-size="12">{html.escape(name)}</text>'
            f'<rect x="190" y="{i * 22 + 4}" width="{w}" height="14" fill="#2563eb"/>'
            f'<text x="{196 + w}" y="{i * 22 + 15}" font-size="11">{v:.3g}</text>'
        )
    return f'<svg width="{width + 260}" height="{len(values) * 22 + 6}">{"".join(rows)}</svg>'


def write_reports(run: RunResult, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = run.to_json()
    json_path = out / "run.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    quality = {
        k: v for k, v in run.metrics.items() if k not in ("input_tokens", "output_tokens", "latency_ms")
    }
    tokens = {c.id: c.metrics.get("input_tokens", 0) for c in run.cases}
    latency = {c.id: c.metrics.get("latency_ms", 0) for c in run.cases}
    rows = "".join(
        f"<tr class={'ok' if c.passed else 'bad'}><td>{html.escape(c.id)}</td>"
        f"<td>{'pass' if c.passed else 'FAIL'}</td>"
        f"<td>{html.escape(c.reason or c.status)}</td><td>{html.escape('; '.join(c.failures))}</td></tr>"
        for c in run.cases
    )
    page = f"""<!doctype html><meta charset="utf-8"><title>Eval {html.escape(run.suite)}</title>
<style>body{{font:14px system-ui;margin:24px;max-width:1000px}}
td{{padding:3px 8px;border-bottom:1px solid #eee}}
.bad td{{background:#fee2e2}} .note{{background:#fef3c7;padding:8px}}</style>
<h1>{html.escape(run.suite)} — {html.escape(run.mode)}, prompt {html.escape(run.prompt_version)}</h1>
<p class="note">{html.escape(run.provenance or "")}</p>
<p>{html.escape(model_line(run))}</p>
<h2>Suite metrics</h2>{_bars(quality)}
<h2>Input tokens per case</h2>{_bars(tokens)}
<h2>Latency per case (ms)</h2>{_bars(latency)}
<h2>Cases</h2><table>{rows}</table>"""
    html_path = out / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path
