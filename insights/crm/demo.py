"""The demo accounts: small, stable ids, one story per deal. Times are relative to ``now``.

Docs and tests name these ids, so change them only together.

======  ==========================  =====  =====================================================
deal    name                        owner  story (record ids)
======  ==========================  =====  =====================================================
9001    Northwind renewal           101    budget-cut email ``e-budget`` (Ana's, contact c-51 only,
                                           canary BUDGETCANARY): Ben (102, same team, email scope
                                           ``owned``) sees the deal, not the email. Goals in
                                           ``m-9001-1`` notes. Company co-9 listed twice (dedup).
9002    Contoso expansion           101    score 72 → 55 (history + ``deal_score_history``), close
                                           date pushed back twice; Li's unanswered reply
                                           ``e-9002-2`` (guided actions 5/10).
9003    Fabrikam pilot              102    no follow-up scheduled, last activity 20 days ago.
9004    Tailspin platform           104    healthy: recent meetings, ``m-9004-2`` next week, open
                                           task ``task-9004-1``, score rising 60 → 81.
9005    Globex enterprise rollout   101    240 activities over six months (``*-9005-<n>``), contact
                                           c-93 is Chloe's (hidden from Ana), ``m-9005-noshow``,
                                           French ``n-9005-fr``, German ``n-9005-de``, prompt
                                           injection ``e-9005-inject``.
9006    Umbrella pilot              101    closed lost.
9007    Initech starter             102    closed won.
9008    Vandelay imports            104    shared with Ben (``hs_shared_user_ids``), not with Ana.
9009    Wingtip quick deal          102    no contact, no activity, created 10 days ago (actions
                                           17, 18).
======  ==========================  =====  =====================================================

Ana's day (guided actions): c-201 + lead ``l-1`` new (1, 2), ``call-201`` without outcome (8),
``m-201`` ended 2 h ago without outcome (6, 7), ``m-202`` starts in 30 min (12), ``task-201`` high
priority due today (13), c-202 re-engaged after lead ``l-2`` was disqualified (3), c-203 newly
assigned (1). Importer variety: epoch-ms times (``call-9001-1``, every 10th Globex note), v4
association rows (``m-9001-2``, ``n-9001-1``), duplicate association pairs (9001 → co-9).

Users: 100 Dana (super admin), 101 Ana, 102 Ben (reps, UK), 103 Chloe (manager, EMEA: sees UK),
104 Diego (rep, US), 105 Eve (rep, US, secondary team UK). ``demo-clinic`` has HIPAA mode on
(201 super admin, 202 rep; deals demo-clinic-1/-2); ``demo-off`` has Customer Analysis off (301
admin, 302 rep; deal demo-off-1).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from insights.crm import demo_texts as tx

CANARY = "BUDGETCANARY"
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
# activity type → (title property, body property) and the defaults every record of that type carries
FIELDS = {
    "email": ("hs_email_subject", "hs_email_text"),
    "call": ("hs_call_title", "hs_call_body"),
    "meeting": ("hs_meeting_title", "hs_meeting_body"),
    "note": (None, "hs_note_body"),
    "task": ("hs_task_subject", "hs_task_body"),
}
DEFAULTS = {
    "email": {"hs_email_direction": "EMAIL", "hs_email_status": "SENT"},
    "call": {
        "hs_call_status": "COMPLETED",
        "hs_call_disposition": "Connected",
        "hs_call_direction": "OUTBOUND",
        "hs_call_duration": "900000",
        "hs_call_source": "INTEGRATIONS_PLATFORM",
    },
    "meeting": {"hs_meeting_outcome": "COMPLETED"},
    "task": {"hs_task_status": "NOT_STARTED", "hs_task_priority": "MEDIUM", "hs_task_type": "TODO"},
}
ALIASES = {
    "frm": "hs_email_from_email",
    "to": "hs_email_to_email",
    "thread": "hs_email_thread_id",
    "outcome": "hs_meeting_outcome",
    "notes": "hs_internal_meeting_notes",
    "disposition": "hs_call_disposition",
    "priority": "hs_task_priority",
}
V4_TYPE_IDS = {"deals": 214, "contacts": 202, "companies": 190}  # note → object, HUBSPOT_DEFINED


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(t: datetime) -> str:
    return str(int(t.timestamp() * 1000))


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
DEAL_PROPS = {
    "9001": {"hs_next_step": "Send the revised order form", "hs_deal_score": "68"},
    "9002": {"hs_deal_score": "55"},
    "9004": {"hs_deal_score": "81", "hs_next_step": "Legal review of the MSA"},
    "9005": {"hs_deal_score": "62"},
    "9008": {"hs_shared_user_ids": "102"},
}
# (type, id, owner, days ago (negative: future), links, title, extras); bodies in demo_texts.BODY
ACTIVITIES = [
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


class _Doc:
    """Builds one import document; every property value is a string, as the CRM sends them."""

    def __init__(self, account: dict[str, Any], now: datetime) -> None:
        self.now = now
        self.doc: dict[str, Any] = {"account": account, "pipelines": [pipeline()]}

    def at(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def ago(self, days: float) -> str:
        return _iso(self.at(days))

    def add(
        self,
        key: str,
        rid: str,
        props: dict[str, Any],
        links: str = "",
        created: float = 60,
        v4: bool = False,
    ) -> dict[str, Any]:
        """Append a record; ``links`` is ``"deals:9001 contacts:c-51"``; ``v4`` writes v4 association rows."""
        assoc: dict[str, list[str]] = {}
        for link in links.split():
            k, i = link.split(":", 1)
            assoc.setdefault(k, []).append(i)
        rows: dict[str, Any] = {}
        for k, ids in assoc.items():
            if v4:
                kind = [{"category": "HUBSPOT_DEFINED", "typeId": V4_TYPE_IDS.get(k, 1), "label": None}]
                rows[k] = [
                    {"toObjectId": int(i) if i.isdigit() else i, "associationTypes": kind} for i in ids
                ]
            else:
                rows[k] = {"results": [{"id": i, "type": f"{key[:-1]}_to_{k[:-1]}"} for i in ids]}
        record = {
            "id": rid,
            "properties": {k: str(v) for k, v in props.items() if v is not None},
            "createdAt": self.ago(max(created, 0)),
            "updatedAt": self.ago(max(min(created, 1), 0)),
            "archived": False,
            "associations": rows,
        }
        self.doc.setdefault(key, []).append(record)
        return record

    def contact(
        self, rid: str, name: str, domain: str, owner_id: str, company: str | None, **props: Any
    ) -> None:
        first, last = name.split(" ", 1)
        props = {"email": f"{first.lower()}@{domain}", "firstname": first, "lastname": last, **props}
        created = props.pop("created", 90)
        props["hubspot_owner_id"] = owner_id
        self.add("contacts", rid, props, f"companies:{company}" if company else "", created)

    def deal(
        self,
        rid: str,
        name: str,
        owner_id: str,
        stage: str,
        amount: int,
        close_in: float,
        contacts: str,
        companies: str,
        created: float = 90,
        **props: Any,
    ) -> dict[str, Any]:
        props = {
            "dealname": name,
            "pipeline": "default",
            "dealstage": stage,
            "amount": amount,
            "closedate": self.ago(-close_in),
            "createdate": self.ago(created),
            "hubspot_owner_id": owner_id,
            **props,
        }
        links = [f"contacts:{c}" for c in contacts.split()] + [f"companies:{c}" for c in companies.split()]
        return self.add("deals", rid, props, " ".join(links), created)

    def act(
        self,
        kind: str,
        rid: str,
        owner_id: str,
        days: float,
        links: str,
        title: str,
        body: str | None = None,
        **kw: Any,
    ) -> None:
        """One activity ``days`` ago; ``kw`` takes ALIASES, CRM property names and: ``ms`` (epoch-ms time),
        ``v4`` (v4 rows), ``minutes`` (meeting length), ``buyer`` (incoming from) / ``to`` (sent to),
        ``opened`` (first opened, days ago)."""
        start = self.at(days)
        ms, v4, minutes = kw.pop("ms", False), kw.pop("v4", False), kw.pop("minutes", 45)
        title_prop, body_prop = FIELDS[kind]
        props: dict[str, Any] = {
            "hs_timestamp": _ms(start) if ms else _iso(start),
            "hubspot_owner_id": owner_id,
        }
        props |= DEFAULTS.get(kind, {})
        if title_prop:
            props[title_prop] = title
        props[body_prop] = body if body is not None else tx.BODY.get(rid)
        if kind == "meeting":
            props["hs_meeting_start_time"] = _iso(start)
            props["hs_meeting_end_time"] = _iso(start + timedelta(minutes=minutes))
        mine = next((o["email"] for o in self.doc.get("owners", []) if o["id"] == owner_id), None)
        if "buyer" in kw:
            buyer = kw.pop("buyer")
            props |= {"hs_email_direction": "INCOMING_EMAIL", "hs_email_to_email": mine}
            props["hs_email_from_email"] = EMAIL_OF.get(buyer, buyer)
        if "to" in kw:
            to = kw.pop("to")
            props |= {"hs_email_from_email": mine, "hs_email_to_email": EMAIL_OF.get(to, to)}
        if "opened" in kw:
            props["hs_email_first_opened_at"] = self.ago(kw.pop("opened"))
        props |= {ALIASES.get(k, k): v for k, v in kw.items()}
        self.add(f"{kind}s", rid, props, links, max(days, 0), v4)

    def history(self, deal: str, prop: str, points: list[tuple[float, str]]) -> None:
        """``propertiesWithHistory`` on a story deal: ``[(days ago, value), ...]``."""
        record = next(r for r in self.doc["deals"] if r["id"] == deal)
        entries = [{"value": v, "timestamp": self.ago(days)} for days, v in points]
        record.setdefault("propertiesWithHistory", {})[prop] = entries

    def scores(self, deal: str, points: list[tuple[float, int]]) -> None:
        """Imported deal-score points (ours): ``[(days ago, score), ...]``."""
        rows = [
            {"dealId": deal, "value": v, "timestamp": _iso(self.at(d) + timedelta(hours=6))}
            for d, v in points
        ]
        self.doc.setdefault("deal_score_history", []).extend(rows)


def _people(d: _Doc) -> None:
    d.doc["teams"] = [
        {"id": "t-sales", "name": "Sales", "parentTeamId": None},
        {"id": "t-emea", "name": "EMEA", "parentTeamId": "t-sales"},
        {"id": "t-uk", "name": "UK", "parentTeamId": "t-emea"},
        {"id": "t-us", "name": "US", "parentTeamId": "t-sales"},
    ]
    d.doc["permission_sets"] = [
        {"id": "rep", "name": "Sales rep", "scopes": REP, "unassigned": ["company", "contact"]},
        {
            "id": "manager",
            "name": "Sales manager",
            "scopes": dict.fromkeys(REP, "team"),
            "unassigned": ["company"],
        },
        {"id": "admin", "name": "Administrator", "scopes": dict.fromkeys(REP, "all"), "unassigned": []},
    ]
    d.doc["owners"] = [
        owner("100", "Dana", "Admin", "admin", [("t-sales", True)], "America/New_York"),
        owner("101", "Ana", "Ruiz", "rep", [("t-uk", True)], "Europe/London"),
        owner("102", "Ben", "Okafor", "rep", [("t-uk", True)], "Europe/London"),
        owner("103", "Chloe", "Martin", "manager", [("t-emea", True)], "Europe/Paris"),
        owner("104", "Diego", "Silva", "rep", [("t-us", True)], "America/Chicago"),
        owner("105", "Eve", "Park", "rep", [("t-us", True), ("t-uk", False)], "America/Los_Angeles"),
    ]


def _stories(d: _Doc) -> None:
    for rid, name, domain, owner_id, industry, target in COMPANIES:
        props = {"name": name, "domain": domain, "hubspot_owner_id": owner_id, "industry": industry}
        d.add("companies", rid, props | {"hs_is_target_account": target}, created=120)
    for rid, name, domain, owner_id, company, title in CONTACTS:
        d.contact(rid, name, domain, owner_id, company, jobtitle=title, lifecyclestage="opportunity")
    for rid, *fields, created in DEALS:
        d.deal(rid, *fields, created=created, **DEAL_PROPS.get(rid, {}))
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


def _globex(d: _Doc) -> None:
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


def _day_of_ana(d: _Doc) -> None:
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


def demo_account(now: datetime) -> dict[str, Any]:
    """The main demo account (``demo``) as one import document."""
    settings = {"customer_analysis_enabled": True, "hipaa_sensitive_data": False}
    d = _Doc({"id": "demo", "name": "Acme Demo", "settings": settings}, now)
    _people(d)
    _stories(d)
    _globex(d)
    _day_of_ana(d)
    return d.doc


def _small(now: datetime, account_id: str, name: str, hipaa: bool, analysis: bool, first_user: int) -> _Doc:
    settings = {"customer_analysis_enabled": analysis, "hipaa_sensitive_data": hipaa}
    d = _Doc({"id": account_id, "name": name, "settings": settings}, now)
    d.doc["permission_sets"] = [{"id": "rep", "name": "Sales rep", "scopes": REP, "unassigned": ["company"]}]
    admin, rep = str(first_user), str(first_user + 1)
    d.doc["owners"] = [
        owner(admin, "Admin", name, "rep", [], "UTC", f"admin@{account_id}.example") | {"superAdmin": True},
        owner(rep, "Rep", name, "rep", [], "UTC", f"rep@{account_id}.example"),
    ]
    on = f"deals:{account_id}-1"
    d.deal(f"{account_id}-1", f"{name} renewal", rep, "qualifiedtobuy", 15000, -3, "", "")
    d.act("meeting", f"{account_id}-m1", rep, 30, on, "Quarterly review", outcome="NO_SHOW")
    d.act("call", f"{account_id}-c1", rep, 25, on, "Follow-up", hs_call_status="NO_ANSWER", disposition=None)
    return d


def demo_accounts(now: datetime) -> list[dict[str, Any]]:
    """The demo account plus one in HIPAA mode (``demo-clinic``) and one with Customer Analysis off."""
    clinic = _small(now, "demo-clinic", "Clinic", hipaa=True, analysis=True, first_user=201)
    props = {
        "name": "Riverside Clinic",
        "domain": "riverside.example",
        "industry": "Healthcare",
        "hubspot_owner_id": "202",
    }
    clinic.add("companies", "demo-clinic-co1", props, created=120)
    clinic.contact("demo-clinic-p1", "Grace Hill", "riverside.example", "202", "demo-clinic-co1")
    clinic.deal(
        "demo-clinic-2",
        "Riverside scheduling",
        "202",
        "presentationscheduled",
        24000,
        30,
        "demo-clinic-p1",
        "demo-clinic-co1",
    )
    on, grace = "deals:demo-clinic-2", "contacts:demo-clinic-p1"
    clinic.act("note", "demo-clinic-n2", "202", 4, on, "")
    clinic.act(
        "email", "demo-clinic-e2", "202", 2, grace, "Patient reminders", buyer="grace@riverside.example"
    )
    clinic.act("meeting", "demo-clinic-m2", "202", -2, on, "Front desk demo", outcome="SCHEDULED")
    off = _small(now, "demo-off", "Offco", hipaa=False, analysis=False, first_user=301)
    return [demo_account(now), clinic.doc, off.doc]
