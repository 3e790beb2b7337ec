"""Rule 6, log meeting outcome (grouped): your meetings that ended at least 1 hour ago (exactly 1 h:
created) and less than 7 days ago (exactly 7 days: not) with no outcome or SCHEDULED. One action per
user; members leave as their criteria stop holding; the action expires when none remain."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_boundaries_one_hour_in_seven_days_out(w) -> None:
    w.meeting("exact1h", ago(hours=1, minutes=30), minutes=30)  # ended exactly 1 h ago
    w.meeting("recent", ago(minutes=89), minutes=30)  # ended 59 min ago
    w.meeting("exact7d", ago(days=7, minutes=30), minutes=30)  # ended exactly 7 days ago
    w.meeting("in6d", ago(days=6), meeting_outcome="SCHEDULED")
    assert of(6, await w.run()) == ["group"]
    (a,) = await w.actions(6)
    assert sorted(r["id"] for r in a.records) == ["exact1h", "in6d"]


async def test_not_created_with_an_outcome_or_for_another_user(w) -> None:
    w.meeting("m1", ago(days=1), meeting_outcome="COMPLETED")
    w.meeting("m2", ago(days=1), owner_id=OTHER)
    assert of(6, await w.run()) == []


async def test_members_leave_one_by_one_then_the_action_expires(w) -> None:
    w.meeting("m1", ago(days=1))
    w.meeting("m2", ago(days=2))
    await w.run()
    (a,) = await w.actions(6)
    await w.set(m.Activity, "m1", meeting_outcome="COMPLETED")
    assert of(6, await w.run(NOW + timedelta(hours=1))) == ["group"]
    (a,) = await w.actions(6)
    assert [r["id"] for r in a.records] == ["m2"]
    left = await w.members(a.id)
    assert left["m1"] is not None and left["m2"] is None
    assert of(6, await w.run(NOW + timedelta(days=5, hours=1))) == []  # m2 ended 7 days ago: none left
    (a,) = await w.actions(6)
    assert a.expiry_reason == "no member left"


async def test_boundaries_exactly_one_hour_in_exactly_seven_days_out(w) -> None:
    """30-minute meetings booked 10 days ago, named by when they ended."""
    booked = ago(10)
    w.meeting("m-1h", ago(hours=1, minutes=30), created_at=booked)
    w.meeting("m-59m", ago(minutes=89), created_at=booked)
    w.meeting("m-7d", ago(days=7, minutes=30), created_at=booked)
    w.meeting("m-done", ago(hours=3, minutes=30), meeting_outcome="COMPLETED", created_at=booked)
    w.meeting("m-sched", ago(hours=3, minutes=30), meeting_outcome="SCHEDULED", created_at=booked)
    group = next(a for a in (await w.evaluate()).active if a.rule_number == 6)
    assert sorted(r["id"] for r in group.records) == ["m-1h", "m-sched"]
    assert group.category == "prospecting"  # on no open deal
