"""DealContext: everything about one deal that one viewer may see, and nothing else.

Built only by ``insights.insight.retrieval.deal_context`` (which applies the permission filter in SQL);
everything downstream — rules, prompts, cache, evals — reads this object and never the store.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from insights.health.facts import CompanyHealth


class StageInfo(BaseModel):
    id: str | None
    label: str | None = None
    display_order: int | None = None
    is_closed: bool = False
    is_won: bool = False
    is_first: bool = False


class PropertyChange(BaseModel):
    property: str  # dealstage | closedate | amount | hs_deal_score | hs_next_step
    value: str | None
    timestamp: datetime


class DealInfo(BaseModel):
    id: str
    name: str
    pipeline_id: str
    stage: StageInfo
    amount: float | None = None
    close_date: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    next_step: str | None = None
    next_step_changed_at: datetime | None = None
    deal_score: float | None = None
    stage_entered_at: datetime | None = None


class ContactInfo(BaseModel):
    id: str
    name: str
    email: str | None = None
    job_title: str | None = None
    lifecycle_stage: str | None = None
    owner_id: str | None = None


class CompanyInfo(BaseModel):
    id: str
    name: str
    domain: str | None = None
    industry: str | None = None
    # the company's health under each active profile: its own figures, points per criterion only
    health: list[CompanyHealth] = Field(default_factory=list)


class ActivityItem(BaseModel):
    id: str
    type: str  # email | call | meeting | note | task
    occurred_at: datetime
    owner_id: str | None = None
    title: str | None = None
    body: str | None = None  # addresses of people the viewer may not see are already redacted
    # metadata the rules read (no free text)
    email_direction: str | None = None
    from_email: str | None = None
    to_emails: list[str] = Field(default_factory=list)
    call_status: str | None = None
    call_disposition: str | None = None
    call_duration_ms: int | None = None
    meeting_start: datetime | None = None
    meeting_end: datetime | None = None
    meeting_outcome: str | None = None
    task_status: str | None = None
    task_priority: str | None = None
    updated_at: datetime | None = None
    # how it reached the deal's timeline: "deal", "contact:<id>", "company:<id>"
    via: list[str] = Field(default_factory=list)


class DealContext(BaseModel):
    portal_id: str
    viewer_id: str
    now: datetime
    deal: DealInfo
    history: list[PropertyChange] = Field(default_factory=list)  # oldest first
    pipeline_stages: list[StageInfo] = Field(default_factory=list)  # the deal's pipeline, in order
    contacts: list[ContactInfo] = Field(default_factory=list)  # visible ones only
    companies: list[CompanyInfo] = Field(default_factory=list)  # visible ones only
    activities: list[ActivityItem] = Field(default_factory=list)  # ≤100, newest first
    upcoming_meetings: list[ActivityItem] = Field(default_factory=list)  # future, visible
    open_tasks: list[ActivityItem] = Field(default_factory=list)  # not completed, visible
    activity_count: int = 0  # visible timeline activities (may exceed len(activities)), up to 1,000
    activity_count_capped: bool = False  # there are at least activity_count ("1,000+")
    newest_activity_at: datetime | None = None
    truncated: bool = False  # more visible activities than the 100 kept
    fingerprint: str = ""  # hash of exactly what is visible (ids + update times)

    def activity_ids(self) -> set[str]:
        return {a.id for a in self.activities}

    def recent(self, n: int = 5) -> list[ActivityItem]:
        return self.activities[:n]
