"""health scores: profiles, scores, daily snapshots, alerts, feedback; companies.properties

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00

``companies.properties`` keeps the company properties the columns do not hold (a health profile
may name one as the renewal date); rows already stored get ``{}`` until their next import.
"""

import sqlalchemy as sa
from alembic import op

import insights.crm.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return insights.crm.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "properties" not in {c["name"] for c in inspector.get_columns("companies")}:
        with op.batch_alter_table("companies", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("properties", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
            )
    if "health_profiles" not in tables:
        op.create_table(
            "health_profiles",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("name", sa.String(length=255), nullable=False),
            sa.Column("object_type", sa.String(length=16), nullable=False),
            sa.Column("criteria", sa.JSON(), nullable=False),
            sa.Column("at_risk_below", sa.Float(), nullable=False),
            sa.Column("good_from", sa.Float(), nullable=False),
            sa.Column("drop_alert_points", sa.Float(), nullable=True),
            sa.Column("renewal_property", sa.String(length=128), nullable=True),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("created_at", _ts(), nullable=False),
            sa.Column("updated_at", _ts(), nullable=False),
            sa.Column("computed_day", sa.String(length=10), nullable=True),
            sa.Column("computed_version", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("portal_id", "id", name=op.f("pk_health_profiles")),
        )
    if "health_scores" not in tables:
        op.create_table(
            "health_scores",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("profile_id", sa.String(length=32), nullable=False),
            sa.Column("record_id", sa.String(length=64), nullable=False),
            sa.Column("score", sa.Float(), nullable=False),
            sa.Column("category", sa.String(length=16), nullable=False),
            sa.Column("points", sa.JSON(), nullable=False),
            sa.Column("recent_peak", sa.Float(), nullable=True),
            sa.Column("computed_at", _ts(), nullable=False),
            sa.PrimaryKeyConstraint("portal_id", "profile_id", "record_id", name=op.f("pk_health_scores")),
        )
        op.create_index("ix_health_scores_category", "health_scores", ["portal_id", "profile_id", "category"])
    if "health_snapshots" not in tables:
        op.create_table(
            "health_snapshots",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("profile_id", sa.String(length=32), nullable=False),
            sa.Column("day", sa.String(length=10), nullable=False),
            sa.Column("record_id", sa.String(length=64), nullable=False),
            sa.Column("score", sa.Float(), nullable=False),
            sa.Column("category", sa.String(length=16), nullable=False),
            sa.Column("points", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint(
                "portal_id", "profile_id", "day", "record_id", name=op.f("pk_health_snapshots")
            ),
        )
        op.create_index(
            "ix_health_snapshots_record",
            "health_snapshots",
            ["portal_id", "profile_id", "record_id", "day"],
        )
    if "health_alerts" not in tables:
        op.create_table(
            "health_alerts",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("profile_id", sa.String(length=32), nullable=False),
            sa.Column("record_id", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("day", sa.String(length=10), nullable=False),
            sa.Column("from_category", sa.String(length=16), nullable=False),
            sa.Column("to_category", sa.String(length=16), nullable=False),
            sa.Column("from_score", sa.Float(), nullable=False),
            sa.Column("to_score", sa.Float(), nullable=False),
            sa.Column("criteria", sa.JSON(), nullable=False),
            sa.Column("created_at", _ts(), nullable=False),
            sa.Column("expires_at", _ts(), nullable=False),
            sa.PrimaryKeyConstraint("portal_id", "id", name=op.f("pk_health_alerts")),
        )
        op.create_index(
            "ix_health_alerts_event",
            "health_alerts",
            ["portal_id", "profile_id", "record_id", "day", "kind"],
            unique=True,
        )
        op.create_index("ix_health_alerts_user", "health_alerts", ["portal_id", "user_id", "expires_at"])
    if "health_alert_feedback" not in tables:
        op.create_table(
            "health_alert_feedback",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("alert_id", sa.String(length=32), nullable=False),
            sa.Column("user_id", sa.String(length=64), nullable=False),
            sa.Column("rating", sa.String(length=16), nullable=False),
            sa.Column("comment", sa.Text(), nullable=True),
            sa.Column("created_at", _ts(), nullable=False),
            sa.PrimaryKeyConstraint("portal_id", "id", name=op.f("pk_health_alert_feedback")),
        )
        op.create_index("ix_health_alert_feedback_alert", "health_alert_feedback", ["portal_id", "alert_id"])


def downgrade() -> None:
    for table in (
        "health_alert_feedback",
        "health_alerts",
        "health_snapshots",
        "health_scores",
        "health_profiles",
    ):
        op.drop_table(table)
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("properties")
