"""Which stored references (records and activities an action names) a viewer may read now: shared by
the listing (what is shown) and the runner (an action whose records are hidden expires)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.permissions.readable import RECORDS, activity_readable, record_readable
from insights.permissions.viewer import Viewer

CHUNK = 500
ACTIVITY_REFS = frozenset(m.ACTIVITY_TYPES) | {"activity"}
Ref = tuple[str, str]


def ref(kind: str, rid: str) -> Ref:
    """A (type, id) reference, activities of any type as ("activity", id)."""
    return ("activity" if kind in ACTIVITY_REFS else kind, rid)


async def readable_refs(session: AsyncSession, viewer: Viewer, refs: set[Ref]) -> set[Ref]:
    """Which (type, id) references the viewer may read now: one query per record type and one for
    activities (each by its own type's scope), through the readable predicates (tenancy, archival,
    owner, sharing). Activity references are returned as ("activity", id)."""
    wanted: dict[str, set[str]] = {}
    for kind, rid in refs:
        wanted.setdefault(ref(kind, rid)[0], set()).add(rid)
    out: set[Ref] = set()
    for kind, ids in wanted.items():
        if kind == "activity":
            table, readable_now = m.Activity, activity_readable(viewer)
        elif kind in RECORDS:
            table, readable_now = RECORDS[kind], record_readable(viewer, kind)
        else:
            continue  # an unknown kind is never readable
        ordered = sorted(ids)
        for i in range(0, len(ordered), CHUNK):
            rows = await session.scalars(
                select(table.id).where(table.id.in_(ordered[i : i + CHUNK]), readable_now)
            )
            out |= {(kind, rid) for rid in rows}
    return out
