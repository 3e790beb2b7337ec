"""CRM data in: a batch in the import format, by a super admin or an integration token."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from api.auth import ClaimsDep
from api.deps import SessionDep
from api.errors import Forbidden, ProblemError, Unauthorized
from insights.crm.importer import import_records
from insights.crm.parse import RECORD_KEYS
from insights.crm.reader import FormatError, iter_document
from insights.crm.report import ImportAborted, ImportReport
from insights.permissions import load_viewer

router = APIRouter(prefix="/v1", tags=["crm import"])


# A CRM v3 record is under ten levels deep (record > associations > type > results > item).
MAX_DEPTH = 64
STRUCTURE_KEYS = ("owners", "teams", "permission_sets", "pipelines", "deal_score_history")
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_RECORD = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "properties": {"type": "object", "additionalProperties": _SCALAR},
        "associations": {"type": "object"},
    },
}
# Documented for clients and the schema fuzz; the body is read (and bounded) by the route itself.
IMPORT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "A batch in the CRM v3 JSON shape (spec/crm-model.md): arrays per type.",
                "properties": {
                    "account": {"type": "object", "properties": {"id": {"type": "string"}}},
                    **{key: {"type": "array", "items": _RECORD} for key in (*RECORD_KEYS, *STRUCTURE_KEYS)},
                },
                "additionalProperties": {"type": "array"},
            }
        }
    },
}


class BadBatch(ProblemError):
    status = 422


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _deeper_than(doc: Any, limit: int) -> bool:
    """Nesting depth over ``limit``, walked without recursion."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


@router.post("/crm/import", response_model=ImportReport, openapi_extra={"requestBody": IMPORT_BODY})
async def crm_import(
    request: Request, claims: ClaimsDep, session: SessionDep, atomic: bool = False
) -> ImportReport:
    """Upsert a batch; good records commit together, or none with ``atomic=true`` and any rejection."""
    if claims.scope != "import":
        viewer = await load_viewer(session, claims.portal_id, claims.user_id or "")
        if viewer is None:  # no such (active) user: the same 401 as on every other route
            raise Unauthorized()
        if not viewer.super_admin:
            raise Forbidden("Only super admins or integration tokens may import.")
    raw = await request.body()  # capped at INSIGHTS_MAX_BODY_BYTES as it streams (api.middleware)
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, NaN, nesting past the C stack
        raise BadBatch("The body is not valid JSON.") from None
    if _deeper_than(doc, MAX_DEPTH):  # a fixed bound, not wherever the recursion limit falls
        raise BadBatch(f"The body nests deeper than {MAX_DEPTH} levels.")
    try:
        report = await import_records(session, iter_document(doc), account_id=claims.portal_id, atomic=atomic)
    except (FormatError, ImportAborted) as exc:
        raise BadBatch(str(exc)) from None
    if report.aborted:
        await session.rollback()
    elif request.app.state.jobs is not None:
        await session.commit()  # the rebuild jobs must read what this import wrote
        await request.app.state.jobs.after_change(claims.portal_id)
    return report
