"""Rule 2, newly assigned leads: yours, in the lead pipeline's first stage. Expires when reassigned,
at 30 days old, or when you log any activity on the lead (or its contact) after creation."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_created_for_a_new_lead_of_yours(w) -> None:
    w.lead("l1")
    assert of(2, await w.run()) == ["l1"]


async def test_not_created_past_the_first_stage_or_for_another_owner(w) -> None:
    w.lead("l1", stage="attempting-stage-id")
    w.lead("l2", owner=OTHER)
    assert of(2, await w.run()) == []


async def test_expires_when_reassigned(w) -> None:
    w.lead("l1")
    await w.run()
    await w.set(m.Lead, "l1", owner_id=OTHER)
    assert of(2, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_at_30_days(w) -> None:
    w.lead("l1")
    await w.run()
    assert of(2, await w.run(NOW + timedelta(days=29, hours=23))) == ["l1"]
    assert of(2, await w.run(NOW + timedelta(days=30))) == []


async def test_expires_when_you_log_an_activity_on_the_lead_or_its_contact(w) -> None:
    w.contact("c2", owner=OTHER)
    w.lead("l1")
    w.lead("l2", contact="c2")
    w.lead("l3")
    w.call("old", ago(2), {"lead": ["l3"]})  # before the action: does not count
    assert of(2, await w.run()) == ["l1", "l2", "l3"]
    w.call("k1", ago(-0.01), {"lead": ["l1"]})
    w.email("e1", -0.01, {"contact": ["c2"]})
    assert of(2, await w.run(NOW + timedelta(hours=1))) == ["l3"]
    reasons = {a.record_id: a.expiry_reason for a in await w.actions(2)}
    assert reasons["l1"] == "you logged an activity on the lead"


async def test_new_lead_expires_on_activity_and_reassignment(w) -> None:
    w.contact("c1", owner=OTHER)
    w.lead("l1", contact="c1", created_at=ago(1), stage_changed_at=None)
    w.lead("l2", stage="attempting-stage-id", created_at=ago(1), stage_changed_at=None)
    w.lead("l3", created_at=ago(1), stage_changed_at=None)
    assert of(2, await w.run()) == ["l1", "l3"]
    w.activity("n1", "note", ago(-0.01), {"lead": ["l1"]}, created_at=NOW)
    await w.set(m.Lead, "l3", owner_id=OTHER)
    assert of(2, await w.run(NOW + timedelta(hours=1))) == []
