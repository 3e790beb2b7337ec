"""Persisted guided actions: created and expired at known times, with why and what they are about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.models import Id, UTCDateTime


class GuidedAction(Base):
    __tablename__ = "guided_actions"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(Id)
    rule: Mapped[str] = mapped_column(String(48))
    rule_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(16))  # closing | prospecting
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(128))
    # the triggering event: one action per (user, rule, record, trigger); "" when the rule has none
    trigger_key: Mapped[str] = mapped_column(String(128), default="")
    # why sentences, each with the records it names: [{"text", "refs": [[type, id], ...]}], so that a
    # listing drops those naming a record the viewer can no longer read (older rows hold bare strings)
    why: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the objects it is about ([{type, id, name}]) and the primary object's contacts and companies,
    # captured at creation: later association changes are not reflected (spec)
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    contact_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    company_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expiry_reason: Mapped[str | None] = mapped_column(String(128), nullable=True)

    __table_args__ = (
        UniqueConstraint(
            "portal_id",
            "user_id",
            "rule",
            "record_type",
            "record_id",
            "trigger_key",
            name="uq_guided_actions_event",
        ),
        Index("ix_guided_actions_user_active", "portal_id", "user_id", "expired_at"),
    )


class GuidedActionMember(Base):
    """A record listed by a grouped action (rules 6, 8, 13). Members leave one by one (``left_at``)
    as their criteria stop holding; the action expires when none remain. ``records`` on the action
    is the current snapshot shown to the user; this table keeps who was in the group and when."""

    __tablename__ = "guided_action_members"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    action_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class GuidedActionFeedback(Base):
    __tablename__ = "guided_action_feedback"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(Id)
    rating: Mapped[str] = mapped_column(String(16))  # yes_keep_it_up | not_really
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_guided_action_feedback_action", "portal_id", "action_id"),)
