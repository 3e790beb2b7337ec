"""Data-only risks, one rule at a time: each is raised exactly at its threshold and not one step under.

The contexts are built by hand (no database): the rules read nothing but the DealContext.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from insights.insight.context import (
    ActivityItem,
    ContactInfo,
    DealContext,
    DealInfo,
    PropertyChange,
    StageInfo,
)
from insights.insight.risks import RiskThresholds, rule_risks

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OPEN = StageInfo(id="s2", label="Demo", display_order=2)
CLOSED = StageInfo(id="won", label="Closed won", display_order=9, is_closed=True, is_won=True)
PIPELINE = [
    StageInfo(id="s1", label="Qualify", display_order=1),
    OPEN,
    StageInfo(id="s3", label="Proposal", display_order=3),
    CLOSED,
]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def activity(aid: str, days_ago: float, kind: str = "note", **extra: Any) -> ActivityItem:
    return ActivityItem(id=aid, type=kind, occurred_at=ago(days_ago), **extra)


def change(prop: str, value: str | None, days_ago: float) -> PropertyChange:
    return PropertyChange(property=prop, value=value, timestamp=ago(days_ago))


def context(
    *,
    stage: StageInfo = OPEN,
    deal: dict[str, Any] | None = None,
    history: list[PropertyChange] | None = None,
    activities: list[ActivityItem] | None = None,
    healthy: bool = True,
) -> DealContext:
    """A deal that raises no risk unless the test says otherwise (``healthy`` adds a contact,
    an open task and a recent activity, so only the rule under test can fire)."""
    acts = activities if activities is not None else ([activity("n-1", 1)] if healthy else [])
    return DealContext(
        portal_id="p1",
        viewer_id="u1",
        now=NOW,
        deal=DealInfo(id="d1", name="Acme renewal", pipeline_id="default", stage=stage, **(deal or {})),
        history=history or [],
        pipeline_stages=PIPELINE,
        contacts=[ContactInfo(id="c1", name="Ana Buyer")] if healthy else [],
        activities=acts,
        open_tasks=[activity("t-1", -2, "task", task_status="NOT_STARTED")] if healthy else [],
        activity_count=len(acts),
        newest_activity_at=acts[0].occurred_at if acts else None,
    )


def kinds(ctx: DealContext, thresholds: RiskThresholds | None = None) -> set[str]:
    return {r.kind for r in rule_risks(ctx, thresholds)}


def test_a_healthy_open_deal_has_no_risk() -> None:
    assert rule_risks(context()) == []


# -- deal_score_drop --------------------------------------------------------------------------
def test_deal_score_drop_at_the_threshold_names_both_scores() -> None:
    ctx = context(deal={"deal_score": 67}, history=[change("hs_deal_score", "72", 10)])
    [risk] = rule_risks(ctx)
    assert risk.kind == "deal_score_drop" and risk.source == "rules"
    assert "72" in risk.text and "67" in risk.text


def test_deal_score_drop_one_point_under_the_threshold_is_no_risk() -> None:
    ctx = context(deal={"deal_score": 68}, history=[change("hs_deal_score", "72", 10)])
    assert kinds(ctx) == set()


def test_deal_score_peak_outside_the_window_does_not_count() -> None:
    inside = context(deal={"deal_score": 60}, history=[change("hs_deal_score", "72", 30)])
    outside = context(deal={"deal_score": 60}, history=[change("hs_deal_score", "72", 31)])
    assert kinds(inside) == {"deal_score_drop"} and kinds(outside) == set()


def test_a_rising_deal_score_is_no_risk() -> None:
    ctx = context(deal={"deal_score": 80}, history=[change("hs_deal_score", "60", 10)])
    assert kinds(ctx) == set()


# -- no_follow_up -----------------------------------------------------------------------------
def test_no_follow_up_without_an_upcoming_meeting_or_open_task() -> None:
    ctx = context().model_copy(update={"open_tasks": []})
    assert kinds(ctx) == {"no_follow_up"}


def test_an_upcoming_meeting_is_a_follow_up() -> None:
    meeting = activity("m-9", -3, "meeting")
    ctx = context().model_copy(update={"open_tasks": [], "upcoming_meetings": [meeting]})
    assert kinds(ctx) == set()


# -- close_date_passed ------------------------------------------------------------------------
def test_close_date_passed_one_second_ago() -> None:
    [risk] = rule_risks(context(deal={"close_date": NOW - timedelta(seconds=1)}))
    assert risk.kind == "close_date_passed" and "2026-11-20" in risk.text


def test_close_date_now_has_not_passed() -> None:
    assert kinds(context(deal={"close_date": NOW})) == set()


# -- close_date_pushed ------------------------------------------------------------------------
def test_close_date_pushed_twice_is_a_risk_with_first_and_current_dates() -> None:
    history = [
        change("closedate", "2026-10-01", 60),
        change("closedate", "2026-11-01", 40),
        change("closedate", "2026-12-15", 20),
    ]
    [risk] = rule_risks(context(deal={"close_date": datetime(2026, 12, 15, tzinfo=UTC)}, history=history))
    assert risk.kind == "close_date_pushed" and "2 times" in risk.text
    assert "2026-10-01" in risk.text and "2026-12-15" in risk.text


def test_close_date_pushed_once_is_under_the_threshold() -> None:
    history = [change("closedate", "2026-10-01", 60), change("closedate", "2026-12-15", 20)]
    assert kinds(context(deal={"close_date": datetime(2026, 12, 15, tzinfo=UTC)}, history=history)) == set()


def test_close_date_pushes_threshold_comes_from_the_account() -> None:
    history = [change("closedate", "2026-10-01", 60), change("closedate", "2026-12-15", 20)]
    ctx = context(deal={"close_date": datetime(2026, 12, 15, tzinfo=UTC)}, history=history)
    assert kinds(ctx, RiskThresholds.from_account({"close_date_pushes": 1})) == {"close_date_pushed"}


# -- inactive ---------------------------------------------------------------------------------
def test_inactive_at_exactly_the_threshold_cites_the_newest_activity() -> None:
    [risk] = rule_risks(context(activities=[activity("e-7", 14, "email"), activity("n-2", 20)]))
    assert risk.kind == "inactive" and risk.activity_ids == ["e-7"] and "14 days" in risk.text


def test_inactive_one_day_under_the_threshold_is_no_risk() -> None:
    assert kinds(context(activities=[activity("e-7", 13.9, "email")])) == set()


# -- stalled_in_stage -------------------------------------------------------------------------
def test_stalled_in_stage_at_the_threshold_names_the_stage() -> None:
    [risk] = rule_risks(context(deal={"stage_entered_at": ago(30)}))
    assert risk.kind == "stalled_in_stage" and "'Demo'" in risk.text and "30 days" in risk.text


def test_stalled_in_stage_a_day_under_is_no_risk() -> None:
    assert kinds(context(deal={"stage_entered_at": ago(29.9)})) == set()


# -- no_contact -------------------------------------------------------------------------------
def test_no_visible_contact_is_a_risk() -> None:
    ctx = context().model_copy(update={"contacts": []})
    assert kinds(ctx) == {"no_contact"}


# -- meeting_no_show --------------------------------------------------------------------------
@pytest.mark.parametrize(("outcome", "words"), [("NO_SHOW", "no-show"), ("CANCELED", "cancelled")])
def test_the_last_meeting_missed_is_a_risk_citing_it(outcome: str, words: str) -> None:
    acts = [activity("n-1", 1), activity("m-1", 3, "meeting", meeting_outcome=outcome)]
    [risk] = rule_risks(context(activities=acts))
    assert risk.kind == "meeting_no_show" and risk.activity_ids == ["m-1"] and words in risk.text


def test_a_meeting_held_since_clears_the_no_show() -> None:
    acts = [
        activity("m-2", 1, "meeting", meeting_outcome="COMPLETED"),
        activity("m-1", 5, "meeting", meeting_outcome="NO_SHOW"),
    ]
    assert kinds(context(activities=acts)) == set()


@pytest.mark.parametrize("later", [None, "SCHEDULED", "RESCHEDULED"])
def test_a_no_show_behind_a_later_meeting_not_yet_held_is_still_a_risk(later: str | None) -> None:
    """The latest meeting is not the only one looked at: one still scheduled or unlogged after the
    no-show does not hide it (the demo's Globex story)."""
    acts = [
        activity("m-2", 0.2, "meeting", meeting_outcome=later),
        activity("m-1", 1.5, "meeting", meeting_outcome="NO_SHOW", title="Steering committee"),
    ]
    [risk] = [r for r in rule_risks(context(activities=acts)) if r.kind == "meeting_no_show"]
    assert risk.activity_ids == ["m-1"] and "'Steering committee'" in risk.text


# -- stage_regressed --------------------------------------------------------------------------
def test_a_stage_moved_backwards_in_pipeline_order_is_a_risk() -> None:
    history = [change("dealstage", "s1", 30), change("dealstage", "s3", 20), change("dealstage", "s2", 5)]
    [risk] = rule_risks(context(history=history))
    assert risk.kind == "stage_regressed" and "'s3' to 's2'" in risk.text


def test_a_stage_moving_forward_is_no_risk() -> None:
    history = [change("dealstage", "s1", 30), change("dealstage", "s2", 5)]
    assert kinds(context(history=history)) == set()


# -- amount_decreased -------------------------------------------------------------------------
def test_amount_decreased_by_exactly_the_threshold_percentage() -> None:
    history = [change("amount", "1000", 20), change("amount", "900", 5)]
    [risk] = rule_risks(context(history=history))
    assert risk.kind == "amount_decreased" and "1,000" in risk.text and "900" in risk.text
    assert "10%" in risk.text


def test_amount_decreased_just_under_the_threshold_is_no_risk() -> None:
    history = [change("amount", "1000", 20), change("amount", "901", 5)]
    assert kinds(context(history=history)) == set()


# -- closed deals -----------------------------------------------------------------------------
def test_a_closed_deal_raises_none_of_the_open_deal_risks() -> None:
    ctx = context(
        stage=CLOSED,
        deal={"close_date": ago(40), "stage_entered_at": ago(90)},
        activities=[activity("n-1", 60)],
        healthy=False,
    )
    assert kinds(ctx) == set()


def test_bad_account_thresholds_fall_back_to_the_defaults() -> None:
    assert RiskThresholds.from_account({"inactive_days": 0, "unknown": 3}) == RiskThresholds()


# -- the activity a risk rests on -------------------------------------------------------------
def test_a_pushed_close_date_links_the_meeting_that_moved_it() -> None:
    history = [change("closedate", "2026-10-01", 60), change("closedate", "2026-11-01", 40)]
    history.append(change("closedate", "2026-12-15", 10))
    acts = [
        activity("n-1", 1),
        activity("m-7", 10.5, "meeting", title="Pricing review"),  # half a day before the change
        activity("n-3", 10.2),  # nearer, but a note: the conversation wins
        activity("m-old", 20, "meeting"),
    ]
    ctx = context(deal={"close_date": datetime(2026, 12, 15, tzinfo=UTC)}, history=history, activities=acts)
    [risk] = [r for r in rule_risks(ctx) if r.kind == "close_date_pushed"]
    assert risk.activity_ids == ["m-7"]


def test_a_change_with_no_activity_near_links_nothing() -> None:
    history = [change("closedate", "2026-10-01", 60), change("closedate", "2026-11-01", 40)]
    history.append(change("closedate", "2026-12-15", 10))
    ctx = context(deal={"close_date": datetime(2026, 12, 15, tzinfo=UTC)}, history=history)
    [risk] = [r for r in rule_risks(ctx) if r.kind == "close_date_pushed"]
    assert risk.activity_ids == []


def test_silence_links_the_buyers_last_email_too() -> None:
    acts = [activity("n-9", 15), activity("e-in", 18, "email", email_direction="INCOMING_EMAIL")]
    [risk] = rule_risks(context(activities=acts))
    assert risk.kind == "inactive" and risk.activity_ids == ["n-9", "e-in"]


def test_no_follow_up_links_the_last_touch() -> None:
    ctx = context(activities=[activity("c-1", 2, "call"), activity("n-1", 3)])
    ctx = ctx.model_copy(update={"open_tasks": [], "upcoming_meetings": []})
    [risk] = rule_risks(ctx)
    assert risk.kind == "no_follow_up" and risk.activity_ids == ["c-1"]
