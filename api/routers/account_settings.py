"""Account settings: super admins only. A change bumps the settings version (cache keys move on)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ViewerDep
from api.deps import SessionDep
from api.errors import Forbidden, NotFound
from insights.crm.models import Account
from insights.insight.ask import LANGUAGES
from insights.insight.risks import RiskThresholds

router = APIRouter(prefix="/v1", tags=["settings"])


class AccountSettings(BaseModel):
    customer_analysis_enabled: bool
    hipaa_sensitive_data: bool
    insight_language: str
    risk_thresholds: RiskThresholds


class SettingsPatch(BaseModel):
    customer_analysis_enabled: bool | None = None
    hipaa_sensitive_data: bool | None = None
    insight_language: str | None = Field(None, pattern="^(" + "|".join(LANGUAGES) + ")$")
    risk_thresholds: RiskThresholds | None = None


def _out(a: Account) -> AccountSettings:
    return AccountSettings(
        customer_analysis_enabled=a.customer_analysis_enabled,
        hipaa_sensitive_data=a.hipaa_sensitive_data,
        insight_language=a.insight_language,
        risk_thresholds=RiskThresholds.from_account(a.risk_thresholds),
    )


async def _account(viewer: ViewerDep, session: SessionDep) -> Account:
    if not viewer.super_admin:
        raise Forbidden("Only super admins may view or change account settings.")
    account = await session.get(Account, viewer.portal_id)
    if account is None:
        raise NotFound()
    return account


@router.get("/settings", response_model=AccountSettings)
async def get_settings(viewer: ViewerDep, session: SessionDep) -> AccountSettings:
    return _out(await _account(viewer, session))


@router.patch("/settings", response_model=AccountSettings)
async def patch_settings(body: SettingsPatch, viewer: ViewerDep, session: SessionDep) -> AccountSettings:
    account = await _account(viewer, session)
    changes: dict[str, Any] = body.model_dump(exclude_none=True)
    for key, value in changes.items():
        setattr(account, key, value)
    if changes:
        account.settings_version = (account.settings_version or 1) + 1
    await session.flush()
    return _out(account)
