"""Summaries count exactly the viewer's visible records: a rep, a manager, a super admin as a rep."""

from __future__ import annotations

from insights.health.recompute import recompute
from insights.health.service import record_detail, summary
from insights.permissions.viewer import load_viewer
from tests.health.helpers import ADMIN, MANAGER, MATE, NOW, OUTSIDER, REP, P, World, ago, crit

PROFILE = {
    "name": "Engagement",
    "criteria": [
        crit("meetings_last_n_days", [1], [0, 100], window_days=30),
        crit("calls_last_n_days", [1], [0, 100], window_days=30),
    ],
    "at_risk_below": 40,
    "good_from": 70,
}


async def _world(w: World) -> None:
    # REP: two Good, one At risk; MATE (REP's team): one Neutral; OUTSIDER: two Good
    for cid, owner, kinds in (
        ("r1", REP, "meeting call"),
        ("r2", REP, "meeting call"),
        ("r3", REP, ""),
        ("m1", MATE, "meeting"),
        ("o1", OUTSIDER, "meeting call"),
        ("o2", OUTSIDER, "meeting call"),
    ):
        w.company(cid, owner)
        for kind in kinds.split():
            w.act(kind, f"company:{cid}", ago(2), owner=OUTSIDER)  # activities the rep cannot see
    await w.save()
    await w.profile(**PROFILE)
    async with w.sm() as s:
        await recompute(s, P, NOW)
        await s.commit()


async def _shares(w: World, user: str) -> tuple[int, float | None, dict[str, tuple[int, float]]]:
    async with w.sm() as s:
        viewer = await load_viewer(s, P, user)
        assert viewer is not None
        from insights.health.profiles import profiles_of

        (profile,) = await profiles_of(s, P)
        got = await summary(s, viewer, profile, 30, NOW)
    return got.records, got.average, {c.category: (c.count, c.percent) for c in got.categories}


async def test_a_rep_counts_their_own_companies_only(w: World) -> None:
    await _world(w)
    assert await _shares(w, REP) == (
        3,
        66.7,
        {"at_risk": (1, 33.3), "neutral": (0, 0.0), "good": (2, 66.7)},
    )


async def test_a_manager_counts_their_teams_companies(w: World) -> None:
    await _world(w)
    assert await _shares(w, MANAGER) == (
        4,
        62.5,
        {"at_risk": (1, 25.0), "neutral": (1, 25.0), "good": (2, 50.0)},
    )


async def test_a_super_admin_counts_everything_and_as_a_rep_what_the_rep_sees(w: World) -> None:
    await _world(w)
    total = await _shares(w, ADMIN)
    assert total[0] == 6 and total[2]["good"] == (4, 66.7)
    assert await _shares(w, REP) != total


async def test_the_score_comes_with_a_visible_company_explained_by_points_only(w: World) -> None:
    await _world(w)
    async with w.sm() as s:
        rep = await load_viewer(s, P, REP)
        outsider = await load_viewer(s, P, OUTSIDER)
        assert rep is not None and outsider is not None
        from insights.health.profiles import profiles_of

        (profile,) = await profiles_of(s, P)
        mine = await record_detail(s, rep, profile, "r1")
        hidden = await record_detail(s, rep, profile, "o1")
        theirs = await record_detail(s, outsider, profile, "o1")
    # r1's score counts activities the rep cannot see (a figure of the company); only points show
    assert mine is not None and mine.score == 100 and hidden is None and theirs is not None
    dumped = mine.model_dump_json()
    assert [(c.key, c.points) for c in mine.criteria] == [
        ("meetings_last_n_days", 100),
        ("calls_last_n_days", 100),
    ]
    assert '"a1"' not in dumped and "occurred" not in dumped
