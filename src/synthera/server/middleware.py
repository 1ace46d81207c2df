"""ASGI middleware that answers before any body is read.

- /api/v1 requests without any credential get 401 (only health and sign-in are public),
  so an anonymous caller cannot make the server parse a large upload;
- an upload whose Content-Length already exceeds the limit gets 413.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from synthera.server.api.deps import SESSION_COOKIE
from synthera.server.uploads import too_large_message

PUBLIC = (
    "/api/v1/health",
    "/api/v1/auth/token",
    "/api/v1/auth/login",
    "/api/v1/auth/setup",
    "/api/v1/docs",  # the OpenAPI page and schema describe the API; they hold no data
    "/api/v1/openapi.json",
)
MULTIPART_OVERHEAD = 64 * 1024


class GuardMiddleware:
    def __init__(self, app: ASGIApp, *, prefix: str, max_upload_bytes: int) -> None:
        self.app = app
        self.prefix = prefix
        self.max_body = max_upload_bytes + MULTIPART_OVERHEAD
        self.too_large = too_large_message("the upload", max_upload_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"].rstrip("/")
        if path not in PUBLIC and not _has_credential(headers):
            await _reply(
                send,
                401,
                "sign in first: send a bearer token or a session cookie",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _reply(send, 413, self.too_large)
            return
        await self.app(scope, receive, send)


def _has_credential(headers: dict[str, str]) -> bool:
    if headers.get("authorization", "").lower().startswith("bearer "):
        return True
    return f"{SESSION_COOKIE}=" in headers.get("cookie", "")


async def _reply(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
