"""``insights demo`` started at any hour gives Ana a day to act on: at least one guided action of
each category and the time-sensitive ones (a meeting in the next hour, outcomes to log, today's
high-priority tasks). The demo builder the CLI calls runs at three clock times, imported and
evaluated at that same clock; the ids stay the same whatever the hour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from insights.crm.demo import demo_accounts_started, demo_anchor
from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.guided_actions.runner import evaluate

TIME_SENSITIVE = {6, 8, 12, 13}  # outcomes due, a meeting within the hour, tasks due today


@pytest.mark.parametrize(
    "started",
    [
        datetime(2026, 11, 20, 0, 20, tzinfo=UTC),  # before the day's noon: yesterday's stories
        datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 23, 40, tzinfo=UTC),  # twenty minutes before Ana's midnight
    ],
    ids=["00h20", "12h00", "23h40"],
)
async def test_ana_has_a_day_to_act_on_at_any_hour(sessionmaker, started: datetime) -> None:
    async with sessionmaker() as s:
        for doc in demo_accounts_started(started):
            report = await import_records(s, iter_document(doc))
            assert report.rejected == [], report.rejected
        await s.commit()
    async with sessionmaker() as s:
        result = await evaluate(s, "demo", "101", started)
        await s.commit()
    rules = {a.rule_number for a in result.active}
    assert {a.category for a in result.active} == {"closing", "prospecting"}
    assert rules >= TIME_SENSITIVE, sorted(rules)
    prepare = [a for a in result.active if a.rule_number == 12]
    assert [a.record_id for a in prepare] == ["m-202"]  # stable ids whatever the hour


def test_the_stories_clock_is_the_latest_noon_not_after_the_start() -> None:
    assert demo_anchor(datetime(2026, 11, 20, 0, 20, tzinfo=UTC)) == datetime(2026, 11, 19, 12, tzinfo=UTC)
    assert demo_anchor(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert demo_anchor(datetime(2026, 11, 20, 23, 40, tzinfo=UTC)) == datetime(2026, 11, 20, 12, tzinfo=UTC)
