"""Shared by the import tests: a small account in the import format, one import committed, changes
as a later import sends them, and the insight a viewer is served."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.crm import models as m
from insights.crm.demo import demo_accounts
from insights.crm.importer import ImportReport, import_records
from insights.crm.reader import iter_document
from insights.insight.schemas import Insight
from insights.insight.service import InsightService
from insights.permissions.viewer import load_viewer
from tests.conftest import DEMO_NOW


def small_doc() -> dict[str, Any]:
    return {
        "account": {
            "id": "acme",
            "name": "Acme",
            "settings": {"customer_analysis_enabled": "true", "hipaa_sensitive_data": False},
        },
        "teams": [
            {"id": "t-emea", "name": "EMEA", "parentTeamId": None},
            {"id": "t-uk", "name": "UK", "parentTeamId": "t-emea"},
        ],
        "permission_sets": [
            {
                "id": "rep",
                "name": "Rep",
                "scopes": {"deal": "team", "email": "owned"},
                "unassigned": ["company"],
            }
        ],
        "owners": [
            {
                "id": "101",
                "email": "Ana@acme.example",
                "firstName": "Ana",
                "lastName": "Ruiz",
                "teams": [{"id": "t-uk", "primary": True}, {"id": "t-uk", "primary": True}],
                "permissionSetId": "rep",
            }
        ],
        "pipelines": [
            {
                "id": "default",
                "label": "Sales",
                "stages": [
                    {"id": "appointmentscheduled", "label": "Appointment", "displayOrder": 0},
                    {
                        "id": "closedwon",
                        "label": "Won",
                        "displayOrder": 1,
                        "metadata": {"isClosed": "true", "probability": "1.0"},
                    },
                ],
            }
        ],
        "companies": [{"id": "9", "properties": {"name": "Northwind", "domain": "Northwind.example"}}],
        "contacts": [
            {
                "id": "51",
                "properties": {
                    "email": "priya@northwind.example",
                    "firstname": "Priya",
                    "hubspot_owner_id": "101",
                },
                "associations": {"companies": {"results": [{"id": "9", "type": "contact_to_company"}]}},
            }
        ],
        "deals": [
            {
                "id": "9001",
                "createdAt": "2026-10-01T09:00:00Z",
                "updatedAt": "2026-11-01T09:00:00Z",
                "properties": {
                    "dealname": "Northwind renewal",
                    "dealstage": "appointmentscheduled",
                    "amount": "48000.50",
                    "closedate": "1795000000000",
                    "hubspot_owner_id": "101",
                    "hs_deal_score": "55",
                    "hs_shared_user_ids": "102;103",
                },
                "propertiesWithHistory": {
                    "hs_deal_score": [
                        {"value": "72", "timestamp": "2026-11-01T00:00:00Z"},
                        {"value": "55", "timestamp": "2026-11-10T00:00:00Z"},
                    ]
                },
                "associations": {
                    "contacts": [
                        {"toObjectId": 51, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}
                    ],
                    "companies": {
                        "results": [
                            {"id": "9", "type": "deal_to_company"},
                            {"id": "9", "type": "deal_to_company_unlabeled"},
                        ]
                    },
                },
            }
        ],
        "emails": [
            {
                "id": "e1",
                "properties": {
                    "hs_timestamp": "2026-11-12T10:00:00Z",
                    "hubspot_owner_id": "101",
                    "hs_email_direction": "INCOMING_EMAIL",
                    "hs_email_subject": "Budget cut",
                    "hs_email_text": "Our budget is cut.",
                    "hs_email_from_email": "priya@northwind.example",
                    "hs_email_to_email": "ana@acme.example",
                },
                "associations": {"contacts": {"results": [{"id": "51"}]}},
            }
        ],
        "notes": [
            {
                "id": "n1",
                "properties": {"hs_timestamp": "1794000000000", "hs_note_body": "Kickoff"},
                "associations": {"deals": {"results": [{"id": "9001"}]}},
            }
        ],
        "deal_score_history": [{"dealId": "9001", "value": 60, "timestamp": "2026-11-05T00:00:00Z"}],
    }


async def run(sm: async_sessionmaker[AsyncSession], doc: dict[str, Any], **kw: Any) -> ImportReport:
    async with sm() as s:
        report = await import_records(s, iter_document(doc), **kw)
        if report.aborted:
            await s.rollback()
        else:
            await s.commit()
    return report


def change(record: dict[str, Any], *, archived: bool | None = None, **props: Any) -> dict[str, Any]:
    """The record as a later import sends a change: same id, properties changed, no associations."""
    out = {k: copy.deepcopy(v) for k, v in record.items() if k != "associations"}
    out["properties"] = {**out.get("properties", {}), **props}
    if archived is not None:
        out["archived"] = archived
    return out


def demo_record(key: str, rid: str) -> dict[str, Any]:
    """A record of the main demo account as the demo import gave it."""
    return next(r for r in demo_accounts(DEMO_NOW)[0][key] if r["id"] == rid)


async def timeline_version(sm: async_sessionmaker[AsyncSession], deal: str, portal: str = "acme") -> int:
    async with sm() as s:
        return (await s.get(m.Deal, (portal, deal))).timeline_version


async def insight_of(
    sm: async_sessionmaker[AsyncSession], service: InsightService, deal: str, user: str, portal: str = "demo"
) -> Insight:
    """What the viewer is served, through the service (and its cache), at the demo's clock."""
    async with sm() as s:
        viewer = await load_viewer(s, portal, user)
        assert viewer is not None
        got = await service.insight_for(s, deal, viewer, now=DEMO_NOW)
        await s.commit()
    assert got is not None
    return got
