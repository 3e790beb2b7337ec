"""Any JSON value in any field of any record kind: the import never raises (only ImportAborted, for
the account), a bad record is rejected with a reason, and the record after it still imports."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.crm import models as m
from insights.crm.importer import ImportAborted
from insights.crm.parse import RECORD_KEYS
from insights.insight.retrieval import deal_context
from insights.permissions.viewer import load_viewer
from tests.crm.helpers import run, small_doc
from tests.hypothesis_profiles import examples

T = "2026-11-12T10:00:00Z"
ASSOC = {"contacts": {"results": [{"id": "51"}]}}
# One valid record per kind, and the fields the fuzz replaces (paths into the record).
TEMPLATES: dict[str, dict[str, Any]] = {
    "owners": {
        "id": "x",
        "email": "x@acme.example",
        "firstName": "X",
        "superAdmin": False,
        "permissionSetId": "rep",
        "scopes": {"deal": "all"},
        "unassigned": ["company"],
        "timeZone": "Europe/London",
        "archived": False,
        "teams": [{"id": "t-uk", "primary": True}],
    },
    "teams": {"id": "x", "name": "X", "parentTeamId": "t-uk"},
    # "rep" is the set the account's user holds: what the fuzz stores there, a viewer resolves
    "permission_sets": {"id": "rep", "name": "X", "scopes": {"deal": "team"}, "unassigned": ["company"]},
    "pipelines": {
        "id": "x",
        "label": "X",
        "stages": [{"id": "s", "label": "S", "displayOrder": 0, "metadata": {"isClosed": "false"}}],
    },
    "deal_score_history": {"dealId": "9001", "value": 60, "timestamp": T},
    "companies": {
        "id": "x",
        "properties": {"name": "X", "domain": "x.example", "hs_is_target_account": "true"},
    },
    "contacts": {
        "id": "x",
        "properties": {"email": "x@x.example", "firstname": "X", "hubspot_owner_id": "101"},
        "associations": {"companies": {"results": [{"id": "9"}]}},
    },
    "leads": {"id": "x", "properties": {"hs_lead_name": "X"}, "associations": ASSOC},
    "deals": {
        "id": "x",
        "createdAt": T,
        "archived": False,
        "properties": {"dealname": "X", "amount": "10", "closedate": T, "hs_shared_user_ids": "101"},
        "propertiesWithHistory": {"amount": [{"value": "5", "timestamp": T}]},
        "associations": ASSOC,
    },
    "emails": {
        "id": "x",
        "properties": {"hs_timestamp": T, "hs_email_to_email": "a@b.example", "hs_email_open_count": "2"},
        "associations": ASSOC,
    },
    "calls": {
        "id": "x",
        "properties": {"hs_timestamp": T, "hs_call_duration": "1000"},
        "associations": ASSOC,
    },
    "meetings": {
        "id": "x",
        "properties": {"hs_meeting_start_time": T, "hs_internal_meeting_notes": "n"},
        "associations": ASSOC,
    },
    "notes": {"id": "x", "properties": {"hs_timestamp": T, "hs_note_body": "b"}, "associations": ASSOC},
    "tasks": {"id": "x", "properties": {"hs_timestamp": T, "hs_task_follows_meeting_id": "m"}},
}
ACTIVITY_KEYS = ("emails", "calls", "meetings", "notes", "tasks")
# key → (the kind the report counts it under, its table)
KINDS: dict[str, tuple[str, Any]] = {
    "owners": ("owner", m.User),
    "teams": ("team", m.Team),
    "permission_sets": ("permission_set", m.PermissionSet),
    "pipelines": ("pipeline", m.Pipeline),
    "companies": ("company", m.Company),
    "contacts": ("contact", m.Contact),
    "leads": ("lead", m.Lead),
    "deals": ("deal", m.Deal),
    **{k: (k[:-1], m.Activity) for k in ACTIVITY_KEYS},
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


NASTY = ["", " ", "\x00", "a\ud800", "x" * 65, "x" * 400, "9" * 30, "1e400", "inf", "nan", "true", "İ" * 200]
NASTY += ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "99999999999999999999", "-1", "1.5"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(NASTY)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
GOOD_POINT = datetime(2026, 11, 13, 10, tzinfo=UTC)


@st.composite
def mutated(draw: st.DrawFn, key: str) -> Any:
    record = copy.deepcopy(TEMPLATES[key])
    path = draw(st.sampled_from([(), *paths(record)]))
    if not path:
        return draw(JSON)  # the whole record
    parent = record
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()) and path[-1] != "id":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return record


@pytest.mark.parametrize("key", list(TEMPLATES))
@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_any_value_in_any_field_is_a_rejection_with_a_reason_never_a_failed_batch(
    sessionmaker, key: str, data: st.DataObject
) -> None:
    portal = "acme"  # seeded once per test; examples share it (a record seen before is counted unchanged)
    async with sessionmaker() as s:
        seeded = await s.get(m.Account, portal) is not None
    if not seeded:
        assert (await run(sessionmaker, small_doc())).rejected == []
    bad = data.draw(mutated(key), label="record")
    good = copy.deepcopy(TEMPLATES[key])
    if "id" in good:
        good["id"] = "good"
    else:
        good["timestamp"] = GOOD_POINT.isoformat()
    report = await run(sessionmaker, {"account": {"id": portal}, key: [bad, good]})
    report.model_dump_json()  # the report always travels as JSON

    assert report.rejected_count == len(report.rejected) <= 1
    rid = bad.get("id") if isinstance(bad, dict) and not report.rejected else None  # stored: query it
    await _still_usable(
        sessionmaker, portal, ["101", "x", "good", *([str(rid)] if isinstance(rid, str | int) else [])]
    )
    async with sessionmaker() as s:
        if key == "deal_score_history":  # no id, not counted: find the good point
            h = m.DealPropertyHistory
            found = await s.scalar(select(h.value).where(h.portal_id == portal, h.timestamp == GOOD_POINT))
            assert found == "60" and all(r.type == key and r.reason for r in report.rejected)
            return
        kind, table = KINDS[key]
        assert await s.get(table, (portal, "good")) is not None  # the record after the bad one imported
    for r in report.rejected:
        assert r.type == (kind if key in RECORD_KEYS else key) and r.reason
    counted = sum(outcome.get(kind, 0) for outcome in (report.created, report.updated, report.unchanged))
    assert counted + report.rejected_count == 2  # each record is either rejected or counted


async def _still_usable(sm: async_sessionmaker[AsyncSession], portal: str, users: list[str]) -> None:
    """What was stored serves its viewers: their scopes resolve, their day has a time zone (guided
    actions), and the deal's context (timeline, redaction) builds."""
    async with sm() as s:
        for uid in users:
            viewer = await load_viewer(s, portal, uid)
            if viewer is not None:
                ZoneInfo(viewer.time_zone or "UTC")
                await deal_context(s, "9001", viewer, now=GOOD_POINT)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(account=st.builds(lambda s, n: {"id": "acme", "settings": s, "name": n}, JSON, JSON) | JSON)
async def test_any_account_object_imports_or_aborts_with_a_reason(sessionmaker, account: Any) -> None:
    try:
        report = await run(sessionmaker, {"account": account})
    except ImportAborted as exc:
        assert str(exc)
    else:
        assert report.rejected == []
