"""Rule 3, re-engaged contacts: your contact has no open lead, its latest lead was disqualified and
it engaged after that, within the last 30 days. Expires when the lead is reassigned, a new lead is
created, or the engagement is more than 30 days old (exactly 30 days: still active)."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of

DQ = "unqualified-stage-id"


def disqualified(w, contact: str = "c1", lead: str = "l1") -> None:  # type: ignore[no-untyped-def]
    w.contact(contact)
    w.lead(lead, stage=DQ, contact=contact, created_at=ago(40), stage_changed_at=ago(20))


async def test_created_when_the_contact_writes_after_disqualification(w) -> None:
    disqualified(w)
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    assert of(3, await w.run()) == ["c1"]
    (a,) = await w.actions(3)
    assert a.trigger_key == "in1"


async def test_each_kind_of_engagement_counts(w) -> None:
    for i, c in enumerate(("c1", "c2", "c3")):
        disqualified(w, c, f"l{i}")
    w.email("sent", 5, {"contact": ["c1"]}, first_opened_at=ago(2))  # a first open
    w.call("k", ago(3), {"contact": ["c2"]}, call_status="COMPLETED")  # a completed call
    w.meeting("mt", ago(-2), on={"contact": ["c3"]}, created_at=ago(1))  # a meeting booked yesterday
    assert of(3, await w.run()) == ["c1", "c2", "c3"]


async def test_not_created_when_engagement_preceded_disqualification_or_lead_open(w) -> None:
    disqualified(w, "c1", "l1")
    w.email("in1", 25, {"contact": ["c1"]}, incoming=True)  # before the disqualification
    disqualified(w, "c2", "l2")
    w.lead("l2b", stage="attempting-stage-id", contact="c2", created_at=ago(50))  # still an open lead
    w.email("in2", 2, {"contact": ["c2"]}, incoming=True)
    w.contact("c3", owner=OTHER)
    w.lead("l3", stage=DQ, contact="c3", created_at=ago(40), stage_changed_at=ago(20))
    w.email("in3", 2, {"contact": ["c3"]}, incoming=True)  # not your contact
    assert of(3, await w.run()) == []


async def test_expires_when_the_lead_is_reassigned(w) -> None:
    disqualified(w)
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    await w.run()
    await w.set(m.Lead, "l1", owner_id=OTHER)
    assert of(3, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_when_a_new_lead_is_created(w) -> None:
    disqualified(w)
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    await w.run()
    w.lead("l2", stage="new-stage-id", contact="c1", created_at=NOW)
    assert of(3, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_when_the_engagement_is_more_than_30_days_old(w) -> None:
    disqualified(w)
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    await w.run()
    assert of(3, await w.run(NOW + timedelta(days=28))) == ["c1"]  # exactly 30 days: not more
    assert of(3, await w.run(NOW + timedelta(days=28, seconds=1))) == []


async def test_disqualified_then_engaged(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.lead("l1", stage=DQ, contact="c1", created_at=ago(40), stage_changed_at=ago(20))
    w.email("e1", 5, {"contact": ["c1"]}, incoming=True, to="")
    assert (3, "c1") in await w.run()
    assert (3, "c1") not in await w.run(NOW + timedelta(days=26))  # re-engagement > 30 days old


async def test_not_when_engagement_preceded_disqualification(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.lead("l1", stage=DQ, contact="c1", created_at=ago(40), stage_changed_at=ago(3))
    w.email("e1", 5, {"contact": ["c1"]}, incoming=True, to="")
    assert (3, "c1") not in await w.run()
