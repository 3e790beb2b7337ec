"""Profiles: validation of weights, thresholds and the renewal property; category boundaries."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from insights.health.measures import Clock
from insights.health.profiles import ProfileError, ProfileIn, category_of
from insights.health.scoring import score_all
from tests.health.helpers import NOW, World, ago, crit

GOOD = crit("open_deals", [1], [0, 100])


@pytest.mark.parametrize(
    ("score", "category"),
    [(39.99, "at_risk"), (40, "neutral"), (69.99, "neutral"), (70, "good"), (0, "at_risk"), (100, "good")],
)
def test_category_boundaries(score: float, category: str) -> None:
    assert category_of(score, 40, 70) == category


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"criteria": [GOOD | {"weight": 0}]}, "weights must sum"),
        ({"criteria": [crit("open_deals", [5, 1], [0, 50, 100])]}, "strictly ascending"),
        ({"criteria": [crit("open_deals", [1], [0])]}, "at least 2"),
        ({"criteria": [crit("open_deals", [1, 2], [0, 100])]}, "one more entry"),
        ({"criteria": [GOOD], "at_risk_below": 70, "good_from": 40}, "lower than good_from"),
        ({"criteria": [crit("days_until_renewal", [30], [0, 100])]}, "needs renewal_property"),
        ({"criteria": [GOOD, GOOD]}, "unique"),
    ],
)
def test_a_bad_profile_is_refused(body: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ProfileIn.model_validate({"name": "p"} | body)


async def test_a_renewal_property_no_company_holds_is_refused(w: World) -> None:
    w.company("co", renewal="2027-01-01")
    await w.save()
    with pytest.raises(ProfileError) as err:
        await w.profile(
            name="p", criteria=[crit("days_until_renewal", [30], [0, 100])], renewal_property="nope"
        )
    assert err.value.field == "renewal_property" and "no company" in err.value.message


async def test_a_renewal_property_that_is_not_a_date_is_refused(w: World) -> None:
    w.company("co", renewal="2027-01-01")
    w.company("co2", renewal="next spring")
    await w.save()
    with pytest.raises(ProfileError) as err:
        await w.profile(
            name="p", criteria=[crit("days_until_renewal", [30], [0, 100])], renewal_property="renewal"
        )
    assert "not dates" in err.value.message and "spring" not in err.value.message


async def test_the_score_is_the_weighted_mean_and_its_category_follows_the_profile(w: World) -> None:
    for cid in ("both", "one", "neither"):
        w.company(cid)
    w.deal("d1", "both")
    w.act("call", "company:both", ago(1))
    w.deal("d2", "one")
    await w.save()
    profile = await w.profile(
        name="p",
        criteria=[GOOD | {"weight": 3}, crit("days_since_last_activity", [7], [100, 0], weight=1)],
        at_risk_below=75,
        good_from=100,
    )
    async with w.sm() as s:
        got = {
            x.record_id: (x.score, x.category)
            for x in await score_all(s, profile, Clock(NOW, s.get_bind().dialect.name))
        }
    # both: (3·100 + 1·100)/4; one: 3·100/4 = 75 exactly → neutral (At risk is below 75); neither: 0
    assert got == {"both": (100, "good"), "one": (75, "neutral"), "neither": (0, "at_risk")}
