"""The main demo account's stories: its companies, contacts, deals and activities (the table in
``demo.py`` says which story each deal tells), and the scripts that add them to a document."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from insights.crm import demo_texts as tx

if TYPE_CHECKING:  # demo.py imports this module: the builder is only named in annotations
    from insights.crm.demo import _Doc

CANARY = "BUDGETCANARY"


# Story records. Contacts: (id, name, email domain, owner, company, jobtitle).
COMPANIES = [
    ("co-9", "Northwind Traders", "northwind.example", "101", "Retail", "true"),
    ("co-10", "Contoso", "contoso.example", "101", "Manufacturing", "false"),
    ("co-11", "Fabrikam", "fabrikam.example", "102", "Software", "false"),
    ("co-12", "Tailspin Toys", "tailspin.example", "104", "Retail", "false"),
    ("co-13", "Globex", "globex.example", "101", "Energy", "true"),
]
CONTACTS = [
    ("c-51", "Priya Shah", "northwind.example", "101", "co-9", "CFO"),
    ("c-52", "Tom Berg", "northwind.example", "102", "co-9", "IT Director"),
    ("c-61", "Li Wei", "contoso.example", "101", "co-10", "VP Operations"),
    ("c-71", "Sam Lee", "fabrikam.example", "102", "co-11", "Head of Support"),
    ("c-81", "Kim Ito", "tailspin.example", "104", "co-12", "COO"),
    ("c-91", "Hank Scorpio", "globex.example", "101", "co-13", "CEO"),
    ("c-92", "Mona Diaz", "globex.example", "101", "co-13", "Head of IT"),
    ("c-93", "Raj Patel", "globex.example", "103", "co-13", "Procurement"),  # Chloe's: hidden from Ana
]
# (id, name, owner, stage, amount, close date in days, contacts, companies, created days ago)
DEALS = [
    ("9001", "Northwind renewal", "101", "contractsent", 48000, 20, "c-51 c-52", "co-9", 90),
    ("9002", "Contoso expansion", "101", "presentationscheduled", 30000, 5, "c-61", "co-10", 90),
    ("9003", "Fabrikam pilot", "102", "qualifiedtobuy", 12000, 30, "c-71", "co-11", 90),
    ("9004", "Tailspin platform", "104", "decisionmakerboughtin", 90000, 25, "c-81", "co-12", 90),
    (
        "9005",
        "Globex enterprise rollout",
        "101",
        "presentationscheduled",
        250000,
        60,
        "c-91 c-92 c-93",
        "co-13",
        200,
    ),
    ("9006", "Umbrella pilot", "101", "closedlost", 8000, -10, "", "", 90),
    ("9007", "Initech starter", "102", "closedwon", 5000, -30, "", "", 90),
    ("9008", "Vandelay imports", "104", "qualifiedtobuy", 22000, 45, "", "", 90),
    ("9009", "Wingtip quick deal", "102", "appointmentscheduled", 4000, 40, "", "", 10),
]
DEAL_PROPS: dict[str, dict[str, Any]] = {
    "9001": {"hs_next_step": "Send the revised order form", "hs_deal_score": "68"},
    "9002": {"hs_deal_score": "55"},
    "9004": {"hs_deal_score": "81", "hs_next_step": "Legal review of the MSA"},
    "9005": {"hs_deal_score": "62"},
    "9008": {"hs_shared_user_ids": "102"},
}
# (type, id, owner, days ago (negative: future), links, title, extras); bodies in demo_texts.BODY
ACTIVITIES: list[tuple[str, str, str, float, str, str, dict[str, Any]]] = [
    ("meeting", "m-9001-1", "101", 12, "deals:9001", "Renewal kickoff", {"notes": tx.NORTHWIND_GOALS}),
    ("call", "call-9001-1", "102", 8, "deals:9001 contacts:c-52", "Technical check-in", {"ms": True}),
    ("email", "e-budget", "101", 4, "contacts:c-51", "Budget cut for next year", {"buyer": "priya"}),
    ("note", "n-9001-1", "102", 3, "deals:9001", "", {"v4": True}),
    ("meeting", "m-9001-2", "101", 1, "deals:9001", "Pricing review", {"v4": True, "notes": tx.PRICE_LOCK}),
    ("call", "call-9002-1", "101", 6, "deals:9002", "Status call", {}),
    (
        "email",
        "e-9002-1",
        "101",
        10,
        "deals:9002 contacts:c-61",
        tx.CONTOSO_SUBJECT,
        {"to": "li", "opened": 9.8, "thread": "thr-contoso"},
    ),
    (
        "email",
        "e-9002-2",
        "101",
        9,
        "deals:9002 contacts:c-61",
        f"Re: {tx.CONTOSO_SUBJECT}",
        {"buyer": "li", "thread": "thr-contoso"},
    ),
    ("call", "call-9003-1", "102", 20, "deals:9003", "Pilot scoping", {}),
    ("note", "n-9003-1", "102", 21, "deals:9003", "", {}),
    ("meeting", "m-9004-0", "104", 9, "deals:9004", "Solution design", {"notes": tx.TAILSPIN_GOALS}),
    ("call", "call-9004-1", "104", 5, "deals:9004", "Champion check-in", {}),
    ("meeting", "m-9004-1", "104", 2, "deals:9004", "Executive alignment", {"notes": tx.TAILSPIN_GOALS_2}),
    ("meeting", "m-9004-2", "104", -6, "deals:9004", "Legal review", {"outcome": "SCHEDULED"}),
    ("task", "task-9004-1", "104", -3, "deals:9004", "Send MSA redlines", {}),
    ("meeting", "m-9005-noshow", "101", 1.5, "deals:9005", "Steering committee", {"outcome": "NO_SHOW"}),
    ("note", "n-9005-fr", "101", 1.2, "deals:9005", "", {}),
    ("note", "n-9005-de", "101", 1.3, "deals:9005", "", {}),
    ("email", "e-9005-inject", "101", 1.1, "deals:9005", "Re: pricing", {"buyer": "mona"}),
]
EMAIL_OF = {"priya": "priya@northwind.example", "li": "li@contoso.example", "mona": "mona@globex.example"}


def stories(d: _Doc) -> None:
    for rid, name, domain, owner_id, industry, target in COMPANIES:
        props = {"name": name, "domain": domain, "hubspot_owner_id": owner_id, "industry": industry}
        d.add("companies", rid, props | {"hs_is_target_account": target}, created=120)
    for rid, name, domain, owner_id, company, title in CONTACTS:
        d.contact(rid, name, domain, owner_id, company, jobtitle=title, lifecyclestage="opportunity")
    for rid, name, owner_id, stage, amount, close_in, contacts, companies, created in DEALS:
        d.deal(
            rid,
            name,
            owner_id,
            stage,
            amount,
            close_in,
            contacts,
            companies,
            created,
            **DEAL_PROPS.get(rid, {}),
        )
    for kind, rid, owner_id, days, links, title, extra in ACTIVITIES:
        d.act(kind, rid, owner_id, days, links, title, **extra)
    # the budget email carries the canary; 9001 lists its company twice (primary + unlabeled)
    budget = d.doc["emails"][[e["id"] for e in d.doc["emails"]].index("e-budget")]["properties"]
    budget["hs_email_text"] += f" {CANARY}"
    budget["hs_email_thread_id"] = "thr-budget"
    nine = d.doc["deals"][0]["associations"]["companies"]["results"]
    nine.append({"id": "co-9", "type": "deal_to_company_unlabeled"})
    d.history("9001", "hs_next_step", [(5, "Send the revised order form")])
    d.history("9002", "hs_deal_score", [(25, "72"), (3, "55")])
    d.history("9002", "closedate", [(80, d.ago(25)), (40, d.ago(10)), (10, d.ago(-5))])
    d.scores("9002", [(24, 72), (17, 69), (12, 64), (5, 58)])
    d.history("9004", "hs_deal_score", [(30, "60"), (2, "81")])
    d.scores("9004", [(21, 66), (14, 72), (7, 77)])


def _fill(template: str, rnd: random.Random, first: str) -> str:
    topic, day = rnd.choice(tx.TOPICS), rnd.choice(tx.WEEKDAYS)
    return template.format(topic=topic, first=first, n=rnd.randint(2, 9), day=day)


def globex(d: _Doc) -> None:
    """240 activities on 9005 over six months, some via its contacts (c-93 is Chloe's)."""
    rnd = random.Random(9005)
    people = [(c[0], c[1].split()[0]) for c in CONTACTS if c[4] == "co-13"]
    for i in range(240):
        days = 2 + i * 180 / 240 + rnd.random()
        owner_id = ("101", "101", "102", "103")[i % 4 if i % 7 else 0]
        cid, name = people[(i // 3) % 3 if days > 14 else i % 2]  # c-93's are older than two weeks
        first = people[i % 2][1]  # texts name Hank or Mona: Raj must stay invisible to Ana
        links = "deals:9005" if i % 3 else f"contacts:{cid}"
        kind = ("email", "email", "call", "meeting", "note")[i % 5]
        if kind == "email":
            who = {"buyer" if i % 2 == 0 else "to": f"{name.lower()}@globex.example"}
            body = _fill(rnd.choice(tx.EMAILS_IN if i % 2 == 0 else tx.EMAILS_OUT), rnd, first)
            d.act(
                kind,
                f"e-9005-{i}",
                owner_id,
                days,
                links,
                _fill(rnd.choice(tx.EMAIL_SUBJECTS), rnd, first),
                body,
                **who,
            )
        elif kind == "call":
            d.act(
                kind,
                f"call-9005-{i}",
                owner_id,
                days,
                links,
                f"Call with {first}",
                _fill(rnd.choice(tx.CALLS), rnd, first),
            )
        elif kind == "meeting":
            body, goals = (
                _fill(rnd.choice(tx.MEETING_BODIES), rnd, first),
                _fill(rnd.choice(tx.GOALS), rnd, first),
            )
            d.act(
                kind,
                f"m-9005-{i}",
                owner_id,
                days,
                links,
                f"Globex: {rnd.choice(tx.TOPICS)}",
                body,
                notes=goals,
            )
        else:
            d.act(
                kind,
                f"n-9005-{i}",
                owner_id,
                days,
                links,
                "",
                _fill(rnd.choice(tx.NOTES), rnd, first),
                ms=i % 10 == 4,
            )


def day_of_ana(d: _Doc) -> None:
    """Records that give Ana (101) a realistic set of guided actions (see the module docstring)."""
    d.contact("c-201", "Noor Haddad", "initech.example", "101", None, created=3, lifecyclestage="lead")
    lead = {"hs_lead_name": "Initech inbound", "hs_pipeline_stage": "new-stage-id", "hubspot_owner_id": "101"}
    d.add("leads", "l-1", lead, "contacts:c-201", created=2)
    d.act("call", "call-201", "101", 2 / 24, "contacts:c-201", "Intro call with Noor", "", disposition=None)
    d.act(
        "call",
        "call-202",
        "101",
        5 / 24,
        "contacts:c-92",
        "Call back Globex IT",
        "",
        disposition=None,
        hs_call_status=None,
    )
    d.act(
        "meeting",
        "m-201",
        "101",
        3 / 24,
        "deals:9005",
        "Globex security review",
        outcome="SCHEDULED",
        minutes=60,
    )
    d.act(
        "meeting", "m-202", "101", -0.5 / 24, "deals:9001", "Northwind order form review", outcome="SCHEDULED"
    )
    # due later today in Ana's time zone, whatever the hour
    local = d.now.astimezone(ZoneInfo("Europe/London"))
    end_of_day = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    due = (d.now - min(d.now + timedelta(hours=2), end_of_day - timedelta(minutes=1))) / timedelta(days=1)
    d.act(
        "task",
        "task-201",
        "101",
        due,
        "deals:9001",
        "Send Northwind the countersigned order form",
        priority="HIGH",
    )
    # re-engaged: lead disqualified 12 days ago, then the contact wrote in two days ago
    d.contact("c-202", "Omar Farouk", "litware.example", "101", None, created=40, lifecyclestage="lead")
    lead = {
        "hs_lead_name": "Litware webinar",
        "hs_pipeline_stage": "unqualified-stage-id",
        "hubspot_owner_id": "101",
    }
    d.add(
        "leads", "l-2", lead | {"hs_v2_date_entered_current_stage": d.ago(12)}, "contacts:c-202", created=30
    )
    d.act(
        "email", "e-202", "101", 2, "contacts:c-202", "Revisiting your platform", buyer="omar@litware.example"
    )
    d.contact(
        "c-203",
        "Julia Novak",
        "adatum.example",
        "101",
        None,
        created=1,
        lifecyclestage="marketingqualifiedlead",
    )
