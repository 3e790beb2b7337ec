"""Import of CRM v3 records: upsert by id, in chunks, one transaction, with a report.

Records stream in one at a time (see ``reader.py``) and are parsed whole or rejected with a reason
(``parse.py``, ``parse_structure.py``). Accepted rows are buffered per table and written with bulk
``INSERT … ON CONFLICT`` statements, never one ORM object at a time. A record whose association
target is not known yet is held back and retried at the end of the batch, so references to later
records resolve. The caller owns the transaction: good records commit together; with ``atomic``
any rejection aborts the batch.

Every change bumps the version counters the insight cache keys on: the timeline counter of each
deal it reaches (``invalidate.py``: by the links and addresses already stored), and the account's
permissions counter for users, teams and permission sets. Stored insights that cite a source the
batch archived are purged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from sqlalchemy import and_, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from insights.core.db import Base
from insights.crm import models as m
from insights.crm.invalidate import activities_mentioning, bump_deals, deals_reached, link_targets
from insights.crm.parse import RECORD_KEYS, ParsedRecord, parse_record
from insights.crm.parse_structure import (
    parse_account,
    parse_owner,
    parse_permission_set,
    parse_pipeline,
    parse_score_point,
    parse_team,
)
from insights.crm.report import ImportAborted, ImportReport
from insights.crm.sql import same
from insights.crm.values import RecordError
from insights.crm.writer import ChunkWriter, Written
from insights.insight.store import purge_insights

MAIN_TABLES: dict[str, Any] = {  # kind → its model
    "company": m.Company,
    "contact": m.Contact,
    "lead": m.Lead,
    "deal": m.Deal,
    "email": m.Activity,
    "call": m.Activity,
    "meeting": m.Activity,
    "note": m.Activity,
    "task": m.Activity,
}
REFERABLE = ("company", "contact", "lead", "deal")  # association targets we check
ACTIVITY_KINDS = ("email", "call", "meeting", "note", "task")
ORDER = ("company", "contact", "lead", "deal", "email", "call", "meeting", "note", "task")
CONTACT_SEEN = ("email", "owner_id", "archived")  # what decides whether a viewer may keep its address


class Importer:
    """One batch into one account. Feed it with ``add``; ``finish`` writes the rest and reports."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        account_id: str | None = None,
        atomic: bool = False,
        progress: Callable[[int], None] | None = None,
        chunk: int = 1000,
    ) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.portal_id = account_id
        self.report = ImportReport(account_id=account_id, atomic=atomic)
        self.progress = progress
        self.chunk = chunk
        self.seen = 0
        self.known: dict[str, set[str]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.links: dict[type[Base], list[dict[str, Any]]] = {}
        self.deferred: list[ParsedRecord] = []
        self.touched: dict[str, set[str]] = {"deal": set(), "contact": set(), "company": set()}
        self.archived: dict[str, set[str]] = {k: set() for k in self.touched}  # reached by an archival
        self.relinked: set[str] = set()  # changed activities: their stored links reach their targets
        self.archived_activities: set[str] = set()
        self.addresses: set[str] = set()  # old and new addresses of written contacts
        self.shares: dict[str, set[tuple[str, str]]] = {}  # deal → its shares, as last given
        self.ready = False
        self.permissions_changed = False
        self.writer = ChunkWriter(session)
        self.started = time.perf_counter()

    # -- intake ------------------------------------------------------------------------------
    async def add(self, key: str, record: Any) -> None:
        self.seen += 1
        if self.progress and self.seen % 1000 == 0:
            self.progress(self.seen)
        if key == "account":
            await self._account(record)
            return
        await self._ensure_account()
        try:
            if key in RECORD_KEYS:
                await self._record(parse_record(RECORD_KEYS[key], record))
            elif key == "owners":
                await self._owner(record)
            elif key == "teams":
                await self._team(record)
            elif key == "permission_sets":
                await self._permission_set(record)
            elif key == "pipelines":
                await self._pipeline(record)
            elif key == "deal_score_history":
                self._score_point(record)
            else:
                raise RecordError(f"unknown object type {key!r}")
        except RecordError as exc:
            rid = record.get("id") if isinstance(record, dict) else None
            rid = str(rid) if isinstance(rid, str | int) else None
            self._reject(RECORD_KEYS.get(key, key), rid, str(exc))

    @property
    def _portal(self) -> str:
        assert self.portal_id is not None  # every write follows _ensure_account
        return self.portal_id

    def _reject(self, kind: str, rid: str | None, reason: str) -> None:
        self.report.reject(kind, rid, reason)

    def _count(self, kind: str, outcome: str) -> None:
        self.report.count(kind, outcome)

    async def _ensure_account(self) -> None:
        if self.portal_id is None:
            raise ImportAborted("the batch names no account: give one (--account) or an 'account' object")
        if not self.ready:
            self.ready = True
            if await self.session.get(m.Account, self.portal_id) is None:
                self.session.add(m.Account(id=self.portal_id, name=self.portal_id))
                await self.session.flush()
                self._count("account", "created")
            for kind in REFERABLE:
                table = MAIN_TABLES[kind]
                ids = await self.session.scalars(select(table.id).where(table.portal_id == self.portal_id))
                self.known[kind] = set(ids)

    async def _account(self, record: Any) -> None:
        try:
            parsed = parse_account(record)
        except RecordError as exc:
            raise ImportAborted(str(exc)) from None
        aid = parsed.id
        if self.portal_id is not None and aid != self.portal_id:
            raise ImportAborted("the batch belongs to another account than the one importing it")
        self.portal_id = self.report.account_id = aid
        account = await self.session.get(m.Account, aid)
        created = account is None
        if account is None:
            account = m.Account(id=aid, name="", settings_version=1, permissions_version=1)
            self.session.add(account)
        values = parsed.settings
        name = parsed.name or account.name or aid
        changed = any(getattr(account, k) != v for k, v in values.items()) or account.name != name
        for k, v in values.items():
            setattr(account, k, v)
        account.name = name
        if changed and not created:
            account.settings_version = (account.settings_version or 1) + 1
        await self.session.flush()
        self._count("account", "created" if created else "updated" if changed else "unchanged")

    # -- people and structure (small; written at once) -----------------------------------------
    async def _merge(self, kind: str, obj: Any, pk: tuple[str, ...] = ()) -> bool:
        """Upsert a small row; True when it was created or changed. Any change to these rows (a
        user's email included: users' addresses stay visible in text) moves the permissions version."""
        existing = await self.session.get(type(obj), pk or (obj.portal_id, obj.id))
        cols = [c.key for c in type(obj).__mapper__.column_attrs]
        changed = existing is None or any(getattr(existing, c) != getattr(obj, c) for c in cols)
        if changed:
            await self.session.merge(obj)
            self.permissions_changed = True
        self._count(kind, "created" if existing is None else "updated" if changed else "unchanged")
        return changed

    async def _team(self, r: Any) -> None:
        await self._merge("team", m.Team(portal_id=self.portal_id, **parse_team(r)))

    async def _permission_set(self, r: Any) -> None:
        await self._merge(
            "permission_set", m.PermissionSet(portal_id=self.portal_id, **parse_permission_set(r))
        )

    async def _owner(self, r: Any) -> None:
        owner = parse_owner(r)
        uid = owner.row["id"]
        await self._merge("owner", m.User(portal_id=self.portal_id, **owner.row))
        tm = m.TeamMembership
        mine = and_(tm.portal_id == self.portal_id, tm.user_id == uid)
        rows = (await self.session.execute(select(tm.team_id, tm.is_primary).where(mine))).all()
        if dict(rows) == owner.teams:
            return
        self.permissions_changed = True
        await self.session.execute(delete(tm).where(mine))
        self.session.add_all(
            tm(portal_id=self.portal_id, team_id=t, user_id=uid, is_primary=p) for t, p in owner.teams.items()
        )

    async def _pipeline(self, r: Any) -> None:
        pipeline = parse_pipeline(r)
        await self._merge("pipeline", m.Pipeline(portal_id=self.portal_id, **pipeline.row))
        for row in pipeline.stages:
            stage = m.PipelineStage(portal_id=self.portal_id, **row)
            await self._merge("pipeline_stage", stage, (stage.portal_id, stage.pipeline_id, stage.id))

    def _score_point(self, r: Any) -> None:
        point = parse_score_point(r)
        self._link(
            m.DealPropertyHistory,
            deal_id=point.deal_id,
            property="hs_deal_score",
            timestamp=point.timestamp,
            value=point.value,
        )

    # -- CRM records (many; buffered) ----------------------------------------------------------
    def _missing(self, rec: ParsedRecord) -> str | None:
        for kind, ids in rec.links.items():
            for target in ids:
                if kind in self.known and target not in self.known[kind]:
                    return f"unknown association target {kind} {target}"
        return None

    async def _record(self, rec: ParsedRecord) -> None:
        if self._missing(rec):
            self.deferred.append(rec)  # may resolve later in the batch
            return
        await self._accept(rec)

    def _link(self, table: type[Base], **row: Any) -> None:
        self.links.setdefault(table, []).append({"portal_id": self.portal_id, **row})

    async def _accept(self, rec: ParsedRecord) -> None:
        if rec.type in self.known:
            self.known[rec.type].add(rec.id)
        buf = self.rows.setdefault(rec.type, [])
        buf.append({"portal_id": self.portal_id, **rec.row})
        self._links_of(rec)
        if len(buf) >= self.chunk:
            await self._flush()

    def _links_of(self, rec: ParsedRecord) -> None:
        t, rid = rec.type, rec.id
        if t in ACTIVITY_KINDS:
            for kind, ids in rec.links.items():
                for target in ids:
                    self._link(m.ActivityLink, object_type=kind, object_id=target, activity_id=rid)
            return
        pairs = {
            ("deal", "contact"): (m.DealContact, "deal_id", "contact_id"),
            ("deal", "company"): (m.DealCompany, "deal_id", "company_id"),
            ("contact", "company"): (m.ContactCompany, "contact_id", "company_id"),
        }
        for kind, ids in rec.links.items():
            for target in ids:
                if (t, kind) in pairs:
                    table, a, b = pairs[(t, kind)]
                    self._link(table, **{a: rid, b: target})
                elif (kind, t) in pairs:
                    table, a, b = pairs[(kind, t)]
                    self._link(table, **{a: target, b: rid})
        for prop, ts, value in rec.history:
            self._link(m.DealPropertyHistory, deal_id=rid, property=prop, timestamp=ts, value=value)
        if t == "deal":
            self.shares[rid] = set(rec.shares)

    async def _flush(self) -> None:
        for kind in ORDER:  # parents before the rows that point at them
            rows = self.rows.pop(kind, [])
            if rows:
                count = partial(self._count, kind)
                self._wrote(kind, await self.writer.rows(self._portal, kind, MAIN_TABLES[kind], rows, count))
        if self.shares:
            deals, self.shares = self.shares, {}
            self.touched["deal"].update(await self.writer.shares(self._portal, deals))
        for table, rows in list(self.links.items()):
            self.links.pop(table)
            new = await self.writer.links(table, rows)
            if table is m.ActivityLink:  # a new link reaches its target
                for r in new:
                    if r["object_type"] in self.touched:
                        self.touched[r["object_type"]].add(r["object_id"])
            elif table in (m.DealContact, m.DealCompany, m.DealPropertyHistory):
                self.touched["deal"].update(r["deal_id"] for r in new)
        await self._reach()

    def _wrote(self, kind: str, written: Written) -> None:
        """Note what each created or changed row reaches (resolved by ``_reach``)."""
        for row, old in written:
            rid = row["id"]
            newly_archived = old is not None and row["archived"] and not old["archived"]
            if kind in self.touched:
                self.touched[kind].add(rid)
                if newly_archived:
                    self.archived[kind].add(rid)
            elif kind in ACTIVITY_KINDS and old is not None:  # a new one's links are all new links
                self.relinked.add(rid)
                if newly_archived:
                    self.archived_activities.add(rid)
            if kind == "contact" and (old is None or any(not same(old[c], row[c]) for c in CONTACT_SEEN)):
                # who may read this address changed: so may the redaction of every text holding it
                self.addresses.update(e for e in (row["email"], None if old is None else old["email"]) if e)

    async def _reach(self) -> None:
        """Changed activities, and those whose text holds a written contact's old or new address,
        reach every record they are linked to by the links already stored."""
        acts = self.relinked | await activities_mentioning(self.session, self._portal, self.addresses)
        for aid, kind, oid in await link_targets(self.session, self._portal, acts):
            if kind in self.touched:
                self.touched[kind].add(oid)
                if aid in self.archived_activities:
                    self.archived[kind].add(oid)
        self.relinked, self.archived_activities, self.addresses = set(), set(), set()

    # -- end of batch --------------------------------------------------------------------------
    async def finish(self) -> ImportReport:
        if self.portal_id is None:
            raise ImportAborted("the batch names no account: give one (--account) or an 'account' object")
        await self._ensure_account()
        progress = True
        while self.deferred and progress:  # retry held-back records until nothing more resolves
            pending, self.deferred = self.deferred, []
            pending.sort(key=lambda r: ORDER.index(r.type))
            for rec in pending:
                await self._record(rec)
            progress = len(self.deferred) < len(pending)
        for rec in self.deferred:
            self._reject(rec.type, rec.id, self._missing(rec) or "unresolved association")
        await self._flush()
        await self._bump_versions()
        if self.dialect == "sqlite" and self.seen > 10_000:
            # without statistics SQLite picks the wrong association indexes (guided actions: 5x slower)
            await self.session.execute(text("PRAGMA optimize"))
        self.report.aborted = self.report.atomic and self.report.rejected_count > 0
        self.report.seconds = round(time.perf_counter() - self.started, 3)
        return self.report

    async def _bump_versions(self) -> None:
        p = self._portal
        if self.permissions_changed:
            await self.session.execute(
                update(m.Account)
                .where(m.Account.id == p)
                .values(permissions_version=m.Account.permissions_version + 1)
            )
        await bump_deals(self.session, p, await deals_reached(self.session, p, self.touched))
        if any(self.archived.values()):  # sources gone: insights citing them are not kept for reuse
            deals = await deals_reached(self.session, p, self.archived)
            self.report.insights_purged = await purge_insights(self.session, p, deals)


async def import_records(
    session: AsyncSession,
    items: Iterable[tuple[str, Any]],
    *,
    account_id: str | None = None,
    atomic: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a stream of (type, record) pairs. Does not commit: the caller commits unless
    ``report.aborted`` (then it must roll back)."""
    importer = Importer(session, account_id=account_id, atomic=atomic, progress=progress)
    for key, record in items:
        await importer.add(key, record)
    return await importer.finish()
