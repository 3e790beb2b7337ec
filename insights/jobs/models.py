"""The jobs' own rows: background model spend per account and hour, and parked (given-up) jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.models import Id, UTCDateTime


class JobSpend(Base):
    """Model calls reserved by background rebuilds of one account in one UTC hour (the spend cap)."""

    __tablename__ = "job_spend"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)  # 2026-12-01T21
    model_calls: Mapped[int] = mapped_column(Integer, default=0)


class ParkedJob(Base):
    """A job that failed every retry: kept for an operator, counted in /metrics, never re-run."""

    __tablename__ = "parked_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the engine's task id
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[str] = mapped_column(String(512))  # ids only: jobs never carry CRM text
    error: Mapped[str] = mapped_column(String(128))  # the exception's class, not its message
    parked_at: Mapped[datetime] = mapped_column(UTCDateTime())
