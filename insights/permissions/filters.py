"""Deprecated shim: import from ``insights.permissions.readable`` (removed once every caller moved)."""

from insights.permissions.readable import deal_readable as deal_visible_clause
from insights.permissions.readable import deal_shared as deal_shared_clause
from insights.permissions.readable import owner_clause

__all__ = ["deal_shared_clause", "deal_visible_clause", "owner_clause"]
