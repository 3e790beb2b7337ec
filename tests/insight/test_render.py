"""The Copy action: a known insight as plain text and as Markdown, line for line."""

from __future__ import annotations

from datetime import UTC, datetime

from insights.insight.render import render
from insights.insight.schemas import BuyerGoal, Insight, RecentActivity, RecentItem, Risk

GENERATED = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


def known(**changes: object) -> Insight:
    insight = Insight(
        insight_id="ins-1",
        deal_id="9001",
        deal_name="Northwind renewal",
        companies=["Northwind"],
        status="ai",
        generated_at=GENERATED,
        recent_activity=RecentActivity(
            summary="Ana asked for a revised quote after the demo.",
            items=[
                RecentItem(
                    activity_id="e-2",
                    type="email",
                    occurred_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
                    title="Revised quote",
                ),
                RecentItem(
                    activity_id="m-1",
                    type="meeting",
                    occurred_at=datetime(2026, 11, 14, 15, 0, tzinfo=UTC),
                    title="Product demo",
                ),
            ],
        ),
        risks=[
            Risk(text="Deal score fell from 72 to 55 since 1 Nov.", source="rules", kind="deal_score_drop"),
            Risk(
                text="The budget was cut by 20%.",
                source="model",
                kind="budget",
                activity_ids=["e-2"],
                sources=[
                    RecentItem(
                        activity_id="e-2",
                        type="email",
                        occurred_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
                        title="Revised quote",
                    )
                ],
            ),
        ],
        buyer_goals=[BuyerGoal(text="Consolidate tools into one platform.", activity_ids=["m-1"])],
    )
    return insight.model_copy(update=changes)


def test_text_of_a_known_insight() -> None:
    assert render(known(), "text") == (
        "Deal insights: Northwind renewal (Northwind)\n"
        "Generated 2026-11-20 12:05 UTC\n"
        "\n"
        "RECENT ACTIVITY\n"
        "Ana asked for a revised quote after the demo.\n"
        "• 2026-11-18 email: Revised quote\n"
        "• 2026-11-14 meeting: Product demo\n"
        "\n"
        "RISKS\n"
        "• Deal score fell from 72 to 55 since 1 Nov.\n"
        '• The budget was cut by 20%. (email "Revised quote", 2026-11-18)\n'
        "\n"
        "BUYER GOALS\n"
        "• Consolidate tools into one platform.\n"
    )


def test_markdown_of_a_known_insight() -> None:
    assert render(known(), "markdown") == (
        "# Deal insights: Northwind renewal (Northwind)\n"
        "Generated 2026-11-20 12:05 UTC\n"
        "\n"
        "## Recent activity\n"
        "Ana asked for a revised quote after the demo.\n"
        "- 2026-11-18 email: Revised quote\n"
        "- 2026-11-14 meeting: Product demo\n"
        "\n"
        "## Risks\n"
        "- Deal score fell from 72 to 55 since 1 Nov.\n"
        '- The budget was cut by 20%. (email "Revised quote", 2026-11-18)\n'
        "\n"
        "## Buyer goals\n"
        "- Consolidate tools into one platform.\n"
    )


def test_data_only_insight_says_why_and_that_goals_need_the_model() -> None:
    out = render(known(status="data_only", reason="hipaa", buyer_goals=[], risks=[]), "markdown")
    assert "> HIPAA mode: data only, no AI-generated content." in out.splitlines()
    assert out.endswith("## Risks\n- None found.\n\n## Buyer goals\n- Not available in data-only mode.\n")


def test_an_ai_insight_without_goals_says_none_stated() -> None:
    assert render(known(buyer_goals=[]), "text").endswith("BUYER GOALS\n• None stated.\n")


def test_a_disabled_insight_is_only_its_header_and_reason() -> None:
    out = render(known(status="disabled", reason="customer_analysis_off"), "text")
    assert out == (
        "Deal insights: Northwind renewal (Northwind)\n"
        "Generated 2026-11-20 12:05 UTC\n"
        "Customer Analysis is turned off for this account.\n"
    )


def test_the_copy_names_the_deal_not_its_id_and_falls_back_when_unnamed() -> None:
    first = render(known(), "text").splitlines()[0]
    assert first == "Deal insights: Northwind renewal (Northwind)" and "9001" not in first
    assert render(known(deal_name=None, companies=[]), "text").startswith("Deal insights: deal 9001\n")
