"""The permission promise, service-level: no answer holds anything outside the viewer's visibility.

Hypothesis draws a small account (teams, permission sets and user-level scopes, super admins,
deals with shares, contacts and companies, activities of every type linked to them) and a list of
steps: a viewer asking for a deal's insight, its copy text and their guided actions, through ONE
service with its cache and stored-insight reuse; or an import that changes an owner, an archival,
an association, a permission set, a scope, a team, a share or a contact's address. Every text field
carries a unique canary and every contact a unique address; the model (litellm through respx)
echoes its prompt back, so a leak into a prompt is a leak into the answer. After each answer, the
reference (``promise_model.World``) says what that viewer may see at that moment; the insight JSON,
the copy text, every prompt sent during the call and the guided actions must hold no canary and no
address outside it (an address not allowed appears only as "[hidden address]"), and a deal the
viewer may not see is None. The second test runs the same steps on two deployments (two databases,
the same ids, other canaries) sharing one Redis. Each change is followed by everyone who got an
answer asking again, so a cached or stored answer that outlives the change is caught at once.
300 examples in CI (``CI=true``; 100 for the two deployments, which do everything twice), 25 locally.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, Phase, example, given, note, settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from insights.core.config import Settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.schema import create_schema, drop_schema
from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.guided_actions.runner import evaluate
from insights.guided_actions.service import list_actions
from insights.insight.cache import InsightCache, MemoryCache, make_cache
from insights.insight.render import render
from insights.insight.service import InsightService
from insights.permissions.viewer import load_viewer
from tests.llm_fakes import API_BASE, MODEL, URL, completion, section_of
from tests.service.promise_model import NOW, World
from tests.service.promise_plan import ACTIVITY_TYPES, Plan, known_cases, plans

EXAMPLES = 300 if os.environ.get("CI") else 25
REDIS_EXAMPLES = 100 if os.environ.get("CI") else 25  # each example runs everything twice
# no "explain" phase: it replays the failing case a hundred times and adds nothing to the example
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
REDIS_TEST_URL = "redis://127.0.0.1:6379/14"  # a db of our own: FLUSHDB between examples
RECORD_TYPES = {"deal", "contact", "company", *ACTIVITY_TYPES}
_examples = itertools.count(1)
_RUN = uuid.uuid4().hex[:8]  # a database kept from an earlier run may hold that run's accounts


def next_portal() -> str:
    """A fresh account per example: function-scoped fixtures outlive examples, and truncating every
    table costs more than the example on PostgreSQL. Accounts never share canaries or addresses."""
    return f"promise-{_RUN}-{next(_examples)}"


# -- the model: echoes the context it was given, cites the first activities ---------------------
PROMPTS: list[str] = []


def echo(request: httpx.Request) -> httpx.Response:
    messages = json.loads(request.content)["messages"]
    PROMPTS.append("\n".join(m["content"] for m in messages))
    context = messages[-1]["content"].rsplit("\n---\n", 1)[0]
    ids = re.findall(r"^\[([^\]\s]+)\] ", context, re.M)[:2]
    recent = {"summary": context, "activity_ids": ids}
    risks = [{"text": context, "kind": "other", "activity_ids": ids}]
    goals = [{"text": context, "activity_ids": ids}]
    answer = {
        "combined": {"recent_activity": recent, "risks": risks, "buyer_goals": goals},
        "recent_activity": recent,
        "risks": {"risks": risks},
        "buyer_goals": {"goals": goals},
    }[section_of(request)]
    return httpx.Response(200, json=completion(json.dumps(answer)))


def apply_examples(plans: list[Plan]) -> Any:
    def decorate(test: Any) -> Any:
        for plan in reversed(plans):
            test = example(plan=plan)(test)
        return test

    return decorate


def model_settings(base: Settings, **extra: Any) -> Settings:
    update = {"model": MODEL, "model_api_base": API_BASE, "model_api_key": "sk-test", "model_max_retries": 0}
    return base.model_copy(update=update | extra)


# -- running the steps --------------------------------------------------------------------------
@dataclass
class Deployment:
    name: str
    world: World
    sessionmaker: async_sessionmaker[AsyncSession]
    service: InsightService


def strings(value: Any) -> str:
    """Every string of a JSON value, one per line (not the JSON text: escapes would glue words)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return ""


async def load(dep: Deployment, doc: dict[str, Any]) -> None:
    async with dep.sessionmaker() as s:
        report = await import_records(s, iter_document(doc))
        assert report.rejected == [], report.rejected
        await s.commit()


async def check_insight(dep: Deployment, uid: str, deal: str, where: str) -> None:
    """One viewer's insight, its copy text and its prompts, against the reference at this moment."""
    seen = len(PROMPTS)
    async with dep.sessionmaker() as s:
        viewer = await load_viewer(s, dep.world.portal, uid)
        assert viewer is not None
        insight = await dep.service.insight_for(s, deal, viewer, now=NOW)
        await s.commit()
    prompts = "\n".join(PROMPTS[seen:])
    w, who = dep.world, f"{where} ({dep.name}): viewer {uid}, deal {deal}"
    view = w.insight_view(uid, deal)
    if view is None:
        assert insight is None, f"{who}: the deal is hidden from the viewer, yet the service answered"
        assert not prompts, f"{who}: the deal is hidden, yet a prompt was sent"
        return
    assert insight is not None, f"{who}: the deal is visible, yet the service said 404"
    body = insight.model_dump(mode="json")
    served = "served from the cache" if insight.cached else "built or reused"
    assert not (leaks := w.leaks(prompts, view)), f"{who}: the prompt holds {leaks}"
    assert not (leaks := w.leaks(strings(body), view)), f"{who}: the insight ({served}) holds {leaks}"
    assert not (leaks := w.leaks(render(insight, "text"), view)), f"{who}: the copy text holds {leaks}"
    cited = {i.activity_id for i in insight.recent_activity.items}
    cited |= {i for r in [*insight.risks, *insight.buyer_goals] for i in r.activity_ids}
    assert cited <= view.activities, f"{who}: the insight ({served}) cites {cited - view.activities}"
    assert insight.basis.activity_count <= view.count, (  # rule 5: figures only over what they see
        f"{who}: activity_count {insight.basis.activity_count} ({served}), the viewer sees {view.count}"
    )


async def check_actions(dep: Deployment, uid: str, where: str, *, evaluate_first: bool = True) -> None:
    """The user's guided actions, evaluated now (or as stored) and listed for them (spec rule 8)."""
    async with dep.sessionmaker() as s:
        viewer = await load_viewer(s, dep.world.portal, uid)
        assert viewer is not None
        if evaluate_first:
            await evaluate(s, dep.world.portal, uid, NOW)
            await s.commit()
        actions = [a.model_dump(mode="json") for a in await list_actions(s, uid, viewer, "all")]
    w, who = dep.world, f"{where} ({dep.name}): user {uid}"
    readable = w.readable_view(uid)
    assert not (leaks := w.leaks(strings(actions), readable)), f"{who}: the guided actions hold {leaks}"
    listed = {(r["type"], r["id"]) for a in actions for r in a["records"] if r["type"] in RECORD_TYPES}
    assert listed <= readable.records, f"{who}: guided actions list hidden {listed - readable.records}"
    about = {("contact", c) for a in actions for c in a["contact_ids"]}
    about |= {("company", c) for a in actions for c in a["company_ids"]}
    assert about <= readable.records, f"{who}: guided actions name hidden {about - readable.records}"


async def run(plan: Plan, deployments: list[Deployment]) -> None:
    asked: dict[tuple[int, str, str], None] = {}  # (deployment, viewer, deal), in order
    evaluated: set[tuple[int, str]] = set()  # guided actions evaluated since the last change
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=echo)
        for dep in deployments:
            await load(dep, dep.world.initial_document())
        for n, step in enumerate(plan.steps):
            if step[0] in ("ask", "ask_all"):
                # the same question in every deployment, the drawn one first: it fills shared caches
                first, deal = step[-1], step[2] if step[0] == "ask" else step[1]
                for which in [first, *(i for i in range(len(deployments)) if i != first)]:
                    dep = deployments[which]
                    for uid in [step[1]] if step[0] == "ask" else sorted(dep.world.users):
                        asked[(which, uid, deal)] = None
                        await check_insight(dep, uid, deal, f"step {n}")
                        fresh = (which, uid) not in evaluated
                        evaluated.add((which, uid))
                        await check_actions(dep, uid, f"step {n}", evaluate_first=fresh)
                continue
            for dep in deployments:  # the same change in every deployment
                await load(dep, dep.world.apply(step))
            evaluated.clear()
            # whoever got an answer asks again: none may reflect the visibility before the change
            for which, uid, deal in asked:
                await check_insight(deployments[which], uid, deal, f"after step {n}")
            # stored actions, listed through the new visibility (evaluating costs most: asks do it)
            for which, uid in dict.fromkeys((which, uid) for which, uid, _ in asked):
                await check_actions(deployments[which], uid, f"after step {n}", evaluate_first=False)


@pytest.mark.db
@settings(max_examples=EXAMPLES, deadline=None, phases=PHASES, suppress_health_check=list(HealthCheck))
@given(plan=plans())
@apply_examples(known_cases())
async def test_no_answer_holds_what_the_viewer_may_not_see(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, plan: Plan
) -> None:
    note(plan.describe())
    service = InsightService(model_settings(settings), MemoryCache())
    await run(plan, [Deployment("one service", World(plan, "A", next_portal()), sessionmaker, service)])


# -- two deployments, one Redis -----------------------------------------------------------------
async def _second_database(url: str) -> str:
    """A second PostgreSQL database beside the test one (created once), for the other deployment."""
    parsed = make_url(url)
    name = f"{parsed.database}_deployment_b"
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def second_engine(database_url: str, tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'deployment-b.db'}"
    else:
        url = await _second_database(database_url)
    eng = make_engine(url)
    if not url.startswith("sqlite"):
        await drop_schema(eng)  # a database kept from an earlier run may hold an older schema
    await create_schema(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
async def redis_url() -> str:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5)
    try:
        await client.ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    finally:
        await client.aclose()
    return REDIS_TEST_URL


async def _close(cache: InsightCache) -> None:
    client = getattr(cache, "client", None)
    if client is not None:
        await client.aclose()


@pytest.mark.db
@settings(max_examples=REDIS_EXAMPLES, deadline=None, phases=PHASES, suppress_health_check=list(HealthCheck))
@given(plan=plans(deployments=2))
@example(plan=known_cases()[1])  # 5: one deployment's entry served to the other (same ids)
async def test_two_deployments_sharing_redis_never_serve_each_other(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    second_engine: AsyncEngine,
    settings: Settings,
    redis_url: str,
    plan: Plan,
) -> None:
    import redis.asyncio as redis

    note(plan.describe())
    portal = next_portal()  # the same account id in both databases
    flush = redis.from_url(redis_url)
    await flush.flushdb()  # only our own db number
    await flush.aclose()
    deployments = []
    for name, tag, eng in (("deployment A", "A", engine), ("deployment B", "B", second_engine)):
        own = model_settings(settings, redis_url=redis_url, database_url=str(eng.url.render_as_string(False)))
        service = InsightService(own, make_cache(own.redis_url))
        deployments.append(Deployment(name, World(plan, tag, portal), make_sessionmaker(eng), service))
    try:
        await run(plan, deployments)
    finally:
        for dep in deployments:
            await _close(dep.service.cache)
