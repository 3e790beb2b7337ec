"""The ``w`` fixture: a fresh account "ga" built with ``tests.guided_actions.helpers.World``."""

from __future__ import annotations

from typing import Any

import pytest

from insights.crm import models as m
from tests.guided_actions.helpers import ADMIN, ME, OTHER, P, World


@pytest.fixture
async def w(sessionmaker: Any) -> World:
    world = World(sessionmaker)
    world.add(m.Account(id=P, name="GA"))
    everything = dict.fromkeys(m.SCOPED_TYPES, "all")
    world.add(m.PermissionSet(portal_id=P, id="all", scopes=everything, unassigned=[]))
    world.add(m.PermissionSet(portal_id=P, id="owned", scopes=dict.fromkeys(m.SCOPED_TYPES, "owned")))
    world.add(m.User(portal_id=P, id=ME, email="me@acme.example", permission_set_id="all", time_zone="UTC"))
    world.add(m.User(portal_id=P, id=OTHER, email="other@acme.example", permission_set_id="owned"))
    world.add(
        m.User(portal_id=P, id=ADMIN, email="admin@acme.example", permission_set_id="all", super_admin=True)
    )
    world.add(m.Pipeline(portal_id=P, id="default", label="Sales"))
    for i, (sid, closed) in enumerate(
        [
            ("appointmentscheduled", False),
            ("qualifiedtobuy", False),
            ("closedwon", True),
            ("closedlost", True),
        ]
    ):
        world.add(
            m.PipelineStage(portal_id=P, pipeline_id="default", id=sid, display_order=i, is_closed=closed)
        )
    await world.save()
    return world
