"""``insights eval run | compare | from-feedback``: the offline eval suites (the CLI is the one
place in ``insights`` that imports ``evals``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.progress import BarColumn, Progress, TextColumn

from insights.cli.app import console, err, eval_app

EvalMode = Literal["replay", "record", "live"]


@eval_app.command("run")
def eval_run(
    suite: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    mode: Annotated[EvalMode, typer.Option(help="replay | record | live")] = "replay",
    model: Annotated[str | None, typer.Option(help="litellm model string (record/live)")] = None,
    prompt_version: Annotated[str | None, typer.Option(help="prompts/<version> to evaluate")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default evals/runs/<suite>-<time>)")
    ] = None,
    concurrency: int = 4,
    judge: Annotated[bool, typer.Option(help="Faithfulness judge: a model call per kept statement")] = False,
) -> None:
    """Run the real pipeline on every case of a suite; write JSON and HTML reports; exit 1 on failures.

    record and live call the model of INSIGHTS_MODEL at INSIGHTS_MODEL_API_BASE, and nothing else
    (record without INSIGHTS_MODEL records the keyword fake)."""
    import yaml

    from evals.harness import run_suite, suite_cases
    from evals.report import print_table, write_reports
    from insights.core.config import Settings

    n = len(suite_cases(suite, yaml.safe_load((suite / "suite.yaml").read_text(encoding="utf-8"))))
    target = Settings(INSIGHTS_ENV="development") if mode != "replay" else None
    with Progress(
        TextColumn("Evaluating"), BarColumn(), TextColumn("{task.completed}/{task.total} cases"), console=err
    ) as progress:
        task = progress.add_task("eval", total=n)
        try:
            run = asyncio.run(
                run_suite(
                    suite,
                    mode,
                    model,
                    concurrency,
                    lambda: progress.advance(task),
                    prompt_version,
                    target=target,
                    judge=judge,
                )
            )
        except ValueError as exc:  # a live/record run with no model or no API base configured
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
    print_table(run, console)
    folder = out or Path("evals/runs") / f"{suite.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    json_path, html_path = write_reports(run, folder)
    console.print(f"JSON: {json_path}   HTML: {html_path}")
    if not all(c.passed for c in run.cases):
        raise typer.Exit(1)


@eval_app.command("make-labelled")
def eval_make_labelled(
    out: Path = Path("evals/suites/labelled"),
    deals: Annotated[int, typer.Option(help="Deals with planted signals (3 cases each)")] = 40,
    seed: int = 16,
) -> None:
    """Write a labelled suite: the scale generator's account with planted, labelled signals."""
    from evals.labelled import build

    n = build(out, deals, seed)
    console.print(f"{n} cases written to {out}; record them: insights eval run {out} --mode record")


@eval_app.command("compare")
def eval_compare(run_a: Path, run_b: Path, threshold: float = 0.02) -> None:
    """What got better or worse from run A to run B; exit 1 when a metric regressed (a CI gate)."""
    import json

    from evals.harness import compare

    def load(p: Path) -> dict[str, Any]:
        run: dict[str, Any] = json.loads((p / "run.json" if p.is_dir() else p).read_text(encoding="utf-8"))
        return run

    lines, regressed = compare(load(run_a), load(run_b), threshold)
    for line in lines:
        console.print(line)
    if regressed:
        err.print("[red]Regression past the threshold.[/]")
        raise typer.Exit(1)


@eval_app.command("from-feedback")
def eval_from_feedback(
    feedback: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    out: Path = Path("evals/suites/from-feedback.yaml"),
) -> None:
    """Turn exported not-helpful feedback (insights feedback export) into draft cases to complete."""
    import json

    import yaml

    cases = []
    purged = 0
    for line in feedback.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["rating"] != "not_helpful":
            continue
        if row.get("insight") is None:  # purged since: its deal and body are gone on purpose
            purged += 1
            continue
        cases.append(
            {
                "id": f"feedback-{row['feedback_id'][:8]}",
                "account": row["portal_id"],
                "user": row["user_id"],
                "deal": row["insight"]["deal_id"],
                "note": f"{row.get('reason') or ''}: {row.get('comment') or ''}".strip(": "),
                "expect": {"risk_kinds": [], "goal_phrases": [], "never": []},
            }
        )
    out.write_text(yaml.safe_dump({"cases": cases}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    console.print(f"{len(cases)} draft cases written to {out}: fill in the expectations before use.")
    if purged:
        console.print(f"{purged} not-helpful rows skipped: the insight they were about was purged.")
