"""Rule 12, prepare for upcoming meetings: your meeting starts within the next hour (exactly 1 h
ahead: created); expires 10 minutes after the start (exactly 10 min: expired).
Rule 13, today's high-priority tasks (grouped, one action per user per day, your time zone): open
HIGH tasks due today; expires when none remain."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import ME, NOW, OTHER, ago, of


async def test_r12_created_within_the_hour(w) -> None:
    w.meeting("m1", ago(hours=-1))  # exactly 1 hour ahead
    w.meeting("m2", ago(minutes=-61))
    w.meeting("m3", ago(minutes=-30), owner_id=OTHER)
    assert of(12, await w.run()) == ["m1"]


async def test_r12_expires_ten_minutes_after_start(w) -> None:
    w.meeting("m1", ago(minutes=-30))
    await w.run()
    assert of(12, await w.run(NOW + timedelta(minutes=39))) == ["m1"]
    assert of(12, await w.run(NOW + timedelta(minutes=40))) == []


async def test_r13_one_action_per_day_listing_todays_high_tasks(w) -> None:
    w.task("t1", ago(hours=-3), task_priority="HIGH")
    w.task("t2", ago(hours=2), task_priority="HIGH")
    w.task("low", ago(hours=-3), task_priority="LOW")
    w.task("done", ago(hours=-3), task_priority="HIGH", task_status="COMPLETED")
    w.task("tomorrow", ago(hours=-13), task_priority="HIGH")
    assert of(13, await w.run()) == ["group"]
    (a,) = await w.actions(13)
    assert a.trigger_key == "2026-11-20" and sorted(r["id"] for r in a.records) == ["t1", "t2"]
    assert of(13, await w.run(NOW + timedelta(hours=13))) == ["group"]  # next day: 'tomorrow'
    first, second = await w.actions(13)
    assert first.expired_at is not None and second.trigger_key == "2026-11-21"


async def test_r13_uses_your_time_zone(w) -> None:
    await w.set(m.User, ME, time_zone="Asia/Tokyo")  # 21:00 there: the day ends at 15:00 UTC
    w.task("t1", ago(hours=-4), task_priority="HIGH")  # 16:00 UTC = tomorrow in Tokyo
    assert of(13, await w.run()) == []


async def test_r13_expires_when_no_high_task_is_left(w) -> None:
    w.task("t1", ago(hours=-3), task_priority="HIGH")
    await w.run()
    await w.set(m.Activity, "t1", task_status="COMPLETED")
    assert of(13, await w.run(NOW + timedelta(minutes=5))) == []


async def test_r12_within_the_hour_until_ten_minutes_after_start(w) -> None:
    w.meeting("soon", ago(minutes=-30), created_at=ago(10))
    w.meeting("later", ago(minutes=-90), created_at=ago(10))
    assert of(12, await w.run()) == ["soon"]  # starts in exactly 30 min
    assert (12, "soon") in await w.run(NOW + timedelta(minutes=35))  # 5 min after start
    assert (12, "soon") not in await w.run(NOW + timedelta(minutes=40))  # 10 min after start


async def test_r13_one_group_per_day_until_none_left(w) -> None:
    w.task("t1", ago(hours=-3), task_priority="HIGH", created_at=ago(1))
    w.task("t2", ago(-1), task_priority="HIGH", created_at=ago(1))  # due tomorrow
    [group] = [a for a in (await w.evaluate()).active if a.rule_number == 13]
    assert [r["id"] for r in group.records] == ["t1"] and group.trigger_key == "2026-11-20"
    await w.set(m.Activity, "t1", task_status="COMPLETED")
    assert [a for a in (await w.evaluate()).active if a.rule_number == 13] == []
