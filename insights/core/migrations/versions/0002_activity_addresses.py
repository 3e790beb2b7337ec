"""activity addresses (backfilled), the deployment id, no deals.last_activity_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00

``activity_addresses`` records which addresses appear in which activities' text, so a change to a
contact's owner, address or archival reaches the deals whose insights may show that address. It is
backfilled from the activities already stored. A database made by ``create_all`` (stamped 0001 by
``insights.core.migrate``) may already hold these tables: they are then left as they are.
"""

import re

import sqlalchemy as sa
from alembic import op

import insights.crm.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies (a migration must not change with the code): insights/retrieval.py EMAIL_RE, the
# activity columns redaction scans, and the longest address a user or contact can have.
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
TEXT_COLUMNS = ("from_email", "to_emails", "title", "body", "internal_notes")
ADDRESS_MAX = 320
CHUNK = 1000


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    # deals.last_activity_at was the newest activity over every activity, hidden ones included:
    # nothing may show or order by it (the deal list orders by what each viewer sees), so it goes
    if "last_activity_at" in {c["name"] for c in inspector.get_columns("deals")}:
        with op.batch_alter_table("deals", schema=None) as batch_op:
            batch_op.drop_index("ix_deals_last_activity")
            batch_op.drop_column("last_activity_at")
    if "activity_addresses" not in tables:
        op.create_table(
            "activity_addresses",
            sa.Column("portal_id", sa.String(length=64), nullable=False),
            sa.Column("address", sa.String(length=320), nullable=False),
            sa.Column("activity_id", sa.String(length=64), nullable=False),
            sa.ForeignKeyConstraint(
                ["portal_id", "activity_id"],
                ["activities.portal_id", "activities.id"],
                name=op.f("fk_activity_addresses_portal_id_activities"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "portal_id", "address", "activity_id", name=op.f("pk_activity_addresses")
            ),
        )
        with op.batch_alter_table("activity_addresses", schema=None) as batch_op:
            batch_op.create_index(
                "ix_activity_addresses_activity", ["portal_id", "activity_id"], unique=False
            )
        _backfill(op.get_bind())
    if "deployment" not in tables:
        op.create_table(
            "deployment",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("created_at", insights.crm.models.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
        )


def _backfill(bind: sa.engine.Connection) -> None:
    """Addresses of every stored activity, a chunk at a time in key order (bounded memory)."""
    acts = sa.table("activities", sa.column("portal_id"), sa.column("id"), *map(sa.column, TEXT_COLUMNS))
    addresses = sa.table(
        "activity_addresses", sa.column("portal_id"), sa.column("address"), sa.column("activity_id")
    )
    after: tuple[str, str] | None = None
    while True:
        stmt = sa.select(acts).order_by(acts.c.portal_id, acts.c.id).limit(CHUNK)
        if after is not None:
            stmt = stmt.where(
                sa.or_(
                    acts.c.portal_id > after[0], sa.and_(acts.c.portal_id == after[0], acts.c.id > after[1])
                )
            )
        rows = bind.execute(stmt).all()
        if not rows:
            return
        found = []
        for r in rows:
            seen: set[str] = set()
            for col in TEXT_COLUMNS:
                if value := getattr(r, col):
                    seen.update(e.lower() for e in EMAIL_RE.findall(value))
            found += [
                {"portal_id": r.portal_id, "address": a, "activity_id": r.id}
                for a in sorted(seen)
                if len(a) <= ADDRESS_MAX
            ]
        if found:
            bind.execute(addresses.insert(), found)
        after = (rows[-1].portal_id, rows[-1].id)


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_at", insights.crm.models.UTCDateTime(timezone=True)))
        batch_op.create_index("ix_deals_last_activity", ["portal_id", "last_activity_at"], unique=False)
    op.drop_table("deployment")
    with op.batch_alter_table("activity_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_addresses_activity")
    op.drop_table("activity_addresses")
