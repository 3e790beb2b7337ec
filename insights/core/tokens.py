"""Signed bearer tokens (JWT, HS256): ``sub`` = user id, ``portal`` = account id, ``exp``."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from insights.core.config import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: str | None
    portal_id: str
    scope: str | None = None  # "import" for integration tokens


class InvalidToken(Exception):
    """The token is missing, malformed, expired or signed with another key."""


def mint_token(
    settings: Settings,
    user_id: str | None,
    portal_id: str,
    *,
    ttl_s: int | None = None,
    scope: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "portal": portal_id,
        "iat": now,
        "exp": now + (ttl_s or settings.token_ttl_s),
    }
    if user_id is not None:
        claims["sub"] = user_id
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, settings.token_key, algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, settings.token_key, algorithms=[ALGORITHM], options={"require": ["exp", "portal"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    portal = claims.get("portal")
    sub = claims.get("sub")
    if not isinstance(portal, str) or (sub is not None and not isinstance(sub, str)):
        raise InvalidToken("bad claims")
    if sub is None and claims.get("scope") != "import":
        raise InvalidToken("missing sub")
    return TokenClaims(user_id=sub, portal_id=portal, scope=claims.get("scope"))
