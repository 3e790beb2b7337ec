"""Guided actions over the user's readable records only (permissions.md rules 7–8).

Rules run over what the rep may read: no action on, or because of, a record or activity the rep
may not see. Listings pass what was stored at creation through the viewer's current visibility: a
record hidden since is left out (with every why sentence naming it), an action whose primary record
or triggering activity is hidden is not listed. Data goes in through the importer, as in production;
the API evaluates at the real clock, so times here are relative to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from insights.crm import models as m
from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.guided_actions.models import GuidedAction
from insights.guided_actions.runner import evaluate
from insights.guided_actions.service import list_actions
from insights.permissions.viewer import load_viewer
from tests.http import auth, client_for

NOW = datetime.now(UTC).replace(microsecond=0)
P, REP, OTHER, ADMIN = "ga", "u1", "u2", "u9"
TYPES = ("deal", "contact", "company", "lead", "task", "email", "call", "meeting", "note")


def at(days: float = 0, minutes: float = 0) -> str:
    return (NOW - timedelta(days=days, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def base(**rep_scopes: str) -> dict[str, Any]:
    """Account ``ga``: the rep owns deals, contacts and leads (``owned``), sees every activity type
    unless ``rep_scopes`` says otherwise; OTHER sees everything; ADMIN is a super admin."""
    rep = dict.fromkeys(TYPES, "all") | {"deal": "owned", "contact": "owned", "lead": "owned"} | rep_scopes
    return {
        "account": {"id": P, "settings": {}},
        "permission_sets": [
            {"id": "rep", "scopes": rep, "unassigned": []},
            {"id": "all", "scopes": dict.fromkeys(TYPES, "all")},
        ],
        "owners": [
            {"id": REP, "email": "rep@acme.example", "permissionSetId": "rep", "timeZone": "UTC"},
            {"id": OTHER, "email": "other@acme.example", "permissionSetId": "all"},
            {"id": ADMIN, "email": "admin@acme.example", "permissionSetId": "all", "superAdmin": True},
        ],
        "pipelines": [
            {
                "id": "default",
                "stages": [
                    {"id": "appointmentscheduled", "displayOrder": 0},
                    {"id": "qualifiedtobuy", "displayOrder": 1},
                    {"id": "closedwon", "displayOrder": 2, "metadata": {"isClosed": "true"}},
                ],
            }
        ],
    }


def rec(rid: str, assoc: dict[str, list[str]] | None = None, archived: bool = False, **props: Any) -> dict:
    return {
        "id": rid,
        "createdAt": at(30),
        "archived": archived,
        "properties": {k: str(v) for k, v in props.items()},
        "associations": {k: {"results": [{"id": i} for i in v]} for k, v in (assoc or {}).items()},
    }


def contact(cid: str, owner: str, first: str, last: str, mail: str) -> dict:
    return rec(cid, hubspot_owner_id=owner, firstname=first, lastname=last, email=mail, lifecyclestage="lead")


def deal(did: str, contacts: list[str], owner: str = REP) -> dict:
    return rec(
        did,
        {"contacts": contacts},
        dealname=f"Deal {did}",
        hubspot_owner_id=owner,
        pipeline="default",
        dealstage="qualifiedtobuy",
    )


def mail(
    eid: str, days: float, on: str, *, incoming: bool, owner: str = REP, thread: str = "t1", **kw: Any
) -> dict:
    """An email logged on contact ``on``: a reply to the rep (``incoming``) or one the rep sent."""
    return rec(
        eid,
        {"contacts": [on]},
        hs_timestamp=at(days),
        hubspot_owner_id=owner,
        hs_email_thread_id=thread,
        hs_email_direction="INCOMING_EMAIL" if incoming else "EMAIL",
        hs_email_to_email="rep@acme.example" if incoming else f"{on}@buyer.example",
        hs_email_subject=f"subject {eid}",
        **kw,
    )


async def load(sm: Any, **records: list[dict]) -> None:
    async with sm() as s:
        report = await import_records(s, iter_document({"account": {"id": P}, **records}), account_id=P)
        assert report.rejected == [], report.rejected
        await s.commit()


async def run(sm: Any, user: str = REP, now: datetime = NOW) -> list[GuidedAction]:
    async with sm() as s:
        result = await evaluate(s, P, user, now)
        await s.commit()
        return result.active


async def listed(sm: Any, user: str = REP) -> list[dict[str, Any]]:
    """The user's actions as the service lists them to that user, without evaluating again."""
    async with sm() as s:
        viewer = await load_viewer(s, P, user)
        assert viewer is not None
        return [a.model_dump(mode="json") for a in await list_actions(s, user, viewer, "all")]


def about(items: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [i for i in items if i["rule"] == rule]


HIDDEN = ("c-hidden", "Zelda", "Hiddenname", "zelda@secret.example", "in-hidden")


@pytest.fixture
async def sm(sessionmaker: Any) -> Any:
    await load(sessionmaker, **base())
    return sessionmaker


async def test_reply_from_a_contact_the_rep_may_not_read_names_nobody(sm, settings) -> None:
    """Rule 10 on the rep's own deal: the newest reply comes from a contact of another owner. No
    action is made of it, and nothing of that contact appears in the rep's list (JSON)."""
    await load(
        sm,
        contacts=[
            contact("c-hidden", OTHER, "Zelda", "Hiddenname", "zelda@secret.example"),
            contact("c-seen", REP, "Sam", "Seen", "sam@buyer.example"),
        ],
        deals=[deal("d1", ["c-hidden", "c-seen"])],
        emails=[
            mail("in-seen", 2, "c-seen", incoming=True, thread="ts"),
            mail("in-hidden", 1, "c-hidden", incoming=True, thread="th"),  # newer: it would win
        ],
    )
    async with client_for(settings) as c:
        r = await c.get("/v1/guided-actions", headers=auth(settings, REP, P))
    assert r.status_code == 200
    items = r.json()["items"]
    (reply,) = about(items, "reply_to_email")
    assert [x["id"] for x in reply["records"]] == ["c-seen", "d1"] and reply["contact_ids"] == ["c-seen"]
    assert reply["why"] and "Sam Seen" in reply["why"][0]
    body = r.text
    assert not [h for h in HIDDEN if h in body], body
    async with sm() as s:  # nor stored for later: no action of the rep was made of that reply
        triggers = set(await s.scalars(select(GuidedAction.trigger_key).where(GuidedAction.user_id == REP)))
    assert "in-hidden" not in triggers and "in-seen" in triggers


async def test_reply_the_rep_email_scope_does_not_admit_makes_no_action(sessionmaker, settings) -> None:
    """The contact is readable but the newest reply is owned by a colleague and the rep's email scope
    is ``owned``: that reply starts nothing (neither rule 10 nor rule 9); an email the rep owns does."""
    sm = sessionmaker
    await load(sm, **base(email="owned"))
    await load(
        sm,
        contacts=[contact("c1", REP, "Carla", "Visible", "carla@buyer.example")],
        deals=[deal("d1", ["c1"])],
        emails=[
            mail("in-mine", 2, "c1", incoming=True, thread="t-mine"),
            mail("in-theirs", 1, "c1", incoming=True, owner=OTHER, thread="t-theirs"),
        ],
    )
    async with client_for(settings) as c:
        r = await c.get("/v1/guided-actions", headers=auth(settings, REP, P))
    assert r.status_code == 200
    async with sm() as s:
        stored = {(a.rule_number, a.trigger_key) for a in await s.scalars(select(GuidedAction))}
    assert (10, "in-mine") in stored and (9, "in-mine") in stored
    assert not [t for t in stored if t[1] == "in-theirs"], stored
    assert "in-theirs" not in r.text and len(about(r.json()["items"], "reply_to_email")) == 1


async def test_a_record_hidden_since_creation_leaves_the_listing(sm, settings) -> None:
    """Actions made while the contact was the rep's; a re-import gives it to a colleague. Listed
    without evaluating again: the contact's actions (rules 5, 9 and 10, whose primary record it is)
    are not listed, and no other action names it. Evaluated again, they expire; over HTTP nothing of
    the contact remains."""
    carla = contact("c1", REP, "Carla", "Visible", "carla@buyer.example")
    await load(
        sm,
        contacts=[carla],
        deals=[deal("d1", ["c1"])],
        emails=[mail("out1", 3, "c1", incoming=False), mail("in1", 1, "c1", incoming=True)],
    )
    made = {(a.rule_number, a.record_id) for a in await run(sm)}
    assert {(5, "c1"), (9, "c1"), (10, "c1")} <= made
    before = await listed(sm)
    (reply,) = about(before, "reply_to_email")
    assert reply["contact_ids"] == ["c1"] and "Carla Visible" in reply["why"][0]

    carla["properties"]["hubspot_owner_id"] = OTHER
    await load(sm, contacts=[carla])
    after = await listed(sm)
    assert about(after, "reply_to_email") == []  # the contact's actions (rule 10's too) are not listed
    assert "Carla" not in json.dumps(after) and '"c1"' not in json.dumps(after)

    expired = {(a.rule_number, a.record_id) for a in await run(sm, now=NOW + timedelta(minutes=1))}
    assert not {(5, "c1"), (9, "c1"), (10, "c1")} & expired  # no longer visible: expired
    async with client_for(settings) as c:
        r = await c.get("/v1/guided-actions", headers=auth(settings, REP, P))
    assert r.status_code == 200 and "Carla" not in r.text and '"c1"' not in r.text


async def test_an_action_whose_deal_is_hidden_is_not_listed(sm) -> None:
    await load(
        sm,
        contacts=[contact("c1", REP, "Carla", "Visible", "carla@buyer.example")],
        deals=[deal("d1", ["c1"])],
        emails=[mail("in1", 1, "c1", incoming=True)],
    )
    await run(sm)
    assert about(await listed(sm), "reply_to_email")
    await load(sm, deals=[deal("d1", ["c1"], owner=OTHER)])
    assert about(await listed(sm), "reply_to_email") == []
    assert (10, "c1") not in {(a.rule_number, a.record_id) for a in await run(sm)}


async def test_an_action_whose_trigger_became_unreadable_expires(sm) -> None:
    """The reply is archived after the action was made: not listed, then expired on evaluation."""
    await load(
        sm,
        contacts=[contact("c1", REP, "Carla", "Visible", "carla@buyer.example")],
        deals=[deal("d1", ["c1"])],
        emails=[mail("in1", 1, "c1", incoming=True)],
    )
    (action,) = [a for a in await run(sm) if a.rule_number == 10]
    archived = mail("in1", 1, "c1", incoming=True)
    archived["archived"] = True
    await load(sm, emails=[archived])
    assert about(await listed(sm), "reply_to_email") == []
    await run(sm, now=NOW + timedelta(minutes=1))
    async with sm() as s:
        stored = await s.get(GuidedAction, (P, action.id))
    assert stored is not None and stored.expired_at is not None


async def test_super_admin_sees_what_the_user_sees(sm, settings) -> None:
    await load(
        sm,
        contacts=[
            contact("c-hidden", OTHER, "Zelda", "Hiddenname", "zelda@secret.example"),
            contact("c-seen", REP, "Sam", "Seen", "sam@buyer.example"),
        ],
        deals=[deal("d1", ["c-hidden", "c-seen"])],
        emails=[
            mail("in-seen", 2, "c-seen", incoming=True, thread="ts"),
            mail("in-hidden", 1, "c-hidden", incoming=True, thread="th"),
        ],
    )
    async with client_for(settings) as c:
        own = await c.get("/v1/guided-actions", headers=auth(settings, REP, P))
        seen = await c.get(f"/v1/guided-actions?user_id={REP}", headers=auth(settings, ADMIN, P))
        colleague = await c.get(f"/v1/guided-actions?user_id={REP}", headers=auth(settings, OTHER, P))
    assert own.status_code == seen.status_code == 200 and colleague.status_code == 403
    assert own.json()["items"] and seen.json() == own.json()
    assert not [h for h in HIDDEN if h in seen.text]  # though the admin could read that contact


async def test_open_deal_category_counts_only_deals_the_rep_may_read(sm) -> None:
    """Rule 12's category: a meeting on a colleague's open deal is prospecting for the rep."""
    meeting = {"hs_meeting_start_time": at(minutes=-30), "hs_meeting_end_time": at(minutes=-60)}
    await load(
        sm,
        deals=[deal("d-mine", []), deal("d-theirs", [], owner=OTHER)],
        meetings=[
            rec(
                "m-mine", {"deals": ["d-mine"]}, hs_timestamp=at(minutes=-30), hubspot_owner_id=REP, **meeting
            ),
            rec(
                "m-theirs",
                {"deals": ["d-theirs"]},
                hs_timestamp=at(minutes=-30),
                hubspot_owner_id=REP,
                **meeting,
            ),
        ],
    )
    category = {a.record_id: a.category for a in await run(sm) if a.rule_number == 12}
    assert category == {"m-mine": "closing", "m-theirs": "prospecting"}


async def test_grouped_action_drops_a_hidden_member_and_the_count(sm) -> None:
    """Rule 6: two meetings without an outcome; one is archived. Listed before evaluating again,
    the group shows the other one and no longer says "2 meetings"; evaluated, it counts one."""

    def meeting(mid: str, archived: bool = False) -> dict:
        return rec(
            mid,
            archived=archived,
            hs_timestamp=at(1),
            hs_meeting_start_time=at(1),
            hs_meeting_end_time=at(1, minutes=-30),
            hubspot_owner_id=REP,
        )

    await load(sm, meetings=[meeting("m1"), meeting("m2")])
    await run(sm)
    (group,) = about(await listed(sm), "log_meeting_outcome")
    assert sorted(r["id"] for r in group["records"]) == ["m1", "m2"] and group["why"][0].startswith("2 ")
    await load(sm, meetings=[meeting("m2", archived=True)])
    (group,) = about(await listed(sm), "log_meeting_outcome")
    assert [r["id"] for r in group["records"]] == ["m1"] and group["why"] == []
    await run(sm, now=NOW + timedelta(minutes=1))
    (group,) = about(await listed(sm), "log_meeting_outcome")
    assert [r["id"] for r in group["records"]] == ["m1"] and group["why"][0].startswith("1 ")


async def test_why_sentences_stored_as_bare_strings_are_never_shown(sm) -> None:
    """Rows stored before sentences named their records: a bare string cannot be checked against
    the viewer, so the listing leaves it out; the next evaluation rewrites it."""
    await load(
        sm,
        contacts=[contact("c1", REP, "Carla", "Visible", "carla@buyer.example")],
        deals=[deal("d1", ["c1"])],
        emails=[mail("in1", 1, "c1", incoming=True)],
    )
    (action,) = [a for a in await run(sm) if a.rule_number == 10]
    async with sm() as s:
        row = await s.get(GuidedAction, (P, action.id))
        assert row is not None
        row.why = ["Zelda Hiddenname replied"]
        await s.commit()
    assert about(await listed(sm), "reply_to_email")[0]["why"] == []
    await run(sm, now=NOW + timedelta(minutes=1))
    (reply,) = about(await listed(sm), "reply_to_email")
    assert reply["action_id"] == action.id and "Carla Visible" in reply["why"][0]


async def test_an_archived_rep_has_no_evaluation(sm) -> None:
    async with sm() as s:
        user = await s.get(m.User, (P, REP))
        assert user is not None
        user.archived = True
        await s.commit()
    with pytest.raises(LookupError):
        await run(sm)
