"""Guided actions on the real engine: the scheduled evaluation creates an action when its criteria
hold (not when the rep next looks), and racing workers on one user never store a duplicate."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from insights.core.config import Settings
from insights.guided_actions.models import GuidedAction
from insights.guided_actions.runner import evaluate
from insights.jobs import Jobs
from insights.jobs.embedded import start_consumer, stop_consumer
from tests.guided_actions.helpers import ME, NOW, P, World, ago


async def stored(w: World, rule: int) -> list[GuidedAction]:
    async with w.sm() as s:
        return list(await s.scalars(select(GuidedAction).where(GuidedAction.rule_number == rule)))


def reply_waiting(w: World) -> None:
    """Rule 10: a contact of your open deal replied to you (at NOW) and you have not replied."""
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("in1", 0, {"contact": ["c1"]}, incoming=True)


async def test_a_reply_older_than_7_days_yielded_its_action_because_the_worker_ran_in_time(
    w: World, sessionmaker, jobs_settings: Settings
) -> None:
    reply_waiting(w)
    await w.save()
    jobs = Jobs(jobs_settings)
    consumer = start_consumer(jobs, workers=2, periodic=False)
    try:
        users = jobs.evaluate_all((NOW + timedelta(hours=1)).isoformat()).get(blocking=True, timeout=30)
        assert users >= 1
        for _ in range(50):  # evaluate_all fans out one job per user: wait for ME's
            if await stored(w, 10):
                break
            await asyncio.sleep(0.1)
    finally:
        stop_consumer(consumer)
        jobs.close()
    (action,) = await stored(w, 10)
    assert action.created_at == NOW + timedelta(hours=1)  # when the criteria held, not a later poll
    # the rep opens the list 8 days after the reply: the action existed and has run its course
    async with sessionmaker() as s:
        await evaluate(s, P, ME, NOW + timedelta(days=8))
        await s.commit()
    (action,) = await stored(w, 10)
    assert action.expired_at is not None and action.expired_at <= NOW + timedelta(days=8)


async def test_without_the_worker_a_rep_away_8_days_never_gets_the_reply_action(
    w: World, sessionmaker
) -> None:
    reply_waiting(w)
    await w.save()
    async with sessionmaker() as s:
        await evaluate(s, P, ME, NOW + timedelta(days=8))
        await s.commit()
    assert await stored(w, 10) == []


def grouped_world(w: World) -> None:
    """Rules 6, 8 and 13 all hold for ME at NOW: two meetings and two calls without an outcome,
    two high-priority tasks due today."""
    for i in (1, 2):
        w.meeting(f"m{i}", ago(days=1 + i / 10))
        w.call(f"k{i}", ago(days=0.5 + i / 10))
        w.task(f"t{i}", ago(hours=-1 - i), task_priority="HIGH")


async def test_two_workers_racing_on_one_user_store_no_duplicate(
    w: World, sessionmaker, jobs_settings: Settings
) -> None:
    grouped_world(w)
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("in1", 0, {"contact": ["c1"]}, incoming=True)
    await w.save()
    jobs = [Jobs(jobs_settings), Jobs(jobs_settings)]  # two workers, one queue
    consumers = [start_consumer(j, workers=2, periodic=False) for j in jobs]
    try:
        times = [NOW + timedelta(minutes=m) for m in (1, 1, 2, 2, 3, 3, 4, 4)]
        results = [jobs[i % 2].evaluate_user(P, ME, t.isoformat()) for i, t in enumerate(times)]
        outcomes = [r.get(blocking=True, timeout=60) for r in results]
    finally:
        for c in consumers:
            stop_consumer(c)
        for j in jobs:
            j.close()
    assert all(isinstance(o, str) for o in outcomes)
    async with sessionmaker() as s:
        actions = list(await s.scalars(select(GuidedAction).where(GuidedAction.user_id == ME)))
    keys = Counter((a.rule, a.record_type, a.record_id, a.trigger_key) for a in actions)
    assert keys and max(keys.values()) == 1
    active = Counter(a.rule_number for a in actions if a.expired_at is None)
    assert active[6] == 1 and active[8] == 1 and active[13] == 1 and active[10] == 1


async def test_a_new_group_is_keyed_on_its_members_not_on_the_clock(w: World, sessionmaker) -> None:
    """Two evaluations racing (neither sees the other's group) compute the same trigger key, so the
    unique (user, rule, record, trigger) index can keep only one of them."""
    grouped_world(w)
    await w.save()
    keys = []
    for at in (NOW, NOW + timedelta(minutes=3)):
        async with sessionmaker() as s:  # rolled back: each evaluation starts from no action
            result = await evaluate(s, P, ME, at)
            keys.append(
                sorted((a.rule_number, a.trigger_key) for a in result.created if a.rule_number in (6, 8))
            )
            await s.rollback()
    assert keys[0] == keys[1] == [(6, "meeting:m1"), (8, "call:k1")]
