"""The timeline's kept statements carry no viewer's identity: viewers with the same scopes share
them, each execution binds its own tenancy, id and team, and one run without them fails."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import iterate

import insights.insight.timeline as timeline
from insights.insight.retrieval import deal_context
from insights.permissions import load_viewer
from tests.crm.helpers import run
from tests.insight.test_timeline_count import NOW, _iso, busy_doc


def _doc() -> dict[str, Any]:
    """busy_doc, with Cai on Ana's permission set (emails: owned) and a team-scoped manager, Dee,
    in Ben's team; Cai owns ten emails on the contact, at the same minutes as Ana's."""
    doc, _ = busy_doc()
    doc["permission_sets"].append(
        {
            "id": "lead",
            "name": "Lead",
            "scopes": {"deal": "all", "contact": "all", "email": "team", "note": "team"},
        }
    )
    doc["teams"] = [*doc.get("teams", []), {"id": "t-b", "name": "B", "parentTeamId": None}]
    for oid, first, pset, teams in (
        ("103", "Cai", "rep", []),
        ("104", "Dee", "lead", [{"id": "t-b", "primary": True}]),
    ):
        doc["owners"].append(
            {"id": oid, "email": f"{first.lower()}@acme.example", "firstName": first, "lastName": "X",
             "permissionSetId": pset, "teams": teams}
        )  # fmt: skip
    ben = next(o for o in doc["owners"] if o["id"] == "102")
    ben["teams"] = [{"id": "t-b", "primary": True}]
    doc["emails"] += [
        {
            "id": f"cai{i}",
            "properties": {
                "hs_timestamp": _iso(NOW - timedelta(days=1, minutes=3 * i)),
                "hubspot_owner_id": "103",
            },
            "associations": {"contacts": {"results": [{"id": "51"}]}},
        }
        for i in range(10)
    ]
    return doc


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> OrderedDict[Any, Any]:
    built: OrderedDict[Any, Any] = OrderedDict()
    monkeypatch.setattr(timeline, "_BUILT", built)
    return built


async def _view(sm, user: str):  # type: ignore[no-untyped-def]
    async with sm() as s:
        viewer = await load_viewer(s, "acme", user)
        assert viewer is not None
        return await deal_context(s, "9001", viewer, now=NOW)


async def test_viewers_with_the_same_scopes_share_statements_and_each_sees_their_own(
    sessionmaker, kept
) -> None:
    await run(sessionmaker, _doc())
    ana = await _view(sessionmaker, "101")
    shapes = len(kept)
    cai = await _view(sessionmaker, "103")
    assert len(kept) == shapes  # Cai's scopes are Ana's: nothing new was built
    ana_mail = {a.id for a in ana.activities if a.type == "email"}
    cai_mail = {a.id for a in cai.activities if a.type == "email"}
    assert cai_mail and cai_mail <= {f"cai{i}" for i in range(10)}
    assert ana_mail and not ana_mail & cai_mail
    # the same statements again for Ana: still hers alone, nothing left over from Cai's run
    again = await _view(sessionmaker, "101")
    assert [a.id for a in again.activities] == [a.id for a in ana.activities]


async def test_a_team_scope_binds_its_own_team(sessionmaker, kept) -> None:
    await run(sessionmaker, _doc())
    dee = await _view(sessionmaker, "104")  # team B: Ben and Dee
    owners = {a.owner_id for a in dee.activities}
    assert owners and owners <= {"102", "104"}  # Ben's emails; no note of Ana's, no email of Cai's


async def test_no_kept_statement_holds_a_viewer_value(sessionmaker, kept) -> None:
    await run(sessionmaker, _doc())
    for user in ("101", "102", "103", "104"):
        await _view(sessionmaker, user)
    identities = {"acme", "101", "102", "103", "104"}
    values = []
    for built in kept.values():
        for stmt in (built.rows, built.count, built.upcoming, built.tasks):
            for element in iterate(stmt) if stmt is not None else ():
                if isinstance(element, BindParameter):
                    values.append(element.value)
    assert values  # the constants (types, statuses) are there, the identities are not
    flat = {v for x in values for v in (x if isinstance(x, list | tuple) else [x])}
    assert not flat & identities
    # no anonymous stand-in either (the separator alone is the paths aggregate's, a constant)
    assert not [v for v in flat if timeline.SEP in str(v) and v != timeline.SEP]


async def test_a_kept_statement_run_without_an_identity_fails(sessionmaker, kept) -> None:
    await run(sessionmaker, _doc())
    await _view(sessionmaker, "101")
    built = next(iter(kept.values()))
    shape = next(iter(kept))[1]
    params: dict[str, Any] = {"now": NOW}
    for i in range(shape):
        params[f"path{i}_kind"], params[f"path{i}_id"] = "deal", "9001"
    async with sessionmaker() as s:
        with pytest.raises(StatementError, match="viewer_"):
            await s.execute(built.rows, params)


async def test_a_tie_across_the_hundredth_is_cut_by_id_on_every_path(sessionmaker, kept) -> None:
    """150 notes at one moment, on the deal and (a third of them) on its contact too: the newest
    100 are the 100 smallest ids (time desc, then id), however each path cut its own ties."""
    doc, _ = busy_doc()
    at = _iso(NOW - timedelta(hours=1))  # newer than every other activity of the doc
    for i in range(150):
        on = {"deals": {"results": [{"id": "9001"}]}}
        if i % 3 == 0:
            on["contacts"] = {"results": [{"id": "51"}]}
        props = {"hs_timestamp": at, "hs_note_body": "tie", "hubspot_owner_id": "101"}
        doc["notes"].append({"id": f"tie{i:03}", "properties": props, "associations": on})
    await run(sessionmaker, doc)
    ana = await _view(sessionmaker, "101")
    assert [a.id for a in ana.activities] == sorted(f"tie{i:03}" for i in range(150))[:100]
    assert {tuple(a.via) for a in ana.activities if int(a.id[3:]) % 3 == 0} == {("contact:51", "deal")}
