"""Rule 7, follow up on your meeting: your meeting has started and ended, less than 7 days ago (exactly
7 days: expired; a meeting still running: not yet). Expires too when the meeting has follow-up
tasks and all of them are completed."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_created_once_ended_not_while_running(w) -> None:
    w.meeting("m1", ago(minutes=5), minutes=60)  # in progress
    w.meeting("m2", ago(days=3))
    w.meeting("m3", ago(minutes=30), minutes=30)  # ended exactly now
    assert of(7, await w.run()) == ["m2", "m3"]
    assert of(7, await w.run(NOW + timedelta(minutes=55))) == ["m1", "m2", "m3"]


async def test_not_created_before_start_or_for_another_user(w) -> None:
    w.meeting("m1", ago(minutes=-5))
    w.meeting("m2", ago(days=1), owner_id=OTHER)
    w.meeting("m3", ago(days=7, minutes=30), minutes=30)  # ended exactly 7 days ago
    assert of(7, await w.run()) == []


async def test_expires_when_all_follow_up_tasks_are_completed(w) -> None:
    w.meeting("m1", ago(days=1))
    w.task("t1", ago(-1), follows_meeting_id="m1")
    w.task("t2", ago(-1), follows_meeting_id="m1")
    assert of(7, await w.run()) == ["m1"]
    await w.set(m.Activity, "t1", task_status="COMPLETED")
    assert of(7, await w.run(NOW + timedelta(hours=1))) == ["m1"]  # one still open
    await w.set(m.Activity, "t2", task_status="COMPLETED")
    assert of(7, await w.run(NOW + timedelta(hours=2))) == []


async def test_expires_seven_days_after_the_end(w) -> None:
    w.meeting("m1", ago(days=1, minutes=30), minutes=30)
    await w.run()
    assert of(7, await w.run(NOW + timedelta(days=6) - timedelta(seconds=1))) == ["m1"]
    assert of(7, await w.run(NOW + timedelta(days=6))) == []  # ended exactly 7 days ago


async def test_expires_when_all_follow_up_tasks_are_done(w) -> None:
    w.meeting("m1", ago(days=1, minutes=30), meeting_outcome="COMPLETED", created_at=ago(10))
    assert (7, "m1") in await w.run()
    w.task("t1", ago(-1), follows_meeting_id="m1", task_status="COMPLETED", created_at=ago(1))
    assert (7, "m1") not in await w.run()


async def test_not_for_a_meeting_that_has_not_started(w) -> None:
    w.meeting("m1", ago(minutes=-90), created_at=ago(10))  # ends in 2 hours
    assert (7, "m1") not in await w.run()
