"""Bad input is a 4xx problem+json, never a 5xx (issue 10, item 7: the HTTP part)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.middleware.base import BaseHTTPMiddleware

from api.app import create_app
from tests.http import auth, client_for

PROBLEM = "application/problem+json"


def chunks(n: int, size: int) -> AsyncIterator[bytes]:
    """A body httpx sends chunked, with no Content-Length."""

    async def gen() -> AsyncIterator[bytes]:
        yield b'{"notes": ["'
        for _ in range(n):
            yield b"x" * size
        yield b'"]}'

    return gen()


async def test_chunked_body_without_length_is_capped_as_it_streams(demo, settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1000})
    async with client_for(small) as c:
        dana = auth(small, "100")
        r = await c.post("/v1/crm/import", headers=dana, content=chunks(20, 100))
        assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["status"] == 413
        # FastAPI parses this body itself: still a 413, not its generic 400
        r = await c.patch("/v1/settings", headers=dana, content=chunks(20, 100))
        assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
        r = await c.post("/v1/crm/import", headers=dana, content=chunks(2, 100))
        assert r.status_code == 200 and r.json()["rejected"]  # under the cap: read and judged


async def test_deeply_nested_json_on_import_is_a_422(demo, settings) -> None:
    async with client_for(settings) as c:
        dana = auth(settings, "100")
        r = await c.post("/v1/crm/import", headers=dana, content=b"[" * 100_000 + b"]" * 100_000)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
        assert "not valid JSON" in r.json()["detail"]
        deep: object = "x"
        for _ in range(500):  # parses, but would blow the stack where values are copied
            deep = [deep]
        note = {"id": "n-deep", "properties": {"hs_note_body": deep}}
        r = await c.post("/v1/crm/import", headers=dana, json={"notes": [note]})
        assert r.status_code == 422 and "deeper than" in r.json()["detail"]


async def test_bad_encodings_and_constants_on_import_are_422(demo, settings) -> None:
    async with client_for(settings) as c:
        dana = auth(settings, "100")
        for body in (b'{"notes": ["\xff\xfe"]}', b'{"notes": [NaN]}', b'{"notes": [' + b"9" * 5000 + b"]}"):
            r = await c.post("/v1/crm/import", headers=dana, content=body)
            assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), body[:20]


async def test_metrics_come_from_a_pure_asgi_middleware(demo, settings) -> None:
    app = create_app(settings)
    assert not any(m.cls is BaseHTTPMiddleware for m in app.user_middleware)
    async with client_for(settings) as c:
        await c.get("/v1/deals", headers=auth(settings, "101"))
        await c.post("/v1/crm/import", headers=auth(settings, "100"), content=b"[" * 5000)
        text = (await c.get("/metrics")).text
    assert 'insights_http_requests_total{method="GET",route="/v1/deals",status="200"}' in text
    assert 'route="/v1/crm/import",status="422"' in text


async def test_validation_errors_are_problems_naming_the_field(demo, settings) -> None:
    async with client_for(settings) as c:
        r = await c.get("/v1/deals?limit=zero", headers=auth(settings, "101"))
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["errors"] == [{"field": "query.limit", "message": body["errors"][0]["message"]}]
    assert "zero" not in json.dumps(body)


async def test_undecodable_body_fastapi_parses_is_the_422_of_bad_json(demo, settings) -> None:
    async with client_for(settings) as c:
        r = await c.patch(
            "/v1/settings",
            headers={**auth(settings, "100"), "Content-Type": "application/json"},
            content=b'{"insight_language": "\xff"}',
        )
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["field"] == "body"


async def test_import_token_of_no_active_user_is_401_like_everywhere(demo, settings) -> None:
    async with client_for(settings) as c:
        ghost = auth(settings, "no-such-user")
        assert (await c.post("/v1/crm/import", headers=ghost, json={"notes": []})).status_code == 401
        assert (await c.get("/v1/deals", headers=ghost)).status_code == 401


async def test_openapi_documents_every_error_as_a_problem(settings) -> None:
    async with client_for(settings) as c:
        doc = (await c.get("/openapi.json")).json()
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"]) and "errors" in problem[
        "properties"
    ]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [
        (p, m, op) for p, ops in doc["paths"].items() if p.startswith("/v1/") for m, op in ops.items()
    ]
    assert len(operations) >= 10
    for path, method, op in operations:
        for status in ("401", "403", "404", "413", "422"):
            content = op["responses"][status]["content"]
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    insights = doc["paths"]["/v1/deals/{deal_id}/insights"]["get"]["responses"]
    assert list(insights["429"]["content"]) == [PROBLEM]


async def test_a_nul_in_a_path_or_query_parameter_is_a_422_naming_it(demo, settings) -> None:
    """PostgreSQL refuses a NUL in a statement: it is refused at the door, on every /v1 route."""
    async with client_for(settings) as c:
        for url, field in (
            ("/v1/health/records/0.1.0?profile=%00", "query.profile"),
            ("/v1/deals/9005%00/insights?refresh=false", "path.deal_id"),
            ("/v1/deals/9005%00/insights", "path.deal_id"),  # the cached-read path first
            ("/v1/deals?q=a%00b", "query.q"),
        ):
            r = await c.get(url, headers=auth(settings, "101"))
            assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), url
            assert r.json()["errors"][0]["field"] == field
