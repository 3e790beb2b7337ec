"""Recompute: idempotent at a fixed clock, snapshots per day, alerts on a category change or a
drop (none without), expiry at exactly 14 days, and the insights of the company's deals moved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from insights.crm import models as m
from insights.health.models import HealthAlert, HealthScore, HealthSnapshot
from insights.health.recompute import ensure_fresh, recompute
from insights.health.service import alerts
from insights.permissions.viewer import load_viewer
from tests.health.helpers import MATE, NOW, REP, P, World, ago, crit

DAY = timedelta(days=1)
# one meeting in the last 30 days → Good; none → At risk
PROFILE = {
    "name": "Engagement",
    "criteria": [crit("meetings_last_n_days", [1], [0, 100], window_days=30)],
    "drop_alert_points": 30,
}


async def _run(w: World, now=NOW) -> None:  # type: ignore[no-untyped-def]
    async with w.sm() as s:
        await recompute(s, P, now)
        await s.commit()


async def _count(w: World, model) -> int:  # type: ignore[no-untyped-def]
    async with w.sm() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _versions(w: World) -> dict[str, int]:
    async with w.sm() as s:
        return dict((await s.execute(select(m.Deal.id, m.Deal.timeline_version))).all())


async def test_recompute_is_idempotent_and_snapshots_each_day(w: World) -> None:
    w.company("co")
    w.act("meeting", "company:co", ago(10))
    await w.save()
    await w.profile(**PROFILE)
    await _run(w)
    await _run(w)
    assert await _count(w, HealthScore) == 1 and await _count(w, HealthSnapshot) == 1
    await _run(w, NOW + DAY)
    assert await _count(w, HealthSnapshot) == 2 and await _count(w, HealthAlert) == 0


async def test_a_category_change_raises_one_alert_for_the_owner(w: World) -> None:
    w.company("co")
    w.company("steady")
    w.act("meeting", "company:co", ago(29.5))  # leaves the 30-day window tomorrow
    w.act("meeting", "company:steady", ago(1))
    await w.save()
    await w.profile(**PROFILE)
    await _run(w)
    await _run(w, NOW + DAY)
    await _run(w, NOW + DAY)  # the same day again: no second alert
    async with w.sm() as s:
        rows = (await s.scalars(select(HealthAlert))).all()
    assert [(a.record_id, a.user_id, a.kind, a.from_category, a.to_category) for a in rows] == [
        ("co", REP, "category_change", "good", "at_risk"),
        ("co", REP, "score_drop", "good", "at_risk"),
    ]
    assert rows[0].criteria == [{"key": "meetings_last_n_days", "from": 100.0, "to": 0.0}]


async def test_no_alert_without_a_change_and_none_below_the_drop_threshold(w: World) -> None:
    w.company("co")
    w.act("meeting", "company:co", ago(1))
    w.act("call", "company:co", ago(29.5))
    await w.save()
    await w.profile(
        name="two",
        criteria=[
            crit("meetings_last_n_days", [1], [0, 100], window_days=30, weight=3),
            crit("calls_last_n_days", [1], [0, 100], window_days=30, weight=1, key="calls"),
        ],
        at_risk_below=40,
        good_from=60,
        drop_alert_points=30,
    )
    await _run(w)
    await _run(w, NOW + DAY)  # 100 → 75: still Good, a 25-point drop (threshold: more than 30)
    async with w.sm() as s:
        score = await s.scalar(select(HealthScore.score))
    assert score == 75 and await _count(w, HealthAlert) == 0


async def test_an_alert_expires_at_exactly_14_days(w: World) -> None:
    w.company("co")
    w.act("meeting", "company:co", ago(29.5))
    await w.save()
    await w.profile(**PROFILE)
    await _run(w)
    raised = NOW + DAY
    await _run(w, raised)
    async with w.sm() as s:
        rep = await load_viewer(s, P, REP)
        mate = await load_viewer(s, P, MATE)
        assert rep is not None and mate is not None
        before = await alerts(s, rep, raised + timedelta(days=14, seconds=-1))
        at = await alerts(s, rep, raised + timedelta(days=14))
        others = await alerts(s, mate, raised)
    assert len(before) == 2 and at == [] and others == []


async def test_a_changed_score_moves_the_deals_timeline_version_and_an_unchanged_one_does_not(
    w: World,
) -> None:
    w.company("co")
    w.company("other")
    w.deal("d1", "co")
    w.deal("d2", "other")
    w.act("meeting", "company:co", ago(29.5))
    await w.save()
    await w.profile(**PROFILE)
    await _run(w)
    first = await _versions(w)
    await _run(w)  # same clock: nothing changed
    assert await _versions(w) == first
    await _run(w, NOW + DAY)  # co's meeting left the window
    after = await _versions(w)
    assert after["d1"] == first["d1"] + 1 and after["d2"] == first["d2"]


async def test_a_read_recomputes_once_per_day(w: World) -> None:
    w.company("co")
    await w.save()
    await w.profile(**PROFILE)
    async with w.sm() as s:
        assert await ensure_fresh(s, P, NOW) is True
        assert await ensure_fresh(s, P, NOW) is False
        assert await ensure_fresh(s, P, NOW + DAY) is True
        await s.commit()


async def test_two_first_reads_of_a_day_recomputing_at_once_both_answer_and_alert_once(w: World) -> None:
    import asyncio

    w.company("co")
    w.act("meeting", "company:co", ago(29.5))  # leaves the 30-day window tomorrow: two alerts then
    await w.save()
    await w.profile(**PROFILE)
    await _run(w)
    first_flushed = asyncio.Event()

    async def first() -> None:
        async with w.sm() as s:
            await recompute(s, P, NOW + DAY)
            first_flushed.set()
            await asyncio.sleep(0.3)  # the second read starts while this one is uncommitted
            await s.commit()

    async def second() -> None:
        await first_flushed.wait()
        async with w.sm() as s:
            await ensure_fresh(s, P, NOW + DAY)
            await s.commit()

    # (PostgreSQL's row locks on the scores serialise these two before the alert insert; the alert
    # insert's ON CONFLICT DO NOTHING covers the interleaving where they do not.)
    await asyncio.gather(first(), second())
    async with w.sm() as s:
        kinds = sorted((await s.scalars(select(HealthAlert.kind))).all())
    assert kinds == ["category_change", "score_drop"]
