"""Bearer-token authentication: a valid token of an active user becomes a Viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.deps import SessionDep, SettingsDep
from insights.permissions import Viewer, load_viewer
from insights.tokens import InvalidToken, TokenClaims, verify_token

UNAUTHORIZED = HTTPException(
    status_code=401,
    detail="Missing or invalid bearer token.",
    headers={"WWW-Authenticate": "Bearer"},
)


def bearer_claims(request: Request, settings: SettingsDep) -> TokenClaims:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UNAUTHORIZED
    try:
        return verify_token(settings, token.strip())
    except InvalidToken:
        raise UNAUTHORIZED from None


ClaimsDep = Annotated[TokenClaims, Depends(bearer_claims)]


async def current_viewer(claims: ClaimsDep, session: SessionDep) -> Viewer:
    if claims.user_id is None:
        raise UNAUTHORIZED
    viewer = await load_viewer(session, claims.portal_id, claims.user_id)
    if viewer is None:
        raise UNAUTHORIZED
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
