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

Ana's day (guided actions; told relative to the moment the demo starts, the rest to that day's
noon UTC): c-201 + lead ``l-1`` new (1, 2), ``call-201`` without outcome (8),
``m-201`` ended 2 h ago without outcome (6, 7), ``m-202`` starts in 30 min (12), ``task-201`` high
priority due today (13), c-202 re-engaged after lead ``l-2`` was disqualified (3), c-203 newly
assigned (1). Importer variety: epoch-ms times (``call-9001-1``, every 10th Globex note), v4
association rows (``m-9001-2``, ``n-9001-1``), duplicate association pairs (9001 → co-9).

Health (``demo_health.py``, profile ``demo-health``, a month of daily snapshots): co-9, co-12,
co-13 Good; Contoso co-10 slid to Neutral as 9002's score fell (an alert for Ana); Fabrikam co-11
At risk (deal 9003 gets ``company_at_risk``). Companies carry a ``renewal_date`` property.

Users: 100 Dana (super admin), 101 Ana, 102 Ben (reps, UK), 103 Chloe (manager, EMEA: sees UK),
104 Diego (rep, US), 105 Eve (rep, US, secondary team UK). ``demo-clinic`` has HIPAA mode on
(201 super admin, 202 rep; deals demo-clinic-1/-2); ``demo-off`` has Customer Analysis off (301
admin, 302 rep; deal demo-off-1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from insights.crm import demo_texts as tx
from insights.crm.demo_health import renewals
from insights.crm.demo_people import REP, STAGES, owner, people, pipeline
from insights.crm.demo_stories import CANARY, EMAIL_OF, day_of_ana, globex, stories

# tests, evals and the generator import these from here
__all__ = [
    "CANARY",
    "REP",
    "STAGES",
    "demo_account",
    "demo_accounts",
    "demo_accounts_started",
    "demo_anchor",
    "pipeline",
]

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


def demo_account(now: datetime, started: datetime | None = None) -> dict[str, Any]:
    """The main demo account (``demo``) as one import document. The deal stories are told relative
    to ``now``; Ana's day (meetings in the next hour, outcomes due, tasks due today) relative to
    ``started``, the moment the demo starts (default ``now``), so that it holds at any hour."""
    settings = {"customer_analysis_enabled": True, "hipaa_sensitive_data": False}
    d = _Doc({"id": "demo", "name": "Acme Demo", "settings": settings}, now)
    d.doc |= people()
    stories(d)
    globex(d)
    d.now = started or now
    day_of_ana(d)
    d.now = now
    renewals(d.doc, now)
    return d.doc


def demo_anchor(started: datetime) -> datetime:
    """The day-level stories' clock for a demo started at ``started``: the latest noon UTC at or
    before it (stable through a day, so reloading changes nothing; never after the start, so no
    story meant as past lies in the future)."""
    noon = started.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= started else noon - timedelta(days=1)


def demo_accounts_started(started: datetime) -> list[dict[str, Any]]:
    """What ``insights demo`` loads when started at ``started``."""
    return demo_accounts(demo_anchor(started), started)


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


def demo_accounts(now: datetime, started: datetime | None = None) -> list[dict[str, Any]]:
    """The demo account plus one in HIPAA mode (``demo-clinic``) and one with Customer Analysis off.
    ``started``: the clock of Ana's time-sensitive day (see ``demo_account``)."""
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
    return [demo_account(now, started), clinic.doc, off.doc]
