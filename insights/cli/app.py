"""The ``insights`` command line's shared parts: the Typer apps, consoles and the async runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")

app = typer.Typer(
    help="Deal insights: AI summaries, risks and buyer goals for a CRM deal sidebar.",
    no_args_is_help=True,
    add_completion=False,
)
feedback_app = typer.Typer(help="Feedback given on insights.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")
eval_app = typer.Typer(
    help="Offline eval suites: run, compare, draft cases from feedback.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")
console = Console()
err = Console(stderr=True)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
