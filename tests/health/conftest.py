"""The ``w`` fixture: a fresh account "hp" (see helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.health.helpers import World, setup_rows


@pytest.fixture
async def w(sessionmaker: Any) -> World:
    world = World(sessionmaker)
    for row in setup_rows():
        world.add(row)
    await world.save()
    return world
