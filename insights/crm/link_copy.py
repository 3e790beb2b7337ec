"""Each activity link carries a copy of its activity's time, type, owner, archival and task status,
kept by the database itself.

The timeline of a deal is "the newest 100 visible activities over every path" (the deal, its visible
contacts, its visible companies). With the time, the visibility columns and the task status on the
link, each path is one index range read in time order (``ix_activity_links_timeline``) that stops
after enough visible ones, instead of joining every linked activity (tens of thousands on a busy
deal) to sort them.

The copy is written by triggers, not by the importer, so no writer can forget it (the importer, the
demo, a test's ORM rows, a hand-written UPDATE): a link takes its activity's values when it is
inserted or updated, and a change of those values on the activity reaches all its links in the
same statement. On PostgreSQL the link's read of its activity takes a share lock: a link written
while another transaction changes that activity waits for it and copies the committed values, and a
change waits for the link's transaction, whose row its trigger then sees (READ COMMITTED would
otherwise leave the new link with the old owner for good). Readers still check every row they
show against the live activity (``insights.insight.timeline``); the copy chooses, orders and counts
candidates.

``TRIGGERS`` are installed by ``create_all`` (tests) and by migration 0005 (a frozen copy, checked
equal by tests/core/test_migrations.py).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import DDL, Table, event

COPIED = ("occurred_at", "activity_type", "owner_id", "archived", "task_status")  # on the link


def as_activity(link: Any) -> SimpleNamespace:
    """The link's copied columns under the activity's names, so the one readable predicate
    (``permissions.activity_readable``) compiles over the link's index instead of a second,
    hand-written one. A pre-filter: what a reader shows is checked on the live activity."""
    return SimpleNamespace(
        portal_id=link.portal_id, archived=link.archived, type=link.activity_type, owner_id=link.owner_id
    )


SOURCE = ("occurred_at", "type", "owner_id", "archived", "task_status")  # on the activity

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

# SQLite: no BEFORE trigger may change NEW, so the link is completed right after it is written; a
# trigger does not fire itself again (recursive_triggers is off), so the update guard cannot loop.
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

TRIGGERS: dict[str, list[str]] = {"postgresql": _PG, "sqlite": _SQLITE}


def install_on_create(links: Table) -> None:
    """Create the triggers whenever ``create_all`` creates the links table (after activities)."""
    for dialect, statements in TRIGGERS.items():
        for sql in statements:
            ddl: Any = DDL(sql).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
            event.listen(links, "after_create", ddl)
