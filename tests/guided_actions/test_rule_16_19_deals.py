"""Rules on deals: 16 update next steps, 17 add a contact, 18 initial outreach, 19 follow up with
buyer. "Created more than 7 days ago" is strict (exactly 7 days: not yet); "action created more than
7 days ago" likewise: exactly 7 days is still active, a second more expires."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, P, ago, of


async def test_r16_activity_ended_over_a_day_ago_after_the_next_step(w) -> None:
    w.deal("d1", next_step_changed_at=ago(5))
    w.call("k1", ago(2), {"deal": ["d1"]})
    w.deal("d2", next_step_changed_at=ago(1))
    w.call("k2", ago(2), {"deal": ["d2"]})  # before the next step changed
    w.deal("d3")
    w.call("k3", ago(hours=23), {"deal": ["d3"]})  # less than 24 h ago
    assert of(16, await w.run()) == ["d1"]


async def test_r16_expires_on_next_step_change_reassignment_or_close(w) -> None:
    for d in ("d1", "d2", "d3"):
        w.deal(d)
        w.call(f"k-{d}", ago(2), {"deal": [d]})
    assert of(16, await w.run()) == ["d1", "d2", "d3"]
    await w.set(m.Deal, "d1", next_step="Send quote", next_step_changed_at=NOW)
    await w.set(m.Deal, "d2", owner_id=OTHER)
    await w.set(m.Deal, "d3", stage_id="closedwon")
    assert of(16, await w.run(NOW + timedelta(hours=1))) == []


async def test_r17_no_contact_after_a_week(w) -> None:
    w.deal("d1", created=8)
    w.deal("d2", created=7)  # exactly 7 days: not yet
    w.contact("c1")  # an association counts when the contact exists (and the user may read it)
    w.deal("d3", created=8, contacts=["c1"])
    w.deal("d4", created=8, stage="closedlost")
    assert of(17, await w.run()) == ["d1"]


async def test_r17_expires_on_contact_reassignment_close_and_age(w) -> None:
    for d in ("d1", "d2", "d3", "d4"):
        w.deal(d, created=10)
    await w.run()
    w.contact("c1")  # an existing contact the user may read
    w.add(m.DealContact(portal_id="ga", deal_id="d1", contact_id="c1"))
    await w.save()
    await w.set(m.Deal, "d2", owner_id=OTHER)
    await w.set(m.Deal, "d3", stage_id="closedwon")
    assert of(17, await w.run(NOW + timedelta(hours=1))) == ["d4"]
    assert of(17, await w.run(NOW + timedelta(days=7))) == ["d4"]
    assert of(17, await w.run(NOW + timedelta(days=7, seconds=1))) == []


async def test_r18_first_stage_without_engagement(w) -> None:
    w.deal("d1", stage="appointmentscheduled", created=8)
    w.deal("d2", stage="qualifiedtobuy", created=8)
    w.deal("d3", stage="appointmentscheduled", created=8)
    w.call("k3", ago(3), {"deal": ["d3"]})
    w.deal("d4", stage="appointmentscheduled", created=7)
    assert of(18, await w.run()) == ["d1"]


async def test_r18_expires_on_engagement_and_age(w) -> None:
    w.deal("d1", stage="appointmentscheduled", created=8)
    w.deal("d2", stage="appointmentscheduled", created=8)
    await w.run()
    w.meeting("mt", NOW, on={"deal": ["d1"]})
    assert of(18, await w.run(NOW + timedelta(hours=1))) == ["d2"]
    assert of(18, await w.run(NOW + timedelta(days=7, seconds=1))) == []


def opened(w, days: float = 7) -> None:  # type: ignore[no-untyped-def]
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("out", days + 1, {"contact": ["c1"]}, thread="t1", first_opened_at=ago(days))


async def test_r19_opened_a_week_ago_no_reply(w) -> None:
    opened(w)  # opened exactly 7 days ago: created
    assert of(19, await w.run()) == ["d1"]


async def test_r19_not_before_a_week_or_when_replied(w) -> None:
    opened(w, days=6)
    assert of(19, await w.run()) == []
    w.email("in", 5, {"contact": ["c1"]}, incoming=True, thread="t1")
    assert of(19, await w.run(NOW + timedelta(days=2))) == []


async def test_r19_expires_on_reply_and_age(w) -> None:
    opened(w)
    await w.run()
    w.email("in", -0.01, {"contact": ["c1"]}, incoming=True, thread="t1")
    assert of(19, await w.run(NOW + timedelta(hours=1))) == []


async def test_r19_expires_after_7_days(w) -> None:
    opened(w)
    await w.run()
    assert of(19, await w.run(NOW + timedelta(days=7))) == ["d1"]
    assert of(19, await w.run(NOW + timedelta(days=7, seconds=1))) == []


async def test_r16_until_the_next_step_changes(w) -> None:
    w.deal("d1", created=20, next_step="Demo", next_step_changed_at=ago(5))
    w.activity("n1", "note", ago(2), {"deal": ["d1"]})
    w.activity("n2", "note", ago(6), {"deal": ["d1"]}, created_at=ago(2))  # before the next step
    assert (16, "d1") in await w.run()
    await w.set(m.Deal, "d1", next_step="Contract", next_step_changed_at=ago(0.5))
    assert (16, "d1") not in await w.run()


async def test_r16_not_within_24_hours(w) -> None:
    w.deal("d1", created=20)
    w.activity("n1", "note", ago(hours=23), {"deal": ["d1"]}, created_at=NOW)
    assert (16, "d1") not in await w.run()


async def test_r17_no_contact_after_a_week_until_one_is_added(w) -> None:
    w.deal("d1", created=8)
    w.deal("d2", created=6)
    w.contact("c1", owner=None, lifecycle_stage=None)
    assert of(17, await w.run()) == ["d1"]
    w.add(m.DealContact(portal_id=P, deal_id="d1", contact_id="c1"))
    assert "d1" not in of(17, await w.run())


async def test_r18_first_stage_until_a_call_is_logged(w) -> None:
    w.deal("d1", stage="appointmentscheduled", created=8)
    w.deal("d2", stage="qualifiedtobuy", created=8)
    assert of(18, await w.run()) == ["d1"]
    w.call("k1", ago(0.1), {"deal": ["d1"]}, call_status=None, created_at=NOW)
    assert of(18, await w.run()) == []


async def test_r19_the_email_opened_over_a_week_ago_until_a_reply(w) -> None:
    w.contact("c1", owner=None, lifecycle_stage=None)
    w.deal("d1", created=20, contacts=["c1"])
    w.email("e1", 9, {"contact": ["c1"]}, to="", first_opened_at=ago(8))
    w.email("e2", 9, {"contact": ["c1"]}, thread="t2", to="", first_opened_at=ago(6))
    assert [a.trigger_key for a in (await w.evaluate()).active if a.rule_number == 19] == ["e1"]
    w.email("e3", 0.5, {"contact": ["c1"]}, incoming=True, to="")
    assert [a for a in (await w.evaluate()).active if a.rule_number == 19] == []
