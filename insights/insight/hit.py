"""The cached insight read without a session: the hit's one statement on the read-only door.

The same statement and the same checks as ``InsightService._keyed`` with ``confirm=True``: the
viewer guessed from the ``ViewerCache`` is trusted only when the account's permissions version read
now is the one it was resolved from, and the deal's timeline version is read through the viewer's
readable predicate (none: they may not see it). Anything but a hit under that key answers None, and
the caller takes the full path with a session (which resolves the viewer again, builds, or 404s):
this path only ever serves a hit, never decides a refusal.
"""

from __future__ import annotations

from insights.core import metrics
from insights.core.readonly import Prepared, ReadOnly, Unavailable, prepare
from insights.insight.service import STALE, InsightService, checked_versions
from insights.permissions.viewer import Viewer


class HitPath:
    def __init__(self, service: InsightService, reader: ReadOnly) -> None:
        self.service = service
        self.reader = reader
        self._prepared: dict[int, tuple[Viewer, Prepared | None]] = {}

    def prepared(self, viewer: Viewer) -> Prepared | None:
        """The viewer's versions statement as driver SQL, compiled once per resolved viewer (the
        ViewerCache hands out one object per user and permissions version)."""
        if (memo := self._prepared.get(id(viewer))) is not None and memo[0] is viewer:
            return memo[1]
        prepared = prepare(self.reader.dialect, self.service._versions_statement(viewer), ("deal_id",))
        if len(self._prepared) >= 10_000:
            self._prepared.clear()
        self._prepared[id(viewer)] = (viewer, prepared)  # holding the viewer keeps its id from being reused
        return prepared

    async def cached_json(self, deal_id: str, viewer: Viewer) -> str | None:
        """The stored JSON of the viewer's cached insight on the deal, or None: not cached, not
        readable, the viewer's permissions moved, or the read could not run here."""
        service = self.service
        deployment = service.known_deployment
        prepared = self.prepared(viewer)
        if deployment is None or prepared is None:  # the first request of a process reads it
            return None
        try:
            row = await self.reader.first(prepared, {"deal_id": deal_id})
        except Unavailable:
            return None
        checked = checked_versions(row, viewer, confirm=True)
        if checked is None or checked is STALE:  # the route resolves the viewer again, or refuses
            return None
        settings_version, timeline_version, _deal_name = checked
        day = service.clock().date().isoformat()
        key = service.cache_key(viewer, timeline_version, settings_version, deal_id, day, deployment)
        hit = await service.cache.get(key)
        if hit is not None:
            metrics.CACHE.labels("hit").inc()
        return hit
