"""activities: the follows-meeting index holds only the tasks that follow a meeting (partial)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:00:00

Rule 7 (follow up on your meeting) looks each meeting's follow-up tasks up by this index. With
every other activity in it as NULL, SQLite's statistics (``sqlite_stat1``) give the index about as
many rows per value as the table has, and the planner scans the owners' tasks per meeting instead
(1.7 s for the busiest generated user at 1M activities). Partial, the index holds the few tasks
that follow a meeting, its statistics say so, and it is smaller on PostgreSQL too. A lookup by
``follows_meeting_id = x`` implies ``IS NOT NULL``: both databases use the partial index for it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "ix_activities_follows_meeting"
PARTIAL = sa.text("follows_meeting_id IS NOT NULL")


def upgrade() -> None:
    bind = op.get_bind()
    names = {ix["name"] for ix in sa.inspect(bind).get_indexes("activities")}
    if NAME in names:
        op.drop_index(NAME, table_name="activities")
    op.create_index(
        NAME,
        "activities",
        ["portal_id", "follows_meeting_id"],
        unique=False,
        sqlite_where=PARTIAL,
        postgresql_where=PARTIAL,
    )
    if bind.dialect.name == "sqlite":
        op.execute(f"ANALYZE {NAME}")  # the old statistics of the index would otherwise remain


def downgrade() -> None:
    op.drop_index(NAME, table_name="activities")
    op.create_index(NAME, "activities", ["portal_id", "follows_meeting_id"], unique=False)
