"""Rule 9, contacts awaiting your reply: a contact with no open lead wrote to you as the primary
recipient from another domain. Expires when you email the contact, or 14 days after creation
(more than 14 days: exactly 14 days is still active; the email itself must be less than 14 days
old). Expires when the contact is reassigned; not created when you already emailed the contact after
the reply."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import ADMIN, NOW, OTHER, of


async def test_created_when_you_are_the_primary_recipient(w) -> None:
    w.contact("c1")
    w.email("in1", 1, {"contact": ["c1"]}, incoming=True, to="me@acme.example;boss@acme.example")
    assert of(9, await w.run()) == ["c1"]


async def test_not_created_when_one_criterion_fails(w) -> None:
    w.contact("cc")
    w.email("in1", 1, {"contact": ["cc"]}, incoming=True, to="boss@acme.example;me@acme.example")  # only cc
    w.contact("colleague", email="pal@acme.example")
    w.email("in2", 1, {"contact": ["colleague"]}, incoming=True)  # same domain as yours
    w.contact("withlead")
    w.lead("l1", stage="connected-stage-id", contact="withlead")
    w.email("in3", 1, {"contact": ["withlead"]}, incoming=True)  # has an open lead
    assert of(9, await w.run()) == []


async def test_expires_when_you_email_the_contact(w) -> None:
    w.contact("c1")
    w.email("in1", 1, {"contact": ["c1"]}, incoming=True)
    await w.run()
    w.email("out", -0.01, {"contact": ["c1"]})
    assert of(9, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_more_than_14_days_after_creation(w) -> None:
    w.contact("c1")
    w.email("in1", 0, {"contact": ["c1"]}, incoming=True)
    await w.run()
    assert of(9, await w.run(NOW + timedelta(days=14))) == ["c1"]
    assert of(9, await w.run(NOW + timedelta(days=14, seconds=1))) == []


async def test_expires_when_the_contact_is_reassigned(w) -> None:
    w.contact("c1", owner=OTHER)  # rule 9 asks no owner: anyone's contact the rep may read
    w.email("in1", 1, {"contact": ["c1"]}, incoming=True)
    assert of(9, await w.run()) == ["c1"]
    await w.set(m.Contact, "c1", owner_id=ADMIN)  # still readable by the rep (scope "all")
    assert of(9, await w.run(NOW + timedelta(minutes=1))) == []
    (a,) = await w.actions(9)
    assert a.expiry_reason == "contact reassigned"


async def test_not_created_when_you_already_replied(w) -> None:
    w.contact("c1")
    w.email("in1", 2, {"contact": ["c1"]}, incoming=True)
    w.email("out1", 1, {"contact": ["c1"]}, thread="t2")  # answered before the rules first ran
    assert of(9, await w.run()) == []


async def test_primary_recipient_other_domain(w) -> None:
    w.contact("c1", owner=OTHER, email="b@buyer.example", lifecycle_stage=None)
    w.contact("c2", owner=OTHER, email="colleague@acme.example", lifecycle_stage=None)
    w.email("e1", 1, {"contact": ["c1"]}, incoming=True, to="me@acme.example;x@y.z")
    w.email("e2", 1, {"contact": ["c2"]}, incoming=True, to="me@acme.example")
    assert of(9, await w.run()) == ["c1"]
    w.email("e3", -0.002, {"contact": ["c1"]}, thread="t9", to="")
    assert of(9, await w.run(NOW + timedelta(minutes=5))) == []
