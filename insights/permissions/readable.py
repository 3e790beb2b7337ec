"""Readable statements: the one place that says what a viewer may read.

Every read of CRM data on behalf of a viewer starts from a statement or a predicate of this module
(retrieval, the pipeline's switches, the deal list, click-through, copy, guided actions, exports).
Each compiles the viewer's scopes to SQL over the row being read: tenancy, archival and the
owner set the scope of that record's (or activity's) own type admits. Nothing reads a bare table
and drops rows in Python. ``reference.py`` states the same rules in plain Python for the tests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
)

from insights.crm import models as m
from insights.permissions.one_of import IdList, OneOf
from insights.permissions.viewer import Viewer


# -- identity as parameters -------------------------------------------------------------------
# A statement built with ``bound=True`` reads the viewer's tenancy, id and team from these named
# parameters instead of holding them: it can be kept and shared by every viewer with the same
# scopes (the timeline's are), and each execution binds ``identity(viewer)``. The parameters are
# required: an execution without them fails instead of reading as nobody in particular.
def identity(viewer: Viewer) -> dict[str, Any]:
    return {
        "viewer_portal": viewer.portal_id,
        "viewer_user": viewer.user_id,
        "viewer_team": sorted(viewer.team_user_ids),
    }


def portal_of(viewer: Viewer, *, bound: bool = False) -> Any:
    return bindparam("viewer_portal", required=True) if bound else viewer.portal_id


def owner_clause(
    viewer: Viewer, object_type: str, owner_col: Any, *, probe: Any | None = None, bound: bool = False
) -> ColumnElement[bool]:
    """The viewer's scope for ``object_type`` admits the row's owner.

    ``probe`` replaces the column in the IN test: an expression such as ``coalesce(owner_id, '')``
    keeps SQLite from driving a query by the owner index when another path is far more selective.
    """
    scope = viewer.scope(object_type)
    if scope == "all":
        return true()
    if scope == "none":
        return false()
    tested = owner_col if probe is None else probe
    clause: ColumnElement[bool]
    if scope == "owned":
        clause = tested == (bindparam("viewer_user", required=True) if bound else viewer.user_id)
    else:
        team = bindparam("viewer_team", type_=IdList(), required=True) if bound else viewer.team_user_ids
        clause = OneOf(tested, team)
    if object_type in viewer.unassigned:
        clause = or_(clause, owner_col.is_(None))
    return clause


# -- records ----------------------------------------------------------------------------------
def deal_shared(viewer: Viewer, deal: Any = m.Deal) -> ColumnElement[bool]:
    """The deal is shared with the viewer, or with one of their teams or an ancestor team."""
    share = m.DealShare
    user_share = and_(share.principal_type == "user", share.principal_id == viewer.user_id)
    team_share = (
        and_(share.principal_type == "team", share.principal_id.in_(sorted(viewer.share_team_ids)))
        if viewer.share_team_ids
        else false()
    )
    return exists(
        select(share.deal_id).where(
            share.portal_id == deal.portal_id, share.deal_id == deal.id, or_(user_share, team_share)
        )
    )


def record_readable(viewer: Viewer, kind: str, table: Any = None) -> ColumnElement[bool]:
    """A deal, contact, company or lead row (``table`` may be an alias) the viewer may read:
    tenancy, not archived, and the scope of its type admits its owner (or, for a deal, it is shared)."""
    table = table if table is not None else RECORDS[kind]
    admitted = owner_clause(viewer, kind, table.owner_id)
    if kind == "deal":
        admitted = or_(admitted, deal_shared(viewer, table))
    return and_(table.portal_id == viewer.portal_id, table.archived.is_(False), admitted)


def deal_readable(viewer: Viewer) -> ColumnElement[bool]:
    return record_readable(viewer, "deal")


RECORDS: dict[str, Any] = {"deal": m.Deal, "contact": m.Contact, "company": m.Company, "lead": m.Lead}


# -- activities -------------------------------------------------------------------------------
def activity_readable(
    viewer: Viewer,
    types: tuple[str, ...] = m.ACTIVITY_TYPES,
    table: Any = None,
    *,
    probe_owner: bool = True,
    bound: bool = False,
) -> ColumnElement[bool]:
    """An activity of one of ``types`` whose own type's scope admits its owner (tenancy, not archived).

    This is half of timeline visibility: the other half is a path to the deal (``timeline_paths``).
    """
    a = table if table is not None else m.Activity
    # The timeline (a few links) must drive the query, never the owners' activities (many).
    probe = func.coalesce(a.owner_id, "") if probe_owner else None
    # types whose scopes admit the same owners share one test (a manager's five types: one team
    # list in the SQL, not five)
    alike: dict[tuple[str, bool], list[str]] = {}
    for t in types:
        alike.setdefault((viewer.scope(t), t in viewer.unassigned), []).append(t)
    return and_(
        a.portal_id == portal_of(viewer, bound=bound),
        a.archived.is_(False),
        or_(
            *(
                and_(
                    a.type == kinds[0] if len(kinds) == 1 else OneOf(a.type, kinds),
                    owner_clause(viewer, kinds[0], a.owner_id, probe=probe, bound=bound),
                )
                for kinds in alike.values()
            )
        ),
    )


def timeline_links(viewer: Viewer) -> CompoundSelect[str, str]:
    """(deal_id, activity_id) for every readable deal and every activity that reaches it by a path
    the viewer may follow: linked to the deal itself, or to one of its readable contacts or
    companies. Only the path half: join ``activity_readable`` for the activity's own scope."""
    link, dc, dco, deal = m.ActivityLink, m.DealContact, m.DealCompany, m.Deal
    p = viewer.portal_id
    direct = (
        select(deal.id.label("deal_id"), link.activity_id.label("activity_id"))
        .join(link, and_(link.portal_id == p, link.object_type == "deal", link.object_id == deal.id))
        .where(deal_readable(viewer))
    )
    via = [
        select(deal.id.label("deal_id"), link.activity_id.label("activity_id"))
        .join(assoc, and_(assoc.portal_id == deal.portal_id, assoc.deal_id == deal.id))
        .join(table, and_(table.portal_id == assoc.portal_id, table.id == col))
        .join(link, and_(link.portal_id == p, link.object_type == kind, link.object_id == col))
        .where(deal_readable(viewer), record_readable(viewer, kind, table))
        for assoc, kind, table, col in (
            (dc, "contact", m.Contact, dc.contact_id),
            (dco, "company", m.Company, dco.company_id),
        )
    ]
    return direct.union(*via)


def newest_visible_activity(viewer: Viewer, now: Any) -> Any:
    """Subquery (deal_id, newest): each readable deal's newest past timeline activity *as this
    viewer sees the timeline*. Figures and orderings shown to a viewer come from here, never from
    a column computed over every activity (hidden ones included)."""
    paths = timeline_links(viewer).subquery()
    a = m.Activity
    return (
        select(paths.c.deal_id, func.max(a.occurred_at).label("newest"))
        .join(a, and_(a.portal_id == viewer.portal_id, a.id == paths.c.activity_id))
        .where(activity_readable(viewer, m.TIMELINE_TYPES, probe_owner=False), a.occurred_at <= now)
        .group_by(paths.c.deal_id)
        .subquery()
    )
