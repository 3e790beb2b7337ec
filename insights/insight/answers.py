"""What the model answers (pydantic schemas the answer is validated against) and the citation
check: a statement is kept only when every activity it cites is in the viewer's packed context."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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
# max_tokens of each answer (capped by INSIGHTS_MODEL_MAX_OUTPUT_TOKENS): the prompts ask for at most
# 5 statements of at most 30 words each, about 60 tokens with their ids; a model that rambles past
# this is cut (and its answer then fails to parse) instead of generating until the timeout.
ANSWER_TOKENS: dict[type[BaseModel], int] = {
    CombinedAnswer: 1200,
    RecentAnswer: 300,
    RisksAnswer: 500,
    GoalsAnswer: 500,
}
# Why a statement was dropped: it cited nothing, or cited an id the viewer's context does not hold
# (invented, or copied from the prompt's template text).
DropReason = str
NO_CITATION, UNKNOWN_ID = "no_citation", "unknown_id"


@dataclass
class ModelSections:
    summary: str | None = None
    risks: list[Risk] | None = None
    goals: list[BuyerGoal] | None = None
    dropped: int = 0
    failed: int = 0
    dropped_reasons: Counter[DropReason] = field(default_factory=Counter)

    @property
    def kept(self) -> int:
        """Model statements that passed the citation check."""
        return (self.summary is not None) + len(self.risks or []) + len(self.goals or [])

    def _check(self, ids: list[str], allowed: set[str]) -> bool:
        reason = NO_CITATION if not ids else None if all(i in allowed for i in ids) else UNKNOWN_ID
        if reason is None:
            return True
        self.dropped += 1
        self.dropped_reasons[reason] += 1
        return False


def check_citations(answer: dict[str, BaseModel], allowed: set[str], out: ModelSections) -> None:
    """Keep statements whose citations are all activities the viewer's context holds."""
    if (recent := answer.get("recent_activity")) is not None:
        assert isinstance(recent, RecentAnswer)
        if out._check(recent.activity_ids, allowed):
            out.summary = recent.summary
    if (risks := answer.get("risks")) is not None:
        assert isinstance(risks, RisksAnswer)
        out.risks = []
        for r in risks.risks:
            if out._check(r.activity_ids, allowed):
                kind = r.kind if r.kind in MODEL_RISK_KINDS else "other"
                out.risks.append(Risk(text=r.text, source="model", kind=kind, activity_ids=r.activity_ids))
    if (goals := answer.get("buyer_goals")) is not None:
        assert isinstance(goals, GoalsAnswer)
        out.goals = []
        for g in goals.goals:
            if out._check(g.activity_ids, allowed):
                out.goals.append(BuyerGoal(text=g.text, activity_ids=g.activity_ids))
