"""Bearer-token authentication: a valid token of an active user becomes a Viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SessionDep
from api.errors import Unauthorized
from insights.core.tokens import InvalidToken, TokenClaims, TokenVerifier
from insights.permissions import Viewer
from insights.permissions.viewer import ViewerCache

# Declares the bearer scheme in OpenAPI (generated clients send it); we answer the 401 ourselves.
bearer = HTTPBearer(auto_error=False, description="A signed token: `insights token USER_ID`.")


async def bearer_claims(  # async: an HMAC check is microseconds, a thread-pool hop is not
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> TokenClaims:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized()
    tokens: TokenVerifier = request.app.state.tokens  # app.state is untyped: set by create_app
    try:
        return tokens.verify(credentials.credentials.strip())
    except InvalidToken:
        raise Unauthorized() from None


ClaimsDep = Annotated[TokenClaims, Depends(bearer_claims)]


async def current_viewer(claims: ClaimsDep, session: SessionDep, request: Request) -> Viewer:
    if claims.user_id is None:
        raise Unauthorized()
    viewers: ViewerCache = request.app.state.viewers
    viewer = await viewers.get(session, claims.portal_id, claims.user_id)
    if viewer is None:
        raise Unauthorized()
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
