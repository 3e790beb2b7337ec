"""Each criterion's points at its thresholds, on the real scoring SQL (fixed clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from insights.health.measures import Clock
from insights.health.scoring import score_all
from tests.health.helpers import NOW, World, ago, crit


async def points_of(w: World, criterion: dict[str, Any], **profile: Any) -> dict[str, float]:
    await w.save()
    row = await w.profile(name="p", criteria=[criterion], **profile)
    async with w.sm() as s:
        scored = await score_all(s, row, Clock(NOW, s.get_bind().dialect.name))
    return {x.record_id: x.points[criterion["key"]] for x in scored}


async def test_days_since_last_activity_at_its_thresholds(w: World) -> None:
    for cid, days, secs in (("at", 7, 0), ("below", 7, -1), ("far", 30, 0), ("future", -1, 0)):
        w.company(cid)
        w.act("call", f"company:{cid}", ago(days, secs))
    w.company("none")
    w.contact("c1", "viacontact")
    w.company("viacontact")
    w.act("email", "contact:c1", ago(1))
    got = await points_of(w, crit("days_since_last_activity", [7, 30], [100, 50, 0], missing_points=5))
    # exactly 7 days earns the middle band, a second less the top; none (a future activity is
    # none yet) within the highest threshold earns the last band
    assert got == {"at": 50, "below": 100, "far": 0, "future": 0, "none": 0, "viacontact": 100}


async def test_meetings_in_the_window_at_the_threshold(w: World) -> None:
    w.company("two")
    w.company("one")
    w.company("edge")  # one inside, one exactly 30 days ago (outside the window)
    w.company("nothing")  # no activity at all: zero meetings, not "missing"
    for cid, times in (("two", [1, 29]), ("one", [2]), ("edge", [3, 30])):
        for d in times:
            w.act("meeting", f"company:{cid}", ago(d))
    w.act("call", "company:one", ago(1))  # another type does not count
    got = await points_of(w, crit("meetings_last_n_days", [1, 2], [10, 50, 100], missing_points=99))
    assert got == {"two": 100, "one": 50, "edge": 50, "nothing": 10}


async def test_calls_and_emails_count_through_deals(w: World) -> None:
    w.company("co")
    w.deal("d1", "co")
    w.act("call", "deal:d1", ago(1))
    w.act("call", "deal:d1", ago(2))
    got = await points_of(w, crit("calls_last_n_days", [2], [0, 100], window_days=7))
    assert got == {"co": 100}


async def test_inbound_email_share_at_its_threshold(w: World) -> None:
    w.company("half")
    w.company("third")
    w.company("silent")
    for cid, dirs in (("half", ["INCOMING_EMAIL", "EMAIL"]), ("third", ["INCOMING_EMAIL", "EMAIL", "EMAIL"])):
        for d in dirs:
            w.act("email", f"company:{cid}", ago(1), email_direction=d)
    got = await points_of(w, crit("inbound_email_share", [50], [0, 100], missing_points=25))
    assert got == {"half": 100, "third": 0, "silent": 25}


async def test_overdue_high_priority_tasks(w: World) -> None:
    w.company("late")
    w.company("fine")
    w.act("task", "company:late", ago(1), task_priority="HIGH", task_status="NOT_STARTED")
    w.act("task", "company:fine", ago(1), task_priority="HIGH", task_status="COMPLETED")
    w.act("task", "company:fine", ago(1), task_priority="LOW", task_status="NOT_STARTED")
    w.act("task", "company:fine", ago(-1), task_priority="HIGH", task_status="NOT_STARTED")  # due tomorrow
    got = await points_of(w, crit("overdue_high_priority_tasks", [1], [100, 0]))
    assert got == {"late": 0, "fine": 100}


async def test_open_deals_and_their_stage(w: World) -> None:
    w.company("far")
    w.company("early")
    w.company("closed")
    w.deal("d1", "far", "qualified")
    w.deal("d2", "early", "appointment")
    w.deal("d3", "closed", "won")
    got = await points_of(w, crit("open_deals", [1], [0, 100]))
    assert got == {"far": 100, "early": 100, "closed": 0}


async def test_open_deal_stage_progress(w: World) -> None:
    w.company("far")
    w.company("early")
    w.deal("d1", "far", "qualified")  # the last open stage: 100 %
    w.deal("d2", "early", "appointment")  # the first: 0 %
    got = await points_of(w, crit("open_deal_stage_progress", [100], [0, 100]))
    assert got == {"far": 100, "early": 0}


async def test_closed_lost_deals_in_the_window(w: World) -> None:
    w.company("lost")
    w.company("old")
    w.deal("d1", "lost", "lost", close_date=ago(29))
    w.deal("d2", "old", "lost", close_date=ago(30))
    got = await points_of(w, crit("closed_lost_deals_last_n_days", [1], [100, 0], window_days=30))
    assert got == {"lost": 0, "old": 100}


async def test_deal_score_trend(w: World) -> None:
    w.company("up")
    w.company("down")
    w.company("flat")
    w.deal("d1", "up", deal_score=70)
    w.score_point("d1", 20, 60)
    w.deal("d2", "down", deal_score=60)
    w.score_point("d2", 20, 70)
    w.deal("d3", "flat", deal_score=50)
    w.score_point("d3", 20, 50)
    got = await points_of(w, crit("deal_score_trend", [0], [0, 100], window_days=30))
    assert got == {"up": 100, "down": 0, "flat": 100}


async def test_days_until_renewal_iso_and_epoch_ms(w: World) -> None:
    day = NOW.date()
    w.company("soon", renewal=(day + timedelta(days=29)).isoformat())
    w.company("at", renewal=(day + timedelta(days=30)).isoformat() + "T00:00:00Z")
    ms = int((NOW + timedelta(days=60)).timestamp() * 1000)
    w.company("epoch", renewal=str(ms))
    w.company("unknown")
    got = await points_of(
        w,
        crit("days_until_renewal", [30], [0, 100], missing_points=50),
        renewal_property="renewal",
    )
    assert got == {"soon": 0, "at": 100, "epoch": 100, "unknown": 50}


async def test_dates_that_are_not_on_the_calendar_score_as_missing_on_both_databases(w: World) -> None:
    """A profile saved while every value was a date; a later import brings "2027-02-30":
    PostgreSQL's to_date raises on it, which would fail the whole recompute. It scores as a
    missing value, as any non-date does; a real 29 February still counts."""
    day = NOW.date()
    w.company("ok", renewal=(day + timedelta(days=90)).isoformat())
    await w.save()
    criterion = crit("days_until_renewal", [30], [0, 100], missing_points=50)
    row = await w.profile(name="p", criteria=[criterion], renewal_property="renewal")
    for cid, value in (("feb30", "2027-02-30"), ("apr31", "2027-04-31"), ("feb29", "2027-02-29")):
        w.company(cid, renewal=value)
    w.company("leap", renewal="2028-02-29")
    w.company("leap00", renewal="2000-02-29")
    w.company("not00", renewal="2100-02-29")
    await w.save()
    async with w.sm() as s:
        scored = await score_all(s, row, Clock(NOW, s.get_bind().dialect.name))
    got = {x.record_id: x.points[criterion["key"]] for x in scored}
    missing = {"feb30": 50, "apr31": 50, "feb29": 50, "not00": 50}
    assert got == {"ok": 100, "leap": 100, "leap00": 0, **missing}
