"""Who is calling: a bearer token (API clients) or a session cookie (the browser).

Browser requests that change something must also send the session's CSRF value in the
`X-CSRF-Token` header; a page on another site cannot read it, so it cannot forge one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from synthera.server.accounts import lookup_token
from synthera.server.api.context import AppContext, app_context, db_session
from synthera.server.security import same_secret
from synthera.server.tables import User

SESSION_COOKIE = "synthera_session"
CSRF_COOKIE = "synthera_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DB = Annotated[Session, Depends(db_session)]
Context = Annotated[AppContext, Depends(app_context)]


def unauthorized(detail: str = "sign in first: send a bearer token or a session cookie") -> Any:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_user(request: Request, session: DB) -> User:
    token = bearer_token(request)
    from_cookie = token is None
    if from_cookie:
        token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise unauthorized()
    found = lookup_token(session, token)
    if found is None:
        raise unauthorized("your session has expired or the token is not valid: sign in again")
    user, row = found
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not row.csrf_token or not sent or not same_secret(sent, row.csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise HTTPException(403, "only an admin can do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
