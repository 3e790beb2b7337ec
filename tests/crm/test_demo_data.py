"""The demo documents: well-formed import data whose stories hold (ids that docs and tests name)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from insights.crm.demo import CANARY, demo_account, demo_accounts
from insights.crm.models import ActivityLink, DealCompany, DealPropertyHistory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RECORD_KEYS = ("companies", "contacts", "leads", "deals", "emails", "calls", "meetings", "notes", "tasks")
ACTIVITY_KEYS = ("emails", "calls", "meetings", "notes", "tasks")


def targets(record: dict[str, Any]) -> dict[str, list[str]]:
    """Association targets per key, from v3 ``results`` or v4 ``toObjectId`` rows (duplicates kept)."""
    out: dict[str, list[str]] = {}
    for key, value in record.get("associations", {}).items():
        rows = value["results"] if isinstance(value, dict) else value
        out[key] = [str(r.get("id", r.get("toObjectId"))) for r in rows]
    return out


def ids(doc: dict[str, Any], key: str) -> set[str]:
    return {r["id"] for r in doc.get(key, [])}


def by_id(doc: dict[str, Any], key: str, rid: str) -> dict[str, Any]:
    return next(r for r in doc[key] if r["id"] == rid)


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return demo_accounts(NOW)


def test_accounts_and_settings(docs) -> None:
    assert [d["account"]["id"] for d in docs] == ["demo", "demo-clinic", "demo-off"]
    assert docs[0]["account"] == {
        "id": "demo",
        "name": "Acme Demo",
        "settings": {"customer_analysis_enabled": True, "hipaa_sensitive_data": False},
    }
    assert docs[1]["account"]["settings"]["hipaa_sensitive_data"] is True
    assert docs[2]["account"]["settings"]["customer_analysis_enabled"] is False
    assert {o["id"] for o in docs[1]["owners"]} == {"201", "202"} and len(ids(docs[1], "deals")) == 2
    assert "301" in {o["id"] for o in docs[2]["owners"]} and len(ids(docs[2], "deals")) == 1


def test_json_serialisable_and_all_property_values_are_strings(docs) -> None:
    for doc in docs:
        assert json.loads(json.dumps(doc)) == doc
        for key in RECORD_KEYS:
            for r in doc.get(key, []):
                assert set(r) >= {"id", "properties", "createdAt", "updatedAt", "archived", "associations"}
                assert r["archived"] is False
                bad = {k: v for k, v in r["properties"].items() if not isinstance(v, str)}
                assert not bad, (key, r["id"], bad)


def test_ids_unique_per_type(docs) -> None:
    for doc in docs:
        for key in (*RECORD_KEYS, "owners", "teams", "permission_sets", "pipelines"):
            dupes = [i for i, n in Counter(r["id"] for r in doc.get(key, [])).items() if n > 1]
            assert not dupes, (doc["account"]["id"], key, dupes)


def test_every_reference_resolves(docs) -> None:
    for doc in docs:
        users, teams = ids(doc, "owners"), ids(doc, "teams")
        for key in RECORD_KEYS:
            for r in doc.get(key, []):
                for target_key, target_ids in targets(r).items():
                    missing = set(target_ids) - ids(doc, target_key)
                    assert not missing, (r["id"], target_key, missing)
                owner = r["properties"].get("hubspot_owner_id")
                assert owner is None or owner in users, (r["id"], owner)
                for shared in filter(None, r["properties"].get("hs_shared_user_ids", "").split(";")):
                    assert shared in users
        for t in doc.get("teams", []):
            assert t["parentTeamId"] is None or t["parentTeamId"] in teams
        for o in doc["owners"]:
            assert o["permissionSetId"] in ids(doc, "permission_sets")
            assert {m["id"] for m in o["teams"]} <= teams
        assert {p["dealId"] for p in doc.get("deal_score_history", [])} <= ids(doc, "deals")
        stages = {s["id"] for p in doc["pipelines"] for s in p["stages"]}
        assert {d["properties"]["dealstage"] for d in doc["deals"]} <= stages


def test_main_account_people(docs) -> None:
    demo = docs[0]
    assert [t["id"] for t in demo["teams"]] == ["t-sales", "t-emea", "t-uk", "t-us"]
    owners = {o["id"]: o for o in demo["owners"]}
    assert set(owners) == {"100", "101", "102", "103", "104", "105"}
    assert owners["100"]["superAdmin"] is True and owners["101"]["email"] == "ana@acme.example"
    assert [(m["id"], m["primary"]) for m in owners["105"]["teams"]] == [("t-us", True), ("t-uk", False)]
    assert [m["id"] for m in owners["104"]["teams"]] == ["t-us"]
    rep = by_id(demo, "permission_sets", "rep")
    assert rep["scopes"]["email"] == "owned" and rep["scopes"]["deal"] == "team"
    stages = demo["pipelines"][0]["stages"]
    assert [s["displayOrder"] for s in stages] == list(range(7))
    assert stages[5]["metadata"] == {"isClosed": "true", "probability": "1.0"}


def test_budget_email_is_anas_and_linked_to_contact_c51_only(docs) -> None:
    email = by_id(docs[0], "emails", "e-budget")
    p = email["properties"]
    assert CANARY in p["hs_email_text"] and "30%" in p["hs_email_text"]
    assert p["hubspot_owner_id"] == "101" and p["hs_email_direction"] == "INCOMING_EMAIL"
    assert p["hs_email_subject"] == "Budget cut for next year"
    assert (p["hs_email_from_email"], p["hs_email_to_email"]) == (
        "priya@northwind.example",
        "ana@acme.example",
    )
    assert targets(email) == {"contacts": ["c-51"]}
    sent = datetime.fromisoformat(p["hs_timestamp"].replace("Z", "+00:00"))
    assert NOW - timedelta(days=5) <= sent <= NOW
    # the canary appears nowhere else
    assert json.dumps(docs[0]).count(CANARY) == 1


def test_globex_has_150_plus_activities_on_its_timeline(docs) -> None:
    demo = docs[0]
    deal = by_id(demo, "deals", "9005")
    linked = {("deals", "9005")} | {(k, i) for k, v in targets(deal).items() for i in v}
    on_timeline = [
        r
        for key in ("emails", "calls", "meetings", "notes")
        for r in demo[key]
        if any((k, i) in linked for k, v in targets(r).items() for i in v)
    ]
    assert len(on_timeline) >= 150
    owners = {r["properties"]["hubspot_owner_id"] for r in on_timeline}
    assert {"101", "102", "103"} <= owners
    outcomes = {r["properties"].get("hs_meeting_outcome") for r in on_timeline}
    assert "NO_SHOW" in outcomes
    bodies = " ".join(
        r["properties"].get(k, "")
        for r in on_timeline
        for k in ("hs_note_body", "hs_email_text", "hs_call_body")
    )
    assert "Ignore previous instructions" in bodies and "souhaite" in bodies
    assert len({r["properties"].get("hs_note_body") for r in demo["notes"]}) > 30  # varied texts


def test_stories_data(docs) -> None:
    demo = docs[0]
    contoso = by_id(demo, "deals", "9002")
    assert [h["value"] for h in contoso["propertiesWithHistory"]["hs_deal_score"]] == ["72", "55"]
    assert len(contoso["propertiesWithHistory"]["closedate"]) == 3
    assert any(p["dealId"] == "9002" for p in demo["deal_score_history"])
    assert not any(targets(by_id(demo, "deals", "9009")).values())
    assert by_id(demo, "deals", "9008")["properties"]["hs_shared_user_ids"] == "102"
    assert by_id(demo, "deals", "9006")["properties"]["dealstage"] == "closedlost"
    assert by_id(demo, "deals", "9007")["properties"]["dealstage"] == "closedwon"
    fabrikam = [r for k in ACTIVITY_KEYS for r in demo[k] if "9003" in targets(r).get("deals", [])]
    newest = max(
        datetime.fromisoformat(r["properties"]["hs_timestamp"].replace("Z", "+00:00")) for r in fabrikam
    )
    assert NOW - newest >= timedelta(days=19)
    # importer variety: epoch milliseconds, v4 rows, a duplicate pair
    assert by_id(demo, "calls", "call-9001-1")["properties"]["hs_timestamp"].isdigit()
    assert by_id(demo, "notes", "n-9001-1")["associations"]["deals"][0]["toObjectId"] == 9001
    assert targets(by_id(demo, "deals", "9001"))["companies"] == ["co-9", "co-9"]
    assert {r["id"] for r in demo["leads"]} >= {"l-1", "l-2"}


def test_times_follow_now_and_ids_do_not() -> None:
    a, b = demo_account(NOW), demo_account(NOW + timedelta(days=100))
    assert a == demo_account(NOW)
    for key in RECORD_KEYS:
        assert [r["id"] for r in a.get(key, [])] == [r["id"] for r in b.get(key, [])]
    ts = by_id(a, "emails", "e-budget")["properties"]["hs_timestamp"]
    assert ts != by_id(b, "emails", "e-budget")["properties"]["hs_timestamp"]


async def test_import_dedups_pairs_and_resolves_v4_rows(demo) -> None:
    async with demo() as s:
        companies = await s.scalar(
            select(func.count()).select_from(DealCompany).where(DealCompany.deal_id == "9001")
        )
        links = await s.scalar(
            select(func.count())
            .select_from(ActivityLink)
            .where(ActivityLink.activity_id == "n-9001-1", ActivityLink.object_id == "9001")
        )
        scores = await s.scalar(
            select(func.count())
            .select_from(DealPropertyHistory)
            .where(DealPropertyHistory.deal_id == "9002", DealPropertyHistory.property == "hs_deal_score")
        )
    assert companies == 1 and links == 1 and scores >= 5
