"""The subtle permission cases of spec/permissions.md, named, on the demo account."""

from __future__ import annotations

from datetime import UTC, datetime

from insights.insight.retrieval import REDACTED, deal_context
from insights.permissions import load_viewer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the clock the demo fixture imports at


async def view(sm, user: str, deal: str, portal: str = "demo"):
    async with sm() as s:
        viewer = await load_viewer(s, portal, user)
        assert viewer is not None
        return await deal_context(s, deal, viewer, now=NOW)


async def test_budget_cut_email_is_hidden_from_rep_b(demo) -> None:
    ana = await view(demo, "101", "9001")
    ben = await view(demo, "102", "9001")
    assert "e-budget" in ana.activity_ids()
    assert ben is not None and "e-budget" not in ben.activity_ids()
    assert "BUDGETCANARY" not in ben.model_dump_json()
    assert ben.activity_count == ana.activity_count - 1
    assert ben.fingerprint != ana.fingerprint


async def test_parent_team_sees_child_team_deal_but_not_the_reverse(demo) -> None:
    assert await view(demo, "103", "9001") is not None  # Chloe (EMEA) sees Ana's (UK) deal
    assert await view(demo, "104", "9001") is None  # Diego (US, a sibling team) does not
    chloe = await view(demo, "103", "9005")
    ana = await view(demo, "101", "9005")
    # Raj (c-93) is owned by Chloe (EMEA, the parent team): Ana (UK) may not see him
    assert "c-93" in [c.id for c in chloe.contacts]
    assert "c-93" not in [c.id for c in ana.contacts]


async def test_secondary_team_grants_access(demo) -> None:
    assert await view(demo, "105", "9001") is not None  # Eve: primary US, secondary UK


async def test_invisible_contact_contributes_neither_name_nor_activities(demo) -> None:
    ana = await view(demo, "101", "9005")
    dump = ana.model_dump_json()
    assert "Raj" not in dump and "Patel" not in dump
    assert all("contact:c-93" not in a.via for a in ana.activities)
    chloe = await view(demo, "103", "9005")
    assert any("contact:c-93" in a.via for a in chloe.activities)


async def test_viewer_with_less_access_still_gets_100(demo) -> None:
    ben = await view(demo, "102", "9005")  # may not see Ana's or Chloe's emails
    ana = await view(demo, "101", "9005")
    assert len(ben.activities) == 100 and ben.truncated
    assert ben.activity_count < ana.activity_count
    assert all(a.type != "email" or a.owner_id == "102" for a in ben.activities)
    times = [(a.occurred_at, a.id) for a in ben.activities]
    assert times == sorted(times, key=lambda t: (-t[0].timestamp(), t[1]))


async def test_other_accounts_deal_is_invisible_even_to_a_super_admin(demo) -> None:
    assert await view(demo, "100", "demo-clinic-1") is None
    assert await view(demo, "100", "9001") is not None


async def test_shared_deal_grants_the_deal_but_not_its_timeline(demo) -> None:
    ben = await view(demo, "102", "9008")  # Diego's (US) deal, shared with Ben (UK)
    assert ben is not None
    assert await view(demo, "101", "9008") is None


async def test_addresses_of_people_the_viewer_may_not_see_are_redacted(demo) -> None:
    ana = await view(demo, "101", "9005")
    chloe = await view(demo, "103", "9005")
    senders_ana = {a.from_email for a in ana.activities if a.type == "email"}
    senders_chloe = {a.from_email for a in chloe.activities if a.type == "email"}
    assert "raj@globex.example" not in senders_ana and REDACTED in senders_ana  # Raj is Chloe's contact
    assert "hank@globex.example" in senders_ana  # Hank is Ana's own contact
    assert "raj@globex.example" in senders_chloe or "raj@globex.example" not in str(senders_ana)
