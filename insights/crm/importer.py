"""Import of CRM v3 records: upsert by id, in chunks, one transaction, with a report.

Records stream in one at a time (see ``reader.py``) and are parsed whole or rejected with a reason
(``parse.py``). Accepted rows are buffered per table and written with bulk ``INSERT … ON CONFLICT``
statements, never one ORM object at a time. A record whose association target is not known yet is
held back and retried at the end of the batch, so references to later records resolve. The caller
owns the transaction: good records commit together; with ``atomic`` any rejection aborts the batch.

Every change bumps the version counters the insight cache keys on: the deal timeline counter of
each deal it reaches, and the account's permissions counter for users, teams and permission sets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Table, and_, bindparam, delete, func, select, text, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.crm.parse import RECORD_KEYS, ParsedRecord, RecordError, parse_bool, parse_record, parse_time

MAIN_TABLES: dict[str, type[m.Base]] = {
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
ORDER = ("company", "contact", "lead", "deal", "email", "call", "meeting", "note", "task")
MAX_REJECTIONS_LISTED = 1000


class Rejection(BaseModel):
    type: str
    id: str | None
    reason: str


class ImportReport(BaseModel):
    account_id: str | None = None
    created: dict[str, int] = Field(default_factory=dict)
    updated: dict[str, int] = Field(default_factory=dict)
    unchanged: dict[str, int] = Field(default_factory=dict)
    rejected: list[Rejection] = Field(default_factory=list)
    rejected_count: int = 0
    aborted: bool = False
    atomic: bool = False
    seconds: float = 0.0

    def total(self, kind: str) -> int:
        return sum((self.created if kind == "created" else self.updated).values())


class ImportAborted(Exception):
    """The batch cannot be imported at all (wrong account, no account, not the import format)."""


def _upsert(dialect: str, table: Table, rows: list[dict[str, Any]], *, update_cols: bool) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    pk = [c.name for c in table.primary_key.columns]
    if not update_cols:
        return stmt.on_conflict_do_nothing(index_elements=pk)
    cols = [k for k in rows[0] if k not in pk]
    return stmt.on_conflict_do_update(index_elements=pk, set_={c: stmt.excluded[c] for c in cols})


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
        self.dialect = session.bind.dialect.name
        self.portal_id = account_id
        self.report = ImportReport(account_id=account_id, atomic=atomic)
        self.progress = progress
        self.chunk = chunk
        self.seen = 0
        self.known: dict[str, set[str]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.links: dict[type[m.Base], list[dict[str, Any]]] = {}
        self.deferred: list[ParsedRecord] = []
        self.touched: dict[str, set[str]] = {"deal": set(), "contact": set(), "company": set()}
        self.shares: dict[str, set[tuple[str, str]]] = {}  # deal → its shares, as last given
        self.ready = False
        self.permissions_changed = False
        self.written: dict[str, tuple[int, int]] = {}  # table → (rows written, rows at last ANALYZE)
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
            self._reject(RECORD_KEYS.get(key, key), None if rid is None else str(rid), str(exc))

    def _reject(self, kind: str, rid: str | None, reason: str) -> None:
        self.report.rejected_count += 1
        if len(self.report.rejected) < MAX_REJECTIONS_LISTED:
            self.report.rejected.append(Rejection(type=kind, id=rid, reason=reason))

    def _count(self, kind: str, outcome: str) -> None:
        bucket = {"created": self.report.created, "updated": self.report.updated}.get(
            outcome, self.report.unchanged
        )
        bucket[kind] = bucket.get(kind, 0) + 1

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
        if not isinstance(record, dict) or not record.get("id"):
            raise ImportAborted("the 'account' object needs an id")
        aid = str(record["id"])
        if self.portal_id is not None and aid != self.portal_id:
            raise ImportAborted("the batch belongs to another account than the one importing it")
        self.portal_id = self.report.account_id = aid
        settings = record.get("settings") or {}
        account = await self.session.get(m.Account, aid)
        created = account is None
        if account is None:
            account = m.Account(id=aid, name="", settings_version=1, permissions_version=1)
            self.session.add(account)
        try:
            values = {
                k: parse_bool(settings[k], k)
                for k in ("customer_analysis_enabled", "hipaa_sensitive_data")
                if k in settings
            }
        except RecordError as exc:
            raise ImportAborted(f"account settings: {exc}") from None
        if "insight_language" in settings:
            values["insight_language"] = str(settings["insight_language"])[:16]
        if isinstance(settings.get("risk_thresholds"), dict):
            values["risk_thresholds"] = settings["risk_thresholds"]
        changed = any(getattr(account, k) != v for k, v in values.items()) or (
            account.name != str(record.get("name") or account.name or aid)
        )
        for k, v in values.items():
            setattr(account, k, v)
        account.name = str(record.get("name") or account.name or aid)
        if changed and not created:
            account.settings_version = (account.settings_version or 1) + 1
        await self.session.flush()
        self._count("account", "created" if created else "updated" if changed else "unchanged")

    # -- people and structure (small; written at once) -----------------------------------------
    async def _merge(self, kind: str, obj: m.Base, pk: tuple[str, ...] = ()) -> bool:
        """Upsert a small row; True when it was created or changed (then permissions may differ)."""
        existing = await self.session.get(type(obj), pk or (obj.portal_id, obj.id))
        cols = [c.key for c in type(obj).__mapper__.column_attrs]
        changed = existing is None or any(getattr(existing, c) != getattr(obj, c) for c in cols)
        if changed:
            await self.session.merge(obj)
            self.permissions_changed = True
        self._count(kind, "created" if existing is None else "updated" if changed else "unchanged")
        return changed

    async def _team(self, r: dict[str, Any]) -> None:
        if not isinstance(r, dict) or not r.get("id"):
            raise RecordError("missing id")
        parent = r.get("parentTeamId")
        await self._merge(
            "team",
            m.Team(
                portal_id=self.portal_id,
                id=str(r["id"]),
                name=str(r.get("name") or ""),
                parent_id=None if parent in (None, "") else str(parent),
            ),
        )

    async def _permission_set(self, r: dict[str, Any]) -> None:
        if not isinstance(r, dict) or not r.get("id"):
            raise RecordError("missing id")
        scopes = r.get("scopes") or {}
        bad = [t for t, s in scopes.items() if s not in ("all", "team", "owned", "none")]
        if not isinstance(scopes, dict) or bad:
            raise RecordError(f"unknown scope for {', '.join(map(str, bad)) or 'scopes'}")
        await self._merge(
            "permission_set",
            m.PermissionSet(
                portal_id=self.portal_id,
                id=str(r["id"]),
                name=str(r.get("name") or ""),
                scopes=dict(scopes),
                unassigned=list(r.get("unassigned") or []),
            ),
        )

    async def _owner(self, r: dict[str, Any]) -> None:
        if not isinstance(r, dict) or not r.get("id"):
            raise RecordError("missing id")
        uid = str(r["id"])
        teams = r.get("teams") or []
        if not isinstance(teams, list) or any(not isinstance(t, dict) or not t.get("id") for t in teams):
            raise RecordError("teams must be a list of {id, primary}")
        await self._merge(
            "owner",
            m.User(
                portal_id=self.portal_id,
                id=uid,
                email=str(r.get("email") or "").lower(),
                first_name=str(r.get("firstName") or ""),
                last_name=str(r.get("lastName") or ""),
                super_admin=parse_bool(r.get("superAdmin", False), "superAdmin"),
                permission_set_id=r.get("permissionSetId"),
                scopes=r.get("scopes"),
                unassigned=r.get("unassigned"),
                time_zone=r.get("timeZone"),
                archived=parse_bool(r.get("archived", False), "archived"),
            ),
        )
        wanted = {str(t["id"]): parse_bool(t.get("primary", False), "primary") for t in teams}
        rows = (
            await self.session.execute(
                select(m.TeamMembership.team_id, m.TeamMembership.is_primary).where(
                    m.TeamMembership.portal_id == self.portal_id, m.TeamMembership.user_id == uid
                )
            )
        ).all()
        if dict(rows) == wanted:
            return
        self.permissions_changed = True
        await self.session.execute(
            delete(m.TeamMembership).where(
                m.TeamMembership.portal_id == self.portal_id, m.TeamMembership.user_id == uid
            )
        )
        self.session.add_all(
            m.TeamMembership(portal_id=self.portal_id, team_id=t, user_id=uid, is_primary=p)
            for t, p in wanted.items()
        )

    async def _pipeline(self, r: dict[str, Any]) -> None:
        if not isinstance(r, dict) or not r.get("id"):
            raise RecordError("missing id")
        pid = str(r["id"])
        stages = []
        for n, s in enumerate(r.get("stages") or []):
            meta = s.get("metadata") or {}
            closed = parse_bool(s.get("isClosed", meta.get("isClosed", False)), "isClosed")
            won = s.get("isWon", meta.get("isWon"))
            is_won = (
                parse_bool(won, "isWon")
                if won is not None
                else (closed and str(meta.get("probability", "")) in ("1", "1.0"))
            )
            stages.append(
                m.PipelineStage(
                    portal_id=self.portal_id,
                    pipeline_id=pid,
                    id=str(s["id"]),
                    label=str(s.get("label") or ""),
                    display_order=int(s.get("displayOrder", n)),
                    is_closed=closed,
                    is_won=is_won,
                )
            )
        label = str(r.get("label") or "")
        await self._merge("pipeline", m.Pipeline(portal_id=self.portal_id, id=pid, label=label))
        for stage in stages:
            await self._merge("pipeline_stage", stage, (stage.portal_id, stage.pipeline_id, stage.id))

    def _score_point(self, r: dict[str, Any]) -> None:
        if not isinstance(r, dict) or not r.get("dealId"):
            raise RecordError("missing dealId")
        ts = parse_time(r.get("timestamp"), "timestamp")
        if ts is None:
            raise RecordError("missing timestamp")
        self._link(
            m.DealPropertyHistory,
            deal_id=str(r["dealId"]),
            property="hs_deal_score",
            timestamp=ts,
            value=None if r.get("value") is None else str(r["value"]),
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

    def _link(self, table: type[m.Base], **row: Any) -> None:
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
        if t in ("email", "call", "meeting", "note", "task"):
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
        changed: set[str] = set()
        for kind in ORDER:  # parents before the rows that point at them
            rows = self.rows.pop(kind, [])
            if rows:
                ids = await self._write_main(kind, rows)
                if kind in self.touched:
                    self.touched[kind].update(ids)
                else:
                    changed.update(ids)
        await self._write_shares()
        for table, rows in list(self.links.items()):
            self.links.pop(table)
            new = await self._write_links(table, rows)
            if table is m.ActivityLink:  # a changed activity, or a new link, reaches its targets
                for r in rows:
                    if r["activity_id"] in changed and r["object_type"] in self.touched:
                        self.touched[r["object_type"]].add(r["object_id"])
                for r in new:
                    if r["object_type"] in self.touched:
                        self.touched[r["object_type"]].add(r["object_id"])
            elif table in (m.DealContact, m.DealCompany, m.DealPropertyHistory):
                self.touched["deal"].update(r["deal_id"] for r in new)

    async def _write_main(self, kind: str, rows: list[dict[str, Any]]) -> set[str]:
        """Upsert rows; only created or changed rows are written. Returns their ids."""
        model = MAIN_TABLES[kind]
        table: Table = model.__table__  # type: ignore[assignment]
        last: dict[str, dict[str, Any]] = {}
        for row in rows:  # the same id twice in one chunk: the last one wins
            last[row["id"]] = row
        cols = [table.c[c] for c in rows[0]] + ([table.c.next_step_changed_at] if kind == "deal" else [])
        existing = {
            r.id: r._mapping
            for r in (
                await self.session.execute(
                    select(*set(cols)).where(table.c.portal_id == self.portal_id, table.c.id.in_(list(last)))
                )
            ).all()
        }
        write = []
        for rid, row in last.items():
            old = existing.get(rid)
            if kind == "deal" and old is not None and row["next_step_changed_at"] is None:
                # no history given: the next step "changed" when its value differs from the stored one
                row["next_step_changed_at"] = (
                    (row.get("updated_at") or datetime.now(UTC))
                    if (old["next_step"] != row["next_step"])
                    else old["next_step_changed_at"]
                )
            if old is None:
                self._count(kind, "created")
            elif any(_same(old[c], v) is False for c, v in row.items()):
                self._count(kind, "updated")
            else:
                self._count(kind, "unchanged")
                continue
            write.append(row)
        size = max(1, 30000 // len(rows[0]))  # stay under the drivers' bind-parameter limits
        for i in range(0, len(write), size):
            part = write[i : i + size]
            await self.session.execute(_upsert(self.dialect, table, part, update_cols=True), part)
        await self._keep_statistics(table.name, len(write))
        return {r["id"] for r in write}

    async def _keep_statistics(self, table: str, n: int) -> None:
        """Tables grow inside this one transaction while PostgreSQL's statistics still say "empty";
        its planner then scans the whole table for each chunk's existing ids and the import turns
        quadratic. ANALYZE (which sees our own uncommitted rows) each time a table has doubled."""
        if self.dialect != "postgresql" or n == 0:
            return
        written, analyzed = self.written.get(table, (0, 0))
        written += n
        if written >= max(5000, 2 * analyzed):
            await self.session.execute(text(f'ANALYZE "{table}"'))
            analyzed = written
        self.written[table] = (written, analyzed)

    async def _write_shares(self) -> None:
        """A deal's shares are what its latest record says; rewritten only when they differ."""
        if not self.shares:
            return
        deals, self.shares = self.shares, {}
        ids = sorted(deals)
        current: dict[str, set[tuple[str, str]]] = {d: set() for d in ids}
        for i in range(0, len(ids), 500):
            for r in (
                await self.session.execute(
                    select(m.DealShare).where(
                        m.DealShare.portal_id == self.portal_id, m.DealShare.deal_id.in_(ids[i : i + 500])
                    )
                )
            ).scalars():
                current[r.deal_id].add((r.principal_type, r.principal_id))
        differ = [d for d in ids if current[d] != deals[d]]
        for i in range(0, len(differ), 500):
            await self.session.execute(
                delete(m.DealShare).where(
                    m.DealShare.portal_id == self.portal_id, m.DealShare.deal_id.in_(differ[i : i + 500])
                )
            )
        self.session.add_all(
            m.DealShare(portal_id=self.portal_id, deal_id=d, principal_type=t, principal_id=p)
            for d in differ
            for t, p in deals[d]
        )
        self.touched["deal"].update(differ)
        await self.session.flush()

    async def _write_links(self, model: type[m.Base], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert association/history rows that are not there yet; returns the new ones."""
        table: Table = model.__table__  # type: ignore[assignment]
        pk = [c.name for c in table.primary_key.columns]
        uniq = list({tuple(_norm(r[c]) for c in pk): r for r in rows}.values())
        size = max(1, 30000 // len(table.columns))
        new: list[dict[str, Any]] = []
        for i in range(0, len(uniq), size):
            part = uniq[i : i + size]
            stmt = _upsert(self.dialect, table, part, update_cols=False).returning(*table.primary_key.columns)
            new.extend(dict(r._mapping) for r in await self.session.execute(stmt, part))
        return new

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
        p = self.portal_id
        if self.permissions_changed:
            await self.session.execute(
                update(m.Account)
                .where(m.Account.id == p)
                .values(permissions_version=m.Account.permissions_version + 1)
            )
        deals = set(self.touched["deal"])
        for kind, link, col in (
            ("contact", m.DealContact, m.DealContact.contact_id),
            ("company", m.DealCompany, m.DealCompany.company_id),
        ):
            ids = sorted(self.touched[kind])
            for i in range(0, len(ids), 1000):
                deals.update(
                    await self.session.scalars(
                        select(link.deal_id).where(link.portal_id == p, col.in_(ids[i : i + 1000]))
                    )
                )
        ordered = sorted(deals)
        for i in range(0, len(ordered), 500):
            ids = ordered[i : i + 500]
            newest = dict((await self.session.execute(_newest_activity(p, ids))).all())
            rows = [{"d": d, "at": newest.get(d)} for d in ids]
            deals_t = m.Deal.__table__  # Core: an executemany UPDATE, not the ORM's per-object path
            await self.session.execute(
                update(deals_t)
                .where(deals_t.c.portal_id == p, deals_t.c.id == bindparam("d"))
                .values(timeline_version=deals_t.c.timeline_version + 1, last_activity_at=bindparam("at")),
                rows,
            )


def _norm(v: Any) -> Any:
    """Compare datetimes as UTC wall time: SQLite hands them back naive."""
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    return v


def _same(a: Any, b: Any) -> bool:
    return _norm(a) == _norm(b)


def _newest_activity(portal_id: str, deal_ids: list[str]) -> Any:
    """(deal, newest past activity reaching it directly or via a contact/company): one aggregate."""
    a, link = m.Activity, m.ActivityLink
    live = and_(
        a.portal_id == link.portal_id,
        a.id == link.activity_id,
        a.archived.is_(False),
        a.type.in_(m.TIMELINE_TYPES),
        a.occurred_at <= datetime.now(UTC),
    )
    direct = (
        select(link.object_id.label("deal_id"), a.occurred_at)
        .join(a, live)
        .where(link.portal_id == portal_id, link.object_type == "deal", link.object_id.in_(deal_ids))
    )
    via = [
        select(assoc.deal_id, a.occurred_at)
        .join(link, and_(link.portal_id == assoc.portal_id, link.object_type == kind, link.object_id == col))
        .join(a, live)
        .where(assoc.portal_id == portal_id, assoc.deal_id.in_(deal_ids))
        for assoc, kind, col in (
            (m.DealContact, "contact", m.DealContact.contact_id),
            (m.DealCompany, "company", m.DealCompany.company_id),
        )
    ]
    timeline = union_all(direct, *via).subquery()
    return select(timeline.c.deal_id, func.max(timeline.c.occurred_at)).group_by(timeline.c.deal_id)


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
