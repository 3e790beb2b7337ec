"""The permission policy compiled to SQLAlchemy expressions: every read starts from these.

A viewer's scope for a type admits a set of owners (``all``, the team closure, the user, nobody)
plus, with the unassigned flag, records with no owner. The owner sets are bound parameters of the
same SQL statement that reads the rows: nothing is read unfiltered and dropped in Python.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from insights.crm.models import Deal, DealShare
from insights.permissions.viewer import Viewer


def owner_clause(
    viewer: Viewer, object_type: str, owner_col: ColumnElement, *, probe: ColumnElement | None = None
) -> ColumnElement[bool]:
    """SQL predicate: the viewer's scope for ``object_type`` admits the row's owner.

    ``probe`` replaces the column in the IN test: an expression such as ``coalesce(owner_id, '')``
    keeps SQLite from driving a query by the owner index when another path is far more selective.
    """
    scope = viewer.scope(object_type)
    if scope == "all":
        return true()
    if scope == "none":
        return false()
    allowed = [viewer.user_id] if scope == "owned" else sorted(viewer.team_user_ids)
    clause: ColumnElement[bool] = (owner_col if probe is None else probe).in_(allowed)
    if object_type in viewer.unassigned:
        clause = or_(clause, owner_col.is_(None))
    return clause


def deal_shared_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The deal is shared with the viewer, or with one of their teams or an ancestor team."""
    user_share = and_(DealShare.principal_type == "user", DealShare.principal_id == viewer.user_id)
    team_share = (
        and_(DealShare.principal_type == "team", DealShare.principal_id.in_(sorted(viewer.share_team_ids)))
        if viewer.share_team_ids
        else false()
    )
    return exists(
        select(DealShare.deal_id).where(
            DealShare.portal_id == Deal.portal_id,
            DealShare.deal_id == Deal.id,
            or_(user_share, team_share),
        )
    )


def deal_visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Tenancy + not archived + (deal scope admits the owner, or the deal is shared)."""
    return and_(
        Deal.portal_id == viewer.portal_id,
        Deal.archived.is_(False),
        or_(owner_clause(viewer, "deal", Deal.owner_id), deal_shared_clause(viewer)),
    )
