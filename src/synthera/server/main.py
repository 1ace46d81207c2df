"""Running the app with uvicorn: what `synthera serve` calls."""

from __future__ import annotations

import sys

from synthera.server.api.context import AppContext
from synthera.server.app import create_app
from synthera.server.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def page_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    app = create_app(settings)
    url = page_url(host, port)

    def announce(context: AppContext) -> None:
        print(f"Synthera is running at {url}  (data: {settings.data_dir})", file=sys.stderr)
        print(f"API documentation: {url}/api/v1/docs", file=sys.stderr)
        if context.setup_token is not None:
            print(
                "No user exists yet. Open this one-time link to create the first admin:\n"
                f"    {url}/setup?token={context.setup_token}",
                file=sys.stderr,
            )
        if host not in LOOPBACK:
            print(
                f"note: listening on {host}, reachable from other machines; use HTTPS in front "
                "and set SYNTHERA_SECURE_COOKIES=1",
                file=sys.stderr,
            )

    app.state.on_ready = announce
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10)
