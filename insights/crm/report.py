"""What an import reports: counts per kind and outcome, and each rejected record with its reason."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
    insights_purged: int = 0  # stored insights dropped because a source they cite was archived
    seconds: float = 0.0

    def count(self, kind: str, outcome: str) -> None:
        """One record of ``kind`` was created, updated or unchanged."""
        bucket = {"created": self.created, "updated": self.updated}.get(outcome, self.unchanged)
        bucket[kind] = bucket.get(kind, 0) + 1

    def reject(self, kind: str, rid: str | None, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTIONS_LISTED:
            shown = None if rid is None else _shown(rid)
            self.rejected.append(Rejection(type=_shown(kind), id=shown, reason=_shown(reason)))


class ImportAborted(Exception):
    """The batch cannot be imported at all (wrong account, no account, not the import format)."""


def _shown(s: str) -> str:
    """Rejected input as the report can carry it: lone surrogates escaped (JSON cannot hold them)."""
    return s[:200].encode("utf-8", "backslashreplace").decode("utf-8")
