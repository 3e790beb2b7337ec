"""CRM v3 records → rows: a record parses whole or is rejected with a reason naming the property."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from insights.crm.parse import associations, parse_record
from insights.crm.values import RecordError


def deal(**props: Any) -> dict[str, Any]:
    return {
        "id": "9001",
        "createdAt": "2026-09-01T08:00:00Z",
        "properties": {"dealname": "Acme renewal", "dealstage": "s2", **props},
        "propertiesWithHistory": {
            "dealstage": [
                {"value": "s1", "timestamp": "2026-09-01T08:00:00Z"},
                {"value": "s2", "timestamp": "1760000000000"},  # epoch milliseconds
            ]
        },
        "associations": {"contacts": {"results": [{"id": "c1"}, {"id": "c1"}, {"id": 42}]}},
    }


def test_a_deal_parses_typed_values_history_links_and_shares() -> None:
    parsed = parse_record(
        "deal",
        deal(
            amount="12,500.50",
            closedate="2026-12-31",
            hs_deal_score="55",
            hs_shared_user_ids="u7;u8",
            hs_shared_team_ids="t1",
        ),
    )
    assert (parsed.type, parsed.id) == ("deal", "9001")
    assert parsed.row["name"] == "Acme renewal" and parsed.row["pipeline_id"] == "default"
    assert parsed.row["amount"] == 12500.5 and parsed.row["deal_score"] == 55.0
    assert parsed.row["close_date"] == datetime(2026, 12, 31, tzinfo=UTC)
    entered = datetime.fromtimestamp(1_760_000_000, tz=UTC)
    assert parsed.row["stage_entered_at"] == entered  # when it entered its current stage
    assert [(p, v) for p, _, v in parsed.history] == [("dealstage", "s1"), ("dealstage", "s2")]
    assert parsed.links == {"contact": ["c1", "42"]}  # de-duplicated, ids as strings
    assert parsed.shares == [("user", "u7"), ("user", "u8"), ("team", "t1")]


@pytest.mark.parametrize(
    ("props", "reason"),
    [
        ({"dealname": ""}, "missing required property dealname"),
        ({"amount": "lots"}, "not a number in amount"),
        ({"amount": "inf"}, "not a finite number in amount"),
        ({"closedate": "next week"}, "unparseable date in closedate"),
        ({"hs_deal_score": "NaN"}, "not a finite number in hs_deal_score"),
    ],
)
def test_a_bad_deal_value_rejects_the_record_naming_the_property(props: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_record("deal", deal(**props))


def test_a_deal_history_entry_without_timestamp_is_rejected() -> None:
    record = deal()
    record["propertiesWithHistory"]["amount"] = [{"value": "10"}]
    with pytest.raises(RecordError, match="propertiesWithHistory.amount entry without timestamp"):
        parse_record("deal", record)


def test_a_contact_lowercases_its_email_and_reads_booleans() -> None:
    parsed = parse_record(
        "contact",
        {
            "id": 501,
            "archived": "false",
            "properties": {"email": "Ana.Buyer@Acme.COM", "firstname": "Ana", "jobtitle": "CFO"},
        },
    )
    assert parsed.id == "501"
    assert parsed.row["email"] == "ana.buyer@acme.com" and parsed.row["job_title"] == "CFO"
    assert parsed.row["last_name"] == "" and parsed.row["archived"] is False


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"properties": {}}, "missing id"),
        ({"id": True, "properties": {}}, "id must be a string or an integer"),
        ({"id": "x" * 65, "properties": {}}, "id is longer than 64 characters"),
        ({"id": "c1", "properties": ["email"]}, "properties must be an object"),
        ({"id": "c1", "archived": "maybe", "properties": {}}, "not a boolean in archived"),
        ({"id": "c1", "properties": {"email": "a" * 321}}, "email is longer than 320 characters"),
        ({"id": "c1", "properties": {"firstname": "A\x00na"}}, "firstname contains a NUL character"),
    ],
)
def test_a_bad_contact_is_rejected_with_its_reason(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_record("contact", record)


def test_a_company_parses_its_target_account_flag() -> None:
    parsed = parse_record(
        "company",
        {"id": "co1", "properties": {"name": "Acme", "domain": "ACME.com", "hs_is_target_account": "true"}},
    )
    assert parsed.row["domain"] == "acme.com" and parsed.row["is_target_account"] is True


def test_an_email_takes_its_time_and_lowercased_recipients() -> None:
    parsed = parse_record(
        "email",
        {
            "id": "e-1",
            "properties": {
                "hs_timestamp": "2026-11-18T09:00:00+01:00",
                "hs_email_subject": "Revised quote",
                "hs_email_to_email": "Ana@Acme.com; ben@acme.com",
                "hs_email_open_count": "3",
            },
            "associations": {"deals": [{"toObjectId": 9001}], "meetings": [{"id": "m-1"}]},
        },
    )
    assert parsed.type == "email" and parsed.row["occurred_at"] == datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
    assert parsed.row["to_emails"] == "ana@acme.com;ben@acme.com" and parsed.row["open_count"] == 3
    assert parsed.links == {"deal": ["9001"]}  # only tasks keep a meeting link


def test_a_meeting_without_hs_timestamp_falls_back_to_its_start_time() -> None:
    parsed = parse_record(
        "meeting", {"id": "m-1", "properties": {"hs_meeting_start_time": "2026-11-14T15:00:00Z"}}
    )
    assert parsed.row["occurred_at"] == datetime(2026, 11, 14, 15, 0, tzinfo=UTC)


def test_an_activity_without_any_time_is_rejected() -> None:
    with pytest.raises(RecordError, match="missing required property hs_timestamp"):
        parse_record("note", {"id": "n-1", "properties": {"hs_note_body": "hello"}})


def test_a_task_records_the_meeting_it_follows() -> None:
    parsed = parse_record(
        "task",
        {
            "id": "t-1",
            "properties": {"hs_timestamp": "2026-11-15T10:00:00Z", "hs_task_status": "NOT_STARTED"},
            "associations": {"meetings": {"results": [{"id": "m-1"}]}},
        },
    )
    assert parsed.row["follows_meeting_id"] == "m-1" and "meeting" not in parsed.links


def test_a_call_duration_out_of_range_is_rejected() -> None:
    with pytest.raises(RecordError, match="hs_call_duration is out of range"):
        parse_record("call", {"id": "k-1", "properties": {"hs_timestamp": "0", "hs_call_duration": "1e30"}})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (["contacts"], "associations must be an object"),
        ({"contacts": "c1"}, "associations.contacts must be a list"),
        ({"contacts": [{"id": " "}]}, "associations.contacts has a row without an id"),
    ],
)
def test_bad_association_shapes_are_rejected(raw: Any, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        associations({"associations": raw})


def test_unknown_association_kinds_are_ignored() -> None:
    assert associations({"associations": {"tickets": [{"id": "x"}], "company": ["co1"]}}) == {
        "company": ["co1"]
    }


def test_a_deals_next_step_change_time_is_its_newest_history_entry() -> None:
    record = deal(hs_next_step="Send the security review")
    record["propertiesWithHistory"]["hs_next_step"] = [
        {"value": "Book a demo", "timestamp": "2026-10-01T09:00:00Z"},
        {"value": "Send the security review", "timestamp": "2026-11-02T09:00:00Z"},
    ]
    parsed = parse_record("deal", record)
    assert parsed.row["next_step"] == "Send the security review"
    assert parsed.row["next_step_changed_at"] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_record("deal", deal()).row["next_step_changed_at"] is None


@pytest.mark.parametrize(
    "props",
    [
        {"hs_v2_date_entered_current_stage": "2026-11-03T10:00:00Z"},
        {"hs_pipeline_stage_changed_at": "2026-11-03T10:00:00Z"},
        # The v2 property wins when both are given: it is the one the CRM keeps current.
        {"hs_v2_date_entered_current_stage": "2026-11-03T10:00:00Z", "hs_pipeline_stage_changed_at": "0"},
    ],
)
def test_a_leads_stage_change_time_reads_either_property(props: dict[str, str]) -> None:
    parsed = parse_record(
        "lead",
        {
            "id": "l-1",
            "createdAt": "2026-10-01T08:00:00Z",
            "properties": {"hs_lead_name": "Acme lead", "hs_pipeline_stage": "attempting", **props},
            "associations": {"contacts": [{"id": "c-1"}, {"id": "c-2"}]},
        },
    )
    assert parsed.row["stage_changed_at"] == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert parsed.row["contact_id"] == "c-1" and parsed.links == {"contact": ["c-1"]}  # one contact per lead


def test_an_email_keeps_when_it_was_first_opened() -> None:
    parsed = parse_record(
        "email",
        {
            "id": "e-2",
            "properties": {
                "hs_timestamp": "2026-11-18T09:00:00Z",
                "hs_email_first_opened_at": "1763460000000",
            },
        },
    )
    assert parsed.row["first_opened_at"] == datetime.fromtimestamp(1_763_460_000, tz=UTC)
    with pytest.raises(RecordError, match="hs_email_first_opened_at"):
        parse_record(
            "email",
            {"id": "e-3", "properties": {"hs_timestamp": "0", "hs_email_first_opened_at": "soon"}},
        )
