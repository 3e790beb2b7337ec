"""Evaluate every rule for one user at a given ``now``: create, keep, expire. Idempotent.

An action is created when its rule's criteria all hold for a record and no action for the same
(user, rule, record, triggering event) was ever created; it expires as soon as any expiry condition
holds: the criteria no longer hold, it reached the rule's age limit, or a rule-specific condition.
Grouped rules keep one active action whose members leave one by one. Does not commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.guided_actions import rules_activities, rules_contacts, rules_deals, rules_leads
from insights.guided_actions.base import Candidate, Rule, User
from insights.guided_actions.models import GuidedAction

RULES: list[Rule] = sorted(
    rules_contacts.RULES + rules_leads.RULES + rules_activities.RULES + rules_deals.RULES,
    key=lambda r: r.number,
)


@dataclass
class EvalResult:
    created: list[GuidedAction] = field(default_factory=list)
    expired: list[GuidedAction] = field(default_factory=list)
    active: list[GuidedAction] = field(default_factory=list)


def category_of(rule: Rule, c: Candidate) -> str:
    if rule.category == "by_deal":
        return "closing" if c.open_deal else "prospecting"
    return rule.category


async def _associations(s: AsyncSession, portal: str, c: Candidate) -> tuple[list[str], list[str]]:
    """The primary object's contacts and companies, captured at creation."""
    if c.record_type == "contact":
        contacts = [c.record_id]
    elif c.record_type == "lead":
        contacts = [
            x
            for x in [
                await s.scalar(
                    select(m.Lead.contact_id).where(m.Lead.portal_id == portal, m.Lead.id == c.record_id)
                )
            ]
            if x
        ]
    elif c.record_type == "deal":
        contacts = list(
            await s.scalars(
                select(m.DealContact.contact_id).where(
                    m.DealContact.portal_id == portal, m.DealContact.deal_id == c.record_id
                )
            )
        )
        companies = list(
            await s.scalars(
                select(m.DealCompany.company_id).where(
                    m.DealCompany.portal_id == portal, m.DealCompany.deal_id == c.record_id
                )
            )
        )
        return sorted(contacts), sorted(companies)
    else:  # an activity, or a group of them
        ids = [x["id"] for x in c.members] or [c.record_id]
        links = (
            await s.execute(
                select(m.ActivityLink.object_type, m.ActivityLink.object_id).where(
                    m.ActivityLink.portal_id == portal, m.ActivityLink.activity_id.in_(ids)
                )
            )
        ).all()
        return (
            sorted({i for t, i in links if t == "contact"}),
            sorted({i for t, i in links if t == "company"}),
        )
    companies = (
        list(
            await s.scalars(
                select(m.ContactCompany.company_id).where(
                    m.ContactCompany.portal_id == portal, m.ContactCompany.contact_id.in_(contacts)
                )
            )
        )
        if contacts
        else []
    )
    return sorted(contacts), sorted(set(companies))


async def evaluate(session: AsyncSession, portal_id: str, user_id: str, now: datetime) -> EvalResult:
    row = await session.get(m.User, (portal_id, user_id))
    if row is None:
        raise LookupError("no such user")
    user = User(portal_id, user_id, row.email or "", row.time_zone)
    actions = (
        (
            await session.execute(
                select(GuidedAction).where(
                    GuidedAction.portal_id == portal_id, GuidedAction.user_id == user_id
                )
            )
        )
        .scalars()
        .all()
    )
    result = EvalResult()

    def expire(a: GuidedAction, reason: str) -> None:
        a.expired_at, a.expiry_reason = now, reason
        result.expired.append(a)

    async def create(rule: Rule, c: Candidate, trigger: str) -> None:
        contacts, companies = await _associations(session, portal_id, c)
        a = GuidedAction(
            portal_id=portal_id,
            id=uuid.uuid4().hex,
            user_id=user_id,
            rule=rule.key,
            rule_number=rule.number,
            title=rule.title,
            category=category_of(rule, c),
            record_type=c.record_type,
            record_id=c.record_id,
            trigger_key=trigger,
            why=c.why,
            records=c.members or [{"type": c.record_type, "id": c.record_id, "name": c.name}],
            contact_ids=contacts,
            company_ids=companies,
            created_at=now,
        )
        session.add(a)
        result.created.append(a)

    for rule in RULES:
        found = await rule.find(session, user, now)
        mine = [a for a in actions if a.rule == rule.key]
        active = [a for a in mine if a.expired_at is None]
        if rule.grouped:
            cand = found[0] if found else None
            for a in active:
                day_changed = rule.number == 13 and cand is not None and a.trigger_key != cand.trigger_key
                if cand is None or day_changed:
                    expire(a, "no member left" if cand is None else "a new day")
                else:
                    a.records, a.why = cand.members, cand.why  # members leave (or join) as criteria change
            if cand is not None and not [a for a in active if a.expired_at is None]:
                trigger = cand.trigger_key if rule.number == 13 else now.isoformat()
                if not any(a.trigger_key == trigger for a in mine):
                    await create(rule, cand, trigger)
        else:
            newest: dict[tuple[str, str], Candidate] = {}
            for c in found:  # one action per record at a time: its newest triggering event
                best = newest.get((c.record_type, c.record_id))
                if best is None or (c.at is not None and best.at is not None and c.at > best.at):
                    newest[(c.record_type, c.record_id)] = c
            holding = {(c.record_type, c.record_id, c.trigger_key): c for c in newest.values()}
            for a in active:
                if (a.record_type, a.record_id, a.trigger_key) not in holding:
                    expire(a, "criteria no longer met")
            ever = {(a.record_type, a.record_id, a.trigger_key) for a in mine}
            for key, c in holding.items():
                if c.creatable and key not in ever:  # dedup: one per (user, rule, record, event)
                    await create(rule, c, c.trigger_key)
        still = [a for a in active if a.expired_at is None]
        if rule.max_age_days is not None:
            for a in still:
                if now - a.created_at >= timedelta(days=rule.max_age_days):
                    expire(a, f"{rule.max_age_days:g} days old")
        if rule.extra_expiry is not None:
            still = [a for a in still if a.expired_at is None]
            if still:
                for action_id, reason in (await rule.extra_expiry(session, user, still, now)).items():
                    expire(next(a for a in still if a.id == action_id), reason)
    await session.flush()
    result.active = [a for a in list(actions) + result.created if a.expired_at is None]
    return result
