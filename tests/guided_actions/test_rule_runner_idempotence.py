"""The runner: evaluating twice creates nothing new; the primary object's associations are captured
at creation and not changed later."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, ago


async def test_evaluating_twice_creates_nothing_new(w) -> None:
    w.contact("c1")
    w.deal("d1", created=10)
    w.call("k1", ago(days=1))
    w.call("k2", ago(days=2))
    w.meeting("m1", ago(days=1))
    first = await w.evaluate()
    assert first.created and not first.expired
    second = await w.evaluate()
    assert second.created == [] and second.expired == []
    assert sorted(a.id for a in second.active) == sorted(a.id for a in first.created)
    third = await w.evaluate(NOW + timedelta(minutes=1))
    assert third.created == [] and third.expired == []


async def test_associations_are_captured_at_creation(w) -> None:
    w.contact("c1")
    w.company("co1", contacts=["c1"])
    w.call("k1", ago(days=1), {"contact": ["c1"], "company": ["co1"]})
    await w.run()
    (a,) = await w.actions(8)
    assert a.contact_ids == ["c1"] and a.company_ids == ["co1"]
    w.add(m.ActivityLink(portal_id="ga", object_type="contact", object_id="c2", activity_id="k1"))
    await w.save()
    await w.run(NOW + timedelta(minutes=1))
    (a,) = await w.actions(8)
    assert a.contact_ids == ["c1"]


async def test_evaluation_is_idempotent_and_expired_actions_stay_expired(w) -> None:
    w.contact("c1", lifecycle_stage=None)
    w.deal("d1", created=8)
    first = (await w.evaluate()).active
    again = (await w.evaluate()).active
    assert sorted(a.id for a in first) == sorted(a.id for a in again)
    assert await w.run(NOW + timedelta(days=8)) == [(1, "c1")]  # rule 17 expired at 7 days old
    assert await w.run(NOW + timedelta(days=9)) == [(1, "c1")]  # and is not re-created
