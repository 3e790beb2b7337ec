"""What the model answers (pydantic schemas the answer is validated against) and the citation
check: a statement is kept only when every activity it cites is in the viewer's packed context."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from insights.insight.schemas import MODEL_RISK_KINDS, BuyerGoal, Risk


class Cited(BaseModel):
    text: str
    activity_ids: list[str] = Field(default_factory=list)


class RiskItem(Cited):
    kind: str = "other"


class RecentAnswer(BaseModel):
    summary: str
    activity_ids: list[str] = Field(default_factory=list)


class RisksAnswer(BaseModel):
    risks: list[RiskItem] = Field(default_factory=list)


class GoalsAnswer(BaseModel):
    goals: list[Cited] = Field(default_factory=list)


class CombinedAnswer(BaseModel):
    recent_activity: RecentAnswer
    risks: list[RiskItem] = Field(default_factory=list)
    buyer_goals: list[Cited] = Field(default_factory=list)


SCHEMAS: dict[str, type[BaseModel]] = {
    "recent_activity": RecentAnswer,
    "risks": RisksAnswer,
    "buyer_goals": GoalsAnswer,
}


@dataclass
class ModelSections:
    summary: str | None = None
    risks: list[Risk] | None = None
    goals: list[BuyerGoal] | None = None
    dropped: int = 0
    failed: int = 0


def _valid(ids: list[str], allowed: set[str]) -> bool:
    return bool(ids) and all(i in allowed for i in ids)


def check_citations(answer: dict[str, BaseModel], allowed: set[str], out: ModelSections) -> None:
    """Keep statements whose citations are all activities the viewer's context holds."""
    if (recent := answer.get("recent_activity")) is not None:
        assert isinstance(recent, RecentAnswer)
        if _valid(recent.activity_ids, allowed):
            out.summary = recent.summary
        else:
            out.dropped += 1
    if (risks := answer.get("risks")) is not None:
        assert isinstance(risks, RisksAnswer)
        out.risks = []
        for r in risks.risks:
            if _valid(r.activity_ids, allowed):
                kind = r.kind if r.kind in MODEL_RISK_KINDS else "other"
                out.risks.append(Risk(text=r.text, source="model", kind=kind, activity_ids=r.activity_ids))
            else:
                out.dropped += 1
    if (goals := answer.get("buyer_goals")) is not None:
        assert isinstance(goals, GoalsAnswer)
        out.goals = []
        for g in goals.goals:
            if _valid(g.activity_ids, allowed):
                out.goals.append(BuyerGoal(text=g.text, activity_ids=g.activity_ids))
            else:
                out.dropped += 1
