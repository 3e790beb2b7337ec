"""Dialect pieces the scoring SQL needs: epoch seconds, numbers and dates held as text.

Everything here is a SQL expression, so scoring stays one statement on both databases. A value
that does not parse becomes NULL (the criterion's missing points), never an error mid-recompute.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float, Integer, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from insights.crm import models as m

# A day on the calendar (to_date raises on 2026-02-30, which would fail a whole recompute): 31-day
# months, 30-day months, February to the 28th, and the 29th in leap years only.
_LEAP = r"(\d\d(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
ISO_DAY_PG = (
    r"^(\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
    rf"|02-(0[1-9]|1\d|2[0-8]))|{_LEAP}-02-29)"
)
ISO_DAY_SQLITE = "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*"
NUMBER_PG = r"^-?\d+(\.\d+)?$"


def epoch(col: Any, dialect: str) -> ColumnElement[Any]:
    """Seconds since 1970 of a timestamp column (whole seconds: boundaries compare exactly)."""
    if dialect == "postgresql":
        return func.floor(func.extract("epoch", col))
    return cast(func.strftime("%s", col), Integer)


def number(text: Any, dialect: str) -> ColumnElement[Any]:
    """A decimal string as a float, NULL when it is not one."""
    if dialect == "postgresql":
        return case((text.op("~")(NUMBER_PG), cast(text, Float)), else_=None)
    return case((text.op("GLOB")("*[0-9]*") & ~text.op("GLOB")("*[^0-9.-]*"), cast(text, Float)), else_=None)


def renewal_text(prop: str) -> ColumnElement[Any]:
    value: ColumnElement[Any] = m.Company.properties[prop].as_string()
    return value


def day_number(text: Any, dialect: str) -> ColumnElement[Any]:
    """A date property (ISO 8601, or epoch milliseconds as the CRM exports them) as a day number
    (days since an epoch of the dialect's choosing: only differences are used); NULL otherwise."""
    if dialect == "postgresql":
        digits = text.op("~")(r"^\d{1,15}$")
        iso = func.to_date(func.substr(text, 1, 10), "YYYY-MM-DD")
        ms = func.date(func.timezone("UTC", func.to_timestamp(cast(text, Float) / 1000.0)))
        as_date = case((text.op("~")(ISO_DAY_PG), iso), (digits, ms), else_=None)
        return as_date - literal("1970-01-01").cast(Date)
    digits = text.op("GLOB")("[0-9]*") & ~text.op("GLOB")("*[^0-9]*")
    iso = func.julianday(func.substr(text, 1, 10))
    ms = func.julianday(func.date(cast(text, Integer) / 1000, "unixepoch"))
    # julianday() takes 2026-02-30 as 03-02: a day is on the calendar when it comes back unchanged
    on_calendar = text.op("GLOB")(ISO_DAY_SQLITE) & (func.date(iso) == func.substr(text, 1, 10))
    return case((on_calendar, iso), (digits, ms), else_=None)


def today_number(day: str, dialect: str) -> ColumnElement[Any]:
    """The same day numbering for an ISO day given by the caller."""
    if dialect == "postgresql":
        return literal(day).cast(Date) - literal("1970-01-01").cast(Date)
    return func.julianday(literal(day))
