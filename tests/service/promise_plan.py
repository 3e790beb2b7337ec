"""The plan of one example of the permission property: who and what exists, then the steps.

Drawn by hypothesis (``plans``) and printed with a failing example (``Plan.describe``). Plain data:
``promise_model.World`` turns it into canaries, addresses and import documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

TYPES = ("deal", "contact", "company", "lead", "task", "email", "call", "meeting", "note")
ACTIVITY_TYPES = ("email", "call", "meeting", "note", "task")
SCOPES = ("all", "team", "owned", "none")
PAST_HOURS = (2, 26, 72, 216)
FUTURE_HOURS = (-0.5, -2, -48)  # meetings and tasks only: upcoming signals, rule 12, rule 13


@dataclass
class UserPlan:
    pset: str
    override: dict[str, str]  # user-level scopes, type by type (crm-model.md)
    teams: dict[str, bool]  # team → primary
    super_admin: bool = False


@dataclass
class ActivityPlan:
    type: str
    owner: str | None
    hours_ago: float  # negative: in the future
    links: list[tuple[str, str]]
    mentions: list[str]  # address refs named in the body: contact id, user id or "s<n>" (a stranger)
    peer: str  # an email's other side (address ref)
    me: str  # an email's side in the account (user id)
    variant: int  # direction, status and outcome bits


@dataclass
class Plan:
    team_parent: dict[str, str | None]
    psets: dict[str, tuple[dict[str, str], list[str]]]
    users: dict[str, UserPlan]
    deals: dict[str, tuple[str | None, list[tuple[str, str]]]]  # owner, shares
    contacts: dict[str, str | None]
    companies: dict[str, str | None]
    deal_contacts: list[tuple[str, str]]
    deal_companies: list[tuple[str, str]]
    activities: dict[str, ActivityPlan]
    steps: list[tuple[Any, ...]] = field(default_factory=list)

    def describe(self) -> str:
        """The plan in a few lines (hypothesis prints it with a failing example)."""
        short = {"all": "A", "team": "T", "owned": "O", "none": "-"}
        lines = [f"teams (parent): {self.team_parent}"]
        for p, (scopes, flags) in self.psets.items():
            lines.append(
                f"{p}: " + " ".join(f"{t}={short[v]}" for t, v in scopes.items()) + f" unassigned={flags}"
            )
        for u, x in self.users.items():
            lines.append(
                f"{u}: {x.pset} override={x.override} teams={x.teams}"
                + (" SUPER ADMIN" if x.super_admin else "")
            )
        lines.append(f"deals (owner, shares): {self.deals}")
        lines.append(f"contacts (owner): {self.contacts}; companies (owner): {self.companies}")
        lines.append(f"deal_contacts: {self.deal_contacts}; deal_companies: {self.deal_companies}")
        for aid, a in self.activities.items():
            lines.append(
                f"{aid}: {a.type} owner={a.owner} {-a.hours_ago:+g}h links={a.links} mentions={a.mentions}"
                f" peer={a.peer} me={a.me} variant={a.variant}"
            )
        lines += [f"step {n}: {s}" for n, s in enumerate(self.steps)]
        return "\n".join(lines)


# -- the account and the steps ------------------------------------------------------------------
@st.composite
def plans(draw: st.DrawFn, deployments: int = 1) -> Plan:
    teams = [f"t{i}" for i in range(draw(st.integers(0, 3)))]
    parent = {t: draw(st.sampled_from([None, *teams[:i]])) for i, t in enumerate(teams)}
    scope = st.sampled_from(SCOPES)
    # lists made into sets and dicts here, not unique=True: filters make shrinking retry and fail
    flags = st.lists(st.sampled_from(TYPES), max_size=3).map(lambda xs: sorted(set(xs)))
    psets = {
        f"ps{i}": (draw(st.fixed_dictionaries(dict.fromkeys(TYPES, scope))), draw(flags))
        for i in range(draw(st.integers(1, 2)))
    }
    memberships = (
        st.lists(st.tuples(st.sampled_from(teams), st.booleans()), max_size=2).map(dict)
        if teams
        else st.just({})
    )
    users = {
        f"u{i}": UserPlan(
            pset=draw(st.sampled_from(sorted(psets))),
            override=draw(st.lists(st.tuples(st.sampled_from(TYPES), scope), max_size=2).map(dict)),
            teams=draw(memberships),
            super_admin=draw(st.integers(0, 9)) == 0,
        )
        for i in range(draw(st.integers(1, 4)))
    }
    owner = st.sampled_from([*users, None, "ghost"])  # "ghost" owns records but is no user
    shares = st.lists(
        st.sampled_from([("user", u) for u in users] + [("team", t) for t in teams]), max_size=2
    )
    deals = {f"d{i}": (draw(owner), draw(shares)) for i in range(draw(st.integers(1, 3)))}
    contacts = {f"c{i}": draw(owner) for i in range(draw(st.integers(0, 4)))}
    companies = {f"co{i}": draw(owner) for i in range(draw(st.integers(0, 2)))}

    def pairs(others: dict[str, Any]) -> list[tuple[str, str]]:
        return [(d, o) for d in deals for o in others if draw(st.booleans())]

    deal_contacts, deal_companies = pairs(contacts), pairs(companies)

    objects = [("deal", d) for d in deals] + [("contact", c) for c in contacts]
    objects += [("company", c) for c in companies]
    refs = st.sampled_from([*contacts, *users, "s0", "s1"])  # s0, s1: addresses of no contact
    activities = {}
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(ACTIVITY_TYPES))
        hours = PAST_HOURS + (FUTURE_HOURS if kind in ("meeting", "task") else ())
        who, peer = draw(owner), draw(refs)
        links = list(dict.fromkeys(draw(st.lists(st.sampled_from(objects), min_size=1, max_size=2))))
        if kind == "email" and peer in contacts and ("contact", peer) not in links:
            links.append(("contact", peer))  # the CRM logs an email on the contact it went to or came from
        activities[f"a{i}"] = ActivityPlan(
            type=kind,
            owner=who,
            hours_ago=draw(st.sampled_from(hours)),
            links=links,
            mentions=draw(st.lists(refs, max_size=3)),
            peer=peer,
            me=who if who in users else draw(st.sampled_from(sorted(users))),  # the rep's own mailbox
            variant=draw(st.integers(0, 7)),
        )

    def step(name: str, *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
        return st.tuples(st.just(name), *parts)

    of = lambda xs: st.sampled_from(sorted(xs))  # noqa: E731
    dep = st.integers(0, deployments - 1)
    ask = st.one_of(step("ask", of(users), of(deals), dep), step("ask_all", of(deals), dep))
    opening = draw(ask)  # an answer first, so that every change is checked against what is cached
    # Changes lean on what that first answer was built from: those are the records that can go stale.
    focus = opening[2] if opening[0] == "ask" else opening[1]
    reach = {("deal", focus)} | {("contact", c) for d, c in deal_contacts if d == focus}
    reach |= {("company", c) for d, c in deal_companies if d == focus}
    near_acts = {a for a, x in activities.items() if set(x.links) & reach}
    near_contacts = {c for k, c in reach if k == "contact"}
    near_contacts |= {
        r for a in near_acts for r in [*activities[a].mentions, activities[a].peer] if r in contacts
    }

    def near(close: set[str], every: dict[str, Any]) -> st.SearchStrategy[str]:
        return st.one_of(of(close), of(every)) if close else of(every)

    changes = [
        step("deal_owner", near({focus}, deals), owner),
        step("share", near({focus}, deals), shares),
        step("user_scope", of(users), of(TYPES), st.none() | scope),
        step("pset_scope", of(psets), of(TYPES), scope, st.booleans()),
        step("super", of(users), st.booleans()),
    ]
    if teams:
        changes.append(step("teams", of(users), memberships))
        changes.append(
            of(teams).flatmap(
                lambda t: step("team_parent", st.just(t), st.sampled_from([None, *teams[: teams.index(t)]]))
            )
        )
    if activities:
        act = near(near_acts, activities)
        changes.append(step("act_owner", act, owner, st.booleans()))
        changes.append(step("archive", act, st.booleans()))
        changes.append(st.tuples(act, st.sampled_from(objects)).map(lambda x: ("link", x[0], *x[1])))
    if contacts:
        contact = near(near_contacts, contacts)
        changes.append(step("contact_owner", contact, owner))
        changes.append(step("address", contact))
        changes.append(step("deal_contact", near({focus}, deals), of(contacts), st.booleans()))
    if companies:
        changes.append(step("company_owner", of(companies), owner))
        changes.append(step("deal_company", near({focus}, deals), of(companies), st.booleans()))
    change = st.one_of(*changes)
    steps = [opening] + draw(st.lists(st.one_of(ask, change, change), min_size=1, max_size=6))
    return Plan(
        parent, psets, users, deals, contacts, companies, deal_contacts, deal_companies, activities, steps
    )


# -- the known leaks of issue 10, always run first (``@example``): each failed on the code it was filed on
_ALL = dict.fromkeys(TYPES, "all")


def _case(steps: list[tuple[Any, ...]], **parts: Any) -> Plan:
    plan = Plan(
        team_parent={},
        psets={"ps0": (_ALL, [])},
        users={"u0": UserPlan("ps0", {}, {})},
        deals={"d0": ("u0", [])},
        contacts={},
        companies={},
        deal_contacts=[],
        deal_companies=[],
        activities={"a0": ActivityPlan("note", "u0", 26, [("deal", "d0")], [], "u0", "u0", 0)},
        steps=steps,
    )
    for name, value in parts.items():
        setattr(plan, name, value)
    return plan


def known_cases() -> list[Plan]:
    note_naming_c0 = {"a0": ActivityPlan("note", "u0", 26, [("deal", "d0")], ["c0"], "u0", "u0", 0)}
    return [
        # 1: u1 sees the same activities but not c0, whose address is in the note: no reuse of u0's
        _case(
            [("ask", "u0", "d0", 0), ("ask", "u1", "d0", 0)],
            users={"u0": UserPlan("ps0", {}, {}), "u1": UserPlan("ps0", {"contact": "none"}, {})},
            contacts={"c0": "u0"},
            activities=note_naming_c0,
        ),
        # 2: archived, then reassigned out of sight, without repeating its association rows
        _case([("ask", "u0", "d0", 0), ("archive", "a0", False)]),
        _case(
            [("ask", "u0", "d0", 0), ("act_owner", "a0", "ghost", False)],
            psets={"ps0": (_ALL | {"note": "owned"}, [])},
        ),
        # 3: a contact on no deal, named in the note, changes owner (and address)
        _case(
            [("ask", "u0", "d0", 0), ("contact_owner", "c0", "ghost"), ("address", "c0")],
            psets={"ps0": (_ALL | {"contact": "owned"}, [])},
            contacts={"c0": "u0"},
            activities=note_naming_c0,
        ),
        # 4: rule 10 on u0's own deal, about a reply from a contact u0 may not see
        _case(
            [("ask", "u0", "d0", 0)],
            psets={"ps0": (_ALL | {"contact": "owned"}, [])},
            contacts={"c0": "ghost"},
            deal_contacts=[("d0", "c0")],
            activities={"a0": ActivityPlan("email", "ghost", 26, [("contact", "c0")], [], "c0", "u0", 1)},
        ),
    ]
