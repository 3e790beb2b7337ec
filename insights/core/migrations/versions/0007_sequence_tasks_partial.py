"""activities: a partial index of the sequence tasks, by owner

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00

Rule 4 (sequence activity) lists the user's open tasks that belong to a sequence. By the owner,
type and time index it read every one of the user's tasks to keep the few with a sequence: 3,700
rows for the busiest generated user at 1M, each a random read of the activity table (0.2 s on
PostgreSQL and 0.5 s on SQLite with a cold cache). This index holds the sequence tasks alone; the
rule's ``sequence_id IS NOT NULL`` implies its condition, so both databases may use it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ix_activities_sequence_tasks"
PARTIAL = sa.text("sequence_id IS NOT NULL")


def upgrade() -> None:
    names = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("activities")}
    if NAME not in names:  # a database whose schema was created at this code's models has it
        op.create_index(
            NAME,
            "activities",
            ["portal_id", "owner_id", "type"],
            unique=False,
            sqlite_where=PARTIAL,
            postgresql_where=PARTIAL,
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ANALYZE {NAME}")  # the planner weighs an index by its statistics


def downgrade() -> None:
    op.drop_index(NAME, table_name="activities")
