"""Rule 11, leads awaiting your reply: the lead (or its contact) wrote to you as primary recipient
from another domain. Expires when the lead is reassigned, you email the lead, or 14 days after
creation (more than: exactly 14 days is still active)."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


def wrote(w) -> None:  # type: ignore[no-untyped-def]
    w.contact("c1")
    w.lead("l1", stage="attempting-stage-id", contact="c1")
    w.email("in1", 0, {"lead": ["l1"]}, incoming=True)


async def test_created_via_the_lead_or_its_contact(w) -> None:
    wrote(w)
    w.contact("c2")
    w.lead("l2", stage="attempting-stage-id", contact="c2")
    w.email("in2", 1, {"contact": ["c2"]}, incoming=True)
    assert of(11, await w.run()) == ["l1", "l2"]


async def test_not_created_when_one_criterion_fails(w) -> None:
    w.contact("c1", email="pal@acme.example")
    w.lead("l1", contact="c1")
    w.email("in1", 1, {"lead": ["l1"]}, incoming=True)  # same domain
    w.contact("c2")
    w.lead("l2", contact="c2")
    w.email("in2", 1, {"lead": ["l2"]}, incoming=True, to="boss@acme.example;me@acme.example")
    w.contact("c3")
    w.lead("l3", contact="c3", owner=OTHER)
    w.email("in3", 1, {"lead": ["l3"]}, incoming=True)  # another user's lead
    assert of(11, await w.run()) == []


async def test_not_created_when_you_already_replied(w) -> None:
    w.contact("c1")
    w.lead("l1", stage="attempting-stage-id", contact="c1")
    w.email("in1", 2, {"lead": ["l1"]}, incoming=True)
    w.email("out1", 1, {"contact": ["c1"]}, thread="t2")  # answered (to its contact) before the rules ran
    w.contact("c2")
    w.lead("l2", stage="attempting-stage-id", contact="c2")
    w.email("out2", 3, {"lead": ["l2"]})  # an email before the reply answers nothing
    w.email("in2", 2, {"lead": ["l2"]}, incoming=True)
    assert of(11, await w.run()) == ["l2"]


async def test_expires_when_reassigned(w) -> None:
    wrote(w)
    await w.run()
    await w.set(m.Lead, "l1", owner_id=OTHER)
    assert of(11, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_when_you_email_the_lead(w) -> None:
    wrote(w)
    await w.run()
    w.email("out", -0.01, {"contact": ["c1"]})
    assert of(11, await w.run(NOW + timedelta(hours=1))) == []
    (a,) = await w.actions(11)
    assert a.expiry_reason == "you emailed the lead"


async def test_expires_at_14_days(w) -> None:
    wrote(w)
    await w.run()
    assert of(11, await w.run(NOW + timedelta(days=14))) == ["l1"]  # more than 14 days: not yet
    assert of(11, await w.run(NOW + timedelta(days=14, seconds=1))) == []


async def test_lead_wrote_to_you(w) -> None:
    w.contact("c1", owner=None, email="p@prospect.example", lifecycle_stage=None)
    w.lead("l1", stage="attempting-stage-id", contact="c1", created_at=ago(5), stage_changed_at=None)
    w.email("e1", 1, {"contact": ["c1"]}, incoming=True, to="me@acme.example")
    assert (11, "l1") in await w.run()
    assert (11, "l1") not in await w.run(NOW + timedelta(days=14, seconds=1))
