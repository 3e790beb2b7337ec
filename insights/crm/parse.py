"""CRM v3 records → rows of our tables. Pure functions: a record either parses whole or raises.

All property values arrive as strings (crm-model.md): dates are ISO 8601 or epoch milliseconds,
booleans "true"/"false", numbers decimal strings. A value that does not parse rejects the record
with a reason naming the property; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from insights.crm.values import (
    RecordError,
    email_list,
    id_list,
    ident,
    lowered,
    parse_bool,
    parse_int,
    parse_number,
    parse_time,
    scalar,
    text,
)

# Top-level keys of the import format → the object type they hold.
RECORD_KEYS = {
    "companies": "company",
    "contacts": "contact",
    "leads": "lead",
    "deals": "deal",
    "emails": "email",
    "calls": "call",
    "meetings": "meeting",
    "notes": "note",
    "tasks": "task",
}
# Association keys as they appear in records (v3 plural, sometimes singular).
ASSOC_KEYS = {
    "contacts": "contact",
    "contact": "contact",
    "companies": "company",
    "company": "company",
    "deals": "deal",
    "deal": "deal",
    "leads": "lead",
    "lead": "lead",
    "meetings": "meeting",
    "meeting": "meeting",
}
HISTORY_PROPS = ("dealstage", "closedate", "amount", "hs_deal_score", "hs_next_step")


def associations(record: dict[str, Any]) -> dict[str, list[str]]:
    """Both shapes (v3 ``{"results": [{"id"}]}`` and v4 rows ``{"toObjectId"}``), de-duplicated."""
    out: dict[str, list[str]] = {}
    raw = record.get("associations") or {}
    if not isinstance(raw, dict):
        raise RecordError("associations must be an object")
    for key, value in raw.items():
        kind = ASSOC_KEYS.get(key)
        if kind is None:
            continue
        rows = value.get("results", []) if isinstance(value, dict) else value
        if not isinstance(rows, list):
            raise RecordError(f"associations.{key} must be a list")
        ids = out.setdefault(kind, [])
        for row in rows:
            target = row.get("id", row.get("toObjectId")) if isinstance(row, dict) else row
            if target is None or str(target).strip() == "":
                raise RecordError(f"associations.{key} has a row without an id")
            target = ident(target, f"associations.{key}")
            if target not in ids:
                ids.append(target)
    return out


@dataclass
class ParsedRecord:
    """Everything one record writes: its row, association rows and property history."""

    type: str
    id: str
    row: dict[str, Any]
    links: dict[str, list[str]] = field(default_factory=dict)  # target type → ids
    history: list[tuple[str, datetime, str | None]] = field(default_factory=list)
    shares: list[tuple[str, str]] = field(default_factory=list)  # (user|team, id)


def _base(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if not isinstance(record, dict):
        raise RecordError("record must be an object")
    rid = ident(record.get("id"))
    props = record.get("properties") or {}
    if not isinstance(props, dict):
        raise RecordError("properties must be an object")
    return rid, props


def _common(record: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": parse_time(
            record.get("createdAt") or props.get("createdate") or props.get("hs_createdate"), "createdAt"
        ),
        "updated_at": parse_time(record.get("updatedAt") or props.get("hs_lastmodifieddate"), "updatedAt"),
        "archived": parse_bool(record.get("archived", False), "archived"),
        "owner_id": text(props.get("hubspot_owner_id"), 64, "hubspot_owner_id"),
    }


def parse_company(record: dict[str, Any]) -> ParsedRecord:
    rid, p = _base(record)
    row = {
        "id": rid,
        "name": text(p.get("name"), 255, "name") or "",
        "domain": lowered(p.get("domain"), 255, "domain"),
        "industry": text(p.get("industry"), 255, "industry"),
        "is_target_account": parse_bool(p.get("hs_is_target_account"), "hs_is_target_account"),
        "properties": extra_properties(p),
        **_common(record, p),
    }
    return ParsedRecord("company", rid, row, associations(record))


COMPANY_COLUMNS = frozenset(
    {"name", "domain", "industry", "hubspot_owner_id", "hs_is_target_account", "createdate"}
    | {"hs_createdate", "hs_lastmodifieddate"}
)
EXTRA_MAX = 200  # properties kept per company
EXTRA_VALUE_MAX = 2000  # characters per kept value


def extra_properties(p: dict[str, Any]) -> dict[str, str]:
    """The company's other properties as strings (what the CRM sends), so a health profile can
    name one (a renewal date). Names sorted so the stored JSON does not depend on the export's order."""
    out: dict[str, str] = {}
    for k in sorted(k for k in p if isinstance(k, str) and k not in COMPANY_COLUMNS)[:EXTRA_MAX]:
        v = p[k]
        if v is None or isinstance(v, dict | list):
            continue
        out[k[:128]] = (str(v).lower() if isinstance(v, bool) else str(v))[:EXTRA_VALUE_MAX]
    return out


def parse_contact(record: dict[str, Any]) -> ParsedRecord:
    rid, p = _base(record)
    row = {
        "id": rid,
        "email": lowered(p.get("email"), 320, "email"),
        "first_name": text(p.get("firstname"), 255, "firstname") or "",
        "last_name": text(p.get("lastname"), 255, "lastname") or "",
        "job_title": text(p.get("jobtitle"), 255, "jobtitle"),
        "lifecycle_stage": text(p.get("lifecyclestage"), 64, "lifecyclestage"),
        "lead_status": text(p.get("hs_lead_status"), 64, "hs_lead_status"),
        **_common(record, p),
    }
    return ParsedRecord("contact", rid, row, associations(record))


def parse_lead(record: dict[str, Any]) -> ParsedRecord:
    rid, p = _base(record)
    links = associations(record)
    contacts = links.get("contact", [])
    row = {
        "id": rid,
        "name": text(p.get("hs_lead_name"), 255, "hs_lead_name") or "",
        "stage": text(p.get("hs_pipeline_stage"), 64, "hs_pipeline_stage") or "new-stage-id",
        "contact_id": contacts[0] if contacts else None,
        "stage_changed_at": parse_time(
            p.get("hs_v2_date_entered_current_stage") or p.get("hs_pipeline_stage_changed_at"),
            "stage_changed_at",
        ),
        **_common(record, p),
    }
    return ParsedRecord("lead", rid, row, {"contact": contacts[:1]})


def _history(record: dict[str, Any]) -> list[tuple[str, datetime, str | None]]:
    raw = record.get("propertiesWithHistory") or {}
    if not isinstance(raw, dict):
        raise RecordError("propertiesWithHistory must be an object")
    out = []
    for prop in HISTORY_PROPS:
        entries = raw.get(prop) or []
        if not isinstance(entries, list):
            raise RecordError(f"propertiesWithHistory.{prop} must be a list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise RecordError(f"propertiesWithHistory.{prop} has a bad entry")
            ts = parse_time(entry.get("timestamp"), f"propertiesWithHistory.{prop}")
            if ts is None:
                raise RecordError(f"propertiesWithHistory.{prop} entry without timestamp")
            value = entry.get("value")
            out.append((prop, ts, None if value is None else scalar(value, f"propertiesWithHistory.{prop}")))
    return out


def parse_deal(record: dict[str, Any]) -> ParsedRecord:
    rid, p = _base(record)
    if not p.get("dealname"):
        raise RecordError("missing required property dealname")
    history = _history(record)
    stage = text(p.get("dealstage"), 64, "dealstage")
    common = _common(record, p)
    stage_times = [ts for prop, ts, v in history if prop == "dealstage" and v == stage]
    next_times = [ts for prop, ts, _ in history if prop == "hs_next_step"]
    row = {
        "id": rid,
        "name": text(p.get("dealname"), 255, "dealname"),
        "pipeline_id": text(p.get("pipeline"), 64, "pipeline") or "default",
        "stage_id": stage,
        "amount": parse_number(p.get("amount"), "amount"),
        "close_date": parse_time(p.get("closedate"), "closedate"),
        "next_step": text(p.get("hs_next_step"), None, "hs_next_step"),
        "next_step_changed_at": max(next_times) if next_times else None,
        "deal_score": parse_number(p.get("hs_deal_score"), "hs_deal_score"),
        "stage_entered_at": max(stage_times) if stage_times else common["created_at"],
        **common,
    }
    shares = [("user", u) for u in id_list(p.get("hs_shared_user_ids"), "hs_shared_user_ids")]
    shares += [("team", t) for t in id_list(p.get("hs_shared_team_ids"), "hs_shared_team_ids")]
    return ParsedRecord("deal", rid, row, associations(record), history, shares)


def _email(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": text(p.get("hs_email_subject"), None, "hs_email_subject"),
        "body": text(p.get("hs_email_text"), None, "hs_email_text"),
        "email_direction": text(p.get("hs_email_direction"), 32, "hs_email_direction"),
        "email_status": text(p.get("hs_email_status"), 32, "hs_email_status"),
        "from_email": lowered(p.get("hs_email_from_email"), 320, "hs_email_from_email"),
        "to_emails": email_list(p.get("hs_email_to_email"), "hs_email_to_email"),
        "open_count": parse_int(p.get("hs_email_open_count"), "hs_email_open_count"),
        "reply_count": parse_int(p.get("hs_email_reply_count"), "hs_email_reply_count"),
        "thread_id": text(p.get("hs_email_thread_id"), 255, "hs_email_thread_id"),
        "in_reply_to": text(p.get("hs_email_in_reply_to"), 255, "hs_email_in_reply_to"),
        "first_opened_at": parse_time(p.get("hs_email_first_opened_at"), "hs_email_first_opened_at"),
    }


def _call(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": text(p.get("hs_call_title"), None, "hs_call_title"),
        "body": text(p.get("hs_call_body"), None, "hs_call_body"),
        "call_status": text(p.get("hs_call_status"), 32, "hs_call_status"),
        "call_disposition": text(p.get("hs_call_disposition"), 64, "hs_call_disposition"),
        "call_direction": text(p.get("hs_call_direction"), 32, "hs_call_direction"),
        "call_duration_ms": parse_int(p.get("hs_call_duration"), "hs_call_duration"),
        "call_source": text(p.get("hs_call_source"), 64, "hs_call_source"),
    }


def _meeting(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": text(p.get("hs_meeting_title"), None, "hs_meeting_title"),
        "body": text(p.get("hs_meeting_body"), None, "hs_meeting_body"),
        "internal_notes": text(p.get("hs_internal_meeting_notes"), None, "hs_internal_meeting_notes"),
        "meeting_start": parse_time(p.get("hs_meeting_start_time"), "hs_meeting_start_time"),
        "meeting_end": parse_time(p.get("hs_meeting_end_time"), "hs_meeting_end_time"),
        "meeting_outcome": text(p.get("hs_meeting_outcome"), 32, "hs_meeting_outcome"),
    }


def _note(p: dict[str, Any]) -> dict[str, Any]:
    return {"title": None, "body": text(p.get("hs_note_body"), None, "hs_note_body")}


def _task(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": text(p.get("hs_task_subject"), None, "hs_task_subject"),
        "body": text(p.get("hs_task_body"), None, "hs_task_body"),
        "task_status": text(p.get("hs_task_status"), 32, "hs_task_status"),
        "task_priority": text(p.get("hs_task_priority"), 16, "hs_task_priority"),
        "task_type": text(p.get("hs_task_type"), 16, "hs_task_type"),
        "sequence_id": text(
            p.get("hs_sequence_id") or p.get("hs_task_sequence_id") or p.get("hs_sequence_enrollment_id"),
            64,
            "hs_sequence_id",
        ),
    }


ACTIVITY_FIELDS = {"email": _email, "call": _call, "meeting": _meeting, "note": _note, "task": _task}


def parse_activity(kind: str, record: dict[str, Any]) -> ParsedRecord:
    rid, p = _base(record)
    occurred = parse_time(p.get("hs_timestamp"), "hs_timestamp")
    if kind == "meeting" and occurred is None:
        occurred = parse_time(p.get("hs_meeting_start_time"), "hs_meeting_start_time")
    if occurred is None:
        raise RecordError("missing required property hs_timestamp")
    links = associations(record)
    row = {"id": rid, "type": kind, "occurred_at": occurred, **_common(record, p), **ACTIVITY_FIELDS[kind](p)}
    if kind == "task":
        follows = links.pop("meeting", []) or id_list(
            p.get("hs_task_follows_meeting_id"), "hs_task_follows_meeting_id"
        )
        row["follows_meeting_id"] = follows[0] if follows else None
    else:
        links.pop("meeting", None)
    return ParsedRecord(kind, rid, row, links)


def parse_record(kind: str, record: dict[str, Any]) -> ParsedRecord:
    """Dispatch on the object type (``deal``, ``email``, …)."""
    if kind == "company":
        return parse_company(record)
    if kind == "contact":
        return parse_contact(record)
    if kind == "lead":
        return parse_lead(record)
    if kind == "deal":
        return parse_deal(record)
    return parse_activity(kind, record)
