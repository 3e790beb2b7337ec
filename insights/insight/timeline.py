"""A deal's timeline as one viewer sees it, read path by path in index order.

A path is the deal itself or one of its visible contacts or companies. Each path is one range of
``ix_activity_links_timeline`` (the link with its activity's time, type, owner and archival, copied
by triggers: ``insights.crm.link_copy``), read in time order and filtered by the viewer's activity
scopes inside the index, so it stops after ``n`` visible ones however large the path is. The newest
``n`` over all paths are among the newest ``n`` of each path: the per-path candidates are merged,
de-duplicated, cut to ``n``, and only then joined to the live activity rows, which are checked again
(``activity_readable``) before anything is returned. The copy chooses and orders; it never shows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.crm.link_copy import as_activity
from insights.permissions.readable import activity_readable, identity, portal_of
from insights.permissions.viewer import Viewer

Paths = Sequence[tuple[str, Sequence[str]]]  # (object type, ids) per kind of path
SEP = "\x1f"  # between the paths of one activity (no CRM id holds a unit separator)
PAD = 4  # paths are passed in groups of this many (``read_timeline``)
COUNT_CAP = 1000  # activity_count counts up to here; beyond, the basis says "1,000+"
# the activity columns a timeline item is made of (``retrieval._item``, ``_known_addresses``)
SHOWN = (
    "id", "type", "occurred_at", "owner_id", "title", "body", "internal_notes", "email_direction",
    "from_email", "to_emails", "call_status", "call_disposition", "call_duration_ms", "meeting_start",
    "meeting_end", "meeting_outcome", "task_status", "task_priority", "updated_at",
)  # fmt: skip

# The links as a plain table: the same columns and types without the mapped table's foreign key,
# which SQLAlchemy copies (with an event listener each) into every subquery column built on it; a
# timeline builds a dozen such subqueries per read, and that copying cost more than the queries.
link = table(
    m.ActivityLink.__tablename__, *(column(c.name, c.type) for c in m.ActivityLink.__table__.columns)
).c

COPY = as_activity(link)  # the copy as the readable predicate reads an activity


def _path_reads(
    viewer: Viewer,
    paths: int,  # parameters path0_kind, path0_id … stand for the paths
    types: tuple[str, ...],
    where: Sequence[ColumnElement[bool]],
) -> list[Select[Any]]:
    """One read per path of its visible links (activity id, time, path), unordered and uncut."""
    readable = activity_readable(viewer, types, table=COPY, probe_owner=False, bound=True)  # every path
    return [
        select(
            link.activity_id.label("aid"),
            link.occurred_at.label("t"),
            link.object_type.label("kind"),
            link.object_id.label("oid"),
        ).where(
            link.portal_id == portal_of(viewer, bound=True),
            link.object_type == bindparam(f"path{i}_kind", type_=link.object_type.type),
            link.object_id == bindparam(f"path{i}_id", type_=link.object_id.type),
            readable,
            *where,
        )
        for i in range(paths)
    ]


def _first_of_each(reads: list[Select[Any]], *, newest_first: bool, n: int, dialect: str) -> Any:
    """UNION of each path's first ``n`` in time order (ties by id), or None without a path.

    On PostgreSQL each path takes its first ``n`` by time alone WITH TIES (every activity at the
    n-th's time too, a superset the final order cuts): that is the index's own order, so no plan
    sorts a path. Ordered by (time, id), the prepared statement's generic plan, which cannot
    estimate ``= ANY($n)``, sorted a busy path whole: 14,538 links for 100 (50 ms, not 2)."""
    t = link.occurred_at.desc() if newest_first else link.occurred_at
    parts = []
    for q in reads:
        path = (
            q.order_by(t).fetch(n, with_ties=True)
            if dialect == "postgresql"
            else q.order_by(t, link.activity_id).limit(n)
        ).subquery()
        parts.append(select(path.c.aid, path.c.t, path.c.kind, path.c.oid))
    return union(*parts).subquery("candidates") if parts else None


def _rows_statement(
    viewer: Viewer,
    candidates: Any,
    types: tuple[str, ...],
    live: ColumnElement[bool],
    *,
    newest_first: bool,
    n: int,
) -> Select[Any] | None:
    """The first ``n`` candidates, read from the live activity table and checked there again,
    each with the paths it came by. Those are all its visible paths: an activity among the first
    ``n`` of the whole timeline is among the first ``n`` of every path it is on."""
    if candidates is None:
        return None
    c = candidates
    order = (c.c.t.desc(), c.c.aid) if newest_first else (c.c.t, c.c.aid)
    # the paths ride along aggregated (joining the candidates back made SQLite build a Bloom
    # filter over every activity of the account)
    paths = func.aggregate_strings(c.c.kind + ":" + c.c.oid, SEP).label("paths")
    chosen = select(c.c.aid, paths).group_by(c.c.aid, c.c.t).order_by(*order).limit(n).subquery("chosen")
    a = m.Activity
    live_order = (a.occurred_at.desc(), a.id) if newest_first else (a.occurred_at, a.id)
    # plain rows of the activity's columns, not ORM entities: the timeline only reads them, and
    # identity-map bookkeeping for 170 rows was most of a busy deal's client time
    return (
        select(*(a.__table__.c[name] for name in SHOWN), chosen.c.paths)
        .join(chosen, and_(a.portal_id == portal_of(viewer, bound=True), a.id == chosen.c.aid))
        .where(activity_readable(viewer, types, bound=True), live)
        .order_by(*live_order)
    )


async def _rows(
    session: AsyncSession, stmt: Select[Any] | None, params: dict[str, Any], via: dict[str, list[str]]
) -> list[Row[Any]]:
    """The activity rows (columns by the activity's attribute names), and each one's paths in ``via``."""
    if stmt is None:
        return []
    rows = (await session.execute(stmt, params)).all()
    for row in rows:
        shown = {"deal" if p.startswith("deal:") else p for p in row.paths.split(SEP)}
        via[row.id] = sorted(shown, key=_path_order)
    return list(rows)


def _path_order(shown: str) -> tuple[str, str]:
    """By (object type, object id), as the links are keyed."""
    kind, _, oid = shown.partition(":")
    return (kind, oid)


def _count_statement(reads: list[Select[Any]], cap: int) -> Select[Any] | None:
    """Distinct activities over the paths, counted up to ``cap``: the union of each path's first
    ``cap``. A path holding ``cap`` or more puts at least ``cap`` into it; otherwise every path is
    whole and the count is exact."""
    if not reads:
        return None
    ids = [q.with_only_columns(link.activity_id).limit(cap).subquery() for q in reads]
    merged = union(*(select(sub.c.activity_id) for sub in ids)).subquery()
    return select(func.count()).select_from(select(merged.c.activity_id).limit(cap).subquery())


@dataclass
class Timeline:
    rows: list[Row[Any]]  # the activity's columns (``m.Activity`` attribute names) and ``paths``
    count: int  # visible past activities, exact up to ``cap``
    capped: bool  # there are at least ``cap`` (the count says "cap+")
    newest: datetime | None
    upcoming: list[Row[Any]]
    tasks: list[Row[Any]]
    via: dict[str, list[str]]  # activity id → its visible paths ("deal", "contact:ID", …), sorted


@dataclass(frozen=True)
class _Statements:
    rows: Select[Any] | None
    count: Select[Any] | None
    upcoming: Select[Any] | None
    tasks: Select[Any] | None


def _viewer_key(viewer: Viewer) -> tuple[Any, ...]:
    """Every field of the viewer, not only those ``activity_readable`` reads today: a predicate
    that starts reading another one can never be handed a statement built for a different viewer."""
    return tuple(
        tuple(sorted(v.items())) if isinstance(v, dict) else v
        for v in (getattr(viewer, f.name) for f in fields(viewer))
    )


# The statements are built for an anonymous viewer: the real viewer's scopes, no identity. Its
# tenancy, id and team are named parameters (``bound=True``), which each execution binds to its own
# viewer (``readable.identity``), so viewers with the same scopes share statements. The anonymous
# fields hold the unit separator, which no CRM id does: a predicate that read one instead of its
# parameter would match no row (tests/insight/test_timeline_statements.py checks none does).
def _anonymous(viewer: Viewer) -> Viewer:
    return replace(
        viewer,
        portal_id=SEP + "portal",
        user_id=SEP + "user",
        team_user_ids=frozenset({SEP + "team"}),
        team_ids=frozenset(),
        share_team_ids=frozenset(),
        permissions_version=0,
        time_zone=None,
        email="",
    )


_BUILT: OrderedDict[tuple[Any, ...], _Statements] = OrderedDict()
_BUILT_MAX = 512


def _statements(viewer: Viewer, shape: int, limit: int, dialect: str) -> _Statements:
    """The four statements for viewers with these scopes, this many paths and this limit, with the
    viewer's identity, the paths and the clock as bound parameters. Building them (a dozen
    subqueries per read) cost more than running them, so they are kept (the last ``_BUILT_MAX``);
    kept per viewer, they also filled the heap that Python's full garbage collections walk (136 ms
    pauses: the manager's p99 at 1M)."""
    viewer = _anonymous(viewer)
    key = (_viewer_key(viewer), shape, limit, dialect)
    if (built := _BUILT.get(key)) is not None:
        _BUILT.move_to_end(key)
        return built
    now = bindparam("now", type_=m.Activity.occurred_at.type)
    a = m.Activity
    cap = max(COUNT_CAP, limit + 1)  # above the limit, so "truncated" stays exact
    n = max(limit, 1)  # one row even at limit 0: the newest is the first of the list
    past = _path_reads(viewer, shape, m.TIMELINE_TYPES, [link.occurred_at <= now])
    meetings = _path_reads(viewer, shape, ("meeting",), [link.occurred_at > now])

    def is_open(status: Any) -> ColumnElement[bool]:
        return or_(status.is_(None), status.in_(m.OPEN_TASK_STATUSES))

    tasks = _path_reads(viewer, shape, ("task",), [is_open(link.task_status)])
    built = _Statements(
        rows=_rows_statement(
            viewer,
            _first_of_each(past, newest_first=True, n=n, dialect=dialect),
            m.TIMELINE_TYPES,
            a.occurred_at <= now,
            newest_first=True,
            n=n,
        ),
        count=_count_statement(past, cap),
        upcoming=_rows_statement(
            viewer,
            _first_of_each(meetings, newest_first=False, n=20, dialect=dialect),
            ("meeting",),
            a.occurred_at > now,
            newest_first=False,
            n=20,
        ),
        tasks=_rows_statement(
            viewer,
            _first_of_each(tasks, newest_first=False, n=50, dialect=dialect),
            ("task",),
            is_open(a.task_status),
            newest_first=False,
            n=50,
        ),
    )
    _BUILT[key] = built
    if len(_BUILT) > _BUILT_MAX:
        _BUILT.popitem(last=False)
    return built


async def read_timeline(
    session: AsyncSession, viewer: Viewer, paths: Paths, now: datetime, limit: int
) -> Timeline:
    """The newest ``limit`` visible past activities, their count (up to ``COUNT_CAP``), the next 20
    visible meetings and the first 50 visible open tasks, over the given paths.

    The count is taken from the copy, which the triggers keep equal to the activities in the same
    statement (tests/crm/test_link_copy.py); every row shown is checked against the live activity."""
    # the paths, padded to a multiple of PAD with a path no link has (no CRM id holds a unit
    # separator): few shapes, so the statements of a viewer's scopes are built once for most deals;
    # a pad's range of the index is empty, it adds no row, count or path
    flat = [(kind, target) for kind, targets in paths for target in targets]
    flat += [(SEP, SEP)] * (-len(flat) % PAD)
    built = _statements(viewer, len(flat), limit, session.get_bind().dialect.name)
    params: dict[str, Any] = {"now": now, **identity(viewer)}
    for i, (kind, target) in enumerate(flat):
        params[f"path{i}_kind"], params[f"path{i}_id"] = kind, target
    via: dict[str, list[str]] = {}
    first = await _rows(session, built.rows, params, via)
    count = 0
    if built.count is not None:
        count = min(
            int((await session.execute(built.count, params)).scalar() or 0), max(COUNT_CAP, limit + 1)
        )
    upcoming = await _rows(session, built.upcoming, params, via)
    tasks = await _rows(session, built.tasks, params, via)
    newest = first[0].occurred_at if first else None
    cap = max(COUNT_CAP, limit + 1)
    return Timeline(first[:limit], count, count >= cap, newest, upcoming, tasks, via)
