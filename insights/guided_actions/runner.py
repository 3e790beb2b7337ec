"""Evaluate every rule for one user at a given ``now``: create, keep, expire. Idempotent.

An action is created when its rule's criteria all hold for a record and no action for the same
(user, rule, record, triggering event) was ever created; it expires as soon as any of its own listed
expiry conditions holds: its criteria no longer hold (only the rules whose spec lists that), it
reached the rule's age limit, or a rule-specific condition (reassigned, closed, replied...).
Grouped rules keep one active action whose members leave one by one (``guided_action_members``).
Each rule costs a fixed number of queries whatever the number of records. Does not commit.

Everything is evaluated over the user's readable records (permissions.md rule 8): the rules'
queries carry the user's viewer, and an action one of whose records or triggering activity becomes
unreadable expires (rules expiring on their criteria no longer find it; the others are checked
through the readable predicates); the contacts and companies captured at creation are the readable
ones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.guided_actions import (
    rules_activities,
    rules_contacts,
    rules_deals,
    rules_leads,
    rules_next_steps,
)
from insights.guided_actions.base import AnySelect, Candidate, Column, Rule, User, can_read
from insights.guided_actions.models import GuidedAction, GuidedActionMember
from insights.guided_actions.visible import readable_refs, ref
from insights.permissions.viewer import Viewer, load_viewer

RULES: list[Rule] = sorted(
    rules_contacts.RULES
    + rules_leads.RULES
    + rules_activities.RULES
    + rules_deals.RULES
    + rules_next_steps.RULES,
    key=lambda r: r.number,
)
CHUNK = 500
ACTIVITY_KINDS = ("meeting", "call", "task", "email", "note")


@dataclass
class EvalResult:
    created: list[GuidedAction] = field(default_factory=list)
    expired: list[GuidedAction] = field(default_factory=list)
    active: list[GuidedAction] = field(default_factory=list)


def category_of(rule: Rule, c: Candidate) -> str:
    if rule.category == "by_deal":
        return "closing" if c.open_deal else "prospecting"
    return rule.category


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


Key = tuple[str, str]  # (record type, record id)
Found = dict[Key, set[str]]  # record → contact (or company) ids
Pairs = Callable[[list[str]], AnySelect]  # a chunk of key ids → (key id, other id) rows


async def _pairs(s: AsyncSession, stmt_for: Pairs, ids: Iterable[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for chunk in _chunks(ids):
        out.extend((a, b) for a, b in (await s.execute(stmt_for(chunk))).all())
    return out


def _primaries(c: Candidate) -> list[Key]:
    """The records an action is about: a grouped action's members, else its one record."""
    return [(r["type"], r["id"]) for r in c.members or [{"type": c.record_type, "id": c.record_id}]]


def _readable_pairs(u: User, key: Column, other: Column, kind: str, *where: ColumnElement[bool]) -> Pairs:
    """(key, other) rows where ``other`` is a contact or company id the user may read."""
    table = m.Contact if kind == "contact" else m.Company
    return lambda ch: (
        select(key, other)
        .join(table, and_(table.portal_id == u.portal_id, table.id == other))
        .where(key.in_(ch), can_read(u, kind), *where)
    )


async def _records_links(
    s: AsyncSession, u: User, by_type: dict[str, set[str]], contacts: Found, companies: Found
) -> None:
    """A lead's contact; a deal's contacts and companies."""
    portal, lead, dc, dco = u.portal_id, m.Lead, m.DealContact, m.DealCompany
    of_lead = _readable_pairs(u, lead.id, lead.contact_id, "contact", lead.portal_id == portal)
    for lid, cid in await _pairs(s, of_lead, by_type["lead"]):
        contacts[("lead", lid)].add(cid)
    of_deal = _readable_pairs(u, dc.deal_id, dc.contact_id, "contact", dc.portal_id == portal)
    for deal, cid in await _pairs(s, of_deal, by_type["deal"]):
        contacts[("deal", deal)].add(cid)
    deal_companies = _readable_pairs(u, dco.deal_id, dco.company_id, "company", dco.portal_id == portal)
    for deal, co in await _pairs(s, deal_companies, by_type["deal"]):
        companies[("deal", deal)].add(co)


async def _activities_links(
    s: AsyncSession, u: User, by_type: dict[str, set[str]], contacts: Found, companies: Found
) -> None:
    """The contacts and companies an activity is logged on."""
    kind_of = {i: k for k in ACTIVITY_KINDS for i in by_type[k]}
    link = m.ActivityLink
    for kind, into in (("contact", contacts), ("company", companies)):
        stmt = _readable_pairs(
            u, link.activity_id, link.object_id, kind, link.portal_id == u.portal_id, link.object_type == kind
        )
        for aid, oid in await _pairs(s, stmt, kind_of):
            into[(kind_of[aid], aid)].add(oid)


async def _contacts_companies(s: AsyncSession, u: User, contacts: Found) -> dict[str, set[str]]:
    """The companies of contacts' and leads' contacts (deals and activities carry their own)."""
    cc = m.ContactCompany
    wanted = {cid for (t, _), ids in contacts.items() if t in ("contact", "lead") for cid in ids}
    of_contact: dict[str, set[str]] = defaultdict(set)
    stmt = _readable_pairs(u, cc.contact_id, cc.company_id, "company", cc.portal_id == u.portal_id)
    for cid, co in await _pairs(s, stmt, wanted):
        of_contact[cid].add(co)
    return of_contact


async def associations(
    s: AsyncSession, u: User, cands: list[Candidate]
) -> dict[Key, tuple[list[str], list[str]]]:
    """The primary objects' readable contacts and companies, captured at creation: a few grouped
    queries for all new candidates of a rule. A lead's are its contact's; an activity's are its links'."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for c in cands:
        for kind, rid in _primaries(c):
            by_type[kind].add(rid)
    contacts: Found = defaultdict(set)
    companies: Found = defaultdict(set)
    for cid in by_type["contact"]:
        contacts[("contact", cid)].add(cid)
    await _records_links(s, u, by_type, contacts, companies)
    await _activities_links(s, u, by_type, contacts, companies)
    of_contact = await _contacts_companies(s, u, contacts)
    out = {}
    for c in cands:
        keys = _primaries(c)
        cs = {x for k in keys for x in contacts[k]}
        cos = {x for k in keys for x in companies[k]}
        cos |= {
            x for k in keys if k[0] in ("contact", "lead") for cid in contacts[k] for x in of_contact[cid]
        }
        out[(c.record_type, c.record_id)] = (sorted(cs), sorted(cos))
    return out


def _primary_entry(c: Candidate) -> dict[str, str]:
    """The primary record as stored, with the creation facts later expiry compares with: its owner
    then ("reassigned") and when the triggering event happened ("more than N days since")."""
    entry = {"type": c.record_type, "id": c.record_id, "name": c.name}
    if c.owner is not None:
        entry["owner"] = c.owner
    if c.at is not None:
        entry["at"] = c.at.isoformat()
    return entry


def _aged_out(rule: Rule, age: timedelta) -> bool:
    assert rule.max_age_days is not None
    limit = timedelta(days=rule.max_age_days)
    return age > limit or (rule.age_inclusive and age == limit)


class _Run:
    """One evaluation: the user's actions in memory, what changed, the members of grouped actions."""

    def __init__(self, s: AsyncSession, user: User, now: datetime) -> None:
        self.s, self.user, self.now = s, user, now
        self.result = EvalResult()
        self.active: list[GuidedAction] = []
        self.ever: set[tuple[str, str, str, str]] = set()
        self.members: dict[str, dict[tuple[str, str], GuidedActionMember]] = defaultdict(dict)

    async def load(self) -> None:
        u = self.user
        self.active = list(
            await self.s.scalars(
                select(GuidedAction).where(
                    GuidedAction.portal_id == u.portal_id,
                    GuidedAction.user_id == u.id,
                    GuidedAction.expired_at.is_(None),
                )
            )
        )
        # dedup keys of every action ever created (expired ones included): key columns only
        self.ever = {
            (rule, record_type, record_id, trigger)
            for rule, record_type, record_id, trigger in await self.s.execute(
                select(
                    GuidedAction.rule,
                    GuidedAction.record_type,
                    GuidedAction.record_id,
                    GuidedAction.trigger_key,
                ).where(GuidedAction.portal_id == u.portal_id, GuidedAction.user_id == u.id)
            )
        }
        grouped = [a.id for a in self.active if any(r.grouped and r.key == a.rule for r in RULES)]
        for chunk in _chunks(grouped):
            for mb in await self.s.scalars(
                select(GuidedActionMember).where(
                    GuidedActionMember.portal_id == u.portal_id, GuidedActionMember.action_id.in_(chunk)
                )
            ):
                self.members[mb.action_id][(mb.record_type, mb.record_id)] = mb

    def expire(self, a: GuidedAction, reason: str) -> None:
        a.expired_at, a.expiry_reason = self.now, reason
        for mb in self.members.get(a.id, {}).values():
            if mb.left_at is None:
                mb.left_at = self.now
        self.result.expired.append(a)

    async def create(self, rule: Rule, cands: list[tuple[Candidate, str]]) -> None:
        if not cands:
            return
        assoc = await associations(self.s, self.user, [c for c, _ in cands])
        for c, trigger in cands:
            contacts, companies = assoc[(c.record_type, c.record_id)]
            a = GuidedAction(
                portal_id=self.user.portal_id,
                id=uuid.uuid4().hex,
                user_id=self.user.id,
                rule=rule.key,
                rule_number=rule.number,
                title=rule.title,
                category=category_of(rule, c),
                record_type=c.record_type,
                record_id=c.record_id,
                trigger_key=trigger,
                why=c.why,
                records=c.members or [_primary_entry(c), *c.also],
                contact_ids=contacts,
                company_ids=companies,
                created_at=self.now,
                expired_at=None,
            )
            self.s.add(a)
            self.ever.add((rule.key, c.record_type, c.record_id, trigger))
            self.result.created.append(a)
            if rule.grouped:
                self.sync_members(a, c)

    def sync_members(self, a: GuidedAction, c: Candidate) -> None:
        """Members whose criteria stopped holding leave; records that now qualify join."""
        now_in = {(r["type"], r["id"]): r for r in c.members}
        known = self.members[a.id]
        for key, mb in known.items():
            if key not in now_in and mb.left_at is None:
                mb.left_at = self.now
        for key, r in now_in.items():
            member = known.get(key)
            if member is None:
                member = GuidedActionMember(
                    portal_id=a.portal_id,
                    action_id=a.id,
                    record_type=key[0],
                    record_id=key[1],
                    name=r.get("name", "")[:255],
                    joined_at=self.now,
                )
                self.s.add(member)
                known[key] = member
            member.left_at = None
        a.records, a.why = c.members, c.why

    async def grouped(self, rule: Rule, found: list[Candidate], active: list[GuidedAction]) -> None:
        cand = found[0] if found else None
        for a in active:
            next_period = rule.group_per_trigger and cand is not None and a.trigger_key != cand.trigger_key
            if cand is None or next_period:
                self.expire(a, "no member left" if cand is None else "a new day")
            else:
                self.sync_members(a, cand)
        if cand is not None and not [a for a in active if a.expired_at is None]:
            # one action per period (rule 13: per day), or a new group once the last one emptied
            trigger = cand.trigger_key if rule.group_per_trigger else self.group_trigger(rule, cand)
            if (rule.key, cand.record_type, cand.record_id, trigger) not in self.ever:
                await self.create(rule, [(cand, trigger)])

    def group_trigger(self, rule: Rule, cand: Candidate) -> str:
        """A new group's triggering event: its first member (by id) that no earlier group of the rule
        was started by. It depends on the data, not on the clock, so two evaluations racing on the
        same user compute the same key and the unique (user, rule, record, trigger) index keeps one."""
        used = {t for r, _, _, t in self.ever if r == rule.key}
        for member in sorted(f"{x['type']}:{x['id']}" for x in cand.members):
            if member not in used:
                return member
        return self.now.isoformat()  # every member started a group before: a new one, now

    async def single(self, rule: Rule, found: list[Candidate], active: list[GuidedAction]) -> None:
        newest: dict[tuple[str, str], Candidate] = {}
        for c in found:  # one action per record at a time: its newest triggering event
            best = newest.get((c.record_type, c.record_id))
            if best is None or (c.at is not None and best.at is not None and c.at > best.at):
                newest[(c.record_type, c.record_id)] = c
        holding = {(c.record_type, c.record_id, c.trigger_key): c for c in newest.values()}
        fresh = [
            c
            for key, c in holding.items()
            if c.creatable and (rule.key, *key) not in self.ever  # dedup: (user, rule, record, event)
        ]
        renewed = {(c.record_type, c.record_id) for c in fresh}
        # the same event now made for another kind of record: an action stored before the rule's
        # primary object changed (rule 10 was once made for the deal, now for the contact)
        moved = {(c.trigger_key, c.record_type) for c in fresh if c.trigger_key}
        for a in active:
            held = holding.get((a.record_type, a.record_id, a.trigger_key))
            if held is None and rule.criteria_expiry:
                self.expire(a, "criteria no longer met")
            elif (a.record_type, a.record_id) in renewed:
                self.expire(a, "replaced by a newer event")  # one action per record at a time
            elif any(t == a.trigger_key and kind != a.record_type for t, kind in moved):
                self.expire(a, "replaced by a newer event")
            elif held is not None and any(isinstance(x, str) for x in a.why or []):
                a.why = held.why  # stored before why sentences named their records: listings skip those
        await self.create(rule, [(c, c.trigger_key) for c in fresh])

    async def hidden(self, rule: Rule, actions: list[GuidedAction]) -> None:
        """Expire the actions one of whose records or triggering activity the user can no longer
        read (rules whose finder does not already drop them): nothing is kept on a hidden record."""
        refs = {a.id: {ref(r["type"], r["id"]) for r in a.records} for a in actions}
        if rule.activity_trigger:
            for a in actions:
                if a.trigger_key:
                    refs[a.id].add(("activity", a.trigger_key))
        visible = await readable_refs(self.s, self.user.viewer, set().union(*refs.values()))
        for a in actions:
            if not refs[a.id] <= visible:
                self.expire(a, "no longer visible")

    async def rule(self, rule: Rule) -> None:
        found = await rule.find(self.s, self.user, self.now)
        active = [a for a in self.active if a.rule == rule.key]
        await (self.grouped if rule.grouped else self.single)(rule, found, active)
        still = [a for a in active if a.expired_at is None]
        if not rule.criteria_expiry and still:
            await self.hidden(rule, still)
            still = [a for a in still if a.expired_at is None]
        if rule.max_age_days is not None:
            for a in still:
                if _aged_out(rule, self.now - a.created_at):
                    self.expire(a, f"{rule.max_age_days:g} days old")
            still = [a for a in still if a.expired_at is None]
        for condition in rule.expiry:
            if not still:
                break
            by_id = {a.id: a for a in still}
            for action_id, reason in (await condition(self.s, self.user, still, self.now)).items():
                self.expire(by_id[action_id], reason)
            still = [a for a in still if a.expired_at is None]


async def evaluate(
    session: AsyncSession, portal_id: str, user_id: str, now: datetime, viewer: Viewer | None = None
) -> EvalResult:
    """Bring the user's actions up to date at ``now``, over what they may read; the caller commits.
    ``viewer`` is the user's resolved viewer when the caller has it (else it is loaded)."""
    if viewer is None or (viewer.portal_id, viewer.user_id) != (portal_id, user_id):
        viewer = await load_viewer(session, portal_id, user_id)
    if viewer is None:
        raise LookupError("no such user")
    run = _Run(session, User.of(viewer), now)
    await run.load()
    for rule in RULES:
        await run.rule(rule)
    await session.flush()
    run.result.active = [a for a in run.active + run.result.created if a.expired_at is None]
    return run.result
