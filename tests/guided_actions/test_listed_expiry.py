"""An action expires only on its own listed conditions (guided-actions.md): "criteria no longer met"
is one of them for rules 1, 4, 6, 7, 8 and 13 alone. Elsewhere a creation criterion that stops
holding leaves the action active, and each listed condition (reassigned, a new lead, closed, a
reply...) expires it with its own reason. Also: rule 16 reads the deal timeline and a call's end,
rule 19 any buyer's email after the open, rule 15 the newest engagement, and grouped wording."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from insights.guided_actions.models import GuidedAction
from tests.guided_actions.helpers import ADMIN, NOW, OTHER, P, ago, of

DQ = "unqualified-stage-id"
LATER = NOW + timedelta(hours=1)


async def reason(w, rule: int) -> str | None:  # type: ignore[no-untyped-def]
    (a,) = await w.actions(rule)
    return a.expiry_reason


async def test_r2_a_lead_moved_out_of_the_first_stage_keeps_its_action(w) -> None:
    w.lead("l1")
    assert of(2, await w.run()) == ["l1"]
    await w.set(m.Lead, "l1", stage="attempting-stage-id")
    assert of(2, await w.run(LATER)) == ["l1"]  # not a listed condition
    await w.set(m.Lead, "l1", owner_id=OTHER)
    assert of(2, await w.run(LATER + timedelta(hours=1))) == []
    assert await reason(w, 2) == "lead reassigned"


async def test_r3_expires_when_the_lead_is_reassigned_or_a_new_lead_is_created(w) -> None:
    for c, lead in (("c1", "l1"), ("c2", "l2"), ("c3", "l3")):
        w.contact(c)
        w.lead(lead, stage=DQ, contact=c, created_at=ago(40), stage_changed_at=ago(20))
        w.email(f"in-{c}", 2, {"contact": [c]}, incoming=True)
    assert of(3, await w.run()) == ["c1", "c2", "c3"]
    await w.set(m.Lead, "l1", owner_id=ADMIN)  # still readable: "reassigned to another user"
    w.lead("l2b", stage=DQ, contact="c2", created_at=ago(0.5))  # a new lead (not open: criteria hold)
    await w.set(m.Contact, "c3", lifecycle_stage="customer")  # not a listed condition
    assert of(3, await w.run(LATER)) == ["c3"]
    by_record = {a.record_id: a.expiry_reason for a in await w.actions(3)}
    assert by_record == {"c1": "lead reassigned", "c2": "a new lead was created", "c3": None}


async def test_r5_expires_when_the_contact_is_reassigned(w) -> None:
    w.contact("c1")
    w.email("out", 3, {"contact": ["c1"]}, thread="t1")
    w.email("in", 1, {"contact": ["c1"]}, incoming=True, thread="t1")
    assert of(5, await w.run()) == ["c1"]
    await w.set(m.Contact, "c1", owner_id=ADMIN)
    assert of(5, await w.run(LATER)) == []
    assert await reason(w, 5) == "contact reassigned"


async def test_r10_a_contact_taken_off_the_deal_keeps_its_action_until_the_deal_closes(w) -> None:
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.email("in1", 0, {"contact": ["c1"]}, incoming=True)
    assert of(10, await w.run()) == ["c1"]
    await w.delete_link(m.DealContact, deal_id="d1", contact_id="c1")
    assert of(10, await w.run(LATER)) == ["c1"]
    await w.set(m.Deal, "d1", stage_id="closedwon")
    assert of(10, await w.run(LATER + timedelta(hours=1))) == []
    assert await reason(w, 10) == "deal closed"


async def test_r11_expires_when_the_lead_is_reassigned(w) -> None:
    w.contact("c1")
    w.lead("l1", stage="attempting-stage-id", contact="c1")
    w.email("in1", 0, {"lead": ["l1"]}, incoming=True)
    assert of(11, await w.run()) == ["l1"]
    await w.set(m.Lead, "l1", stage="qualified-stage-id")  # not a listed condition
    assert of(11, await w.run(LATER)) == ["l1"]
    await w.set(m.Lead, "l1", owner_id=ADMIN)
    assert of(11, await w.run(LATER + timedelta(hours=1))) == []
    assert await reason(w, 11) == "lead reassigned"


async def test_r12_a_rescheduled_meeting_keeps_its_action_until_ten_minutes_after_its_start(w) -> None:
    w.meeting("m1", ago(minutes=-30))
    assert of(12, await w.run()) == ["m1"]
    later = ago(minutes=-180)
    await w.set(
        m.Activity, "m1", meeting_start=later, occurred_at=later, meeting_end=later + timedelta(minutes=30)
    )
    assert of(12, await w.run(NOW + timedelta(minutes=45))) == ["m1"]
    assert of(12, await w.run(later + timedelta(minutes=10))) == []


async def test_r14_a_company_no_longer_a_target_keeps_the_action(w) -> None:
    w.contact("c1")
    w.company("big", target=True, contacts=["c1"])
    w.email("in", 1, {"contact": ["c1"]}, incoming=True)
    assert of(14, await w.run()) == ["c1"]
    await w.set(m.Company, "big", is_target_account=False)
    assert of(14, await w.run(LATER)) == ["c1"]


async def test_r15_the_newest_engagement_wins_whichever_path_it_came_by(w) -> None:
    w.contact("c1")
    w.lead("l1", stage="connected-stage-id", contact="c1")
    w.email("on-lead", 3, {"lead": ["l1"]}, incoming=True, to="")
    w.email("on-contact", 1, {"contact": ["c1"]}, incoming=True, to="")  # newer, by the contact
    await w.run()
    (a,) = await w.actions(15)
    assert a.trigger_key == "on-contact"


async def test_r16_activities_on_the_deals_contacts_and_companies_count(w) -> None:
    w.contact("c1")
    w.company("co1")
    w.add(m.DealCompany(portal_id=P, deal_id="d2", company_id="co1"))
    w.deal("d1", contacts=["c1"], next_step_changed_at=ago(5))
    w.deal("d2", next_step_changed_at=ago(5))
    w.activity("n1", "note", ago(2), {"contact": ["c1"]})
    w.activity("n2", "note", ago(2), {"company": ["co1"]})
    assert of(16, await w.run()) == ["d1", "d2"]


async def test_r16_a_call_ends_at_its_start_plus_its_duration(w) -> None:
    w.deal("d1", next_step_changed_at=ago(10))
    w.call("k1", ago(hours=24, minutes=30), {"deal": ["d1"]})
    w.pending[-1].call_duration_ms = 45 * 60_000  # the call row: ends 23 h 45 min ago, not yet
    assert of(16, await w.run()) == []
    assert of(16, await w.run(NOW + timedelta(minutes=16))) == ["d1"]  # ended 24 h 1 min ago


async def test_r16_the_end_must_follow_the_next_step_change(w) -> None:
    w.deal("d1", next_step_changed_at=ago(hours=48, minutes=10))
    w.call("k1", ago(hours=48, minutes=30), {"deal": ["d1"]})  # starts before the change...
    w.pending[-1].call_duration_ms = 30 * 60_000  # ...and ends after it
    assert of(16, await w.run()) == ["d1"]


async def test_r19_a_reply_in_a_new_thread_or_from_another_contact_expires_it(w) -> None:
    for d, c in (("d1", "c1"), ("d2", "c2")):
        w.contact(c)
        w.contact(f"{c}b")
        w.deal(d, contacts=[c, f"{c}b"])
        w.email(f"out-{d}", 8, {"contact": [c]}, thread=f"t-{d}", first_opened_at=ago(7))
    assert of(19, await w.run()) == ["d1", "d2"]
    w.email("new-thread", -0.01, {"contact": ["c1"]}, incoming=True, thread="fresh")
    w.email("colleague", -0.01, {"contact": ["c2b"]}, incoming=True, thread="other")
    assert of(19, await w.run(LATER)) == []
    assert {a.expiry_reason for a in await w.actions(19)} == {"a buyer wrote after the open"}


async def test_r19_not_created_when_another_contact_already_wrote_after_the_open(w) -> None:
    w.contact("c1")
    w.contact("c2")
    w.deal("d1", contacts=["c1", "c2"])
    w.email("out", 9, {"contact": ["c1"]}, thread="t1", first_opened_at=ago(8))
    w.email("in", 3, {"contact": ["c2"]}, incoming=True, thread="t9")
    assert of(19, await w.run()) == []


async def test_grouped_wording_is_singular_for_one(w) -> None:
    w.meeting("m1", ago(hours=3))
    w.call("k1", ago(hours=2), call_disposition=None)
    w.task("t1", ago(hours=-2), task_priority="HIGH")
    await w.run()
    names = {n: (await w.actions(n))[0].why[0]["text"] for n in (6, 8, 13)}
    assert names == {
        6: "1 meeting ended without an outcome logged.",
        8: "1 call without an outcome logged.",
        13: "1 high-priority task due today.",
    }
    w.meeting("m2", ago(hours=4))
    await w.run(LATER)
    (six,) = [a for a in await w.actions(6) if a.expired_at is None]
    assert six.why[0]["text"] == "2 meetings ended without an outcome logged."


async def test_an_action_stored_without_its_event_time_ages_from_its_creation(w) -> None:
    w.contact("c1")
    w.company("big", target=True, contacts=["c1"])
    w.email("in", 1, {"contact": ["c1"]}, incoming=True)
    await w.run()
    (a,) = await w.actions(14)
    await w.set(
        GuidedAction, a.id, records=[{"type": "contact", "id": "c1", "name": "C1"}]
    )  # as stored before
    assert of(14, await w.run(NOW + timedelta(days=7))) == ["c1"]
    assert of(14, await w.run(NOW + timedelta(days=7, seconds=1))) == []


async def test_r16_a_note_counts_only_from_after_the_next_step_change(w) -> None:
    """A note ends when it happens: before the change it cannot trigger, after it it does; a meeting
    that began before the change and ended after still counts (rule 16 reads those rows whole)."""
    w.deal("d1", next_step_changed_at=ago(10))
    w.activity("n-old", "note", ago(12), {"deal": ["d1"]})
    w.deal("d2", next_step_changed_at=ago(10))
    w.activity("n-new", "note", ago(3), {"deal": ["d2"]})
    w.deal("d3", next_step_changed_at=ago(10))
    w.meeting("long", ago(days=10, hours=1), minutes=120, on={"deal": ["d3"]})
    assert of(16, await w.run()) == ["d2", "d3"]
