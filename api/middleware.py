"""One pure ASGI middleware: the request-body cap and the request metrics.

Pure ASGI (not ``BaseHTTPMiddleware``): no extra task and no response buffering per request, and
the body can be counted as it streams in, so a chunked upload with no Content-Length is capped too.
"""

from __future__ import annotations

import time

from prometheus_client import Counter as CounterChild
from prometheus_client import Histogram as HistogramChild
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTooLarge, problem
from insights.core import metrics


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # the labelled children, looked up once: ``labels()`` takes a lock and builds a key per call
        self._children: dict[tuple[str, str, str], tuple[CounterChild, HistogramChild]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the outermost error handler answers when the app raises
        limit = self.max_body_bytes
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException: FastAPI re-raises it from body parsing, the handler renders 413.
                    raise BodyTooLarge()
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if _declared_length(scope) > limit:
                response = problem(413, BodyTooLarge.detail)
                await response(scope, receive, recording_send)
            else:
                await self.app(scope, capped_receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            key = (scope["method"], route, str(status))
            if (children := self._children.get(key)) is None:
                children = metrics.REQUESTS.labels(*key), metrics.LATENCY.labels(route)
                if len(self._children) < 10_000:  # methods come from clients: keep the memo bounded
                    self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
