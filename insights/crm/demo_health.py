"""The demo account's customer health: renewal dates on its companies, one score profile, and a
month of daily snapshots scored from the demo's own data as it stood on each day.

Scores are what the profile gives over the demo data (nothing is written by hand): Tailspin,
Globex and Northwind are Good; Contoso slid from Good to Neutral four days ago as deal 9002's score
fell from 72 to 55 (an alert for Ana, 101); Fabrikam is At risk (silent for 20 days, renewal in 25
days), so deal 9003 gets the ``company_at_risk`` risk.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

PROFILE_ID = "demo-health"
HISTORY_DAYS = 30
# company → renewal in days from the demo's day (a date property, as the CRM exports it)
RENEWALS = {"co-9": 20, "co-10": 75, "co-11": 25, "co-12": 200, "co-13": 120}
PROFILE: dict[str, Any] = {
    "name": "Customer health",
    "renewal_property": "renewal_date",
    "at_risk_below": 45,
    "good_from": 60,
    "drop_alert_points": 20,
    "criteria": [
        {
            "key": "recency",
            "kind": "days_since_last_activity",
            "weight": 3,
            "thresholds": [7, 14, 30],
            "points": [100, 70, 30, 0],
        },
        {
            "key": "meetings",
            "kind": "meetings_last_n_days",
            "weight": 2,
            "window_days": 30,
            "thresholds": [1, 3],
            "points": [0, 60, 100],
        },
        {
            "key": "deal_score",
            "kind": "deal_score_trend",
            "weight": 2,
            "window_days": 14,
            "thresholds": [-10, 0],
            "points": [0, 50, 100],
            "missing_points": 50,
        },
        {
            "key": "overdue_tasks",
            "kind": "overdue_high_priority_tasks",
            "weight": 1,
            "thresholds": [1],
            "points": [100, 0],
        },
        {"key": "open_deals", "kind": "open_deals", "weight": 1, "thresholds": [1], "points": [0, 100]},
        {
            "key": "renewal",
            "kind": "days_until_renewal",
            "weight": 1,
            "thresholds": [30, 90],
            "points": [20, 60, 100],
            "missing_points": 60,
        },
    ],
}


def renewals(doc: dict[str, Any], now: datetime) -> None:
    """Give the demo companies a ``renewal_date`` property (kept by the importer)."""
    for company in doc.get("companies", []):
        if (days := RENEWALS.get(company["id"])) is not None:
            company["properties"]["renewal_date"] = (now + timedelta(days=days)).date().isoformat()


async def seed_health(session: AsyncSession, now: datetime, account_id: str = "demo") -> None:
    """The demo profile (created or reset) and a month of daily recomputes ending at ``now``."""
    from insights.health.models import HealthProfile
    from insights.health.profiles import ProfileIn, ProfilePatch, create_profile, update_profile
    from insights.health.recompute import recompute

    body = ProfileIn.model_validate(PROFILE)
    row = await session.get(HealthProfile, (account_id, PROFILE_ID))
    if row is None:
        row = await create_profile(session, account_id, body, now - timedelta(days=HISTORY_DAYS))
        row.id = PROFILE_ID
        await session.flush()
    else:
        await update_profile(session, row, ProfilePatch.model_validate(PROFILE), now)
    for back in range(HISTORY_DAYS, -1, -1):
        await recompute(session, account_id, now - timedelta(days=back))


async def seed_database(database_url: str, now: datetime) -> None:
    """``insights demo``: seed the health of the demo account in the database at ``database_url``."""
    from insights.core.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await seed_health(session, now)
            await session.commit()
    finally:
        await engine.dispose()
