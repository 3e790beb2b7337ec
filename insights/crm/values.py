"""Property values → typed values. A value that does not parse raises ``RecordError`` naming the
property; nothing is guessed. Every string that passes is one both databases can store.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any


class RecordError(ValueError):
    """The record cannot be loaded; the message is the reason shown in the import report."""


INT_MAX = 2**31 - 1  # our Integer columns are 32-bit on PostgreSQL
ID_MAX = 64  # the width of every id column


def clean(s: str, prop: str) -> str:
    """Text both databases can store: no NUL (PostgreSQL refuses it), no lone surrogate."""
    if "\x00" in s:
        raise RecordError(f"{prop} contains a NUL character")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{prop} is not valid Unicode text") from None
    return s


def scalar(value: Any, prop: str) -> str:
    """A property value as text: the CRM sends strings (numbers and booleans pass as their text)."""
    if isinstance(value, dict | list):
        raise RecordError(
            f"{prop} must be a string, not {'an object' if isinstance(value, dict) else 'a list'}"
        )
    return clean(str(value), prop)


def ident(value: Any, prop: str = "id") -> str:
    """An id: a non-blank string or an integer, at most 64 characters."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"missing {prop}" if value is None else f"{prop} must be a string or an integer")
    s = clean(str(value), prop)
    if not s.strip():
        raise RecordError(f"missing {prop}")
    if len(s) > ID_MAX:
        raise RecordError(f"{prop} is longer than {ID_MAX} characters")
    return s


def parse_time(value: Any, prop: str) -> datetime | None:
    """ISO 8601 (with or without zone; naive = UTC) or epoch milliseconds."""
    if value is None or value == "":
        return None
    s = scalar(value, prop).strip()
    try:
        if s.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(s) / 1000, tz=UTC)
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise RecordError(f"unparseable date in {prop}: {s[:40]!r}") from None


def parse_number(value: Any, prop: str) -> float | None:
    if value is None or value == "":
        return None
    s = scalar(value, prop)
    try:
        n = float(s.replace(",", ""))
    except ValueError:
        raise RecordError(f"not a number in {prop}: {s[:40]!r}") from None
    if not math.isfinite(n):
        raise RecordError(f"not a finite number in {prop}: {s[:40]!r}")
    return n


def parse_int(value: Any, prop: str) -> int | None:
    n = parse_number(value, prop)
    if n is not None and abs(n) > INT_MAX:
        raise RecordError(f"{prop} is out of range: {n:g}")
    return None if n is None else int(n)


def parse_bool(value: Any, prop: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise RecordError(f"not a boolean in {prop}: {s[:20]!r}")


def text(value: Any, limit: int | None = None, prop: str = "") -> str | None:
    if value is None or value == "":
        return None
    s = scalar(value, prop)
    if limit is not None and len(s) > limit:
        raise RecordError(f"{prop} is longer than {limit} characters")
    return s


def lowered(value: Any, limit: int, prop: str) -> str | None:
    """Lower-cased text (addresses, domains), its limit checked after lowering (which can lengthen)."""
    s = (text(value, None, prop) or "").lower()
    if len(s) > limit:
        raise RecordError(f"{prop} is longer than {limit} characters")
    return s or None


def id_list(value: Any, prop: str) -> list[str]:
    """``hs_shared_user_ids``-style ``;``-separated ids."""
    if not value:
        return []
    parts = scalar(value, prop).replace(",", ";").split(";")
    return [ident(p.strip(), prop) for p in parts if p.strip()]


def email_list(value: Any, prop: str) -> str | None:
    s = "" if value is None else scalar(value, prop)
    parts = [p.strip().lower() for p in s.replace(",", ";").split(";") if p.strip()]
    return ";".join(parts) or None
