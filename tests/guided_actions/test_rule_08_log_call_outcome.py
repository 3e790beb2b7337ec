"""Rule 8, log call outcome (grouped): your calls started at least 1 hour ago (exactly 1 h: created)
and less than 7 days ago (exactly 7 days: not), with no outcome, status COMPLETED (built-in calling)
or COMPLETED/blank (other sources). Three calls → one action listing three calls."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_three_calls_make_one_action_listing_three_calls(w) -> None:
    w.call("k1", ago(hours=1))  # exactly 1 hour ago
    w.call("k2", ago(days=2), call_source="CALLING")
    w.call("k3", ago(days=3), call_status=None, call_source="INTEGRATION")
    assert of(8, await w.run()) == ["group"]
    (a,) = await w.actions(8)
    assert a.title == "Log call outcome" and sorted(r["id"] for r in a.records) == ["k1", "k2", "k3"]
    assert sorted(await w.members(a.id)) == ["k1", "k2", "k3"]


async def test_not_created_when_one_criterion_fails(w) -> None:
    w.call("recent", ago(minutes=59))
    w.call("old", ago(days=7))  # exactly 7 days
    w.call("outcome", ago(days=1), call_disposition="connected")
    w.call("builtin_blank", ago(days=1), call_status=None, call_source="CALLING")
    w.call("no_answer", ago(days=1), call_status="NO_ANSWER")
    w.call("theirs", ago(days=1), owner_id=OTHER)
    assert of(8, await w.run()) == []


async def test_members_leave_one_by_one(w) -> None:
    for i in (1, 2, 3):
        w.call(f"k{i}", ago(days=i))
    await w.run()
    await w.set(m.Activity, "k1", call_disposition="connected")
    await w.run(NOW + timedelta(minutes=1))
    await w.set(m.Activity, "k2", call_disposition="busy")
    await w.run(NOW + timedelta(minutes=2))
    (a,) = await w.actions(8)
    assert a.expired_at is None and [r["id"] for r in a.records] == ["k3"]
    assert of(8, await w.run(NOW + timedelta(days=4))) == []  # k3 now 7 days old
    (a,) = await w.actions(8)
    assert a.expiry_reason == "no member left"
    assert all(v is not None for v in (await w.members(a.id)).values())


async def test_three_calls_one_action_members_leave_one_by_one(w) -> None:
    logged = ago(1)
    w.call("k1", ago(hours=2), created_at=logged)
    w.call("k2", ago(hours=3), call_status=None, created_at=logged)
    w.call("k3", ago(days=1), created_at=logged)
    w.call("k-built-in-blank", ago(hours=2), call_status=None, call_source="CALLING", created_at=logged)
    w.call("k-logged", ago(hours=2), call_disposition="Connected", created_at=logged)
    w.call("k-recent", ago(minutes=30), created_at=logged)
    [group] = [a for a in (await w.evaluate()).active if a.rule_number == 8]
    assert sorted(r["id"] for r in group.records) == ["k1", "k2", "k3"]
    await w.set(m.Activity, "k1", call_disposition="Left voicemail")
    [same] = [a for a in (await w.evaluate()).active if a.rule_number == 8]
    assert same.id == group.id and sorted(r["id"] for r in same.records) == ["k2", "k3"]
    await w.set(m.Activity, "k2", call_disposition="x", call_status="COMPLETED")
    await w.set(m.Activity, "k3", call_disposition="x")
    assert [a for a in (await w.evaluate()).active if a.rule_number == 8] == []
