"""Account, owners, teams, permission sets, pipelines and score points → typed rows.

Like ``parse.py``: a record parses whole or raises ``RecordError`` with the reason the import report
shows. A wrong shape (a list where an object belongs, a word where a number does, a stage that is
not an object) rejects that one record; it never escapes as an exception that stops the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from insights.crm.values import (
    RecordError,
    clean,
    ident,
    lowered,
    parse_bool,
    parse_int,
    parse_time,
    scalar,
    text,
)
from insights.insight.risks import RiskThresholds

SCOPE_VALUES = ("all", "team", "owned", "none")


@dataclass(frozen=True)
class AccountRecord:
    id: str
    name: str | None
    settings: dict[str, Any]  # Account columns given by the batch


@dataclass(frozen=True)
class OwnerRecord:
    row: dict[str, Any]  # User columns (without portal_id)
    teams: dict[str, bool]  # team id → primary


@dataclass(frozen=True)
class PipelineRecord:
    row: dict[str, Any]  # Pipeline columns
    stages: list[dict[str, Any]] = field(default_factory=list)  # PipelineStage columns


@dataclass(frozen=True)
class ScorePoint:
    deal_id: str
    timestamp: datetime
    value: str | None


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"{what} must be an object")
    return value


def _optional_id(value: Any, prop: str) -> str | None:
    return None if value in (None, "") else ident(value, prop)


def _scopes(value: Any, prop: str) -> dict[str, str]:
    """``{object type: all|team|owned|none}``."""
    scopes = _object(value, prop)
    bad = [k for k, s in scopes.items() if not isinstance(s, str) or s not in SCOPE_VALUES]
    if bad:
        raise RecordError(f"unknown scope for {', '.join(repr(k)[:40] for k in bad)}")
    for k in scopes:
        clean(k, prop)
    return dict(scopes)


def _types(value: Any, prop: str) -> list[str]:
    """A list of object types (``unassigned``)."""
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise RecordError(f"{prop} must be a list of object types")
    return [clean(t, prop) for t in value]


def _time_zone(value: Any) -> str | None:
    tz = text(value, 64, "timeZone")
    if tz is None:
        return None
    try:
        ZoneInfo(tz)  # guided actions compute the user's day in it
    except (ValueError, KeyError, OSError):
        raise RecordError(f"unknown timeZone {tz[:40]!r}") from None
    return tz


def _thresholds(value: Any) -> dict[str, Any]:
    """The known thresholds, validated as the settings API does (unknown keys are dropped)."""
    given = {k: v for k, v in _object(value, "risk_thresholds").items() if k in RiskThresholds.model_fields}
    try:
        valid = RiskThresholds.model_validate(given)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RecordError(f"risk_thresholds.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    return {k: getattr(valid, k) for k in given}


def parse_account(record: Any) -> AccountRecord:
    if not isinstance(record, dict) or record.get("id") in (None, ""):
        raise RecordError("the 'account' object needs an id")
    aid = ident(record["id"], "account id")
    name = text(record.get("name"), 255, "account name")
    settings = record.get("settings")
    settings = {} if settings is None else _object(settings, "account settings")
    values: dict[str, Any] = {
        k: parse_bool(settings[k], k)
        for k in ("customer_analysis_enabled", "hipaa_sensitive_data")
        if k in settings
    }
    if settings.get("insight_language") not in (None, ""):
        values["insight_language"] = scalar(settings["insight_language"], "insight_language")[:16]
    if settings.get("risk_thresholds") is not None:
        values["risk_thresholds"] = _thresholds(settings["risk_thresholds"])
    return AccountRecord(aid, name, values)


def parse_team(r: Any) -> dict[str, Any]:
    r = _object(r, "record")
    return {
        "id": ident(r.get("id")),
        "name": text(r.get("name"), 255, "name") or "",
        "parent_id": _optional_id(r.get("parentTeamId"), "parentTeamId"),
    }


def parse_permission_set(r: Any) -> dict[str, Any]:
    r = _object(r, "record")
    rid = ident(r.get("id"))
    scopes = r.get("scopes")
    unassigned = r.get("unassigned")
    return {
        "id": rid,
        "name": text(r.get("name"), 255, "name") or "",
        "scopes": {} if scopes is None else _scopes(scopes, "scopes"),
        "unassigned": [] if unassigned is None else _types(unassigned, "unassigned"),
    }


def parse_owner(r: Any) -> OwnerRecord:
    r = _object(r, "record")
    uid = ident(r.get("id"))
    teams = r.get("teams") or []
    if not isinstance(teams, list) or any(
        not isinstance(t, dict) or t.get("id") in (None, "") for t in teams
    ):
        raise RecordError("teams must be a list of {id, primary}")
    scopes, unassigned = r.get("scopes"), r.get("unassigned")
    row = {
        "id": uid,
        "email": lowered(r.get("email"), 320, "email") or "",
        "first_name": text(r.get("firstName"), 255, "firstName") or "",
        "last_name": text(r.get("lastName"), 255, "lastName") or "",
        "super_admin": parse_bool(r.get("superAdmin", False), "superAdmin"),
        "permission_set_id": _optional_id(r.get("permissionSetId"), "permissionSetId"),
        "scopes": None if scopes is None else _scopes(scopes, "scopes"),
        "unassigned": None if unassigned is None else _types(unassigned, "unassigned"),
        "time_zone": _time_zone(r.get("timeZone")),
        "archived": parse_bool(r.get("archived", False), "archived"),
    }
    wanted = {ident(t["id"], "teams.id"): parse_bool(t.get("primary", False), "teams.primary") for t in teams}
    return OwnerRecord(row, wanted)


def _stage(s: Any, n: int) -> dict[str, Any]:
    s = _object(s, "each stage")
    sid = ident(s.get("id"), "stage id")
    meta = s.get("metadata")
    meta = {} if meta is None else _object(meta, f"stage {sid[:40]!r} metadata")
    closed = parse_bool(s.get("isClosed", meta.get("isClosed", False)), "isClosed")
    won = s.get("isWon", meta.get("isWon"))
    probability = meta.get("probability")
    order = s.get("displayOrder")
    return {
        "id": sid,
        "label": text(s.get("label"), 255, "stage label") or "",
        "display_order": n if order is None else parse_int(order, "displayOrder"),
        "is_closed": closed,
        # the CRM marks closed won by probability 1 when it gives no isWon
        "is_won": parse_bool(won, "isWon")
        if won is not None
        else (closed and isinstance(probability, str | int | float) and str(probability) in ("1", "1.0")),
    }


def parse_pipeline(r: Any) -> PipelineRecord:
    r = _object(r, "record")
    pid = ident(r.get("id"))
    stages = r.get("stages") or []
    if not isinstance(stages, list):
        raise RecordError("stages must be a list")
    rows = [{"pipeline_id": pid, **_stage(s, n)} for n, s in enumerate(stages)]
    return PipelineRecord({"id": pid, "label": text(r.get("label"), 255, "label") or ""}, rows)


def parse_score_point(r: Any) -> ScorePoint:
    r = _object(r, "record")
    if r.get("dealId") in (None, ""):
        raise RecordError("missing dealId")
    ts = parse_time(r.get("timestamp"), "timestamp")
    if ts is None:
        raise RecordError("missing timestamp")
    value = r.get("value")
    return ScorePoint(ident(r["dealId"], "dealId"), ts, None if value is None else scalar(value, "value"))
