"""Bearer-token authentication: a valid token of an active user becomes a Viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.deps import SessionDep, SettingsDep
from api.errors import Unauthorized
from insights.permissions import Viewer
from insights.tokens import InvalidToken, TokenClaims, verify_token


def bearer_claims(request: Request, settings: SettingsDep) -> TokenClaims:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    try:
        return verify_token(settings, token.strip())
    except InvalidToken:
        raise Unauthorized() from None


ClaimsDep = Annotated[TokenClaims, Depends(bearer_claims)]


async def current_viewer(claims: ClaimsDep, session: SessionDep, request: Request) -> Viewer:
    if claims.user_id is None:
        raise Unauthorized()
    viewer = await request.app.state.viewers.get(session, claims.portal_id, claims.user_id)
    if viewer is None:
        raise Unauthorized()
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
