"""An HTTP fuzz of the OpenAPI schema (schemathesis) over every route, against the real ASGI app on
the demo accounts, with valid tokens (reps, a super admin, an integration) and invalid ones.

No 5xx; status, content type and body of every answer conform to the schema; every error is
problem+json with no stack trace, SQL or prompt text. Path ids are generated, or half the time
taken from the demo (deals, activities, insights, guided actions) so real records are reached.
CI=true runs more examples.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python import asgi as schemathesis_asgi

from api.app import create_app
from insights.core.config import DEV_TOKEN_KEY, Settings
from insights.core.tokens import mint_token
from tests.conftest import DEMO_NOW
from tests.hypothesis_profiles import examples

MAX_EXAMPLES = examples(150)  # 30 locally (the "dev" profile)
LEAKS = ("Traceback", "sqlalchemy", "SELECT ", "<<<DATA")
VALID = ("ana", "ben", "diego", "dana", "integration")
INVALID = ("none", "garbage", "basic", "expired", "dev key", "other key", "other account", "unknown user")


@schemathesis.check
def problem_json_without_internals(ctx: Any, response: Any, case: Case) -> None:
    """Every error is problem+json (type, title, status, detail); no body leaks internals."""
    for leak in LEAKS:
        assert leak not in response.text, f"{leak!r} in a {response.status_code} body"
    if response.status_code >= 400:
        kind = (response.headers.get("content-type") or [""])[0]
        assert kind.startswith("application/problem+json"), kind
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == response.status_code


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problem_json_without_internals,
]


def headers_for(s: Settings) -> dict[str, dict[str, str]]:
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    later = int(time.time()) + 3600
    return {
        "ana": bearer(mint_token(s, "101", "demo")),
        "ben": bearer(mint_token(s, "102", "demo")),
        "diego": bearer(mint_token(s, "104", "demo")),
        "dana": bearer(mint_token(s, "100", "demo")),  # super admin
        "integration": bearer(mint_token(s, None, "demo", scope="import")),
        "none": {},
        "garbage": bearer("not.a.token"),
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
        "expired": bearer(mint_token(s, "101", "demo", ttl_s=-60)),
        "dev key": bearer(jwt.encode({"sub": "100", "portal": "demo", "exp": later}, DEV_TOKEN_KEY)),
        "other key": bearer(jwt.encode({"sub": "100", "portal": "demo", "exp": later}, "k" * 40)),
        "other account": bearer(mint_token(s, "101", "no-such-account")),
        "unknown user": bearer(mint_token(s, "no-such-user", "demo")),
    }


async def demo_ids(c: httpx.AsyncClient, headers: dict[str, dict[str, str]]) -> dict[str, list[Any]]:
    """Ids of real records per path parameter, read through the API as the demo users."""
    names = ("deal_id", "activity_id", "deal_activity", "insight_id", "action_id")
    ids: dict[str, set[Any]] = {name: set() for name in names}
    deals = (await c.get("/v1/deals?limit=100", headers=headers["dana"])).json()["items"]
    ids["deal_id"] = {d["id"] for d in deals}
    for who in ("ana", "dana"):
        for deal in sorted(ids["deal_id"])[:6]:
            r = await c.get(f"/v1/deals/{deal}/insights", headers=headers[who])
            if r.status_code == 200:
                ids["insight_id"].add(r.json()["insight_id"])
                items = r.json()["recent_activity"]["items"]
                ids["activity_id"] |= {a["activity_id"] for a in items}
                ids["deal_activity"] |= {(deal, a["activity_id"]) for a in items}
        actions = (await c.get("/v1/guided-actions", headers=headers[who])).json()["items"]
        ids["action_id"] |= {a["action_id"] for a in actions}
    assert all(ids.values()), {k: len(v) for k, v in ids.items()}
    return {k: sorted(v) for k, v in ids.items()}


@pytest.fixture
async def fuzz_app(demo, database_url: str) -> AsyncIterator[FastAPI]:
    s = Settings(
        DATABASE_URL=database_url, INSIGHTS_ENV="production", INSIGHTS_TOKEN_KEY=secrets.token_hex(32)
    )
    app = create_app(s)
    app.state.insights.clock = lambda: DEMO_NOW  # the demo data is anchored at this clock
    app.state.fuzz_headers = headers_for(s)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as c,
    ):
        app.state.fuzz_ids = await demo_ids(c, app.state.fuzz_headers)
    yield app  # schemathesis starts the lifespan again, on its own event loop
    schemathesis_asgi.shutdown_lifespans()


def operations() -> list[tuple[str, str]]:
    """Every documented route (reading the schema needs no database)."""
    app = create_app(Settings(DATABASE_URL="sqlite://", INSIGHTS_ENV="development"))
    return [(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops]


OPERATIONS = operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_route_answers_within_its_schema(method: str, path: str, fuzz_app: FastAPI) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )
    headers, known = fuzz_app.state.fuzz_headers, fuzz_app.state.fuzz_ids

    @given(case=cases, who=st.sampled_from(VALID), bad=st.sampled_from(INVALID), data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def fuzz(case: Case, who: str, bad: str, data: st.DataObject) -> None:
        params = case.path_parameters or {}
        for name in params:
            if name in known and data.draw(st.booleans(), label=f"real {name}"):
                params[name] = data.draw(st.sampled_from(known[name]), label=name)
        if "activity_id" in params and data.draw(st.booleans(), label="an activity of the deal"):
            params["deal_id"], params["activity_id"] = data.draw(st.sampled_from(known["deal_activity"]))
        case.call_and_validate(headers=headers[who], checks=CHECKS)
        if path.startswith("/v1/"):  # the same request with a bad token: refused, as a problem
            response = case.call(headers=headers[bad])
            case.validate_response(response, checks=CHECKS)
            assert response.status_code in (401, 413, 422), (bad, response.status_code)

    fuzz()
