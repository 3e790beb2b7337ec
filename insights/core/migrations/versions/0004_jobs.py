"""background jobs: model spend per account and hour, parked jobs, the parts each insight was built from

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 21:30:00

``insight_parts`` holds a hash per part of the context an insight was built from (no text), so
that a previous insight is served ``stale`` during a rebuild only when every part is still
visible to the viewer unchanged (insights/insight/freshness.py).
"""

import sqlalchemy as sa
from alembic import op

import insights.crm.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "job_spend" not in tables:
        op.create_table(
            "job_spend",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("hour", sa.String(length=13), nullable=False),
            sa.Column("model_calls", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("portal_id", "hour", name=op.f("pk_job_spend")),
        )
    if "parked_jobs" not in tables:
        op.create_table(
            "parked_jobs",
            sa.Column("id", sa.String(length=64), nullable=False),
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("args", sa.String(length=512), nullable=False),
            sa.Column("error", sa.String(length=128), nullable=False),
            sa.Column("parked_at", insights.crm.models.UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_jobs")),
        )
    if "insight_parts" not in tables:
        op.create_table(
            "insight_parts",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("insight_id", sa.String(length=32), nullable=False),
            sa.Column("settings_version", sa.Integer(), nullable=False),
            sa.Column("parts", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("portal_id", "insight_id", name=op.f("pk_insight_parts")),
        )


def downgrade() -> None:
    op.drop_table("insight_parts")
    op.drop_table("parked_jobs")
    op.drop_table("job_spend")
