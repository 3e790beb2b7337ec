"""CRM data in: a batch in the import format, by a super admin or an integration token."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request

from api.auth import ClaimsDep
from api.deps import SessionDep
from api.errors import Forbidden, PayloadTooLarge, ProblemError
from insights.crm.importer import ImportAborted, ImportReport, import_records
from insights.crm.reader import FormatError, iter_document
from insights.permissions import load_viewer

router = APIRouter(prefix="/v1", tags=["crm import"])


class BadBatch(ProblemError):
    status = 422


@router.post("/crm/import", response_model=ImportReport)
async def crm_import(
    request: Request, claims: ClaimsDep, session: SessionDep, atomic: bool = False
) -> ImportReport:
    """Upsert a batch; good records commit together, or none with ``atomic=true`` and any rejection."""
    if claims.scope != "import":
        viewer = await load_viewer(session, claims.portal_id, claims.user_id or "")
        if viewer is None or not viewer.super_admin:
            raise Forbidden("Only super admins or integration tokens may import.")
    limit = request.app.state.settings.max_body_bytes
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge()
    try:
        doc = json.loads(raw)
        report = await import_records(session, iter_document(doc), account_id=claims.portal_id, atomic=atomic)
    except json.JSONDecodeError:
        raise BadBatch("The body is not valid JSON.") from None
    except (FormatError, ImportAborted) as exc:
        raise BadBatch(str(exc)) from None
    if report.aborted:
        await session.rollback()
    return report
