"""The FastAPI app: routes under /api/v1, the built web page at /, jobs in the background.

At start it creates the data folders, runs the database migrations, loads plugins, starts
the job backend and, while no user exists, makes a one-time setup token (printed by
`synthera serve` as a link).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, Response

from synthera import __version__
from synthera.server.accounts import count_users
from synthera.server.api import PREFIX, router
from synthera.server.api.context import AppContext
from synthera.server.api.synthesizers import catalog
from synthera.server.config import Settings, load_plugins
from synthera.server.database import make_engine, make_sessionmaker, migrate
from synthera.server.errors import install_error_handlers
from synthera.server.jobs.backend import JobBackend
from synthera.server.jobs.local import LocalProcessBackend
from synthera.server.middleware import GuardMiddleware
from synthera.server.ratelimit import SigninLimiter
from synthera.server.storage import Storage

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("synthera.server")

BackendFactory = Callable[[Settings, AppContext], JobBackend]


def local_backend(settings: Settings, context: AppContext) -> JobBackend:
    return LocalProcessBackend(settings, context.factory)


class _NoBackend:
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wake(self) -> None: ...


def build_context(settings: Settings, backend: BackendFactory = local_backend) -> AppContext:
    """Prepare folders and database; the backend is created but not started."""
    storage = Storage(settings.data_dir)
    storage.prepare()
    storage.clear_tmp()
    load_plugins(settings)
    engine = make_engine(settings.database_url)
    migrate(engine)
    factory = make_sessionmaker(engine)
    context = AppContext(
        settings=settings,
        engine=engine,
        factory=factory,
        storage=storage,
        backend=_NoBackend(),
        limiter=SigninLimiter(factory, settings.signin_attempts, settings.signin_window_s),
    )
    context.backend = backend(settings, context)
    with context.factory() as session:
        if count_users(session) == 0:
            context.setup_token = secrets.token_urlsafe(24)
    return context


def create_app(settings: Settings, backend: BackendFactory = local_backend) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = build_context(settings, backend)
        app.state.context = context
        context.backend.start()
        threading.Thread(target=catalog, name="synthera-warm-up", daemon=True).start()
        on_ready = getattr(app.state, "on_ready", None)
        if on_ready is not None:
            on_ready(context)
        try:
            yield
        finally:
            context.backend.stop()
            context.engine.dispose()

    app = FastAPI(
        title="Synthera",
        version=__version__,
        description="Private synthetic tabular data: upload, train, generate, evaluate.",
        lifespan=lifespan,
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(GuardMiddleware, prefix=PREFIX, max_upload_bytes=settings.max_upload_bytes)
    app.include_router(router)
    _mount_page(app)
    return app


def _mount_page(app: FastAPI) -> None:
    """The single-page app: files from static/, index.html for every other page path."""

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        # Plotly's JavaScript ships inside the plotly Python package: no copy in ours.
        import plotly

        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        if not path.exists():
            raise HTTPException(404, "plotly.min.js is missing from the plotly package")
        return FileResponse(path, media_type="text/javascript", headers=_cache(86_400))

    @app.get("/{page_path:path}", include_in_schema=False)
    def page(page_path: str) -> Response:
        if page_path.startswith(PREFIX.lstrip("/")):
            raise HTTPException(404, "Not Found")
        candidate = (STATIC / page_path).resolve()
        if page_path and candidate.is_file() and STATIC.resolve() in candidate.parents:
            return FileResponse(
                candidate, headers=_cache(31_536_000 if "/assets/" in str(candidate) else 0)
            )
        index = STATIC / "index.html"
        if not index.exists():
            return Response(
                "The web page is not built: run `make frontend`; the API is at /api/v1/docs",
                media_type="text/plain",
            )
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def _cache(seconds: int) -> dict[str, str]:
    return {"Cache-Control": f"public, max-age={seconds}" if seconds else "no-cache"}
