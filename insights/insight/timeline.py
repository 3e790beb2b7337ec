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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, and_, column, func, or_, select, table, union
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.permissions.readable import activity_readable
from insights.permissions.viewer import Viewer

Paths = Sequence[tuple[str, Sequence[str]]]  # (object type, ids) per kind of path
OPEN_TASK = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED")
COUNT_CAP = 1000  # activity_count counts up to here; beyond, the basis says "1,000+"

# The links as a plain table: the same columns and types without the mapped table's foreign key,
# which SQLAlchemy copies (with an event listener each) into every subquery column built on it; a
# timeline builds a dozen such subqueries per read, and that copying cost more than the queries.
link = table(
    m.ActivityLink.__tablename__, *(column(c.name, c.type) for c in m.ActivityLink.__table__.columns)
).c

# The link's copied columns under the activity's names, so the one readable predicate
# (``activity_readable``) compiles over the index instead of a second, hand-written one.
COPY = SimpleNamespace(
    portal_id=link.portal_id, archived=link.archived, type=link.activity_type, owner_id=link.owner_id
)


def _per_path(
    viewer: Viewer,
    paths: Paths,
    types: tuple[str, ...],
    where: Sequence[ColumnElement[bool]],
    *,
    newest_first: bool,
    n: int,
    live: ColumnElement[bool] | None = None,
) -> Any:
    """UNION of each path's first ``n`` candidates (activity id, time) in the order asked for.
    ``live`` is a condition on the activity row that the copy does not hold (a task's status)."""
    order = (
        (link.occurred_at.desc(), link.activity_id) if newest_first else (link.occurred_at, link.activity_id)
    )
    readable = activity_readable(viewer, types, table=COPY, probe_owner=False)  # one element, every path
    parts = []
    for kind, targets in paths:
        for target in targets:
            q = select(link.activity_id.label("aid"), link.occurred_at.label("t")).where(
                link.portal_id == viewer.portal_id,
                link.object_type == kind,
                link.object_id == target,
                readable,
                *where,
            )
            if live is not None:
                a = m.Activity
                q = q.join(a, and_(a.portal_id == link.portal_id, a.id == link.activity_id)).where(live)
            sub = q.order_by(*order).limit(n).subquery()
            parts.append(select(sub.c.aid, sub.c.t))
    return union(*parts).subquery("candidates") if parts else None


async def _rows(
    session: AsyncSession,
    viewer: Viewer,
    candidates: Any,
    types: tuple[str, ...],
    live: ColumnElement[bool],
    *,
    newest_first: bool,
    n: int,
) -> tuple[list[m.Activity], int]:
    """The first ``n`` candidates, read from the live activity table and checked there again, and
    how many candidates there were (counted in the same statement, before the cut)."""
    if candidates is None or n <= 0:
        return [], 0
    c = candidates
    order = (c.c.t.desc(), c.c.aid) if newest_first else (c.c.t, c.c.aid)
    total = func.count().over().label("total")
    chosen = select(c.c.aid, total).order_by(*order).limit(n).subquery("chosen")
    a = m.Activity
    live_order = (a.occurred_at.desc(), a.id) if newest_first else (a.occurred_at, a.id)
    stmt = (
        select(a, chosen.c.total)
        .join(chosen, and_(a.portal_id == viewer.portal_id, a.id == chosen.c.aid))
        .where(activity_readable(viewer, types), live)
        .order_by(*live_order)
    )
    got = (await session.execute(stmt)).all()
    return [r[0] for r in got], (int(got[0][1]) if got else 0)


@dataclass
class Timeline:
    rows: list[m.Activity]
    count: int  # visible past activities, exact up to ``cap``
    capped: bool  # there are at least ``cap`` (the count says "cap+")
    newest: datetime | None
    upcoming: list[m.Activity]
    tasks: list[m.Activity]


async def read_timeline(
    session: AsyncSession, viewer: Viewer, paths: Paths, now: datetime, limit: int
) -> Timeline:
    """The newest ``limit`` visible past activities, their count (up to ``COUNT_CAP``), the next 20
    visible meetings and the first 50 visible open tasks, over the given paths.

    The count is of the union of each path's newest ``cap`` visible links: that union holds ``cap``
    or more exactly when the whole timeline does, and the newest ``limit`` are among them. It is
    taken from the copy, which the triggers keep equal to the activities in the same statement
    (tests/crm/test_link_copy.py); every row shown is checked against the live activity."""
    a = m.Activity
    cap = max(COUNT_CAP, limit + 1)  # above the limit, so "truncated" stays exact
    candidates = _per_path(
        viewer, paths, m.TIMELINE_TYPES, [link.occurred_at <= now], newest_first=True, n=cap
    )
    first, count = await _rows(
        session,
        viewer,
        candidates,
        m.TIMELINE_TYPES,
        a.occurred_at <= now,
        newest_first=True,
        n=max(limit, 1),  # one row even at limit 0: the newest is the first of the list
    )
    newest = first[0].occurred_at if first else None
    upcoming, _ = await _rows(
        session,
        viewer,
        _per_path(viewer, paths, ("meeting",), [link.occurred_at > now], newest_first=False, n=20),
        ("meeting",),
        a.occurred_at > now,
        newest_first=False,
        n=20,
    )
    open_task = or_(a.task_status.is_(None), a.task_status.in_(OPEN_TASK))
    tasks, _ = await _rows(
        session,
        viewer,
        _per_path(viewer, paths, ("task",), [], newest_first=False, n=50, live=open_task),
        ("task",),
        open_task,
        newest_first=False,
        n=50,
    )
    return Timeline(first[:limit], min(count, cap), count >= cap, newest, upcoming, tasks)
