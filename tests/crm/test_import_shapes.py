"""A record of the wrong shape is rejected with a reason; the batch goes on (issue 10, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from insights.crm import models as m
from insights.crm.importer import ImportAborted
from tests.crm.helpers import run, small_doc


def batch(**lists: list[Any]) -> dict[str, Any]:
    return {"account": {"id": "acme"}, **lists}


def reasons(report) -> dict[str | None, str]:  # type: ignore[no-untyped-def]
    return {r.id: r.reason for r in report.rejected}


@pytest.fixture
async def acme(sessionmaker) -> None:
    assert (await run(sessionmaker, small_doc())).rejected == []


async def test_a_permission_set_with_list_scopes_is_rejected_with_a_reason_and_the_rest_of_the_batch_imports(
    sessionmaker, acme
) -> None:
    sets = [
        {"id": "bad", "name": "Bad", "scopes": ["deal", "all"]},
        {"id": "odd", "scopes": {"deal": ["all"]}},
        {"id": "worse", "scopes": {"deal": "all"}, "unassigned": 7},
        {"id": "good", "name": "Good", "scopes": {"deal": "all"}, "unassigned": ["company"]},
    ]
    report = await run(sessionmaker, batch(permission_sets=sets))
    assert reasons(report) == {
        "bad": "scopes must be an object",
        "odd": "unknown scope for 'deal'",
        "worse": "unassigned must be a list of object types",
    }
    assert report.created == {"permission_set": 1}
    async with sessionmaker() as s:
        assert (await s.get(m.PermissionSet, ("acme", "good"))).scopes == {"deal": "all"}


@pytest.mark.parametrize(
    ("stage", "reason"),
    [
        ({"id": "s1", "displayOrder": "first"}, "not a number in displayOrder: 'first'"),
        ({"id": "s1", "displayOrder": [1]}, "displayOrder must be a string, not a list"),
        ({"id": "s1", "displayOrder": 10**12}, "displayOrder is out of range: 1e+12"),
        ("closedwon", "each stage must be an object"),
        ({"label": "No id"}, "missing stage id"),
        ({"id": "s1", "metadata": "closed"}, "stage 's1' metadata must be an object"),
        ({"id": "s1", "isClosed": {"yes": 1}}, "not a boolean in isClosed: \"{'yes': 1}\""),
    ],
    ids=["word", "list", "huge", "not-an-object", "no-id", "metadata", "isClosed"],
)
async def test_a_pipeline_with_a_bad_stage_is_rejected_and_the_next_pipeline_imports(
    sessionmaker, acme, stage: Any, reason: str
) -> None:
    pipelines = [
        {"id": "p-bad", "label": "Bad", "stages": [{"id": "ok", "displayOrder": 0}, stage]},
        {"id": "p-good", "label": "Good", "stages": [{"id": "s1", "displayOrder": "2"}]},
    ]
    report = await run(sessionmaker, batch(pipelines=pipelines))
    assert reasons(report) == {"p-bad": reason}
    async with sessionmaker() as s:
        assert await s.get(m.Pipeline, ("acme", "p-bad")) is None
        assert (await s.get(m.PipelineStage, ("acme", "p-good", "s1"))).display_order == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"teams": {"id": "t-uk"}}, "teams must be a list of {id, primary}"),
        ({"teams": [{"id": ["t-uk"]}]}, "teams.id must be a string or an integer"),
        ({"scopes": ["deal"]}, "scopes must be an object"),
        ({"unassigned": "company"}, "unassigned must be a list of object types"),
        ({"timeZone": "Mars/Olympus"}, "unknown timeZone 'Mars/Olympus'"),
        ({"timeZone": {"name": "UTC"}}, "timeZone must be a string, not an object"),
        ({"permissionSetId": {"id": "rep"}}, "permissionSetId must be a string or an integer"),
        ({"email": "x" * 400}, "email is longer than 320 characters"),
        ({"firstName": "Ana\x00"}, "firstName contains a NUL character"),
    ],
    ids=["teams", "team-id", "scopes", "unassigned", "tz", "tz-object", "set-id", "email", "nul"],
)
async def test_an_owner_of_the_wrong_shape_is_rejected_and_the_next_owner_imports(
    sessionmaker, acme, change: dict[str, Any], reason: str
) -> None:
    bad = {"id": "201", "email": "x@acme.example", "firstName": "X", **change}
    good = {"id": "202", "email": "y@acme.example", "timeZone": "Europe/Paris", "teams": [{"id": "t-uk"}]}
    report = await run(sessionmaker, batch(owners=[bad, good]))
    assert reasons(report) == {"201": reason}
    async with sessionmaker() as s:
        assert await s.get(m.User, ("acme", "201")) is None
        assert (await s.get(m.User, ("acme", "202"))).time_zone == "Europe/Paris"


async def test_teams_and_score_points_of_the_wrong_shape_are_rejected(sessionmaker, acme) -> None:
    report = await run(
        sessionmaker,
        batch(
            teams=[{"id": "t-x", "name": ["X"]}, {"id": "t-y", "parentTeamId": {"id": 1}}, {"id": "t-z"}],
            deal_score_history=[
                {"dealId": "9001", "timestamp": "2026-11-06T00:00:00Z", "value": {"score": 1}},
                {"dealId": ["9001"], "timestamp": "2026-11-06T00:00:00Z", "value": 1},
                {"dealId": "9001", "timestamp": "2026-11-07T00:00:00Z", "value": 61},
            ],
        ),
    )
    assert sorted((r.type, r.id, r.reason) for r in report.rejected) == [
        ("deal_score_history", None, "dealId must be a string or an integer"),
        ("deal_score_history", None, "value must be a string, not an object"),
        ("teams", "t-x", "name must be a string, not a list"),
        ("teams", "t-y", "parentTeamId must be a string or an integer"),
    ]
    assert report.created["team"] == 1
    async with sessionmaker() as s:
        h = m.DealPropertyHistory
        values = await s.scalars(select(h.value).where(h.deal_id == "9001", h.property == "hs_deal_score"))
        assert "61" in set(values)


def rec(rid: Any = "r", extra: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    return {"id": rid, "properties": props, **(extra or {})}


T = "1794000000000"  # a valid hs_timestamp


@pytest.mark.parametrize(
    ("key", "record", "reason"),
    [
        ("companies", rec(name={"en": "X"}), "name must be a string, not an object"),
        ("companies", rec("c" * 65), "id is longer than 64 characters"),
        ("companies", rec({"n": 1}), "id must be a string or an integer"),
        ("contacts", rec(email="İ" * 300), "email is longer than 320 characters"),  # longer once lowered
        ("deals", rec(dealname="D", amount="inf"), "not a finite number in amount: 'inf'"),
        (
            "deals",
            rec(dealname="D", extra={"propertiesWithHistory": {"amount": 5}}),
            "propertiesWithHistory.amount must be a list",
        ),
        (
            "deals",
            rec(dealname="D", hs_shared_user_ids="1;" + "9" * 70),
            "hs_shared_user_ids is longer than 64 characters",
        ),
        (
            "notes",
            rec(hs_timestamp="0001-01-01T00:00:00+05:00"),
            "unparseable date in hs_timestamp: '0001-01-01T00:00:00+05:00'",
        ),
        ("notes", rec(hs_timestamp=T, hs_note_body="a\x00b"), "hs_note_body contains a NUL character"),
        ("notes", rec(hs_timestamp=T, hs_note_body="a\ud800"), "hs_note_body is not valid Unicode text"),
        (
            "emails",
            rec(hs_timestamp=T, hs_email_open_count="1e12"),
            "hs_email_open_count is out of range: 1e+12",
        ),
        (
            "notes",
            rec(hs_timestamp=T, extra={"associations": {"deals": [{"id": ["9001"]}]}}),
            "associations.deals must be a string or an integer",
        ),
    ],
)
async def test_a_crm_record_with_a_value_of_the_wrong_shape_is_rejected_with_a_reason(
    sessionmaker, acme, key: str, record: dict[str, Any], reason: str
) -> None:
    report = await run(sessionmaker, batch(**{key: [record]}))
    assert [r.reason for r in report.rejected] == [reason]
    report.model_dump_json()  # the report itself is always JSON


async def test_account_settings_of_the_wrong_shape_abort_the_batch_with_a_reason(sessionmaker) -> None:
    for account, reason in [
        ({"id": "acme", "settings": ["x"]}, "account settings must be an object"),
        ({"id": "acme", "settings": {"risk_thresholds": [1]}}, "risk_thresholds must be an object"),
        (
            {"id": "acme", "settings": {"risk_thresholds": {"inactive_days": "x"}}},
            "risk_thresholds.inactive_days: Input should be a valid integer",
        ),
        ({"id": ["acme"]}, "account id must be a string or an integer"),
        ({"id": "acme", "name": {"n": 1}}, "account name must be a string, not an object"),
    ]:
        with pytest.raises(ImportAborted, match=reason.replace(".", r"\.")):
            await run(sessionmaker, {"account": account})


async def test_account_risk_thresholds_are_validated_as_the_settings_api_does(sessionmaker) -> None:
    thresholds = {"inactive_days": "7", "amount_drop_pct": 12.5, "no_such_threshold": [1]}
    await run(sessionmaker, {"account": {"id": "acme", "settings": {"risk_thresholds": thresholds}}})
    async with sessionmaker() as s:
        assert (await s.get(m.Account, "acme")).risk_thresholds == {
            "inactive_days": 7,
            "amount_drop_pct": 12.5,
        }
