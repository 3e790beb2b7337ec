"""The whole insight as paste-ready plain text or Markdown (the Copy action)."""

from __future__ import annotations

from insights.insight.schemas import Insight, RecentItem

STATUS_NOTES = {
    "hipaa": "HIPAA mode: data only, no AI-generated content.",
    "customer_analysis_off": "Customer Analysis is turned off for this account.",
    "no_model_configured": "No AI model configured: data only.",
    "model_unavailable": "The AI model was unavailable: data only.",
    "no_activity": "No activity visible on this deal yet.",
    "no_valid_statements": "No AI statement could be tied to a visible activity: data only.",
}


def _sources(items: list[RecentItem]) -> str:
    """The activities a line rests on, named as the rep knows them: (meeting "Kickoff", 2026-11-18)."""
    named = [f'{i.type} "{i.title}", {i.occurred_at:%Y-%m-%d}' for i in items]
    return f" ({'; '.join(named)})" if named else ""


def render(insight: Insight, fmt: str = "text") -> str:
    md = fmt == "markdown"
    h = (lambda t: f"## {t}") if md else (lambda t: t.upper())
    bullet = "- " if md else "• "
    # a rep pastes this into an email or a forecast note: the deal's name and company, not its id
    named = insight.deal_name or f"deal {insight.deal_id}"
    if insight.companies:
        named += f" ({', '.join(insight.companies)})"
    lines: list[str] = [
        f"# Deal insights: {named}" if md else f"Deal insights: {named}",
        f"Generated {insight.generated_at.strftime('%Y-%m-%d %H:%M')} UTC",
    ]
    if insight.reason:
        lines.append(("> " if md else "") + STATUS_NOTES.get(insight.reason, insight.reason))
    if insight.status == "disabled":
        return "\n".join(lines) + "\n"
    lines += ["", h("Recent activity")]
    if insight.recent_activity.summary:
        lines.append(insight.recent_activity.summary)
    for item in insight.recent_activity.items:
        lines.append(f"{bullet}{item.occurred_at.strftime('%Y-%m-%d')} {item.type}: {item.title}")
    lines += ["", h("Risks")]
    lines += [f"{bullet}{r.text}{_sources(r.sources)}" for r in insight.risks] or [f"{bullet}None found."]
    lines += ["", h("Buyer goals")]
    lines += [f"{bullet}{g.text}{_sources(g.sources)}" for g in insight.buyer_goals] or [
        f"{bullet}{'Not available in data-only mode.' if insight.status != 'ai' else 'None stated.'}"
    ]
    return "\n".join(lines) + "\n"
