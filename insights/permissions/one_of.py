"""A column is one of a set of ids, bound as ONE parameter instead of one per id.

A plain ``IN (…)`` over a team's users is an expanding parameter: SQLAlchemy renders it again into
the cached SQL on every execution, once per occurrence, and asyncpg casts each id. A timeline read
carries the team list in every path's predicate, and that rendering was half of a manager's
``deal_context`` (pyinstrument at 1M on PostgreSQL: 1.34 s of 2.8 s in execute). As one parameter
the SQL text is the same for every team, so it is compiled and prepared once:

- PostgreSQL: ``owner_id = ANY($1::VARCHAR[])`` (what PostgreSQL makes of ``IN (…)`` anyway);
- SQLite: ``owner_id IN (SELECT value FROM json_each(?))`` (evaluated once per statement).

The ids are sorted, so the same set always binds the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Boolean, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class IdList(TypeDecorator[list[str]]):
    """A list of ids: a text array on PostgreSQL, a JSON array elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(JSON())


class OneOf(ColumnElement[bool]):
    """``column`` is one of ``ids``. Both are traversed for the statement's cache key, so two
    statements that differ only in the ids share one compiled form; the ids stay a bound value."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" after it where booleans are integers
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, ids: Iterable[str] | BindParameter[Any]) -> None:
        # coerced like ``column.in_()`` does, so an adapted statement (an alias) adapts it too
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        self.ids = ids if isinstance(ids, BindParameter) else bindparam(None, sorted(ids), type_=IdList())


@compiles(OneOf, "postgresql")
def _one_of_pg(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"


@compiles(OneOf)
def _one_of_default(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"
