"""A local OpenAI-compatible model for benchmarks: a fixed delay, then a valid cited answer.

python -m evals.perf.mock_model --port 8599 --delay 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
import time

import uvicorn
from fastapi import FastAPI, Request


def make_app(delay_s: float) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict:
        body = await request.json()
        prompt = "\n".join(m["content"] for m in body["messages"])
        ids = re.findall(r"^\[([^\]\s]+)\] ", prompt, re.M)[:2]
        task = prompt.rsplit("\n---\n", 1)[-1]
        cited = {"text": "Evidence-based statement.", "activity_ids": ids}
        if task.startswith("Task: write the three sections"):
            answer = {
                "recent_activity": {"summary": "Summary.", "activity_ids": ids},
                "risks": [{**cited, "kind": "budget"}],
                "buyer_goals": [cited],
            }
        elif task.startswith("Task: summarise"):
            answer = {"summary": "Summary.", "activity_ids": ids}
        elif "potential risks" in task:
            answer = {"risks": [{**cited, "kind": "budget"}]}
        else:
            answer = {"goals": [cited]}
        await asyncio.sleep(delay_s)
        words = len(prompt) // 4
        return {
            "id": "x",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "mock",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": json.dumps(answer)},
                }
            ],
            "usage": {"prompt_tokens": words, "completion_tokens": 60, "total_tokens": words + 60},
        }

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
