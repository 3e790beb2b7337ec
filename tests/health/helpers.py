"""A small account for the health tests: ORM rows inserted directly, a fixed clock.

Account "hp": REP (company scope ``owned``, team T1), MATE (same team, ``owned``), MANAGER
(``team`` over T0 ⊃ T1), OUTSIDER (team T2), ADMIN (super admin). One pipeline: appointment (0),
qualified (1) open; won (2), lost (3) closed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.crm import models as m
from insights.health.models import HealthProfile
from insights.health.profiles import ProfileIn, create_profile

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
P, REP, MATE, MANAGER, OUTSIDER, ADMIN = "hp", "u1", "u2", "u3", "u4", "u9"


def ago(days: float = 0, seconds: float = 0) -> datetime:
    return NOW - timedelta(days=days, seconds=seconds)


class World:
    def __init__(self, sm: async_sessionmaker[AsyncSession]) -> None:
        self.sm = sm
        self.pending: list[Any] = []
        self.n = 0

    def add(self, row: Any) -> Any:
        self.pending.append(row)
        return row

    async def save(self) -> None:
        async with self.sm() as s:
            s.add_all(self.pending)
            await s.commit()
        self.pending = []

    def company(self, cid: str, owner: str | None = REP, **props: str) -> m.Company:
        return self.add(m.Company(portal_id=P, id=cid, name=f"Co {cid}", owner_id=owner, properties=props))

    def contact(self, cid: str, company: str, owner: str | None = REP) -> None:
        self.add(m.Contact(portal_id=P, id=cid, owner_id=owner, email=f"{cid}@buyer.example"))
        self.add(m.ContactCompany(portal_id=P, contact_id=cid, company_id=company))

    def deal(
        self, did: str, company: str, stage: str = "appointment", owner: str | None = REP, **kw: Any
    ) -> m.Deal:
        self.add(m.DealCompany(portal_id=P, deal_id=did, company_id=company))
        return self.add(m.Deal(portal_id=P, id=did, name=f"Deal {did}", stage_id=stage, owner_id=owner, **kw))

    def score_point(self, did: str, days: float, value: float) -> None:
        self.add(
            m.DealPropertyHistory(
                portal_id=P, deal_id=did, property="hs_deal_score", timestamp=ago(days), value=str(value)
            )
        )

    def act(self, kind: str, on: str, when: datetime, owner: str | None = REP, **kw: Any) -> str:
        """An activity logged on ``on`` ("company:co1", "contact:c1", "deal:d1")."""
        self.n += 1
        aid = f"a{self.n}"
        self.add(m.Activity(portal_id=P, id=aid, type=kind, owner_id=owner, occurred_at=when, **kw))
        otype, oid = on.split(":")
        self.add(m.ActivityLink(portal_id=P, object_type=otype, object_id=oid, activity_id=aid))
        return aid

    async def profile(self, **body: Any) -> HealthProfile:
        async with self.sm() as s:
            row = await create_profile(s, P, ProfileIn.model_validate(body), NOW)
            await s.commit()
            return row


def crit(kind: str, thresholds: list[float], points: list[float], **kw: Any) -> dict[str, Any]:
    return {
        "key": kw.pop("key", kind),
        "kind": kind,
        "weight": kw.pop("weight", 1),
        "thresholds": thresholds,
        "points": points,
        **kw,
    }


def setup_rows() -> list[Any]:
    scopes_owned = dict.fromkeys(m.SCOPED_TYPES, "owned")
    scopes_team = dict.fromkeys(m.SCOPED_TYPES, "team")
    rows: list[Any] = [
        m.Account(id=P, name="HP"),
        m.PermissionSet(portal_id=P, id="owned", scopes=scopes_owned, unassigned=[]),
        m.PermissionSet(portal_id=P, id="team", scopes=scopes_team, unassigned=[]),
        m.Team(portal_id=P, id="T0", name="Sales", parent_id=None),
        m.Team(portal_id=P, id="T1", name="UK", parent_id="T0"),
        m.Team(portal_id=P, id="T2", name="US", parent_id=None),
        m.User(portal_id=P, id=REP, email="rep@acme.example", permission_set_id="owned"),
        m.User(portal_id=P, id=MATE, email="mate@acme.example", permission_set_id="owned"),
        m.User(portal_id=P, id=MANAGER, email="boss@acme.example", permission_set_id="team"),
        m.User(portal_id=P, id=OUTSIDER, email="out@acme.example", permission_set_id="team"),
        m.User(
            portal_id=P, id=ADMIN, email="admin@acme.example", permission_set_id="owned", super_admin=True
        ),
        m.TeamMembership(portal_id=P, team_id="T1", user_id=REP, is_primary=True),
        m.TeamMembership(portal_id=P, team_id="T1", user_id=MATE, is_primary=True),
        m.TeamMembership(portal_id=P, team_id="T0", user_id=MANAGER, is_primary=True),
        m.TeamMembership(portal_id=P, team_id="T2", user_id=OUTSIDER, is_primary=True),
        m.Pipeline(portal_id=P, id="default", label="Sales"),
    ]
    for i, (sid, closed, won) in enumerate(
        [
            ("appointment", False, False),
            ("qualified", False, False),
            ("won", True, True),
            ("lost", True, False),
        ]
    ):
        rows.append(
            m.PipelineStage(
                portal_id=P, pipeline_id="default", id=sid, display_order=i, is_closed=closed, is_won=won
            )
        )
    return rows
