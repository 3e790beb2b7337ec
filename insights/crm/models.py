"""The CRM store: what deal insights and guided actions need, with the CRM's own ids.

Every row belongs to one account (``portal_id``) and every key starts with it, so nothing can
cross accounts by accident. Ids are the CRM's strings. Relationships are not mapped: reads go
through explicit queries (the permission filter must be visible in every one of them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.link_copy import install_on_create

# Object types that carry a view scope (permissions.md).
RECORD_TYPES = ("deal", "contact", "company", "lead")
ACTIVITY_TYPES = ("email", "call", "meeting", "note", "task")
SCOPED_TYPES = RECORD_TYPES + ACTIVITY_TYPES
TIMELINE_TYPES = ("email", "call", "meeting", "note")
OPEN_TASK_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED")  # with NULL: an open task

Id = String(64)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    customer_analysis_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    hipaa_sensitive_data: Mapped[bool] = mapped_column(Boolean, default=False)
    insight_language: Mapped[str] = mapped_column(String(16), default="en")
    risk_thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Version counters: part of every cache key, bumped by any change they cover.
    settings_version: Mapped[int] = mapped_column(Integer, default=1)
    permissions_version: Mapped[int] = mapped_column(Integer, default=1)


class Team(Base):
    __tablename__ = "teams"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    parent_id: Mapped[str | None] = mapped_column(Id, nullable=True)


class PermissionSet(Base):
    __tablename__ = "permission_sets"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    # {"deal": "team", "email": "owned", ...}; a type not listed is "none".
    scopes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # types whose unowned records are also visible under "team"/"owned"
    unassigned: Mapped[list[str]] = mapped_column(JSON, default=list)


class User(Base):
    """A CRM owner/user. Its id is the JWT ``sub`` and what ``hubspot_owner_id`` points at."""

    __tablename__ = "users"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    super_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    permission_set_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    # user-level overrides, type by type, of the permission set's scopes / unassigned flags
    scopes: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    unassigned: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class TeamMembership(Base):
    __tablename__ = "team_memberships"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    team_id: Mapped[str] = mapped_column(Id, primary_key=True)
    user_id: Mapped[str] = mapped_column(Id, primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_team_memberships_user", "portal_id", "user_id"),)


class Pipeline(Base):
    __tablename__ = "pipelines"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    label: Mapped[str] = mapped_column(String(255), default="")


class PipelineStage(Base):
    __tablename__ = "pipeline_stages"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)


class Company(Base):
    __tablename__ = "companies"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    is_target_account: Mapped[bool] = mapped_column(Boolean, default=False)
    # the properties the columns above do not hold, as the CRM sent them (strings): a health
    # profile may name one, e.g. a renewal date
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_companies_owner", "portal_id", "owner_id"),)


class Contact(Base):
    __tablename__ = "contacts"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    job_title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lead_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_contacts_owner", "portal_id", "owner_id"),
        Index("ix_contacts_email", "portal_id", "email"),
    )


class ContactCompany(Base):
    __tablename__ = "contact_companies"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, primary_key=True)

    __table_args__ = (Index("ix_contact_companies_company", "portal_id", "company_id"),)


class Lead(Base):
    __tablename__ = "leads"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    # new-stage-id | attempting-stage-id | connected-stage-id | qualified-stage-id | unqualified-stage-id
    stage: Mapped[str] = mapped_column(String(64), default="new-stage-id")
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    contact_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_leads_owner", "portal_id", "owner_id"),
        Index("ix_leads_contact", "portal_id", "contact_id"),
    )


class Deal(Base):
    __tablename__ = "deals"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    pipeline_id: Mapped[str] = mapped_column(Id, default="default")
    stage_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    close_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    next_step: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_step_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deal_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # when the deal entered its current stage (from dealstage history, else created_at)
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # bumped by any change to the deal, its associations, or a linked activity/contact/company
    timeline_version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_deals_owner", "portal_id", "owner_id"),)


class DealShare(Base):
    """``hs_shared_user_ids`` / ``hs_shared_team_ids``: grants the deal only, never its timeline."""

    __tablename__ = "deal_shares"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    principal_type: Mapped[str] = mapped_column(String(8), primary_key=True)  # user | team
    principal_id: Mapped[str] = mapped_column(Id, primary_key=True)

    __table_args__ = (Index("ix_deal_shares_principal", "portal_id", "principal_type", "principal_id"),)


class DealPropertyHistory(Base):
    """History of dealstage, closedate, amount, hs_deal_score and hs_next_step (value + time)."""

    __tablename__ = "deal_property_history"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    property: Mapped[str] = mapped_column(String(64), primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class DealContact(Base):
    __tablename__ = "deal_contacts"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[str] = mapped_column(Id, primary_key=True)

    __table_args__ = (Index("ix_deal_contacts_contact", "portal_id", "contact_id"),)


class DealCompany(Base):
    __tablename__ = "deal_companies"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    company_id: Mapped[str] = mapped_column(Id, primary_key=True)

    __table_args__ = (Index("ix_deal_companies_company", "portal_id", "company_id"),)


class Activity(Base):
    """Emails, calls, meetings, notes and tasks in one table: one timeline query, one index."""

    __tablename__ = "activities"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    type: Mapped[str] = mapped_column(String(8))  # email | call | meeting | note | task
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    # hs_timestamp: when it happened (email sent, call start, meeting time, task due)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    # email
    email_direction: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    from_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # ";"-separated, first = primary recipient
    to_emails: Mapped[str | None] = mapped_column(Text, nullable=True)
    open_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reply_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thread_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # call
    call_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    call_disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    call_direction: Mapped[str | None] = mapped_column(String(32), nullable=True)
    call_duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    call_source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # meeting
    meeting_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    meeting_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    meeting_outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    internal_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # task
    task_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    task_priority: Mapped[str | None] = mapped_column(String(16), nullable=True)
    task_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sequence_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    follows_meeting_id: Mapped[str | None] = mapped_column(Id, nullable=True)

    __table_args__ = (
        Index("ix_activities_time", "portal_id", "occurred_at", "id"),
        Index("ix_activities_owner_type", "portal_id", "owner_id", "type", "occurred_at"),
        Index("ix_activities_thread", "portal_id", "thread_id"),
        # partial: most activities follow no meeting, and SQLite's statistics would count their
        # NULLs as one value shared by nearly every row (then a task is looked up by owner instead)
        Index(
            "ix_activities_follows_meeting",
            "portal_id",
            "follows_meeting_id",
            sqlite_where=text("follows_meeting_id IS NOT NULL"),
            postgresql_where=text("follows_meeting_id IS NOT NULL"),
        ),
        # partial: rule 4 reads the owner's sequence tasks, a few among their tasks
        Index(
            "ix_activities_sequence_tasks",
            "portal_id",
            "owner_id",
            "type",
            sqlite_where=text("sequence_id IS NOT NULL"),
            postgresql_where=text("sequence_id IS NOT NULL"),
        ),
    )


class ActivityLink(Base):
    """An activity logged on a record (deal, contact, company or lead)."""

    __tablename__ = "activity_links"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    object_id: Mapped[str] = mapped_column(Id, primary_key=True)
    activity_id: Mapped[str] = mapped_column(Id, primary_key=True)
    # The activity's own values, copied by triggers (insights/crm/link_copy.py): never written by
    # code. They choose and order a path's timeline candidates; what is shown is checked live.
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activity_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    archived: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    task_status: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        Index("ix_activity_links_activity", "portal_id", "activity_id"),
        # one path's timeline, newest first, with what visibility needs read from the index itself
        Index(
            "ix_activity_links_timeline",
            "portal_id",
            "object_type",
            "object_id",
            "occurred_at",
            "activity_id",
            "activity_type",
            "owner_id",
            "archived",
            "task_status",
        ),
        ForeignKeyConstraint(
            ["portal_id", "activity_id"],
            ["activities.portal_id", "activities.id"],
            ondelete="CASCADE",
        ),
    )


install_on_create(ActivityLink.__table__)  # type: ignore[arg-type]


class ActivityAddress(Base):
    """An address in an activity's text (from, to, title, body, internal notes), lower-cased as
    redaction matches it. A change to whoever holds that address (a contact's owner, address or
    archival) reaches the activity, and through its links the deals whose insights may show it."""

    __tablename__ = "activity_addresses"

    # the key leads with the address: lookups by address are one index range
    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    activity_id: Mapped[str] = mapped_column(Id, primary_key=True)

    __table_args__ = (
        Index("ix_activity_addresses_activity", "portal_id", "activity_id"),  # replace an activity's set
        ForeignKeyConstraint(
            ["portal_id", "activity_id"],
            ["activities.portal_id", "activities.id"],
            ondelete="CASCADE",
        ),
    )
