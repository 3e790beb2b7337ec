"""The demo's people: permission scopes, the sales pipeline, teams and users, in the CRM's shapes."""

from __future__ import annotations

from typing import Any

REP = {
    "deal": "team",
    "contact": "team",
    "company": "all",
    "lead": "owned",
    "task": "owned",
    "email": "owned",
    "call": "team",
    "meeting": "team",
    "note": "team",
}
STAGES = [
    ("appointmentscheduled", "Appointment scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified to buy", "0.4"),
    ("presentationscheduled", "Presentation scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision maker bought-in", "0.8"),
    ("contractsent", "Contract sent", "0.9"),
    ("closedwon", "Closed won", "1.0"),
    ("closedlost", "Closed lost", "0.0"),
]
TEAM_NAMES = {"t-sales": "Sales", "t-emea": "EMEA", "t-uk": "UK", "t-us": "US"}


def pipeline() -> dict[str, Any]:
    """The default pipeline in the CRM's JSON shape (closed won = probability 1.0)."""
    stages = [
        {
            "id": s,
            "label": label,
            "displayOrder": i,
            "metadata": {"isClosed": str(i >= 5).lower(), "probability": p},
        }
        for i, (s, label, p) in enumerate(STAGES)
    ]
    return {"id": "default", "label": "Sales pipeline", "stages": stages}


def owner(
    uid: str, first: str, last: str, role: str, teams: list[tuple[str, bool]], tz: str, email: str = ""
) -> dict[str, Any]:
    """A user in the CRM's owner shape; ``teams`` is ``[(team id, primary)]``."""
    return {
        "id": uid,
        "email": email or f"{first.lower()}@acme.example",
        "firstName": first,
        "lastName": last,
        "permissionSetId": role,
        "superAdmin": role == "admin",
        "timeZone": tz,
        "teams": [{"id": t, "name": TEAM_NAMES.get(t, t), "primary": p} for t, p in teams],
    }


def people() -> dict[str, list[dict[str, Any]]]:
    """Teams, permission sets and users of the main demo account (see ``demo.py``)."""
    return {
        "teams": [
            {"id": "t-sales", "name": "Sales", "parentTeamId": None},
            {"id": "t-emea", "name": "EMEA", "parentTeamId": "t-sales"},
            {"id": "t-uk", "name": "UK", "parentTeamId": "t-emea"},
            {"id": "t-us", "name": "US", "parentTeamId": "t-sales"},
        ],
        "permission_sets": [
            {"id": "rep", "name": "Sales rep", "scopes": REP, "unassigned": ["company", "contact"]},
            {
                "id": "manager",
                "name": "Sales manager",
                "scopes": dict.fromkeys(REP, "team"),
                "unassigned": ["company"],
            },
            {"id": "admin", "name": "Administrator", "scopes": dict.fromkeys(REP, "all"), "unassigned": []},
        ],
        "owners": [
            owner("100", "Dana", "Admin", "admin", [("t-sales", True)], "America/New_York"),
            owner("101", "Ana", "Ruiz", "rep", [("t-uk", True)], "Europe/London"),
            owner("102", "Ben", "Okafor", "rep", [("t-uk", True)], "Europe/London"),
            owner("103", "Chloe", "Martin", "manager", [("t-emea", True)], "Europe/Paris"),
            owner("104", "Diego", "Silva", "rep", [("t-us", True)], "America/Chicago"),
            owner("105", "Eve", "Park", "rep", [("t-us", True), ("t-uk", False)], "America/Los_Angeles"),
        ],
    }
