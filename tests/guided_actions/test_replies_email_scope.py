"""Rules 5 and 9 for a rep whose email scope is ``owned`` (OTHER: every type ``owned``). Their
statement is then driven from the rep's own reply emails (the owner index), not from the contacts'
links: a reply someone else owns, nobody owns, or that lies ahead of the clock starts nothing,
exactly as when the contacts drive it (the scope ``all`` of the other rule tests)."""

from __future__ import annotations

from tests.guided_actions.helpers import ME, OTHER, of

TO_OTHER = "other@acme.example"


def thread(w, cid: str, reply_owner: str | None, days: float = 1) -> None:  # type: ignore[no-untyped-def]
    """OTHER's contact ``cid``: OTHER wrote 3 days ago, the contact replied ``days`` ago to OTHER,
    the reply owned by ``reply_owner``."""
    w.contact(cid, owner=OTHER)
    w.email(f"out-{cid}", 3, {"contact": [cid]}, thread=f"t-{cid}", owner_id=OTHER)
    w.email(
        f"in-{cid}",
        days,
        {"contact": [cid]},
        incoming=True,
        thread=f"t-{cid}",
        to=TO_OTHER,
        owner_id=reply_owner,
    )


async def test_only_the_reps_own_past_replies_start_rules_5_and_9(w) -> None:
    thread(w, "c1", OTHER)  # the rep's own reply: both rules
    thread(w, "c2", ME)  # a colleague's reply: hidden by the email scope
    thread(w, "c3", None)  # nobody's reply: ``owned`` admits no unassigned email
    thread(w, "c4", OTHER, days=-1)  # a reply ahead of the clock
    found = await w.run(user=OTHER)
    assert of(5, found) == ["c1"] and of(9, found) == ["c1"]
    assert [a.trigger_key for a in await w.actions(5, OTHER)] == ["in-c1"]
    assert [a.trigger_key for a in await w.actions(9, OTHER)] == ["in-c1"]


async def test_the_same_replies_for_a_rep_who_may_read_every_email(w) -> None:
    """ME (scope ``all``) owning the same contacts and sending the same emails: the colleague's and
    the unassigned replies now count; the future one still does not."""
    for cid, owner, days in (("c1", ME, 1), ("c2", OTHER, 1), ("c3", None, 1), ("c4", ME, -1)):
        w.contact(cid, owner=ME)
        w.email(f"out-{cid}", 3, {"contact": [cid]}, thread=f"t-{cid}")
        w.email(f"in-{cid}", days, {"contact": [cid]}, incoming=True, thread=f"t-{cid}", owner_id=owner)
    found = await w.run()
    assert of(5, found) == ["c1", "c2", "c3"] and of(9, found) == ["c1", "c2", "c3"]
