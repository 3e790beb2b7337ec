"""activity links carry a copy of their activity's time, type, owner, archival and task status

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00

A deal's timeline is read path by path, newest first, from ``ix_activity_links_timeline``
(insights/insight/timeline.py). The copied columns are written only by the triggers below
(insights/crm/link_copy.py holds the same statements), never by code; the links already stored are
filled from their activities here, before the triggers exist (one statement, not a trigger per row).
"""

import sqlalchemy as sa
from alembic import op

import insights.crm.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copy of insights/crm/link_copy.py TRIGGERS (tests/core/test_migrations.py checks them equal).
_PG = [
    """CREATE OR REPLACE FUNCTION activity_links_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT a.occurred_at, a.type, a.owner_id, a.archived, a.task_status
      INTO NEW.occurred_at, NEW.activity_type, NEW.owner_id, NEW.archived, NEW.task_status
      FROM activities a WHERE a.portal_id = NEW.portal_id AND a.id = NEW.activity_id FOR SHARE;
    RETURN NEW;
END $$""",
    """CREATE TRIGGER activity_links_copy BEFORE INSERT OR UPDATE ON activity_links
    FOR EACH ROW EXECUTE FUNCTION activity_links_copy()""",
    """CREATE OR REPLACE FUNCTION activities_copy_to_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_links SET occurred_at = NEW.occurred_at, activity_type = NEW.type,
           owner_id = NEW.owner_id, archived = NEW.archived, task_status = NEW.task_status
     WHERE portal_id = NEW.portal_id AND activity_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER activities_copy_to_links AFTER UPDATE ON activities FOR EACH ROW
    WHEN (OLD.occurred_at IS DISTINCT FROM NEW.occurred_at OR OLD.type IS DISTINCT FROM NEW.type
          OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.archived IS DISTINCT FROM NEW.archived
          OR OLD.task_status IS DISTINCT FROM NEW.task_status)
    EXECUTE FUNCTION activities_copy_to_links()""",
]

_SQLITE_SET = """UPDATE activity_links SET (occurred_at, activity_type, owner_id, archived, task_status) =
        (SELECT a.occurred_at, a.type, a.owner_id, a.archived, a.task_status FROM activities a
          WHERE a.portal_id = NEW.portal_id AND a.id = NEW.activity_id)
     WHERE portal_id = NEW.portal_id AND object_type = NEW.object_type AND object_id = NEW.object_id
       AND activity_id = NEW.activity_id;"""

_SQLITE = [
    f"""CREATE TRIGGER activity_links_copy AFTER INSERT ON activity_links BEGIN
    {_SQLITE_SET}
END""",
    f"""CREATE TRIGGER activity_links_copy_guard
    AFTER UPDATE OF occurred_at, activity_type, owner_id, archived, task_status, activity_id
    ON activity_links BEGIN
    {_SQLITE_SET}
END""",
    """CREATE TRIGGER activities_copy_to_links
    AFTER UPDATE OF occurred_at, type, owner_id, archived, task_status ON activities
    WHEN OLD.occurred_at IS NOT NEW.occurred_at OR OLD.type IS NOT NEW.type
      OR OLD.owner_id IS NOT NEW.owner_id OR OLD.archived IS NOT NEW.archived
      OR OLD.task_status IS NOT NEW.task_status
BEGIN
    UPDATE activity_links SET occurred_at = NEW.occurred_at, activity_type = NEW.type,
           owner_id = NEW.owner_id, archived = NEW.archived, task_status = NEW.task_status
     WHERE portal_id = NEW.portal_id AND activity_id = NEW.id;
END""",
]

TRIGGERS = {"postgresql": _PG, "sqlite": _SQLITE}
TRIGGER_NAMES = ("activity_links_copy", "activity_links_copy_guard", "activities_copy_to_links")
INDEX_COLUMNS = [
    "portal_id",
    "object_type",
    "object_id",
    "occurred_at",
    "activity_id",
    "activity_type",
    "owner_id",
    "archived",
    "task_status",
]

BACKFILL = {
    "postgresql": """UPDATE activity_links l SET occurred_at = a.occurred_at, activity_type = a.type,
           owner_id = a.owner_id, archived = a.archived, task_status = a.task_status
      FROM activities a WHERE a.portal_id = l.portal_id AND a.id = l.activity_id""",
    "sqlite": """UPDATE activity_links SET (occurred_at, activity_type, owner_id, archived, task_status) =
        (SELECT a.occurred_at, a.type, a.owner_id, a.archived, a.task_status FROM activities a
          WHERE a.portal_id = activity_links.portal_id AND a.id = activity_links.activity_id)""",
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    inspector = sa.inspect(bind)
    if "occurred_at" not in {c["name"] for c in inspector.get_columns("activity_links")}:
        op.add_column(
            "activity_links", sa.Column("occurred_at", insights.crm.models.UTCDateTime(), nullable=True)
        )
        op.add_column("activity_links", sa.Column("activity_type", sa.String(length=8), nullable=True))
        op.add_column("activity_links", sa.Column("owner_id", sa.String(length=64), nullable=True))
        op.add_column("activity_links", sa.Column("archived", sa.Boolean(), nullable=True))
        op.add_column("activity_links", sa.Column("task_status", sa.String(length=32), nullable=True))
    # (re)fill before the triggers exist, then let them keep it: a database made by create_all
    # already has them (and the same values), so they are dropped and made again
    _drop_triggers(dialect)
    if dialect == "postgresql":  # no activity may change between the backfill and its trigger
        op.execute("LOCK TABLE activities, activity_links IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL[dialect])
    for sql in TRIGGERS[dialect]:
        op.execute(sql)
    if "ix_activity_links_timeline" not in {i["name"] for i in inspector.get_indexes("activity_links")}:
        op.create_index("ix_activity_links_timeline", "activity_links", INDEX_COLUMNS, unique=False)
    # statistics for the new index: without them SQLite takes it for the best one of every query
    # on the links (it scanned the account's links by its portal prefix to find a few ids)
    op.execute("ANALYZE activity_links")


def _drop_triggers(dialect: str) -> None:
    for name in TRIGGER_NAMES:
        table = "activities" if name.startswith("activities") else "activity_links"
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS activity_links_copy()")
        op.execute("DROP FUNCTION IF EXISTS activities_copy_to_links()")
    op.drop_index("ix_activity_links_timeline", table_name="activity_links")
    with op.batch_alter_table("activity_links", schema=None) as batch_op:
        for column in ("task_status", "archived", "owner_id", "activity_type", "occurred_at"):
            batch_op.drop_column(column)
