"""Import of CRM v3 JSON: upsert by id, both association shapes, rejections, atomic batches."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import insights.core.schema  # noqa: F401
from insights.core.db import Base
from insights.crm import models as m
from insights.crm.importer import ImportAborted
from insights.crm.reader import FormatError, iter_document, iter_file
from tests.crm.helpers import run, small_doc


async def snapshot(sm: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple]]:
    out = {}
    async with sm() as s:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith("guided_action"):
                continue
            rows = (await s.execute(select(table))).all()
            out[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


async def test_import_creates_everything_with_parsed_values(sessionmaker) -> None:
    report = await run(sessionmaker, small_doc())
    assert report.rejected == []
    assert report.created["deal"] == 1 and report.created["email"] == 1 and report.created["note"] == 1
    async with sessionmaker() as s:
        deal = await s.get(m.Deal, ("acme", "9001"))
        assert deal.amount == 48000.5 and deal.deal_score == 55
        assert deal.close_date.year == 2026  # epoch milliseconds parsed
        assert deal.timeline_version == 2  # created, then reached by the contact's email and the deal's note
        pairs = (
            await s.execute(select(m.DealCompany.company_id).where(m.DealCompany.deal_id == "9001"))
        ).all()
        assert pairs == [("9",)]  # the same pair listed twice is one association
        assert (await s.execute(select(m.DealContact.contact_id))).all() == [("51",)]  # v4 row, number id
        history = (
            (await s.execute(select(m.DealPropertyHistory.value).order_by(m.DealPropertyHistory.timestamp)))
            .scalars()
            .all()
        )
        assert history == ["72", "60", "55"]
        shares = (await s.execute(select(m.DealShare.principal_id))).scalars().all()
        assert sorted(shares) == ["102", "103"]
        user = await s.get(m.User, ("acme", "101"))
        assert user.email == "ana@acme.example"
        stage = await s.get(m.PipelineStage, ("acme", "default", "closedwon"))
        assert stage.is_closed and stage.is_won


async def test_importing_twice_gives_the_same_database(sessionmaker) -> None:
    await run(sessionmaker, small_doc())
    first = await snapshot(sessionmaker)
    again = await run(sessionmaker, small_doc())
    assert again.created == {} and again.updated == {}
    assert again.unchanged["deal"] == 1
    assert await snapshot(sessionmaker) == first


async def test_a_change_bumps_the_deal_timeline_version(sessionmaker) -> None:
    await run(sessionmaker, small_doc())
    async with sessionmaker() as s:
        before = (await s.get(m.Deal, ("acme", "9001"))).timeline_version
    doc = small_doc()
    doc["emails"][0]["properties"]["hs_email_text"] = "Budget restored."  # on the deal's contact
    report = await run(sessionmaker, doc)
    assert report.updated == {"email": 1}
    async with sessionmaker() as s:
        assert (await s.get(m.Deal, ("acme", "9001"))).timeline_version == before + 1


async def test_one_broken_record_is_reported_and_the_rest_kept(sessionmaker) -> None:
    doc = small_doc()
    doc["notes"].append({"id": "n-bad-date", "properties": {"hs_timestamp": "last tuesday"}})
    doc["notes"].append(
        {
            "id": "n-bad-target",
            "properties": {"hs_timestamp": "2026-11-01T00:00:00Z"},
            "associations": {"deals": {"results": [{"id": "404"}]}},
        }
    )
    doc["deals"].append({"id": "9002", "properties": {"amount": "12"}})
    report = await run(sessionmaker, doc)
    reasons = {r.id: r.reason for r in report.rejected}
    assert "unparseable date in hs_timestamp" in reasons["n-bad-date"]
    assert reasons["n-bad-target"] == "unknown association target deal 404"
    assert reasons["9002"] == "missing required property dealname"
    assert report.created["note"] == 1
    async with sessionmaker() as s:
        ids = set((await s.execute(select(m.Activity.id))).scalars())
        assert ids == {"e1", "n1"}
        assert (
            await s.execute(select(m.ActivityLink).where(m.ActivityLink.activity_id == "n-bad-target"))
        ).first() is None


async def test_atomic_batch_aborts_on_any_rejection(sessionmaker) -> None:
    doc = small_doc()
    doc["notes"].append({"id": "n-bad", "properties": {"hs_timestamp": "nope"}})
    report = await run(sessionmaker, doc, atomic=True)
    assert report.aborted and report.rejected_count == 1
    async with sessionmaker() as s:
        assert (await s.execute(select(m.Deal))).first() is None


async def test_references_to_later_records_resolve_at_the_end(sessionmaker) -> None:
    doc = small_doc()
    ordered = {
        "account": doc["account"],
        "notes": doc["notes"],
        "emails": doc["emails"],
        "deals": doc["deals"],
        "contacts": doc["contacts"],
        "companies": doc["companies"],
    }
    report = await run(sessionmaker, ordered)
    assert report.rejected == []
    assert report.created["note"] == 1 and report.created["deal"] == 1


async def test_another_accounts_batch_is_refused(sessionmaker) -> None:
    with pytest.raises(ImportAborted):
        await run(sessionmaker, small_doc(), account_id="someone-else")


async def test_json_and_jsonl_files_stream_the_same_records(tmp_path: Path, sessionmaker) -> None:
    doc = small_doc()
    as_json = tmp_path / "batch.json"
    as_json.write_text(json.dumps(doc))
    as_jsonl = tmp_path / "batch.jsonl"
    as_jsonl.write_text("\n".join(json.dumps({"type": k, "record": r}) for k, r in iter_document(doc)))
    assert list(iter_file(as_json)) == list(iter_file(as_jsonl)) == list(iter_document(copy.deepcopy(doc)))
    bad = tmp_path / "bad.json"
    bad.write_text('{"deals": [{"id": ')
    with pytest.raises(FormatError):
        list(iter_file(bad))
