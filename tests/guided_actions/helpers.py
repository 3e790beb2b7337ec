"""The one data builder for the guided-action tests: ORM rows inserted directly, a fixed clock.

``World`` (the ``w`` fixture in conftest.py) is an account "ga" with users ME (me@acme.example, UTC),
OTHER and ADMIN (super admin), one deal pipeline (appointmentscheduled → qualifiedtobuy →
closedwon/closedlost). Builders take times as days before NOW (negative = in the future) and return
the row; ``await w.save()`` commits, ``w.run()`` saves what is pending and evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.crm import models as m
from insights.guided_actions.models import GuidedAction, GuidedActionMember
from insights.guided_actions.runner import EvalResult, evaluate

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
P, ME, OTHER, ADMIN = "ga", "u1", "u2", "u9"
Row = TypeVar("Row")
Links = dict[str, list[str]]  # object type → ids an activity is logged on


def ago(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """A time relative to NOW (positive = in the past)."""
    return NOW - timedelta(days=days, hours=hours, minutes=minutes)


class World:
    def __init__(self, sm: async_sessionmaker[AsyncSession]) -> None:
        self.sm = sm
        self.pending: list[Any] = []

    def add(self, row: Row) -> Row:
        self.pending.append(row)
        return row

    async def save(self) -> None:
        async with self.sm() as s:
            s.add_all(self.pending)
            await s.commit()
        self.pending = []

    async def set(self, model: Any, rid: str, **values: Any) -> None:
        """Change a stored record (reassign, close, mark completed...)."""
        async with self.sm() as s:
            await s.execute(update(model).where(model.portal_id == P, model.id == rid).values(**values))
            await s.commit()

    async def delete_link(self, model: Any, **key: Any) -> None:
        async with self.sm() as s:
            row = (await s.execute(select(model).filter_by(portal_id=P, **key))).scalar_one()
            await s.delete(row)
            await s.commit()

    # -- records ------------------------------------------------------------------------------
    def contact(self, cid: str, owner: str | None = ME, email: str | None = None, **kw: Any) -> m.Contact:
        kw.setdefault("lifecycle_stage", "lead")
        return self.add(
            m.Contact(
                portal_id=P,
                id=cid,
                owner_id=owner,
                email=email or f"{cid}@buyer.example",
                first_name=cid.upper(),
                created_at=ago(30),
                **kw,
            )
        )

    def company(self, cid: str, target: bool = False, contacts: Iterable[str] = ()) -> m.Company:
        for c in contacts:
            self.add(m.ContactCompany(portal_id=P, contact_id=c, company_id=cid))
        return self.add(m.Company(portal_id=P, id=cid, name=f"Co {cid}", is_target_account=target))

    def lead(
        self,
        lid: str,
        owner: str | None = ME,
        stage: str = "new-stage-id",
        contact: str | None = None,
        **kw: Any,
    ) -> m.Lead:
        kw.setdefault("created_at", ago(20))
        kw.setdefault("stage_changed_at", kw["created_at"])
        return self.add(
            m.Lead(
                portal_id=P, id=lid, name=f"Lead {lid}", owner_id=owner, stage=stage, contact_id=contact, **kw
            )
        )

    def deal(
        self,
        did: str,
        owner: str | None = ME,
        stage: str = "qualifiedtobuy",
        created: float = 30,
        contacts: Iterable[str] = (),
        **kw: Any,
    ) -> m.Deal:
        for c in contacts:
            self.add(m.DealContact(portal_id=P, deal_id=did, contact_id=c))
        return self.add(
            m.Deal(
                portal_id=P,
                id=did,
                name=f"Deal {did}",
                owner_id=owner,
                pipeline_id="default",
                stage_id=stage,
                created_at=ago(created),
                **kw,
            )
        )

    def activity(self, aid: str, kind: str, when: datetime, on: Links, **kw: Any) -> m.Activity:
        kw.setdefault("owner_id", ME)
        kw.setdefault("created_at", when)
        kw.setdefault("title", f"{kind} {aid}")
        for otype, ids in on.items():
            for oid in ids:
                self.add(m.ActivityLink(portal_id=P, object_type=otype, object_id=oid, activity_id=aid))
        return self.add(m.Activity(portal_id=P, id=aid, type=kind, occurred_at=when, **kw))

    def email(
        self,
        aid: str,
        days: float,
        on: Links,
        incoming: bool = False,
        thread: str = "t1",
        to: str | None = None,
        **kw: Any,
    ) -> m.Activity:
        """Sent by ME by default; ``incoming`` = from the record to ``to`` (ME as primary recipient).
        ``to=""`` leaves the recipients empty."""
        if to is None:
            to = "me@acme.example" if incoming else "x@buyer.example"
        return self.activity(
            aid,
            "email",
            ago(days),
            on,
            email_direction="INCOMING_EMAIL" if incoming else "EMAIL",
            thread_id=thread,
            to_emails=to or None,  # "" stores no recipient, as the importer does for an empty property
            **kw,
        )

    def meeting(
        self, aid: str, start: datetime, minutes: float = 30, on: Links | None = None, **kw: Any
    ) -> m.Activity:
        return self.activity(
            aid,
            "meeting",
            start,
            on or {},
            meeting_start=start,
            meeting_end=start + timedelta(minutes=minutes),
            **kw,
        )

    def call(self, aid: str, start: datetime, on: Links | None = None, **kw: Any) -> m.Activity:
        kw.setdefault("call_status", "COMPLETED")
        return self.activity(aid, "call", start, on or {}, call_duration_ms=60_000, **kw)

    def task(self, aid: str, due: datetime, on: Links | None = None, **kw: Any) -> m.Activity:
        kw.setdefault("task_status", "NOT_STARTED")
        return self.activity(aid, "task", due, on or {}, **kw)

    # -- evaluation ---------------------------------------------------------------------------
    async def evaluate(self, now: datetime = NOW, user: str = ME) -> EvalResult:
        if self.pending:
            await self.save()
        async with self.sm() as s:
            result = await evaluate(s, P, user, now)
            await s.commit()
            return result

    async def run(self, now: datetime = NOW, user: str = ME) -> list[tuple[int, str]]:
        """Evaluate at ``now``; the user's active actions as sorted (rule number, record id)."""
        return sorted((a.rule_number, a.record_id) for a in (await self.evaluate(now, user)).active)

    async def actions(self, rule: int, user: str = ME) -> list[GuidedAction]:
        async with self.sm() as s:
            return list(
                await s.scalars(
                    select(GuidedAction)
                    .where(
                        GuidedAction.portal_id == P,
                        GuidedAction.user_id == user,
                        GuidedAction.rule_number == rule,
                    )
                    .order_by(GuidedAction.created_at)
                )
            )

    async def members(self, action_id: str) -> dict[str, datetime | None]:
        async with self.sm() as s:
            rows = await s.scalars(
                select(GuidedActionMember).where(
                    GuidedActionMember.portal_id == P, GuidedActionMember.action_id == action_id
                )
            )
            return {r.record_id: r.left_at for r in rows}


def of(rule: int, actions: list[tuple[int, str]]) -> list[str]:
    """The record ids of one rule's active actions."""
    return [rid for n, rid in actions if n == rule]
