"""The whole insight as paste-ready plain text or Markdown (the Copy action)."""

from __future__ import annotations

from insights.insight.schemas import Insight

STATUS_NOTES = {
    "hipaa": "HIPAA mode: data only, no AI-generated content.",
    "customer_analysis_off": "Customer Analysis is turned off for this account.",
    "no_model_configured": "No AI model configured: data only.",
    "model_unavailable": "The AI model was unavailable: data only.",
    "no_activity": "No activity visible on this deal yet.",
    "no_valid_statements": "No AI statement could be tied to a visible activity: data only.",
}


def render(insight: Insight, fmt: str = "text") -> str:
    md = fmt == "markdown"
    h = (lambda t: f"## {t}") if md else (lambda t: t.upper())
    bullet = "- " if md else "• "
    lines: list[str] = [
        f"# Deal insights ({insight.deal_id})" if md else f"Deal insights ({insight.deal_id})",
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
    lines += [f"{bullet}{r.text}" for r in insight.risks] or [f"{bullet}None found."]
    lines += ["", h("Buyer goals")]
    lines += [f"{bullet}{g.text}" for g in insight.buyer_goals] or [
        f"{bullet}{'Not available in data-only mode.' if insight.status != 'ai' else 'None stated.'}"
    ]
    return "\n".join(lines) + "\n"
