"""The cached insight read as pure ASGI, ahead of FastAPI's routing and dependencies.

``GET /v1/deals/{deal_id}/insights`` with no query string and a ``Bearer`` token: when the token
verifies, a viewer was resolved for its user before (``ViewerCache.latest``) and ``HitPath`` finds
the insight cached under that viewer, confirmed by the account's permissions version read in the
same statement that checks the deal is readable, the stored bytes are sent exactly as the route
sends them. Anything else (a miss, a stale viewer, a bad or missing token, ``refresh``, another
path or method) goes on to the app untouched, which answers and refuses exactly as it always did:
this path can only give the answer the route would give on a hit, and never refuses anything.

Why: under wrk, FastAPI's route matching and dependency solving (bearer scheme, settings, claims,
service, query parameters) were a third of a hit's CPU, more than the hit's own work.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from insights.core.tokens import InvalidToken, TokenVerifier
from insights.insight.hit import HitPath
from insights.permissions.viewer import ViewerCache

PREFIX, SUFFIX = "/v1/deals/", "/insights"


@dataclass(frozen=True)
class _Route:
    path: str  # what the metrics middleware labels a request by (``scope["route"].path``)


ROUTE = _Route(PREFIX + "{deal_id}" + SUFFIX)


class CachedInsightFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (body := await self._hit(scope)) is not None:
            scope["route"] = ROUTE
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-length", str(len(body)).encode()),
                        (b"content-type", b"application/json"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    async def _hit(self, scope: Scope) -> bytes | None:
        path: str = scope["path"]
        if (
            scope["method"] != "GET"
            or scope.get("query_string")
            or scope.get("root_path")
            or not path.startswith(PREFIX)
            or not path.endswith(SUFFIX)
        ):
            return None
        deal_id = path[len(PREFIX) : -len(SUFFIX)]
        if not deal_id or "/" in deal_id or "\x00" in deal_id:  # a NUL: the route's 422, no query
            return None
        token = _bearer(scope)
        state = scope["app"].state  # the FastAPI app (Starlette sets it before any middleware)
        hits: HitPath | None = state.hits
        if token is None or hits is None:
            return None
        tokens: TokenVerifier = state.tokens
        try:
            claims = tokens.verify(token)
        except InvalidToken:
            return None  # the route answers 401
        viewers: ViewerCache = state.viewers
        guess = None if claims.user_id is None else viewers.latest(claims.portal_id, claims.user_id)
        if guess is None:
            return None
        body = await hits.cached_json(deal_id, guess)
        return None if body is None else body.encode()


def _bearer(scope: Scope) -> str | None:
    """The token of the first Authorization header when it is ``Bearer <token>`` (as FastAPI's
    HTTPBearer reads it, then stripped as ``bearer_claims`` strips it); None for anything else."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            if not value.startswith(b"Bearer "):
                return None
            token: str = value[7:].decode("latin-1").strip()
            return token or None
    return None
