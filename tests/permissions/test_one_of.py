"""``OneOf``: a column in a set bound as one parameter (``insights/permissions/one_of.py``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.util import ClauseAdapter

from insights.crm import models as m
from insights.permissions.one_of import OneOf
from insights.permissions.readable import activity_readable
from insights.permissions.viewer import Viewer

TEAM = Viewer(
    portal_id="p", user_id="u", scopes={"email": "team", "note": "team"}, team_user_ids=frozenset("uw")
)


def test_two_teams_share_a_compiled_form_and_bind_their_own_ids() -> None:
    a, b = (select(m.Activity.id).where(OneOf(m.Activity.owner_id, ids)) for ids in (["u", "w"], ["x"]))
    key_a, key_b = a._generate_cache_key(), b._generate_cache_key()
    assert key_a is not None and key_b is not None and key_a.key == key_b.key
    assert [p.value for p in key_a.bindparams] == [["u", "w"]]
    assert [p.value for p in key_b.bindparams] == [["x"]]
    assert "= ANY(" in str(a.compile(dialect=postgresql.dialect()))
    assert "IN (SELECT value FROM json_each(" in str(a.compile(dialect=sqlite.dialect()))


def test_an_adapted_statement_tests_the_alias_not_the_table() -> None:
    """The readable predicate over an alias (as an ORM adaptation makes it) must test the alias's
    type and owner: a column left on the base table would test some other row."""
    zz = m.Activity.__table__.alias("zz")
    stmt = select(m.Activity.id).where(activity_readable(TEAM, ("email", "note"), probe_owner=False))
    sql = str(ClauseAdapter(zz).traverse(stmt).compile(dialect=sqlite.dialect()))
    assert "activities." not in sql and "zz.type IN" in sql and "zz.owner_id IN" in sql
