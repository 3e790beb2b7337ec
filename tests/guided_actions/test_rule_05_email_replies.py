"""Rule 5, email replies: your contact replied (same thread, later) to an email you sent. Expires
when you email the contact after creation, when the contact is reassigned, or at 14 days old
(exactly 14 days: expired; the reply itself must be less than 14 days old)."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, of


def replied(w, days: float = 1) -> None:  # type: ignore[no-untyped-def]
    w.contact("c1")
    w.email("out", 3, {"contact": ["c1"]}, thread="t1")
    w.email("in", days, {"contact": ["c1"]}, incoming=True, thread="t1")


async def test_created_for_a_reply_to_your_email(w) -> None:
    replied(w)
    assert of(5, await w.run()) == ["c1"]
    (a,) = await w.actions(5)
    assert a.trigger_key == "in"


async def test_not_created_without_your_email_first_or_in_another_thread(w) -> None:
    w.contact("c1")
    w.email("in", 1, {"contact": ["c1"]}, incoming=True, thread="t1")  # nothing sent before
    w.contact("c2")
    w.email("out2", 3, {"contact": ["c2"]}, thread="t2")
    w.email("in2", 1, {"contact": ["c2"]}, incoming=True, thread="t3")  # another thread
    w.contact("c3", owner=OTHER)
    w.email("out3", 3, {"contact": ["c3"]}, thread="t4")
    w.email("in3", 1, {"contact": ["c3"]}, incoming=True, thread="t4")  # not your contact
    assert of(5, await w.run()) == []


async def test_expires_when_you_email_the_contact(w) -> None:
    replied(w)
    await w.run()
    w.email("again", -0.01, {"contact": ["c1"]}, thread="t9")
    assert of(5, await w.run(NOW + timedelta(hours=1))) == []
    (a,) = await w.actions(5)
    assert a.expiry_reason == "you emailed the contact"


async def test_expires_when_reassigned(w) -> None:
    replied(w)
    await w.run()
    await w.set(m.Contact, "c1", owner_id=OTHER)
    assert of(5, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_at_14_days(w) -> None:
    """Replies older than the action's lifetime are not looked at: with the reply at creation time
    the action lives exactly 14 days; an older reply ends it 14 days after the reply."""
    replied(w, days=0)
    await w.run()
    assert of(5, await w.run(NOW + timedelta(days=14) - timedelta(seconds=1))) == ["c1"]
    assert of(5, await w.run(NOW + timedelta(days=14))) == []


async def test_a_new_reply_is_a_new_action(w) -> None:
    replied(w)
    await w.run()
    w.email("in2", -0.5, {"contact": ["c1"]}, incoming=True, thread="t1")
    assert of(5, await w.run(NOW + timedelta(days=1))) == ["c1"]
    assert [(a.trigger_key, a.expired_at is None) for a in await w.actions(5)] == [
        ("in", False),
        ("in2", True),
    ]


async def test_reply_to_your_email_expires_when_you_email_again(w) -> None:
    w.contact("c1", email="b@buyer.example", lifecycle_stage=None)
    w.email("e1", 3, {"contact": ["c1"]}, to="")
    w.email("e2", 2, {"contact": ["c1"]}, incoming=True, to="", from_email="b@buyer.example")
    assert (5, "c1") in await w.run()
    w.email("e3", -0.01, {"contact": ["c1"]}, thread="t2", to="")
    assert (5, "c1") not in await w.run(NOW + timedelta(hours=1))


async def test_no_reply_no_action_and_14_days_expiry(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.email("e1", 3, {"contact": ["c1"]}, to="")
    assert (5, "c1") not in await w.run()
    w.email("e2", 1, {"contact": ["c1"]}, incoming=True, to="")
    assert (5, "c1") in await w.run()
    assert (5, "c1") not in await w.run(NOW + timedelta(days=14))
