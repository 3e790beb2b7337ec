"""The account behind the service-level permission property, as plain data.

A ``Plan`` (drawn by hypothesis, printed when the property fails) says who and what exists and which
steps follow; a ``World`` is one deployment's copy of it with its own canaries and addresses. The
world writes the import documents that create and change the account, and says, with the reference
predicate of ``insights.permissions.reference``, what one viewer may see at this moment. What that
reference does not model (archival, permission sets, addresses) is restated here from
spec/permissions.md and spec/crm-model.md, never taken from the product's code.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from insights.crm.demo import pipeline
from insights.permissions.reference import RefAccount, RefUser, admits, deal_visible
from tests.service.promise_plan import ACTIVITY_TYPES, TYPES, ActivityPlan, Plan, UserPlan

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_serial = itertools.count(1)  # canaries and addresses never repeat, not even across examples
CANARY_RE = re.compile(r"CNRY[A-Z]\d+X")
ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
TITLE = {
    "email": "hs_email_subject",
    "call": "hs_call_title",
    "meeting": "hs_meeting_title",
    "task": "hs_task_subject",
}
BODY = {
    "email": "hs_email_text",
    "call": "hs_call_body",
    "meeting": "hs_meeting_body",
    "note": "hs_note_body",
}
BODY["task"] = "hs_task_body"
PLURAL = {"deal": "deals", "contact": "contacts", "company": "companies"}


@dataclass
class View:
    """What one viewer may see at one moment: canaries, addresses, activities, records."""

    tokens: set[str]
    addresses: set[str]
    activities: set[str]
    records: set[tuple[str, str]]
    count: int = 0  # visible past timeline activities (spec rule 5)


class World:
    """One deployment's account: the plan's structure with canaries and addresses of its own."""

    def __init__(self, plan: Plan, tag: str, portal: str) -> None:
        self.tag, self.portal, self.key = tag, portal, f"{tag.lower()}{next(_serial)}"
        self.token_of: dict[str, str] = {}  # canary → what carries it
        self.address_of: dict[str, str] = {}
        self.teams = dict(plan.team_parent)
        self.psets = {k: (dict(s), list(u)) for k, (s, u) in plan.psets.items()}
        self.users = {
            k: UserPlan(u.pset, dict(u.override), dict(u.teams), u.super_admin) for k, u in plan.users.items()
        }
        self.user_email = {u: self._address(f"{u}.{self.key}@sales.example", f"user {u}") for u in self.users}
        self.deal_owner = {d: o for d, (o, _) in plan.deals.items()}
        self.shares = {d: set(s) for d, (_, s) in plan.deals.items()}
        self.contact_owner = dict(plan.contacts)
        self.company_owner = dict(plan.companies)
        self.deal_contacts, self.deal_companies = set(plan.deal_contacts), set(plan.deal_companies)
        self.texts: dict[tuple[str, str], dict[str, str]] = {}
        for d in self.deal_owner:
            self.texts[("deal", d)] = {"dealname": self._canary(f"deal {d} name")}
        self.contact_email: dict[str, str] = {}
        for c in self.contact_owner:
            self.texts[("contact", c)] = {
                "firstname": self._canary(f"contact {c} first name"),
                "lastname": self._canary(f"contact {c} last name"),
            }
            self.new_address(c)
        for c in self.company_owner:
            self.texts[("company", c)] = {"name": self._canary(f"company {c} name")}
        self.acts: dict[str, dict[str, Any]] = {}
        self.links: set[tuple[str, str, str]] = set()
        for aid, a in plan.activities.items():
            self.acts[aid] = {
                "type": a.type,
                "owner": a.owner,
                "archived": False,
                "props": self._props(aid, a),
            }
            self.acts[aid]["at"] = NOW - timedelta(hours=a.hours_ago)
            self.links |= {(aid, k, o) for k, o in a.links}

    # -- canaries and addresses ------------------------------------------------------------------
    def _canary(self, what: str) -> str:
        token = f"CNRY{self.tag}{next(_serial)}X"
        self.token_of[token] = what
        return token

    def _address(self, address: str, whose: str) -> str:
        self.address_of[address] = whose
        return address

    def new_address(self, contact: str) -> str:
        if old := self.contact_email.get(contact):
            self.address_of[old] = f"contact {contact}'s former address"
        self.contact_email[contact] = self._address(
            f"{contact}.{self.tag.lower()}{next(_serial)}@buyer.example", f"contact {contact}"
        )
        return self.contact_email[contact]

    def ref_address(self, ref: str) -> str:
        if ref in self.users:
            return self.user_email[ref]
        if ref in self.contact_email:
            return self.contact_email[ref]
        return self._address(f"{ref}.{self.key}@elsewhere.example", "a stranger")

    def _props(self, aid: str, a: ActivityPlan) -> dict[str, str]:
        at = NOW - timedelta(hours=a.hours_ago)
        mentions = " ".join(self.ref_address(r) for r in a.mentions)
        p = {"hs_timestamp": at.isoformat()}
        if a.type in TITLE:
            p[TITLE[a.type]] = self._canary(f"{a.type} {aid} title")
        body = self._canary(f"{a.type} {aid} body")  # alone on the first line: a note's title is that line
        p[BODY[a.type]] = f"{body}\nwith {mentions} and more" if mentions else body
        v = a.variant
        if a.type == "email":
            me, peer = self.user_email[a.me], self.ref_address(a.peer)
            incoming = v % 2 == 1
            p |= {
                "hs_email_direction": "INCOMING_EMAIL" if incoming else "EMAIL",
                "hs_email_from_email": peer if incoming else me,
                "hs_email_to_email": me if incoming else peer,
                "hs_email_thread_id": f"th{(v >> 1) % 2}",
            }
            if not incoming and v & 4:
                p["hs_email_first_opened_at"] = (NOW - timedelta(days=8)).isoformat()
        elif a.type == "call":
            p |= {
                "hs_call_status": "COMPLETED" if v % 2 else "",
                "hs_call_disposition": "" if v & 2 else "Connected",
            }
        elif a.type == "meeting":
            p |= {
                "hs_meeting_start_time": at.isoformat(),
                "hs_meeting_end_time": (at + timedelta(hours=1)).isoformat(),
                "hs_internal_meeting_notes": self._canary(f"meeting {aid} internal notes"),
            }
            if v % 3:
                p["hs_meeting_outcome"] = ("SCHEDULED", "COMPLETED")[v % 3 - 1]
        elif a.type == "task":
            p |= {
                "hs_task_status": "COMPLETED" if v & 4 else "NOT_STARTED",
                "hs_task_priority": "HIGH" if v & 2 else "LOW",
                "hs_task_type": "TODO",
            }
        return p

    # -- import documents ------------------------------------------------------------------------
    def document(self, **arrays: list[dict[str, Any]]) -> dict[str, Any]:
        settings = {"customer_analysis_enabled": True, "hipaa_sensitive_data": False}
        return {"account": {"id": self.portal, "name": "Promise", "settings": settings}, **arrays}

    def initial_document(self) -> dict[str, Any]:
        return self.document(
            teams=[self.team_record(t) for t in self.teams],
            permission_sets=[self.pset_record(p) for p in self.psets],
            owners=[self.user_record(u) for u in self.users],
            pipelines=[pipeline()],
            companies=[self.company_record(c) for c in self.company_owner],
            contacts=[self.contact_record(c) for c in self.contact_owner],
            deals=[self.deal_record(d) for d in self.deal_owner],
            **{
                f"{t}s": [self.activity_record(a, True) for a, x in self.acts.items() if x["type"] == t]
                for t in ACTIVITY_TYPES
            },
        )

    def team_record(self, t: str) -> dict[str, Any]:
        return {"id": t, "name": t, "parentTeamId": self.teams[t]}

    def pset_record(self, p: str) -> dict[str, Any]:
        scopes, unassigned = self.psets[p]
        return {"id": p, "name": p, "scopes": dict(scopes), "unassigned": sorted(unassigned)}

    def user_record(self, u: str) -> dict[str, Any]:
        plan = self.users[u]
        return {
            "id": u,
            "email": self.user_email[u],
            "firstName": "User",
            "lastName": u,
            "permissionSetId": plan.pset,
            "scopes": dict(plan.override),
            "superAdmin": plan.super_admin,
            "timeZone": "UTC",
            "teams": [{"id": t, "name": t, "primary": p} for t, p in sorted(plan.teams.items())],
        }

    @staticmethod
    def _owner(o: str | None) -> dict[str, str]:
        return {} if o is None else {"hubspot_owner_id": o}

    @staticmethod
    def _assoc(targets: dict[str, list[str]]) -> dict[str, Any]:
        return {PLURAL[k]: {"results": [{"id": i} for i in sorted(v)]} for k, v in targets.items() if v}

    def deal_record(self, d: str) -> dict[str, Any]:
        props = {
            **self.texts[("deal", d)],
            **self._owner(self.deal_owner[d]),
            "pipeline": "default",
            "dealstage": "qualifiedtobuy",
            "amount": "10000",
            "createdate": (NOW - timedelta(days=30)).isoformat(),
            "closedate": (NOW + timedelta(days=20)).isoformat(),
            "hs_shared_user_ids": ";".join(sorted(i for k, i in self.shares[d] if k == "user")),
            "hs_shared_team_ids": ";".join(sorted(i for k, i in self.shares[d] if k == "team")),
        }
        contacts = [c for x, c in self.deal_contacts if x == d]
        companies = [c for x, c in self.deal_companies if x == d]
        return {
            "id": d,
            "properties": props,
            "associations": self._assoc({"contact": contacts, "company": companies}),
        }

    def contact_record(self, c: str, deals: tuple[str, ...] = ()) -> dict[str, Any]:
        props = {
            **self.texts[("contact", c)],
            **self._owner(self.contact_owner[c]),
            "email": self.contact_email[c],
        }
        return {
            "id": c,
            "properties": props | {"lifecyclestage": "lead"},
            "associations": self._assoc({"deal": list(deals)}),
        }

    def company_record(self, c: str, deals: tuple[str, ...] = ()) -> dict[str, Any]:
        props = {**self.texts[("company", c)], **self._owner(self.company_owner[c])}
        return {"id": c, "properties": props, "associations": self._assoc({"deal": list(deals)})}

    def activity_record(self, aid: str, with_links: bool) -> dict[str, Any]:
        a = self.acts[aid]
        record: dict[str, Any] = {"id": aid, "properties": {**a["props"], **self._owner(a["owner"])}}
        if a["archived"]:
            record["archived"] = True
        if with_links:  # an export may repeat an activity without its association rows
            targets: dict[str, list[str]] = {}
            for x, k, o in self.links:
                if x == aid:
                    targets.setdefault(k, []).append(o)
            record["associations"] = self._assoc(targets)
        return record

    # -- the steps that change the account --------------------------------------------------------
    def apply(self, step: tuple[Any, ...]) -> dict[str, Any]:
        """Change this world as the step says; returns the import document that makes the change."""
        kind, *args = step
        if kind in ("act_owner", "archive"):
            aid, with_links = args[0], args[-1]
            if kind == "act_owner":
                self.acts[aid]["owner"] = args[1]
            else:
                self.acts[aid]["archived"] = True
            return self.document(**{f"{self.acts[aid]['type']}s": [self.activity_record(aid, with_links)]})
        if kind == "link":
            aid, target, oid = args
            self.links.add((aid, target, oid))
            return self.document(**{f"{self.acts[aid]['type']}s": [self.activity_record(aid, True)]})
        if kind == "deal_owner":
            self.deal_owner[args[0]] = args[1]
            return self.document(deals=[self.deal_record(args[0])])
        if kind == "share":
            self.shares[args[0]] = set(args[1])
            return self.document(deals=[self.deal_record(args[0])])
        if kind == "contact_owner":
            self.contact_owner[args[0]] = args[1]
            return self.document(contacts=[self.contact_record(args[0])])
        if kind == "address":
            self.new_address(args[0])
            return self.document(contacts=[self.contact_record(args[0])])
        if kind == "company_owner":
            self.company_owner[args[0]] = args[1]
            return self.document(companies=[self.company_record(args[0])])
        if kind in ("deal_contact", "deal_company"):
            d, other, from_other_side = args
            what = kind.removeprefix("deal_")
            (self.deal_contacts if what == "contact" else self.deal_companies).add((d, other))
            if from_other_side:  # the association given on the contact's (company's) record
                record = (self.contact_record if what == "contact" else self.company_record)(other, (d,))
                return self.document(**{PLURAL[what]: [record]})
            return self.document(deals=[self.deal_record(d)])
        if kind == "pset_scope":
            p, t, scope, unassigned = args
            scopes, flags = self.psets[p]
            scopes[t] = scope
            self.psets[p] = (scopes, sorted((set(flags) | {t}) if unassigned else (set(flags) - {t})))
            return self.document(permission_sets=[self.pset_record(p)])
        if kind in ("user_scope", "super", "teams"):
            u = self.users[args[0]]
            if kind == "user_scope":
                t, scope = args[1], args[2]
                if scope is None:
                    u.override.pop(t, None)
                else:
                    u.override[t] = scope
            elif kind == "super":
                u.super_admin = args[1]
            else:
                u.teams = dict(args[1])
            return self.document(owners=[self.user_record(args[0])])
        if kind == "team_parent":
            self.teams[args[0]] = args[1]
            return self.document(teams=[self.team_record(args[0])])
        raise ValueError(f"unknown step {step!r}")

    # -- what the reference says one viewer may see now -------------------------------------------
    def ref(self) -> RefAccount:
        users = {}
        for uid, u in self.users.items():
            base, unassigned = self.psets[u.pset]
            scopes = {t: u.override.get(t, base.get(t, "none")) for t in TYPES}
            users[uid] = RefUser(uid, scopes, set(unassigned), set(u.teams), u.super_admin)
        live = {a: (x["type"], x["owner"], x["at"]) for a, x in self.acts.items() if not x["archived"]}
        return RefAccount(
            users=users,
            team_parent=dict(self.teams),
            deal_owner=dict(self.deal_owner),
            deal_shares={d: set(s) for d, s in self.shares.items()},
            contact_owner=dict(self.contact_owner),
            company_owner=dict(self.company_owner),
            deal_contacts=set(self.deal_contacts),
            deal_companies=set(self.deal_companies),
            activities=live,
            links={x for x in self.links if x[0] in live},
        )

    def _tokens(self, kind: str, rid: str) -> set[str]:
        if kind in ACTIVITY_TYPES:
            props = self.acts[rid]["props"]
            return {t for v in props.values() for t in CANARY_RE.findall(v)}
        return set(self.texts[(kind, rid)].values())

    def _addresses(self, acct: RefAccount, viewer: RefUser) -> set[str]:
        """Rule 6: users' addresses and those of contacts the viewer may read stay; others are hidden."""
        readable = {c for c, o in acct.contact_owner.items() if admits(acct, viewer, "contact", o)}
        return set(self.user_email.values()) | {self.contact_email[c] for c in readable}

    def insight_view(self, uid: str, deal: str) -> View | None:
        """Rules 1–6: the deal, its readable contacts and companies, activities by type scope and path."""
        acct = self.ref()
        viewer = acct.users[uid]
        if not deal_visible(acct, viewer, deal):
            return None
        contacts = {
            c
            for d, c in acct.deal_contacts
            if d == deal and admits(acct, viewer, "contact", acct.contact_owner[c])
        }
        companies = {
            c
            for d, c in acct.deal_companies
            if d == deal and admits(acct, viewer, "company", acct.company_owner[c])
        }
        reach = {("deal", deal)} | {("contact", c) for c in contacts} | {("company", c) for c in companies}
        acts = {
            a
            for a, (kind, owner, _) in acct.activities.items()
            if admits(acct, viewer, kind, owner) and any((k, o) in reach for x, k, o in acct.links if x == a)
        }
        records = {("deal", deal)} | {("contact", c) for c in contacts} | {("company", c) for c in companies}
        records |= {(acct.activities[a][0], a) for a in acts}
        count = sum(1 for a in acts if acct.activities[a][0] != "task" and acct.activities[a][2] <= NOW)
        tokens = {t for k, r in records for t in self._tokens(k, r)}
        return View(tokens, self._addresses(acct, viewer), acts, records, count)

    def readable_view(self, uid: str) -> View:
        """Rule 8 (guided actions): every record and activity the user may read, by its own scope."""
        acct = self.ref()
        viewer = acct.users[uid]
        records = {("deal", d) for d in acct.deal_owner if deal_visible(acct, viewer, d)}
        records |= {
            ("contact", c) for c, o in acct.contact_owner.items() if admits(acct, viewer, "contact", o)
        }
        records |= {
            ("company", c) for c, o in acct.company_owner.items() if admits(acct, viewer, "company", o)
        }
        acts = {a for a, (kind, owner, _) in acct.activities.items() if admits(acct, viewer, kind, owner)}
        records |= {(acct.activities[a][0], a) for a in acts}
        tokens = {t for k, r in records for t in self._tokens(k, r)}
        return View(tokens, self._addresses(acct, viewer), acts, records)

    def leaks(self, text: str, view: View) -> list[str]:
        """Canaries and addresses in ``text`` that ``view`` does not allow, each with its owner."""
        out = [
            f"{t} ({self.token_of.get(t, 'not of this deployment')})"
            for t in sorted(set(CANARY_RE.findall(text)) - view.tokens)
        ]
        found = {a.lower() for a in ADDRESS_RE.findall(text)}
        out += [
            f"{a} ({self.address_of.get(a, 'not of this deployment')})"
            for a in sorted(found - view.addresses)
        ]
        return out
