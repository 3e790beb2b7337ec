"""Rule 4, sequence activity: an open sequence task assigned to you; expires when it is completed or
reassigned. Closing related when the task is on an open deal, else prospecting."""

from __future__ import annotations

from datetime import timedelta

from insights.crm import models as m
from tests.guided_actions.helpers import NOW, OTHER, ago, of


async def test_created_for_an_open_sequence_task_with_category_by_deal(w) -> None:
    w.contact("c1")
    w.deal("d1", contacts=["c1"])
    w.task("t1", ago(-1), {"contact": ["c1"]}, sequence_id="s1")
    w.task("t2", ago(-1), {"contact": ["c9"]}, sequence_id="s1")
    assert of(4, await w.run()) == ["t1", "t2"]
    cats = {a.record_id: a.category for a in await w.actions(4)}
    assert cats == {"t1": "closing", "t2": "prospecting"}


async def test_not_created_outside_a_sequence_completed_or_not_yours(w) -> None:
    w.task("t1", ago(-1))
    w.task("t2", ago(-1), sequence_id="s1", task_status="COMPLETED")
    w.task("t3", ago(-1), sequence_id="s1", owner_id=OTHER)
    assert of(4, await w.run()) == []


async def test_expires_when_completed_or_reassigned(w) -> None:
    w.task("t1", ago(-1), sequence_id="s1")
    w.task("t2", ago(-1), sequence_id="s1")
    assert of(4, await w.run()) == ["t1", "t2"]
    await w.set(m.Activity, "t1", task_status="COMPLETED")
    await w.set(m.Activity, "t2", owner_id=OTHER)
    assert of(4, await w.run(NOW + timedelta(hours=1))) == []


async def test_open_sequence_task_until_completed(w) -> None:
    w.task("t1", ago(-1), title="Step 2", sequence_id="seq-1", created_at=ago(1))
    w.task("t2", ago(-1), created_at=ago(1))  # not in a sequence
    assert of(4, await w.run()) == ["t1"]
    await w.set(m.Activity, "t1", task_status="COMPLETED")
    assert of(4, await w.run()) == []
