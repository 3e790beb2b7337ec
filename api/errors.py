"""Errors as ``application/problem+json`` (RFC 9457), raised as exceptions and rendered once.

Bodies carry a fixed title and a short detail written here, never an exception's text, a stack
trace, SQL or prompt text: nothing a viewer could use to learn about data they may not see.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api.errors")

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `query.limit`.")
    message: str


class Problem(BaseModel):
    """An error body (RFC 9457), served as ``application/problem+json``."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(None, description="422 only: the offending fields.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router: these statuses answer a ``Problem`` (as problem+json)."""
    return {s: {"model": Problem, "description": TITLES[s]} for s in statuses}


# Every /v1 route may answer these; routers add the ones only they give (429 on refresh).
V1_PROBLEMS = problem_responses(401, 403, 404, 413, 422)


class ProblemError(Exception):
    """An error with its HTTP status; the app turns it into a problem+json response."""

    status = 500
    detail = "Something went wrong."

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.headers = headers or {}


class NotFound(ProblemError):
    status = 404
    detail = "No such resource, or you may not see it."


class Forbidden(ProblemError):
    status = 403
    detail = "You are not allowed to do this."


class Unauthorized(ProblemError):
    status = 401
    detail = "Missing or invalid bearer token."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class TooManyRequests(ProblemError):
    status = 429
    detail = "Too many requests; try again later."


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in (see api.middleware). An HTTPException so that FastAPI's
    body parsing re-raises it instead of turning it into a 400."""

    detail = "The request body is too large."

    def __init__(self) -> None:
        super().__init__(413, self.detail)


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, extra: dict[str, object] | None = None
) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"https://deal-insights.example/problems/{status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.detail, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI's 400 for a body it cannot decode (bad UTF-8): the same 422 as bad JSON
            issue = {"field": "body", "message": "The body is not valid JSON."}
            return problem(422, "Invalid value for: body.", extra={"errors": [issue]})
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the offending fields; never echo the submitted values back.
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors) or "request"
        return problem(422, f"Invalid value for: {fields}.", extra={"errors": errors})

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _problems_as_problem_json(generate())  # generate() stores the schema it returns
        return app.openapi_schema or {}

    # FastAPI's documented way to change the schema is to replace this method; mypy forbids it
    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", type(exc).__name__)
        return problem(500, "Something went wrong on our side.")


def _problems_as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents ``responses=`` models in the route's media type: errors are problem+json."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if status[:1] in "45" and content:  # json, or text/plain on the copy route
                    response["content"] = {PROBLEM: next(iter(content.values()))}
    return schema
