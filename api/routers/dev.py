"""Development helpers for the reference widget: demo users and tokens, unauthenticated.

Mounted only by ``insights demo`` (``DemoSettings.dev_endpoints``): no environment variable turns
them on, so a deployment that sets nothing never hands out tokens."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.errors import NotFound
from insights.core.tokens import mint_token
from insights.crm.models import User

router = APIRouter(prefix="/widget", include_in_schema=False)


@router.get("/dev-users")
async def dev_users(session: SessionDep, account: str = "demo") -> dict[str, list[dict[str, str]]]:
    rows = (
        (
            await session.execute(
                select(User).where(User.portal_id == account, User.archived.is_(False)).order_by(User.id)
            )
        )
        .scalars()
        .all()
    )
    return {"users": [{"id": u.id, "name": f"{u.first_name} {u.last_name}".strip()} for u in rows]}


@router.get("/dev-token")
async def dev_token(
    session: SessionDep, settings: SettingsDep, user: str, account: str = "demo"
) -> dict[str, str]:
    if await session.get(User, (account, user)) is None:
        raise NotFound()
    return {"token": mint_token(settings, user, account)}
