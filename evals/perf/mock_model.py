"""A local OpenAI-compatible model for benchmarks: a fixed delay, then the fake model's answer.

The answer is ``evals.fake_model.scripted_body``, the one the tests get: valid and cited.

python -m evals.perf.mock_model --port 8599 --delay 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from evals.fake_model import prompt_of, scripted_body


def make_app(delay_s: float) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict[str, Any]:
        body = await request.json()
        await asyncio.sleep(delay_s)  # stands in for the model's latency
        words = len(prompt_of(body)) // 4  # a rough count the benchmark prints beside tiktoken's
        usage = {"prompt_tokens": words, "completion_tokens": 60, "total_tokens": words + 60}
        return {**scripted_body(body), "created": int(time.time()), "model": "mock", "usage": usage}

    return app


def serve_in_thread(port: int, delay_s: float) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(make_app(delay_s), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8599)
    p.add_argument("--delay", type=float, default=0.3)
    a = p.parse_args()
    uvicorn.run(make_app(a.delay), host="127.0.0.1", port=a.port, log_level="warning")
