"""REST routes under /api/v1, one module per resource; `router` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from synthera.server.api import (
    auth,
    datasets,
    evaluations,
    health,
    jobs,
    projects,
    runs,
    synthesizers,
    synthetic,
    users,
)

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX)
for module in (
    health,
    auth,
    users,
    projects,
    synthesizers,
    datasets,
    runs,
    synthetic,
    evaluations,
    jobs,
):
    router.include_router(module.router)
