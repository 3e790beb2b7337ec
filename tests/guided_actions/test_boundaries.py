"""Every rule at its source boundary (guided-actions.md "Time boundaries"): one second under, exactly
at, one second over N days, hours or minutes, with a fixed clock. "More than N" is strict (exactly N
does not satisfy it), "less than N" strict, "is N days old" and "at least 1 hour" hold from exactly N.

One table row per boundary: ``build`` adds the records of one variant (ids suffixed by its name)
whose boundary quantity is N + ``delta``; the three variants live in one world. Creation boundaries
are evaluated at NOW; event-age expiry at ``check``; action-age expiry (``max_age``) creates the
variants one second apart so that at NOW + N their actions are N - 1 s, N and N + 1 s old. Runs on
SQLite, and on PostgreSQL with TEST_DATABASE_URL (``db`` marker from the fixtures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from insights.guided_actions.models import GuidedAction
from tests.guided_actions.helpers import NOW, World, ago

S = timedelta(seconds=1)
VARIANTS = (("under", -S), ("at", timedelta(0)), ("over", S))
Build = Callable[[World, str, timedelta], None]
GROUPED = {6, 8, 13}


@dataclass(frozen=True)
class Case:
    rule: int
    boundary: str
    build: Build
    expect: tuple[bool, bool, bool]  # the variant's action is active: (under, at, over)
    check: timedelta | None = None  # evaluate again at NOW + check (event-age expiry)
    max_age: timedelta | None = None  # action-age expiry: created 1 s apart, checked at NOW + max_age


def contact_only(w: World, k: str, d: timedelta) -> None:
    w.contact(f"c-{k}")


def lead_only(w: World, k: str, d: timedelta) -> None:
    w.lead(f"l-{k}")


def re_engaged(age: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.contact(f"c-{k}")
        w.lead(
            f"l-{k}",
            stage="unqualified-stage-id",
            contact=f"c-{k}",
            created_at=ago(40),
            stage_changed_at=ago(35),
        )
        w.email(f"in-{k}", 0, {"contact": [f"c-{k}"]}, incoming=True, thread=f"t-{k}")
        w.pending[-1].occurred_at = NOW - age - d

    return build


def replied_to_you(w: World, k: str, d: timedelta) -> None:
    w.contact(f"c-{k}")
    w.email(f"out-{k}", 3, {"contact": [f"c-{k}"]}, thread=f"t-{k}")
    w.email(f"in-{k}", 1, {"contact": [f"c-{k}"]}, incoming=True, thread=f"t-{k}")


def wrote_to_you(w: World, k: str, d: timedelta) -> None:
    w.contact(f"c-{k}")
    w.email(f"in-{k}", 1, {"contact": [f"c-{k}"]}, incoming=True, thread=f"t-{k}")


def deal_reply(w: World, k: str, d: timedelta) -> None:
    w.contact(f"c-{k}")
    w.deal(f"d-{k}", contacts=[f"c-{k}"])
    w.email(f"in-{k}", 0.1, {"contact": [f"c-{k}"]}, incoming=True, thread=f"t-{k}")


def lead_wrote(w: World, k: str, d: timedelta) -> None:
    w.contact(f"c-{k}")
    w.lead(f"l-{k}", stage="attempting-stage-id", contact=f"c-{k}")
    w.email(f"in-{k}", 0.1, {"lead": [f"l-{k}"]}, incoming=True, thread=f"t-{k}")


def meeting_ended(ago_end: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.meeting(f"m-{k}", NOW - ago_end - d - timedelta(minutes=30), minutes=30)

    return build


def call_started(ago_start: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.call(f"k-{k}", NOW - ago_start - d)

    return build


def meeting_starts_in(ahead: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.meeting(f"m-{k}", NOW + ahead + d)

    return build


def started_10_min_before_check(w: World, k: str, d: timedelta) -> None:
    """Starts in 30 minutes (created now); at the check, 40 minutes on, it started 10 min + delta ago."""
    w.meeting(f"m-{k}", NOW + timedelta(minutes=30) - d)


def high_task_due(at: timedelta) -> Build:  # relative to NOW's UTC midnight (the user's zone is UTC)
    midnight = NOW.replace(hour=0, minute=0, second=0)

    def build(w: World, k: str, d: timedelta) -> None:
        w.task(f"t-{k}", midnight + at + d, task_priority="HIGH")

    return build


def target_contact_engaged(age: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.contact(f"c-{k}")
        w.company(f"co-{k}", target=True, contacts=[f"c-{k}"])
        w.email(f"in-{k}", 0, {"contact": [f"c-{k}"]}, incoming=True, to="", thread=f"t-{k}")
        w.pending[-1].occurred_at = NOW - age - d

    return build


def lead_engaged(age: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.lead(f"l-{k}", stage="connected-stage-id")
        w.call(f"k-{k}", NOW - age - d, {"lead": [f"l-{k}"]})

    return build


def deal_note(age: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.deal(f"d-{k}", created=20)
        w.activity(f"n-{k}", "note", NOW - age - d, {"deal": [f"d-{k}"]}, created_at=ago(30))

    return build


def deal_created(age: timedelta, stage: str = "qualifiedtobuy") -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.deal(f"d-{k}", stage=stage, created=0)
        w.pending[-1].created_at = NOW - age - d

    return build


def email_opened(age: timedelta) -> Build:
    def build(w: World, k: str, d: timedelta) -> None:
        w.contact(f"c-{k}")
        w.deal(f"d-{k}", contacts=[f"c-{k}"])
        w.email(f"out-{k}", 12, {"contact": [f"c-{k}"]}, thread=f"t-{k}", first_opened_at=NOW - age - d)

    return build


DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
CASES = [
    Case(1, "action is 30 days old", contact_only, (True, False, False), max_age=30 * DAY),
    Case(2, "action is 30 days old", lead_only, (True, False, False), max_age=30 * DAY),
    Case(3, "re-engaged within the last 30 days", re_engaged(30 * DAY), (True, True, False)),
    Case(3, "re-engagement more than 30 days old", re_engaged(2 * DAY), (True, True, False), check=28 * DAY),
    Case(5, "action is 14 days old", replied_to_you, (True, False, False), max_age=14 * DAY),
    Case(6, "at least 1 hour since the end", meeting_ended(HOUR), (False, True, True)),
    Case(6, "ended less than 7 days ago", meeting_ended(7 * DAY), (True, False, False)),
    Case(7, "the meeting has ended", meeting_ended(timedelta(0)), (False, True, True)),
    Case(7, "ended less than 7 days ago", meeting_ended(7 * DAY), (True, False, False)),
    Case(8, "at least 1 hour since the start", call_started(HOUR), (False, True, True)),
    Case(8, "started less than 7 days ago", call_started(7 * DAY), (True, False, False)),
    Case(9, "created more than 14 days ago", wrote_to_you, (True, True, False), max_age=14 * DAY),
    Case(10, "created more than 7 days ago", deal_reply, (True, True, False), max_age=7 * DAY),
    Case(11, "created more than 14 days ago", lead_wrote, (True, True, False), max_age=14 * DAY),
    Case(12, "starts within the next hour", meeting_starts_in(HOUR), (True, True, False)),
    Case(
        12, "10 minutes since the start", started_10_min_before_check, (True, False, False), check=40 * MINUTE
    ),
    Case(13, "due today: from midnight", high_task_due(timedelta(0)), (False, True, True)),
    Case(13, "due today: until the next midnight", high_task_due(DAY), (True, False, False)),
    Case(14, "engaged within the last 7 days", target_contact_engaged(7 * DAY), (True, True, False)),
    Case(14, "more than 7 days since", target_contact_engaged(DAY), (True, True, False), check=6 * DAY),
    Case(15, "engaged within the last 7 days", lead_engaged(7 * DAY), (True, True, False)),
    Case(15, "more than 7 days since", lead_engaged(DAY), (True, True, False), check=6 * DAY),
    Case(16, "ended more than 24 hours ago", deal_note(24 * HOUR), (False, False, True)),
    Case(17, "deal created more than 7 days ago", deal_created(7 * DAY), (False, False, True)),
    Case(
        17,
        "action created more than 7 days ago",
        deal_created(10 * DAY),
        (True, True, False),
        max_age=7 * DAY,
    ),
    Case(
        18,
        "deal created more than 7 days ago",
        deal_created(7 * DAY, "appointmentscheduled"),
        (False, False, True),
    ),
    Case(
        18,
        "action created more than 7 days ago",
        deal_created(10 * DAY, "appointmentscheduled"),
        (True, True, False),
        max_age=7 * DAY,
    ),
    Case(19, "not replied 7 days after the open", email_opened(7 * DAY), (False, True, True)),
    Case(
        19, "action created more than 7 days ago", email_opened(8 * DAY), (True, True, False), max_age=7 * DAY
    ),
]


def _active(actions: list[GuidedAction], rule: int) -> set[str]:
    """Record ids of the rule's active actions (a grouped action's members)."""
    out: set[str] = set()
    for a in actions:
        if a.rule_number == rule:
            out |= {r["id"] for r in a.records} if rule in GROUPED else {a.record_id}
    return out


@pytest.mark.parametrize("case", CASES, ids=[f"r{c.rule}-{c.boundary.replace(' ', '-')}" for c in CASES])
async def test_rule_at_its_boundary(w: World, case: Case) -> None:
    if case.max_age is not None:
        # created at NOW - delta: at NOW + max_age the actions are max_age + delta old
        for k, d in sorted(VARIANTS, key=lambda v: -v[1]):
            case.build(w, k, timedelta(0))
            created = [a.record_id for a in (await w.evaluate(NOW - d)).created if a.rule_number == case.rule]
            assert [rid.rsplit("-", 1)[1] for rid in created] == [k]
        when = NOW + case.max_age
    else:
        for k, d in VARIANTS:
            case.build(w, k, d)
        when = NOW
    result = await w.evaluate(NOW)
    if case.check is not None:
        assert _active(result.active, case.rule), "nothing was created to expire"
        when = NOW + case.check
        result = await w.evaluate(when)
    elif when != NOW:
        result = await w.evaluate(when)
    active = _active(result.active, case.rule)
    found = tuple(any(rid.endswith(f"-{k}") for rid in active) for k, _ in VARIANTS)
    assert found == case.expect, (case.boundary, sorted(active), when)
