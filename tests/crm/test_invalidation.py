"""A change reaches every deal whose insight may show it, by the links and addresses already stored
(issue 10, items 2 and 3): the deal's timeline version moves, so its cache keys do."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from insights.crm import models as m
from tests.crm.helpers import change, run, small_doc, timeline_version

ZED = {
    "id": "77",
    "properties": {"email": "Zed@Outside.example", "firstname": "Zed", "hubspot_owner_id": "101"},
}


def batch(**lists: list[dict[str, Any]]) -> dict[str, Any]:
    return {"account": {"id": "acme"}, **lists}


def record(doc: dict[str, Any], key: str, rid: str) -> dict[str, Any]:
    return next(r for r in doc[key] if r["id"] == rid)


@pytest.fixture
async def acme(sessionmaker) -> dict[str, Any]:
    """The small account plus a contact on no deal whose address is in the deal's note."""
    doc = small_doc()
    doc["contacts"].append(ZED)
    doc["notes"][0]["properties"]["hs_note_body"] = "Kickoff. Legal: loop in zed@outside.example"
    report = await run(sessionmaker, doc)
    assert report.rejected == []
    return doc


async def test_reassigning_an_activity_without_its_associations_moves_the_deal_timeline_version(
    sessionmaker, acme
) -> None:
    before = await timeline_version(sessionmaker, "9001")
    note = change(record(acme, "notes", "n1"), hubspot_owner_id="102")  # linked to the deal itself
    report = await run(sessionmaker, batch(notes=[note]))
    assert report.updated == {"note": 1}
    assert await timeline_version(sessionmaker, "9001") == before + 1


async def test_reassigning_an_activity_linked_only_to_a_contact_moves_the_version_of_the_contacts_deals(
    sessionmaker, acme
) -> None:
    before = await timeline_version(sessionmaker, "9001")
    email = change(record(acme, "emails", "e1"), hubspot_owner_id="102")  # on contact 51, who is on 9001
    await run(sessionmaker, batch(emails=[email]))
    assert await timeline_version(sessionmaker, "9001") == before + 1


async def test_archiving_an_activity_without_its_associations_moves_the_deal_timeline_version(
    sessionmaker, acme
) -> None:
    before = await timeline_version(sessionmaker, "9001")
    await run(sessionmaker, batch(notes=[change(record(acme, "notes", "n1"), archived=True)]))
    assert await timeline_version(sessionmaker, "9001") == before + 1


async def test_an_activity_sent_again_unchanged_moves_nothing(sessionmaker, acme) -> None:
    before = await timeline_version(sessionmaker, "9001")
    report = await run(sessionmaker, batch(notes=[change(record(acme, "notes", "n1"))]))
    assert report.unchanged["note"] == 1 and report.updated == {}
    assert await timeline_version(sessionmaker, "9001") == before


@pytest.mark.parametrize(
    "what",
    [{"hubspot_owner_id": "102"}, {"email": "zed@elsewhere.example"}, {"archived": True}],
    ids=["owner", "email", "archived"],
)
async def test_a_contact_change_moves_the_version_of_a_deal_whose_activity_text_holds_its_address(
    sessionmaker, acme, what: dict[str, Any]
) -> None:
    before = await timeline_version(sessionmaker, "9001")
    archived = what.pop("archived", None)
    report = await run(sessionmaker, batch(contacts=[change(ZED, archived=archived, **what)]))
    assert report.updated == {"contact": 1}
    assert await timeline_version(sessionmaker, "9001") == before + 1


async def test_a_contact_taking_an_address_already_in_an_activity_moves_that_deals_version(
    sessionmaker, acme
) -> None:
    before = await timeline_version(sessionmaker, "9001")
    other = {"id": "78", "properties": {"email": "other@else.example", "hubspot_owner_id": "101"}}
    await run(sessionmaker, batch(contacts=[other]))
    assert await timeline_version(sessionmaker, "9001") == before  # its address is in no text
    await run(sessionmaker, batch(contacts=[change(other, email="ZED@outside.example")]))
    assert await timeline_version(sessionmaker, "9001") == before + 1


async def test_a_contact_change_that_reaches_no_deal_moves_nothing(sessionmaker, acme) -> None:
    before = await timeline_version(sessionmaker, "9001")
    await run(sessionmaker, batch(contacts=[change(ZED, jobtitle="Counsel")]))  # not who may read it
    loner = {"id": "79", "properties": {"email": "loner@nowhere.example", "hubspot_owner_id": "101"}}
    await run(sessionmaker, batch(contacts=[loner]))
    await run(sessionmaker, batch(contacts=[change(loner, hubspot_owner_id="102")]))
    assert await timeline_version(sessionmaker, "9001") == before


async def test_activity_addresses_hold_the_lower_cased_addresses_of_the_text_and_follow_it(
    sessionmaker, acme
) -> None:
    async def addresses() -> list[tuple[str, str]]:
        async with sessionmaker() as s:
            aa = m.ActivityAddress
            rows = await s.execute(select(aa.activity_id, aa.address).where(aa.portal_id == "acme"))
            return sorted(map(tuple, rows.all()))

    assert await addresses() == [
        ("e1", "ana@acme.example"),  # to
        ("e1", "priya@northwind.example"),  # from
        ("n1", "zed@outside.example"),  # body, lower-cased
    ]
    long = "x" * 320 + "@outside.example"  # longer than any user's or contact's address
    note = change(record(acme, "notes", "n1"), hs_note_body=f"Now Mo@Other.example and {long}")
    await run(sessionmaker, batch(notes=[note]))
    assert [a for a in await addresses() if a[0] == "n1"] == [("n1", "mo@other.example")]


async def test_a_users_email_change_moves_the_permissions_version(sessionmaker, acme) -> None:
    async def version() -> int:
        async with sessionmaker() as s:
            return (await s.get(m.Account, "acme")).permissions_version

    before = await version()
    ana = dict(acme["owners"][0], email="ana.ruiz@acme.example")
    await run(sessionmaker, batch(owners=[ana]))
    assert await version() == before + 1
