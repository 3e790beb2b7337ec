"""Request dependencies as Annotated aliases: routes read like sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from insights.core.config import Settings


async def get_settings_dep(request: Request) -> Settings:  # async: a sync one costs a thread-pool hop
    settings: Settings = request.app.state.settings  # app.state is untyped: name what create_app put there
    return settings


async def storable_parameters(request: Request) -> None:
    """A path or query parameter holding a NUL is a 422 before any route reads it: PostgreSQL
    refuses the character in a statement (a 500 otherwise; the schema fuzzer sent ``?profile=%00``)."""
    query = request.query_params.multi_items()  # every value of a repeated key
    for where, params in (("path", list(request.path_params.items())), ("query", query)):
        for name, value in params:
            if isinstance(value, str) and "\x00" in value:
                raise RequestValidationError([{"loc": (where, name), "msg": "Contains a NUL character."}])


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the request owns the commit (services never commit)."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
