"""The floor of the load benchmark: a bare FastAPI app answering the real server's cached bytes.

Same route, same body, same uvicorn settings, nothing else: no auth, no database, no cache. Started by
``bench_load`` as ``uvicorn --factory evals.perf.floor_app:create_floor`` with ``FLOOR_DATA`` naming a
JSON file ``{"<deal id> <bearer token>": "<the JSON body>"}`` written from the real server's answers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI, Request, Response


def create_floor() -> FastAPI:
    data = json.loads(Path(os.environ["FLOOR_DATA"]).read_text(encoding="utf-8"))
    bodies = {key: body.encode() for key, body in data.items()}  # the dict the floor answers from
    app = FastAPI()

    @app.get("/v1/deals/{deal_id}/insights")
    async def insight(deal_id: str, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        body = bodies.get(f"{deal_id} {token}")
        if body is None:
            return Response(status_code=404)
        return Response(body, media_type="application/json")

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app
