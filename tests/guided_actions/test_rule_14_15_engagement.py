"""Rule 14, target account activity: your contact at a target-account company engaged; expires more
than 7 days after that engagement (exactly 7 days: still active; spec "Time boundaries").
Rule 15, recently engaged leads: your lead in an open stage engaged (itself or its contact) within
the last 7 days; expires likewise."""

from __future__ import annotations

from datetime import timedelta

from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_r14_created_for_a_target_account_contact_that_engaged(w) -> None:
    w.contact("c1")
    w.contact("c2")
    w.contact("c3", owner=OTHER)
    w.company("big", target=True, contacts=["c1", "c3"])
    w.company("small", contacts=["c2"])
    for c in ("c1", "c2", "c3"):
        w.email(f"in-{c}", 1, {"contact": [c]}, incoming=True)
    assert of(14, await w.run()) == ["c1"]
    (a,) = await w.actions(14)
    assert a.company_ids == ["big"]


async def test_r14_not_without_engagement_and_expires_after_7_days(w) -> None:
    w.contact("c1")
    w.company("big", target=True, contacts=["c1"])
    w.email("out", 1, {"contact": ["c1"]})  # sent, never opened: no engagement
    assert of(14, await w.run()) == []
    w.email("in", 0, {"contact": ["c1"]}, incoming=True)
    assert of(14, await w.run()) == ["c1"]
    assert of(14, await w.run(NOW + timedelta(days=7))) == ["c1"]
    assert of(14, await w.run(NOW + timedelta(days=7, seconds=1))) == []


async def test_r15_open_lead_engaged_this_week(w) -> None:
    w.contact("c1")
    w.lead("l1", stage="attempting-stage-id", contact="c1")
    w.lead("l2", stage="unqualified-stage-id", contact="c1")
    w.lead("l3", stage="new-stage-id", owner=OTHER, contact="c1")
    w.call("k1", NOW - timedelta(days=1), {"contact": ["c1"]})
    assert of(15, await w.run()) == ["l1"]


async def test_r15_not_when_stale_and_expires_after_7_days(w) -> None:
    w.lead("l1", stage="connected-stage-id")
    w.call("old", NOW - timedelta(days=8), {"lead": ["l1"]})
    assert of(15, await w.run()) == []
    w.meeting("mt", NOW - timedelta(days=1), on={"lead": ["l1"]})
    assert of(15, await w.run()) == ["l1"]
    assert of(15, await w.run(NOW + timedelta(days=6))) == ["l1"]
    assert of(15, await w.run(NOW + timedelta(days=6, seconds=1))) == []


async def test_r14_engagement_at_a_target_account(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.contact("c2", lifecycle_stage=None)
    w.company("co1", target=True, contacts=["c1"])
    w.company("co2", contacts=["c2"])
    for k, c in (("k1", "c1"), ("k2", "c2")):  # a colleague's connected calls
        w.call(k, ago(2), {"contact": [c]}, call_disposition="Connected", owner_id=OTHER)
    assert of(14, await w.run()) == ["c1"]
    assert of(14, await w.run(NOW + timedelta(days=5))) == ["c1"]  # exactly 7 days after
    assert of(14, await w.run(NOW + timedelta(days=5, seconds=1))) == []


async def test_r15_open_lead_that_wrote_this_week(w) -> None:
    w.lead("l1", stage="connected-stage-id", created_at=ago(9), stage_changed_at=None)
    w.lead("l2", stage="qualified-stage-id", created_at=ago(9), stage_changed_at=None)
    w.email("e1", 3, {"lead": ["l1"]}, incoming=True, to="")
    w.email("e2", 3, {"lead": ["l2"]}, incoming=True, to="")
    assert of(15, await w.run()) == ["l1"]
    assert of(15, await w.run(NOW + timedelta(days=4, seconds=1))) == []
