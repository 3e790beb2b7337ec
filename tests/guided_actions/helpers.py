"""Small CRM fixtures in the import format, at a fixed clock, for the guided-action rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.guided_actions.models import GuidedAction
from insights.guided_actions.runner import evaluate

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ME, OTHER = "u1", "u2"


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> str:
    """An ISO time relative to NOW (positive = in the past)."""
    return (NOW - timedelta(days=days, hours=hours, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def base() -> dict[str, Any]:
    everything = dict.fromkeys(
        ("deal", "contact", "company", "lead", "task", "email", "call", "meeting", "note"), "all"
    )
    return {
        "account": {"id": "ga", "settings": {}},
        "permission_sets": [{"id": "all", "scopes": everything}],
        "owners": [
            {"id": ME, "email": "me@acme.example", "permissionSetId": "all", "timeZone": "UTC"},
            {"id": OTHER, "email": "other@acme.example", "permissionSetId": "all"},
        ],
        "pipelines": [
            {
                "id": "default",
                "stages": [
                    {"id": "appointmentscheduled", "displayOrder": 0},
                    {"id": "qualifiedtobuy", "displayOrder": 1},
                    {
                        "id": "closedwon",
                        "displayOrder": 2,
                        "metadata": {"isClosed": "true", "probability": "1.0"},
                    },
                    {
                        "id": "closedlost",
                        "displayOrder": 3,
                        "metadata": {"isClosed": "true", "probability": "0.0"},
                    },
                ],
            }
        ],
    }


def rec(rid: str, created_days: float = 30, assoc: dict[str, list[str]] | None = None, **props: Any) -> dict:
    return {
        "id": rid,
        "createdAt": at(created_days),
        "properties": {k: str(v) for k, v in props.items()},
        "associations": {k: {"results": [{"id": i} for i in v]} for k, v in (assoc or {}).items()},
    }


def email(
    rid: str,
    days: float,
    assoc: dict[str, list[str]],
    *,
    incoming: bool = False,
    owner: str = ME,
    frm: str = "",
    to: str = "",
    thread: str = "t1",
    **props: Any,
) -> dict:
    return rec(
        rid,
        days,
        assoc,
        hs_timestamp=at(days),
        hubspot_owner_id=owner,
        hs_email_thread_id=thread,
        hs_email_direction="INCOMING_EMAIL" if incoming else "EMAIL",
        hs_email_from_email=frm,
        hs_email_to_email=to,
        hs_email_subject=f"subject {rid}",
        **props,
    )


async def load(sm, *docs: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    async with sm() as s:
        for doc in docs:
            report = await import_records(s, iter_document(doc), account_id="ga")
            assert report.rejected == [], report.rejected
        await s.commit()


async def run(sm, now: datetime = NOW, user: str = ME) -> list[GuidedAction]:  # type: ignore[no-untyped-def]
    """Evaluate at ``now`` and return the user's active actions."""
    async with sm() as s:
        result = await evaluate(s, "ga", user, now)
        await s.commit()
        return result.active


def rules(actions: list[GuidedAction]) -> list[tuple[int, str]]:
    return sorted((a.rule_number, a.record_id) for a in actions)
