"""Data-only risks: rules over the deal's properties and activity metadata, never free text.

They run for every insight (HIPAA mode included), so the Risks section works when the model is
down, off or not allowed. Each risk explains itself with its numbers. Thresholds are account
settings because a 15-day sales cycle and a 9-month one need different ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from insights.crm.values import RecordError, parse_time
from insights.insight.context import ActivityItem, DealContext, PropertyChange
from insights.insight.schemas import Risk, RiskCriterion, RiskRecord


class RiskThresholds(BaseModel):
    inactive_days: int = Field(14, ge=1, le=3650)
    stalled_stage_days: int = Field(30, ge=1, le=3650)
    score_drop_points: float = Field(5, ge=0, le=100)
    score_window_days: int = Field(30, ge=1, le=3650)
    close_date_pushes: int = Field(2, ge=1, le=100)
    amount_drop_pct: float = Field(10, ge=0, le=100)

    @classmethod
    def from_account(cls, raw: dict[str, Any] | None) -> RiskThresholds:
        """Account values over defaults; unknown keys are ignored, bad values fall back."""
        try:
            return cls.model_validate({k: v for k, v in (raw or {}).items() if k in cls.model_fields})
        except ValidationError:
            return cls()


def _day(d: datetime) -> str:
    return f"{d.day} {d.strftime('%b')}"


def _history(ctx: DealContext, prop: str) -> list[PropertyChange]:
    return sorted((h for h in ctx.history if h.property == prop), key=lambda h: h.timestamp)


def _date(v: str | None) -> datetime | None:
    try:
        return parse_time(v, "closedate")
    except RecordError:
        return None


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


def _around(ctx: DealContext, when: datetime, days: float = 2) -> list[str]:
    """The activity behind a property change: the newest meeting or call (else any activity) logged
    on the timeline at most ``days`` before the change. The change is what the rep sees happen after
    a conversation; with none near, the risk links nothing rather than a guess."""
    near = [a for a in ctx.activities if when - timedelta(days=days) <= a.occurred_at <= when]
    talks = [a for a in near if a.type in ("meeting", "call")]
    best = (talks or near)[:1]  # ctx.activities is newest first
    return [a.id for a in best]


def _last_inbound(ctx: DealContext) -> ActivityItem | None:
    return next(
        (a for a in ctx.activities if a.type == "email" and a.email_direction == "INCOMING_EMAIL"), None
    )


def deal_score_drop(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    points = [(h.timestamp, _float(h.value)) for h in _history(ctx, "hs_deal_score")]
    points = [(ts, v) for ts, v in points if v is not None and (ctx.now - ts).days <= t.score_window_days]
    if ctx.deal.deal_score is not None and (not points or points[-1][1] != ctx.deal.deal_score):
        points.append((ctx.now, ctx.deal.deal_score))
    if len(points) < 2:
        return None
    peak_ts, peak = max(points, key=lambda p: (p[1], p[0]))
    last = points[-1][1]
    if peak is None or last is None or peak - last < t.score_drop_points or peak_ts >= points[-1][0]:
        return None
    return Risk(
        kind="deal_score_drop",
        source="rules",
        text=f"Deal score fell from {peak:g} to {last:g} since {_day(peak_ts)}.",
    )


def no_follow_up(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    if ctx.deal.stage.is_closed or ctx.upcoming_meetings or ctx.open_tasks:
        return None
    return Risk(
        kind="no_follow_up",
        source="rules",
        activity_ids=[ctx.activities[0].id] if ctx.activities else [],  # the last touch, not followed up
        text="No follow-up scheduled: no upcoming meeting and no open task on this deal.",
    )


def close_date_passed(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    cd = ctx.deal.close_date
    if ctx.deal.stage.is_closed or cd is None or cd >= ctx.now:
        return None
    days = (ctx.now - cd).days
    changes = _history(ctx, "closedate")
    return Risk(
        kind="close_date_passed",
        source="rules",
        activity_ids=_around(ctx, changes[-1].timestamp) if changes else [],  # what set that date
        text=f"Close date {cd.date().isoformat()} passed {days} days ago and the deal is still open.",
    )


def close_date_pushed(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    dates = [d for h in _history(ctx, "closedate") if (d := _date(h.value)) is not None]
    pushes = sum(1 for a, b in zip(dates, dates[1:], strict=False) if b > a)
    if ctx.deal.stage.is_closed or pushes < t.close_date_pushes:
        return None
    changes = _history(ctx, "closedate")
    return Risk(
        kind="close_date_pushed",
        source="rules",
        activity_ids=_around(ctx, changes[-1].timestamp),  # the conversation that moved it last
        text=f"Close date pushed back {pushes} times "
        f"(first {dates[0].date().isoformat()}, now {dates[-1].date().isoformat()}).",
    )


def inactive(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    if ctx.deal.stage.is_closed or ctx.newest_activity_at is None:
        return None
    days = (ctx.now - ctx.newest_activity_at).days
    if days < t.inactive_days:
        return None
    ids = [ctx.activities[0].id] if ctx.activities else []
    inbound = _last_inbound(ctx)  # the buyer's last word before the silence
    if inbound is not None and inbound.id not in ids:
        ids.append(inbound.id)
    return Risk(
        kind="inactive",
        source="rules",
        activity_ids=ids,
        text=f"No activity for {days} days (last on {ctx.newest_activity_at.date().isoformat()}).",
    )


def stalled_in_stage(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    since = ctx.deal.stage_entered_at
    if ctx.deal.stage.is_closed or since is None:
        return None
    days = (ctx.now - since).days
    if days < t.stalled_stage_days:
        return None
    label = ctx.deal.stage.label or ctx.deal.stage.id
    return Risk(
        kind="stalled_in_stage",
        source="rules",
        activity_ids=_around(ctx, since),  # the conversation that brought it into this stage
        text=f"In stage '{label}' for {days} days (threshold {t.stalled_stage_days}).",
    )


def no_contact(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    # Counted over what the viewer sees: an invisible contact must not be hinted at either.
    if ctx.deal.stage.is_closed or ctx.contacts:
        return None
    return Risk(kind="no_contact", source="rules", text="No contact associated with this deal.")


def _missed_meeting(ctx: DealContext) -> ActivityItem | None:
    """The newest meeting the buyer missed (no-show or cancelled), unless one held since (outcome
    COMPLETED) shows they came back: newer meetings still scheduled or unlogged do not hide it."""
    for a in ctx.activities:  # newest first
        if a.type != "meeting":
            continue
        if a.meeting_outcome == "COMPLETED":
            return None
        if a.meeting_outcome in ("NO_SHOW", "CANCELED"):
            return a
    return None


def meeting_no_show(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    m = _missed_meeting(ctx)
    if m is None:
        return None
    what = "was a no-show" if m.meeting_outcome == "NO_SHOW" else "was cancelled"
    title = f"'{m.title}' " if m.title else ""
    return Risk(
        kind="meeting_no_show",
        source="rules",
        activity_ids=[m.id],
        text=f"The meeting {title}on {m.occurred_at.date().isoformat()} {what}; none held since.",
    )


def stage_regressed(ctx: DealContext, t: RiskThresholds, order: dict[str, int] | None = None) -> Risk | None:
    order = order or {}
    changes = [h for h in _history(ctx, "dealstage") if h.value]
    for before, after in zip(reversed(changes[:-1]), reversed(changes[1:]), strict=False):
        prev, cur = before.value or "", after.value or ""
        if prev in order and cur in order and order[cur] < order[prev]:
            return Risk(
                kind="stage_regressed",
                source="rules",
                activity_ids=_around(ctx, after.timestamp),
                text=f"Stage moved backwards from '{prev}' to '{cur}'.",
            )
    return None


def amount_decreased(ctx: DealContext, t: RiskThresholds) -> Risk | None:
    changes = [(h, a) for h in _history(ctx, "amount") if (a := _float(h.value)) is not None]
    amounts = [a for _, a in changes]
    if len(amounts) < 2:
        return None
    peak, last = max(amounts), amounts[-1]
    if peak <= 0 or (peak - last) / peak * 100 < t.amount_drop_pct:
        return None
    return Risk(
        kind="amount_decreased",
        source="rules",
        activity_ids=_around(ctx, changes[-1][0].timestamp),
        text=f"Amount decreased from {peak:,.0f} to {last:,.0f} ({(peak - last) / peak:.0%}).",
    )


def company_at_risk(ctx: DealContext) -> list[Risk]:
    """A visible company At risk, or whose health score fell by more than its profile's drop
    points from its peak of the last 14 days; linked to the criteria that cost it most (points only)."""
    out: list[Risk] = []
    for company in ctx.companies:  # only companies the viewer may see reach the context
        for h in company.health:
            fell = (
                h.recent_peak is not None
                and h.drop_alert_points is not None
                and h.recent_peak - h.score > h.drop_alert_points
            )
            if h.category != "at_risk" and not fell:
                continue
            weakest = sorted(h.criteria, key=lambda c: (c.points - 100) * c.weight)[:3]
            weakest = [c for c in weakest if c.points < 100]
            why = ", ".join(f"{c.label} ({c.points:g} of 100 points)" for c in weakest)
            state = "is At risk" if h.category == "at_risk" else "fell sharply"
            move = f"fell from {h.recent_peak:g} to {h.score:g}" if fell else f"is {h.score:g}"
            text = f"{company.name} {state}: health score ({h.profile_name}) {move}."
            out.append(
                Risk(
                    kind="company_at_risk",
                    source="rules",
                    text=text + (f" Weakest: {why}." if why else ""),
                    record=RiskRecord(type="company", id=company.id, profile_id=h.profile_id),
                    criteria=[RiskCriterion(key=c.key, label=c.label, points=c.points) for c in weakest],
                )
            )
    return out


RULES: list[Callable[[DealContext, RiskThresholds], Risk | None]] = [
    deal_score_drop,
    no_follow_up,
    close_date_passed,
    close_date_pushed,
    inactive,
    stalled_in_stage,
    no_contact,
    meeting_no_show,
    amount_decreased,
]


def rule_risks(ctx: DealContext, thresholds: RiskThresholds | None = None) -> list[Risk]:
    """All data-only risks of the deal as this viewer sees it."""
    t = thresholds or RiskThresholds()
    out = [r for rule in RULES if (r := rule(ctx, t)) is not None]
    order = {s.id: s.display_order or 0 for s in ctx.pipeline_stages if s.id}
    if (r := stage_regressed(ctx, t, order)) is not None:
        out.append(r)
    return out + company_at_risk(ctx)
