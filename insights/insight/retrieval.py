"""The permission-aware retriever: the DealContext one viewer may see, filtered in SQL.

Every read here starts from the viewer's readable statements (``permissions.readable``): the deal by its deal
scope or sharing; contacts and companies by their own scopes; activities by their type's scope AND
by a path to the deal (the deal itself or a visible contact or company). The last 100 are taken
after filtering, ordered by (time desc, id) so SQLite and PostgreSQL agree on ties, path by path in
index order (``insight.timeline``); the count stops at 1,000. Nothing is read unfiltered and
dropped in Python.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.health.facts import company_health
from insights.insight.context import (
    ActivityItem,
    CompanyInfo,
    ContactInfo,
    DealContext,
    DealInfo,
    PropertyChange,
    StageInfo,
)
from insights.insight.timeline import read_timeline
from insights.permissions.readable import deal_readable, record_readable
from insights.permissions.viewer import Viewer

TIMELINE_LIMIT = 100
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
REDACTED = "[hidden address]"


async def deal_context(
    session: AsyncSession,
    deal_id: str,
    viewer: Viewer,
    *,
    now: datetime | None = None,
    limit: int = TIMELINE_LIMIT,
) -> DealContext | None:
    """What ``viewer`` may see of the deal, or None when they may not see the deal (→ 404)."""
    now = now or datetime.now(UTC)
    p = viewer.portal_id
    u = m.User
    found = (
        await session.execute(
            select(m.Deal, u.first_name, u.last_name, u.id)
            .outerjoin(u, and_(u.portal_id == m.Deal.portal_id, u.id == m.Deal.owner_id))
            .where(m.Deal.id == deal_id, deal_readable(viewer))
        )
    ).first()
    if found is None:
        return None
    deal = found[0]

    stages = (
        (
            await session.execute(
                select(m.PipelineStage)
                .where(m.PipelineStage.portal_id == p, m.PipelineStage.pipeline_id == deal.pipeline_id)
                .order_by(m.PipelineStage.display_order, m.PipelineStage.id)
            )
        )
        .scalars()
        .all()
    )
    stage_infos = [
        StageInfo(
            id=s.id,
            label=s.label,
            display_order=s.display_order,
            is_closed=s.is_closed,
            is_won=s.is_won,
            is_first=(i == 0),
        )
        for i, s in enumerate(stages)
    ]
    stage = next((s for s in stage_infos if s.id == deal.stage_id), StageInfo(id=deal.stage_id))

    history = [
        PropertyChange(property=h.property, value=h.value, timestamp=h.timestamp)
        for h in (
            await session.execute(
                select(m.DealPropertyHistory)
                .where(m.DealPropertyHistory.portal_id == p, m.DealPropertyHistory.deal_id == deal_id)
                .order_by(m.DealPropertyHistory.timestamp, m.DealPropertyHistory.property)
            )
        ).scalars()
    ]

    contacts = await _associated(session, viewer, deal_id, "contact", m.Contact, m.DealContact.contact_id)
    companies = await _associated(session, viewer, deal_id, "company", m.Company, m.DealCompany.company_id)
    contact_ids = [c.id for c in contacts]
    company_ids = [c.id for c in companies]

    paths = [("deal", [deal_id]), ("contact", contact_ids), ("company", company_ids)]
    timeline = await read_timeline(session, viewer, paths, now, limit)
    rows, upcoming, tasks = timeline.rows, timeline.upcoming, timeline.tasks

    shown = list(rows) + list(upcoming) + list(tasks)
    via = timeline.via
    allowed = await _known_addresses(session, viewer, shown)
    owner_name = None
    if deal.owner_id and found[3] is not None:  # the owner's user row, read with the deal
        owner_name = f"{found[1]} {found[2]}".strip()

    items = [_item(r, via, allowed) for r in rows]
    # health of the companies the viewer may see (readable above): figures of each company
    health = await company_health(session, p, company_ids)
    ctx = DealContext(
        portal_id=p,
        viewer_id=viewer.user_id,
        now=now,
        deal=DealInfo(
            id=deal.id,
            name=deal.name,
            pipeline_id=deal.pipeline_id,
            stage=stage,
            amount=deal.amount,
            close_date=deal.close_date,
            created_at=deal.created_at,
            updated_at=deal.updated_at,
            owner_id=deal.owner_id,
            owner_name=owner_name,
            next_step=deal.next_step,
            next_step_changed_at=deal.next_step_changed_at,
            deal_score=deal.deal_score,
            stage_entered_at=deal.stage_entered_at,
        ),
        history=history,
        pipeline_stages=stage_infos,
        contacts=[
            ContactInfo(
                id=c.id,
                name=f"{c.first_name} {c.last_name}".strip() or (c.email or c.id),
                email=c.email,
                job_title=c.job_title,
                lifecycle_stage=c.lifecycle_stage,
                owner_id=c.owner_id,
            )
            for c in contacts
        ],
        companies=[
            CompanyInfo(
                id=c.id, name=c.name, domain=c.domain, industry=c.industry, health=health.get(c.id, [])
            )
            for c in companies
        ],
        activities=items,
        upcoming_meetings=[_item(r, via, allowed) for r in upcoming],
        open_tasks=[_item(r, via, allowed) for r in tasks],
        activity_count=timeline.count,
        activity_count_capped=timeline.capped,
        newest_activity_at=timeline.newest,
        truncated=timeline.count > len(items),
    )
    ctx.fingerprint = fingerprint(ctx)
    return ctx


async def _associated(
    session: AsyncSession, viewer: Viewer, deal_id: str, kind: str, record: Any, link_col: Any
) -> list[Any]:
    """The deal's contacts or companies that the viewer's scope for that type admits."""
    link = link_col.class_
    return list(
        (
            await session.execute(
                select(record)
                .join(link, and_(link.portal_id == record.portal_id, link_col == record.id))
                .where(link.portal_id == viewer.portal_id, link.deal_id == deal_id)
                .where(record_readable(viewer, kind))
                .order_by(record.id)
            )
        )
        .scalars()
        .all()
    )


async def _known_addresses(session: AsyncSession, viewer: Viewer, rows: list[Row[Any]]) -> set[str]:
    """Addresses that may stay in text: the account's users and contacts the viewer may view."""
    # one scan over all the texts, a newline apart (no address can span one: the pattern has none)
    texts = "\n".join(
        t for r in rows for t in (r.from_email, r.to_emails, r.title, r.body, r.internal_notes) if t
    )
    found = {e.lower() for e in EMAIL_RE.findall(texts)}
    if not found:
        return set()
    wanted = sorted(found)
    users = select(m.User.email).where(m.User.portal_id == viewer.portal_id, m.User.email.in_(wanted))
    contacts = select(m.Contact.email).where(
        m.Contact.portal_id == viewer.portal_id,
        m.Contact.email.in_(wanted),
        record_readable(viewer, "contact"),
    )
    return {e for e in await session.scalars(union(users, contacts)) if e}


def redact(text: str | None, allowed: set[str]) -> str | None:
    if not text:
        return text
    return EMAIL_RE.sub(lambda mt: mt.group(0) if mt.group(0).lower() in allowed else REDACTED, text)


def _item(r: Row[Any], via: dict[str, list[str]], allowed: set[str]) -> ActivityItem:
    body = r.body
    if r.type == "meeting" and r.internal_notes:
        body = f"{body or ''}\n\nInternal notes: {r.internal_notes}".strip()
    to = [a if a in allowed else REDACTED for a in (r.to_emails or "").split(";") if a]
    return ActivityItem(
        id=r.id,
        type=r.type,
        occurred_at=r.occurred_at,
        owner_id=r.owner_id,
        title=redact(r.title, allowed),
        body=redact(body, allowed),
        email_direction=r.email_direction,
        from_email=None if r.from_email is None else (r.from_email if r.from_email in allowed else REDACTED),
        to_emails=to,
        call_status=r.call_status,
        call_disposition=r.call_disposition,
        call_duration_ms=r.call_duration_ms,
        meeting_start=r.meeting_start,
        meeting_end=r.meeting_end,
        meeting_outcome=r.meeting_outcome,
        task_status=r.task_status,
        task_priority=r.task_priority,
        updated_at=r.updated_at,
        via=via.get(r.id, []),
    )


def fingerprint(ctx: DealContext) -> str:
    """Hash of exactly what this viewer may see, as they see it: every field of the context after
    filtering and redaction (the viewer and the clock aside). Two viewers share a stored insight
    only when these bytes are identical, so a redaction or a hidden record always tells them apart."""
    body = ctx.model_dump_json(exclude={"viewer_id", "now", "fingerprint"})
    return hashlib.sha256(body.encode()).hexdigest()[:32]
