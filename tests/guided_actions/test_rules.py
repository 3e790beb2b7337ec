"""Each rule with a fixed clock: created when all criteria hold, not when one fails, expired by
each of its expiry conditions. Boundaries: "at least 1 hour" admits exactly 1 h; "less than
7 days" excludes exactly 7 days; "N days old" expires at exactly N days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.guided_actions.helpers import ME, NOW, OTHER, at, base, email, load, rec, rules, run


@pytest.fixture
async def sm(sessionmaker):
    await load(sessionmaker, base())
    return sessionmaker


def doc(**records):  # type: ignore[no-untyped-def]
    return {"account": {"id": "ga"}, **records}


# -- 1 newly assigned contacts ------------------------------------------------------------------
async def test_r1_created_for_a_fresh_contact_and_expires_on_email_or_age(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[
                rec("c1", hubspot_owner_id=ME, email="x@buyer.example", lifecyclestage="lead"),
                rec("c2", hubspot_owner_id=ME, lifecyclestage="customer"),
                rec("c3", hubspot_owner_id=OTHER),
            ]
        ),
    )
    assert rules(await run(sm)) == [(1, "c1")]
    assert rules(await run(sm, NOW + timedelta(days=30))) == []  # 30 days old: expired, not re-created
    await load(sm, doc(contacts=[rec("c4", hubspot_owner_id=ME)]))
    assert (1, "c4") in rules(await run(sm))
    await load(sm, doc(emails=[email("e1", 0, {"contacts": ["c4"]})]))
    assert (1, "c4") not in rules(await run(sm, NOW + timedelta(hours=1)))


async def test_r1_not_for_a_contact_on_a_deal(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            deals=[
                rec(
                    "d1",
                    assoc={"contacts": ["c1"]},
                    dealname="D",
                    hubspot_owner_id=OTHER,
                    dealstage="qualifiedtobuy",
                )
            ],
        ),
    )
    assert (1, "c1") not in rules(await run(sm))


# -- 2 newly assigned leads -----------------------------------------------------------------------
async def test_r2_new_lead_expires_on_activity_and_reassignment(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=OTHER)],
            leads=[
                rec(
                    "l1",
                    1,
                    {"contacts": ["c1"]},
                    hs_lead_name="L1",
                    hs_pipeline_stage="new-stage-id",
                    hubspot_owner_id=ME,
                ),
                rec("l2", 1, hs_pipeline_stage="attempting-stage-id", hubspot_owner_id=ME),
                rec("l3", 1, hs_pipeline_stage="new-stage-id", hubspot_owner_id=ME),
            ],
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 2] == [(2, "l1"), (2, "l3")]
    await load(sm, doc(notes=[rec("n1", 0, {"leads": ["l1"]}, hs_timestamp=at(-0.01), hubspot_owner_id=ME)]))
    await load(sm, doc(leads=[rec("l3", 1, hs_pipeline_stage="new-stage-id", hubspot_owner_id=OTHER)]))
    assert [r for r in rules(await run(sm, NOW + timedelta(hours=1))) if r[0] == 2] == []


# -- 3 re-engaged contacts ------------------------------------------------------------------------
async def test_r3_disqualified_then_engaged(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            leads=[
                rec(
                    "l1",
                    40,
                    {"contacts": ["c1"]},
                    hs_pipeline_stage="unqualified-stage-id",
                    hubspot_owner_id=ME,
                    hs_pipeline_stage_changed_at=at(20),
                )
            ],
            emails=[email("e1", 5, {"contacts": ["c1"]}, incoming=True)],
        ),
    )
    assert (3, "c1") in rules(await run(sm))
    assert (3, "c1") not in rules(await run(sm, NOW + timedelta(days=26)))  # re-engagement > 30 days old


async def test_r3_not_when_engagement_preceded_disqualification(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            leads=[
                rec(
                    "l1",
                    40,
                    {"contacts": ["c1"]},
                    hs_pipeline_stage="unqualified-stage-id",
                    hubspot_owner_id=ME,
                    hs_pipeline_stage_changed_at=at(3),
                )
            ],
            emails=[email("e1", 5, {"contacts": ["c1"]}, incoming=True)],
        ),
    )
    assert (3, "c1") not in rules(await run(sm))


# -- 4 sequence activity --------------------------------------------------------------------------
async def test_r4_open_sequence_task_until_completed(sm) -> None:
    task = rec(
        "t1",
        1,
        hs_timestamp=at(-1),
        hubspot_owner_id=ME,
        hs_task_subject="Step 2",
        hs_task_status="NOT_STARTED",
        hs_sequence_id="seq-1",
    )
    plain = rec("t2", 1, hs_timestamp=at(-1), hubspot_owner_id=ME, hs_task_status="NOT_STARTED")
    await load(sm, doc(tasks=[task, plain]))
    assert [r for r in rules(await run(sm)) if r[0] == 4] == [(4, "t1")]
    task["properties"]["hs_task_status"] = "COMPLETED"
    await load(sm, doc(tasks=[task]))
    assert [r for r in rules(await run(sm)) if r[0] == 4] == []


# -- 5 email replies ------------------------------------------------------------------------------
async def test_r5_reply_to_your_email_expires_when_you_email_again(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME, email="b@buyer.example")],
            emails=[
                email("e1", 3, {"contacts": ["c1"]}),
                email("e2", 2, {"contacts": ["c1"]}, incoming=True, frm="b@buyer.example"),
            ],
        ),
    )
    assert (5, "c1") in rules(await run(sm))
    await load(sm, doc(emails=[email("e3", -0.01, {"contacts": ["c1"]}, thread="t2")]))
    assert (5, "c1") not in rules(await run(sm, NOW + timedelta(hours=1)))


async def test_r5_no_reply_no_action_and_14_days_expiry(sm) -> None:
    await load(
        sm, doc(contacts=[rec("c1", hubspot_owner_id=ME)], emails=[email("e1", 3, {"contacts": ["c1"]})])
    )
    assert (5, "c1") not in rules(await run(sm))
    await load(sm, doc(emails=[email("e2", 1, {"contacts": ["c1"]}, incoming=True)]))
    assert (5, "c1") in rules(await run(sm))
    assert (5, "c1") not in rules(await run(sm, NOW + timedelta(days=14)))


# -- 6 log meeting outcome (grouped) ----------------------------------------------------------------
def meeting(
    rid: str, end_ago: timedelta, outcome: str | None = None, owner: str = ME, minutes: int = 30
) -> dict:
    end = NOW - end_ago
    start = end - timedelta(minutes=minutes)
    props = {
        "hs_timestamp": start.isoformat(),
        "hs_meeting_start_time": start.isoformat(),
        "hs_meeting_end_time": end.isoformat(),
        "hubspot_owner_id": owner,
        "hs_meeting_title": rid,
    }
    if outcome:
        props["hs_meeting_outcome"] = outcome
    return rec(rid, 10, **props)


async def test_r6_boundaries_exactly_one_hour_in_exactly_seven_days_out(sm) -> None:
    await load(
        sm,
        doc(
            meetings=[
                meeting("m-1h", timedelta(hours=1)),
                meeting("m-59m", timedelta(minutes=59)),
                meeting("m-7d", timedelta(days=7)),
                meeting("m-done", timedelta(hours=3), "COMPLETED"),
                meeting("m-sched", timedelta(hours=3), "SCHEDULED"),
            ]
        ),
    )
    group = next(a for a in await run(sm) if a.rule_number == 6)
    assert sorted(r["id"] for r in group.records) == ["m-1h", "m-sched"]
    assert group.category == "prospecting"  # on no open deal


# -- 7 follow up on your meeting ------------------------------------------------------------------
async def test_r7_expires_when_all_follow_up_tasks_are_done(sm) -> None:
    await load(sm, doc(meetings=[meeting("m1", timedelta(days=1), "COMPLETED")]))
    assert (7, "m1") in rules(await run(sm))
    await load(
        sm,
        doc(
            tasks=[
                rec(
                    "t1",
                    1,
                    {"meetings": ["m1"]},
                    hs_timestamp=at(-1),
                    hubspot_owner_id=ME,
                    hs_task_status="COMPLETED",
                )
            ]
        ),
    )
    assert (7, "m1") not in rules(await run(sm))


async def test_r7_not_for_a_meeting_that_has_not_started(sm) -> None:
    await load(sm, doc(meetings=[meeting("m1", -timedelta(hours=2))]))
    assert (7, "m1") not in rules(await run(sm))


# -- 8 log call outcome (grouped) -------------------------------------------------------------------
def call(rid: str, ago: timedelta, status: str = "COMPLETED", outcome: str = "", source: str = "") -> dict:
    return rec(
        rid,
        1,
        hs_timestamp=(NOW - ago).isoformat(),
        hubspot_owner_id=ME,
        hs_call_title=rid,
        hs_call_status=status,
        hs_call_disposition=outcome,
        hs_call_source=source,
    )


async def test_r8_three_calls_one_action_members_leave_one_by_one(sm) -> None:
    calls = [
        call("k1", timedelta(hours=2)),
        call("k2", timedelta(hours=3), status=""),
        call("k3", timedelta(days=1)),
        call("k-built-in-blank", timedelta(hours=2), "", source="CALLING"),
        call("k-logged", timedelta(hours=2), outcome="Connected"),
        call("k-recent", timedelta(minutes=30)),
    ]
    await load(sm, doc(calls=calls))
    [group] = [a for a in await run(sm) if a.rule_number == 8]
    assert sorted(r["id"] for r in group.records) == ["k1", "k2", "k3"]
    await load(sm, doc(calls=[call("k1", timedelta(hours=2), outcome="Left voicemail")]))
    [same] = [a for a in await run(sm) if a.rule_number == 8]
    assert same.id == group.id and sorted(r["id"] for r in same.records) == ["k2", "k3"]
    await load(
        sm,
        doc(calls=[call("k2", timedelta(hours=3), outcome="x"), call("k3", timedelta(days=1), outcome="x")]),
    )
    assert [a for a in await run(sm) if a.rule_number == 8] == []


# -- 9 contacts awaiting your reply ------------------------------------------------------------------
async def test_r9_primary_recipient_other_domain(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[
                rec("c1", hubspot_owner_id=OTHER, email="b@buyer.example"),
                rec("c2", hubspot_owner_id=OTHER, email="colleague@acme.example"),
            ],
            emails=[
                email("e1", 1, {"contacts": ["c1"]}, incoming=True, to="me@acme.example;x@y.z"),
                email("e2", 1, {"contacts": ["c2"]}, incoming=True, to="me@acme.example"),
            ],
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 9] == [(9, "c1")]
    await load(sm, doc(emails=[email("e3", -0.002, {"contacts": ["c1"]}, thread="t9")]))
    assert [r for r in rules(await run(sm, NOW + timedelta(minutes=5))) if r[0] == 9] == []


# -- 10 reply to email ---------------------------------------------------------------------------
async def test_r10_until_you_reply_or_the_deal_closes(sm) -> None:
    deal = rec("d1", 20, {"contacts": ["c1"]}, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME)
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            deals=[deal],
            emails=[email("e1", 1, {"contacts": ["c1"]}, incoming=True, to="me@acme.example")],
        ),
    )
    assert (10, "d1") in rules(await run(sm))
    await load(sm, doc(emails=[email("e2", 0.5, {"contacts": ["c1"]})]))
    assert (10, "d1") not in rules(await run(sm))


async def test_r10_expires_when_the_deal_closes(sm) -> None:
    deal = rec("d1", 20, {"contacts": ["c1"]}, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME)
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            deals=[deal],
            emails=[email("e1", 1, {"contacts": ["c1"]}, incoming=True, to="me@acme.example")],
        ),
    )
    assert (10, "d1") in rules(await run(sm))
    deal["properties"]["dealstage"] = "closedwon"
    await load(sm, doc(deals=[deal]))
    assert (10, "d1") not in rules(await run(sm))


# -- 11 leads awaiting your reply -----------------------------------------------------------------
async def test_r11_lead_wrote_to_you(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", email="p@prospect.example")],
            leads=[
                rec(
                    "l1",
                    5,
                    {"contacts": ["c1"]},
                    hs_pipeline_stage="attempting-stage-id",
                    hubspot_owner_id=ME,
                )
            ],
            emails=[email("e1", 1, {"contacts": ["c1"]}, incoming=True, to="me@acme.example")],
        ),
    )
    assert (11, "l1") in rules(await run(sm))
    assert (11, "l1") not in rules(await run(sm, NOW + timedelta(days=14)))


# -- 12 prepare for upcoming meetings ---------------------------------------------------------------
async def test_r12_within_the_hour_until_ten_minutes_after_start(sm) -> None:
    await load(
        sm,
        doc(
            meetings=[
                meeting("soon", -timedelta(minutes=60), minutes=30),
                meeting("later", -timedelta(minutes=120), minutes=30),
            ]
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 12] == [(12, "soon")]  # starts in exactly 30 min
    assert (12, "soon") in rules(await run(sm, NOW + timedelta(minutes=35)))  # 5 min after start
    assert (12, "soon") not in rules(await run(sm, NOW + timedelta(minutes=40)))  # 10 min after start


# -- 13 today's high-priority tasks -----------------------------------------------------------------
async def test_r13_one_group_per_day_until_none_left(sm) -> None:
    high = rec(
        "t1",
        1,
        hs_timestamp=at(-3 / 24),
        hubspot_owner_id=ME,
        hs_task_priority="HIGH",
        hs_task_status="NOT_STARTED",
    )
    tomorrow = rec(
        "t2",
        1,
        hs_timestamp=at(-1),
        hubspot_owner_id=ME,
        hs_task_priority="HIGH",
        hs_task_status="NOT_STARTED",
    )
    await load(sm, doc(tasks=[high, tomorrow]))
    [group] = [a for a in await run(sm) if a.rule_number == 13]
    assert [r["id"] for r in group.records] == ["t1"] and group.trigger_key == "2026-11-20"
    high["properties"]["hs_task_status"] = "COMPLETED"
    await load(sm, doc(tasks=[high]))
    assert [a for a in await run(sm) if a.rule_number == 13] == []


# -- 14 target account activity ---------------------------------------------------------------------
async def test_r14_engagement_at_a_target_account(sm) -> None:
    await load(
        sm,
        doc(
            companies=[rec("co1", name="Target", hs_is_target_account="true"), rec("co2", name="Other")],
            contacts=[
                rec("c1", assoc={"companies": ["co1"]}, hubspot_owner_id=ME),
                rec("c2", assoc={"companies": ["co2"]}, hubspot_owner_id=ME),
            ],
            calls=[
                rec(
                    "k1",
                    2,
                    {"contacts": ["c1"]},
                    hs_timestamp=at(2),
                    hs_call_status="COMPLETED",
                    hs_call_disposition="Connected",
                    hubspot_owner_id=OTHER,
                ),
                rec(
                    "k2",
                    2,
                    {"contacts": ["c2"]},
                    hs_timestamp=at(2),
                    hs_call_status="COMPLETED",
                    hs_call_disposition="Connected",
                    hubspot_owner_id=OTHER,
                ),
            ],
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 14] == [(14, "c1")]
    assert [r for r in rules(await run(sm, NOW + timedelta(days=5))) if r[0] == 14] == []  # 7 days after


# -- 15 recently engaged leads ----------------------------------------------------------------------
async def test_r15_open_lead_engaged_this_week(sm) -> None:
    await load(
        sm,
        doc(
            leads=[
                rec("l1", 9, hs_pipeline_stage="connected-stage-id", hubspot_owner_id=ME),
                rec("l2", 9, hs_pipeline_stage="qualified-stage-id", hubspot_owner_id=ME),
            ],
            emails=[
                email("e1", 3, {"leads": ["l1"]}, incoming=True),
                email("e2", 3, {"leads": ["l2"]}, incoming=True),
            ],
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 15] == [(15, "l1")]
    assert [r for r in rules(await run(sm, NOW + timedelta(days=4))) if r[0] == 15] == []


# -- 16 update next steps -------------------------------------------------------------------------
async def test_r16_until_the_next_step_changes(sm) -> None:
    deal = rec("d1", 20, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME, hs_next_step="Demo")
    deal["propertiesWithHistory"] = {"hs_next_step": [{"value": "Demo", "timestamp": at(5)}]}
    await load(
        sm,
        doc(
            deals=[deal],
            notes=[
                rec("n1", 2, {"deals": ["d1"]}, hs_timestamp=at(2), hubspot_owner_id=ME),
                rec("n2", 2, {"deals": ["d1"]}, hs_timestamp=at(6), hubspot_owner_id=ME),
            ],
        ),
    )
    assert (16, "d1") in rules(await run(sm))
    deal["propertiesWithHistory"] = {
        "hs_next_step": [{"value": "Demo", "timestamp": at(5)}, {"value": "Contract", "timestamp": at(0.5)}]
    }
    deal["properties"]["hs_next_step"] = "Contract"
    await load(sm, doc(deals=[deal]))
    assert (16, "d1") not in rules(await run(sm))


async def test_r16_not_within_24_hours(sm) -> None:
    await load(
        sm,
        doc(
            deals=[rec("d1", 20, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME)],
            notes=[rec("n1", 0, {"deals": ["d1"]}, hs_timestamp=at(hours=23), hubspot_owner_id=ME)],
        ),
    )
    assert (16, "d1") not in rules(await run(sm))


# -- 17 add a contact to a deal -------------------------------------------------------------------
async def test_r17_no_contact_after_a_week(sm) -> None:
    await load(
        sm,
        doc(
            deals=[
                rec("d1", 8, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME),
                rec("d2", 6, dealname="D2", dealstage="qualifiedtobuy", hubspot_owner_id=ME),
            ],
            contacts=[rec("c1")],
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 17] == [(17, "d1")]
    await load(
        sm,
        doc(
            deals=[
                rec(
                    "d1",
                    8,
                    {"contacts": ["c1"]},
                    dealname="D1",
                    dealstage="qualifiedtobuy",
                    hubspot_owner_id=ME,
                )
            ]
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 17 and r[1] == "d1"] == []


# -- 18 initial outreach needed -------------------------------------------------------------------
async def test_r18_first_stage_without_engagement(sm) -> None:
    await load(
        sm,
        doc(
            deals=[
                rec("d1", 8, dealname="D1", dealstage="appointmentscheduled", hubspot_owner_id=ME),
                rec("d2", 8, dealname="D2", dealstage="qualifiedtobuy", hubspot_owner_id=ME),
            ]
        ),
    )
    assert [r for r in rules(await run(sm)) if r[0] == 18] == [(18, "d1")]
    await load(sm, doc(calls=[rec("k1", 0, {"deals": ["d1"]}, hs_timestamp=at(0.1), hubspot_owner_id=ME)]))
    assert [r for r in rules(await run(sm)) if r[0] == 18] == []


# -- 19 follow up with buyer ------------------------------------------------------------------------
async def test_r19_opened_a_week_ago_no_reply(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1")],
            deals=[
                rec(
                    "d1",
                    20,
                    {"contacts": ["c1"]},
                    dealname="D1",
                    dealstage="qualifiedtobuy",
                    hubspot_owner_id=ME,
                )
            ],
            emails=[
                email("e1", 9, {"contacts": ["c1"]}, hs_email_first_opened_at=at(8)),
                email("e2", 9, {"contacts": ["c1"]}, thread="t2", hs_email_first_opened_at=at(6)),
            ],
        ),
    )
    assert [a.trigger_key for a in await run(sm) if a.rule_number == 19] == ["e1"]
    await load(sm, doc(emails=[email("e3", 0.5, {"contacts": ["c1"]}, incoming=True)]))
    assert [a for a in await run(sm) if a.rule_number == 19] == []


# -- runner ---------------------------------------------------------------------------------------
async def test_evaluation_is_idempotent_and_expired_actions_stay_expired(sm) -> None:
    await load(
        sm,
        doc(
            contacts=[rec("c1", hubspot_owner_id=ME)],
            deals=[rec("d1", 8, dealname="D1", dealstage="qualifiedtobuy", hubspot_owner_id=ME)],
        ),
    )
    first = await run(sm)
    again = await run(sm)
    assert sorted(a.id for a in first) == sorted(a.id for a in again)
    assert rules(await run(sm, NOW + timedelta(days=8))) == [(1, "c1")]  # rule 17 expired at 7 days old
    assert rules(await run(sm, NOW + timedelta(days=9))) == [(1, "c1")]  # and is not re-created
