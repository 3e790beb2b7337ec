"""The insight as the API returns it (spec/api.md). Field names are a contract: add, never rename."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["ai", "data_only", "disabled"]
Reason = Literal[
    "customer_analysis_off",
    "hipaa",
    "no_model_configured",
    "model_unavailable",
    "no_activity",
    "no_valid_statements",  # the model answered, but every statement it made was dropped
]
RULE_RISK_KINDS = (
    "deal_score_drop",
    "no_follow_up",
    "close_date_passed",
    "close_date_pushed",
    "inactive",
    "stalled_in_stage",
    "no_contact",
    "meeting_no_show",
    "stage_regressed",
    "amount_decreased",
    "company_at_risk",
)
MODEL_RISK_KINDS = ("buyer_uncertainty", "budget", "competitor", "champion", "timeline", "other")


class RecentItem(BaseModel):
    activity_id: str
    type: str
    occurred_at: datetime
    title: str


class RecentActivity(BaseModel):
    summary: str | None = None
    items: list[RecentItem] = Field(default_factory=list)


class RiskCriterion(BaseModel):
    """A criterion of a health score behind a ``company_at_risk`` risk: its points, never its value."""

    key: str
    label: str
    points: float


class RiskRecord(BaseModel):
    type: str  # "company"
    id: str
    profile_id: str | None = None


class Risk(BaseModel):
    text: str
    source: Literal["rules", "model"]
    kind: str
    activity_ids: list[str] = Field(default_factory=list)
    # company_at_risk: the company and the health criteria that weigh most on its score
    record: RiskRecord | None = None
    criteria: list[RiskCriterion] = Field(default_factory=list)
    # the cited activities named as recent items are (type, date, title), for the links a rep reads
    sources: list[RecentItem] = Field(default_factory=list)


class BuyerGoal(BaseModel):
    text: str
    activity_ids: list[str] = Field(default_factory=list)
    sources: list[RecentItem] = Field(default_factory=list)


class Basis(BaseModel):
    activity_count: int = 0  # the visible activities, counted up to 1,000
    activity_count_capped: bool = False  # true: at least activity_count ("1,000+")
    newest_activity_at: datetime | None = None
    truncated: bool = False


class ModelInfo(BaseModel):
    name: str | None = None
    prompt_version: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    dropped_statements: int = 0  # statements whose citations were not in the viewer's context
    dropped_reasons: dict[str, int] = Field(default_factory=dict)  # no_citation / unknown_id: count


class Insight(BaseModel):
    insight_id: str
    deal_id: str
    deal_name: str | None = None  # what a rep calls the deal (the copy text names it, not the id)
    companies: list[str] = Field(default_factory=list)  # the deal's companies the viewer may see
    status: Status
    reason: Reason | None = None
    generated_at: datetime
    recent_activity: RecentActivity = Field(default_factory=RecentActivity)
    risks: list[Risk] = Field(default_factory=list)
    buyer_goals: list[BuyerGoal] = Field(default_factory=list)
    basis: Basis = Field(default_factory=Basis)
    model: ModelInfo = Field(default_factory=ModelInfo)
    cached: bool = False
    # stale: the viewer's previous insight, served while a rebuild runs (only when what they see
    # has grown since); building: data only until the rebuild is done (insight/freshness.py)
    freshness: Literal["fresh", "stale", "building"] = "fresh"
