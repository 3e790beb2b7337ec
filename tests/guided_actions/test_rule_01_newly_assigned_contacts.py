"""Rule 1, newly assigned contacts: yours, not customer/evangelist, on no deal, no email either way.
Expires when any criterion stops holding, or at 30 days old (exactly 30 days: expired)."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, of


async def test_created_for_a_fresh_contact(w) -> None:
    w.contact("c1")
    assert of(1, await w.run()) == ["c1"]
    (a,) = await w.actions(1)
    assert a.category == "prospecting" and a.contact_ids == ["c1"] and a.why


async def test_not_created_when_one_criterion_fails(w) -> None:
    w.contact("other", owner=OTHER)
    w.contact("cust", lifecycle_stage="customer")
    w.contact("evang", lifecycle_stage="evangelist")
    w.contact("ondeal")
    w.deal("d1", owner=OTHER, contacts=["ondeal"])
    w.contact("emailed")
    w.email("e1", 3, {"contact": ["emailed"]})
    w.contact("wrote")
    w.email("e2", 3, {"contact": ["wrote"]}, incoming=True)
    assert of(1, await w.run()) == []


async def test_expires_when_reassigned_or_on_a_deal_or_customer(w) -> None:
    for c in ("c1", "c2", "c3", "c4"):
        w.contact(c)
    assert of(1, await w.run()) == ["c1", "c2", "c3", "c4"]
    await w.set(m.Contact, "c1", owner_id=OTHER)
    w.deal("d1", contacts=["c2"])
    await w.set(m.Contact, "c3", lifecycle_stage="customer")
    assert of(1, await w.run(NOW + timedelta(hours=1))) == ["c4"]
    reasons = {a.record_id: a.expiry_reason for a in await w.actions(1)}
    assert reasons["c1"] == "criteria no longer met"


async def test_expires_when_an_email_goes_either_way(w) -> None:
    w.contact("c1")
    w.contact("c2")
    assert of(1, await w.run()) == ["c1", "c2"]
    w.email("e1", -0.01, {"contact": ["c1"]})  # you email the contact
    w.email("e2", -0.01, {"contact": ["c2"]}, incoming=True)  # the contact writes to you
    assert of(1, await w.run(NOW + timedelta(hours=1))) == []


async def test_expires_at_30_days_and_is_not_recreated(w) -> None:
    w.contact("c1")
    await w.run()
    assert of(1, await w.run(NOW + timedelta(days=30) - timedelta(seconds=1))) == ["c1"]
    assert of(1, await w.run(NOW + timedelta(days=30))) == []
    assert of(1, await w.run(NOW + timedelta(days=31))) == []  # dedup: same record, no new event
    (a,) = await w.actions(1)
    assert a.expiry_reason == "30 days old"


async def test_created_for_a_fresh_contact_and_expires_on_email_or_age(w) -> None:
    w.contact("c1", email="x@buyer.example")
    w.contact("c2", lifecycle_stage="customer")
    w.contact("c3", owner=OTHER, lifecycle_stage=None)
    assert await w.run() == [(1, "c1")]
    assert await w.run(NOW + timedelta(days=30)) == []  # 30 days old: expired, not re-created
    w.contact("c4", lifecycle_stage=None)
    assert (1, "c4") in await w.run()
    w.email("e1", 0, {"contact": ["c4"]}, to="")
    assert (1, "c4") not in await w.run(NOW + timedelta(hours=1))


async def test_not_for_a_contact_on_a_deal(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.deal("d1", owner=OTHER, contacts=["c1"])
    assert (1, "c1") not in await w.run()
