"""GET /health: is the server up (no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter

from synthera import __version__
from synthera.server.api.deps import Context
from synthera.server.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(context: Context) -> Health:
    return Health(status="ok", version=__version__, needs_setup=context.setup_token is not None)
