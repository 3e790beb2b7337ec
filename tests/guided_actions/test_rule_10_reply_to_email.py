"""Rule 10, reply to email: a contact of your open deal replied to you and you have not replied
since; the action is for the contact (spec), resting on the deal. Expires when the deal closes, when
you reply, or more than 7 days after creation (exactly 7: still active)."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, of


def waiting(w) -> None:  # type: ignore[no-untyped-def]
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("in1", 0, {"contact": ["c1"]}, incoming=True)


async def test_created_for_your_open_deal(w) -> None:
    waiting(w)
    assert of(10, await w.run()) == ["c1"]
    (a,) = await w.actions(10)
    assert a.record_type == "contact" and a.category == "closing" and a.contact_ids == ["c1"]
    assert [(r["type"], r["id"]) for r in a.records] == [("contact", "c1"), ("deal", "d1")]


async def test_not_created_when_replied_closed_or_not_yours(w) -> None:
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    w.email("out1", 1, {"contact": ["c1"]})  # you replied since
    w.contact("c2")
    w.deal("d2", stage="closedwon", contacts=["c2"])
    w.email("in2", 1, {"contact": ["c2"]}, incoming=True)
    w.contact("c3")
    w.deal("d3", owner=OTHER, contacts=["c3"])
    w.email("in3", 1, {"contact": ["c3"]}, incoming=True)
    assert of(10, await w.run()) == []


async def test_expires_when_the_deal_closes(w) -> None:
    waiting(w)
    await w.run()
    await w.set(m.Deal, "d1", stage_id="closedlost")
    assert of(10, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_when_you_reply(w) -> None:
    waiting(w)
    await w.run()
    w.email("out", -0.01, {"contact": ["c1"]})
    assert of(10, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_at_7_days(w) -> None:
    waiting(w)
    await w.run()
    assert of(10, await w.run(NOW + timedelta(days=7))) == ["c1"]
    assert of(10, await w.run(NOW + timedelta(days=7, seconds=1))) == []


def replied_on_deal(w) -> None:  # type: ignore[no-untyped-def]
    w.contact("c1", lifecycle_stage=None)
    w.deal("d1", created=20, contacts=["c1"])
    w.email("e1", 1, {"contact": ["c1"]}, incoming=True, to="me@acme.example")


async def test_until_you_reply_or_the_deal_closes(w) -> None:
    replied_on_deal(w)
    assert (10, "c1") in await w.run()
    w.email("e2", 0.5, {"contact": ["c1"]}, to="")
    assert (10, "c1") not in await w.run()


async def test_expires_when_the_deal_is_won(w) -> None:
    replied_on_deal(w)
    assert (10, "c1") in await w.run()
    await w.set(m.Deal, "d1", stage_id="closedwon")
    assert (10, "c1") not in await w.run()


async def test_an_action_stored_for_the_deal_is_replaced_by_the_contacts(w) -> None:
    """Rule 10 was once made for the deal: such an action gives way to the contact's for that reply."""
    from insights.guided_actions.models import GuidedAction

    waiting(w)
    w.add(
        GuidedAction(
            portal_id="ga",
            id="old",
            user_id="u1",
            rule="reply_to_email",
            rule_number=10,
            title="Reply to email",
            category="closing",
            record_type="deal",
            record_id="d1",
            trigger_key="in1",
            why=[],
            records=[{"type": "deal", "id": "d1", "name": "Deal d1"}],
            contact_ids=["c1"],
            company_ids=[],
            created_at=NOW - timedelta(hours=1),
        )
    )
    assert of(10, await w.run()) == ["c1"]
    old = [a for a in await w.actions(10) if a.id == "old"]
    assert old[0].expiry_reason == "replaced by a newer event"
