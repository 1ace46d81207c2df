"""Signing in: OAuth2 password flow for API clients, a session cookie for the browser.

POST /auth/token    form username, password → {"access_token", "token_type": "bearer"}
POST /auth/login    JSON username, password → session cookie + CSRF value
POST /auth/logout   ends the session (or revokes the bearer token)
GET  /auth/me       who am I
POST /auth/setup    the one-time setup link's form: creates the first admin
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from synthera.server.accounts import (
    authenticate,
    count_users,
    create_user,
    issue_token,
    revoke_token,
)
from synthera.server.api.context import AppContext
from synthera.server.api.deps import (
    CSRF_COOKIE,
    DB,
    SESSION_COOKIE,
    Context,
    CurrentUser,
    bearer_token,
    unauthorized,
)
from synthera.server.api.schemas import Credentials, SessionOut, SetupIn, TokenOut, UserOut
from synthera.server.security import same_secret
from synthera.server.tables import User

router = APIRouter(prefix="/auth", tags=["auth"])
BAD_SIGNIN = "wrong user name or password"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _check_password(
    context: AppContext, session: DB, request: Request, username: str, password: str
) -> User:
    address = _address(request)
    wait = context.limiter.retry_after(address, username)
    if wait:
        raise HTTPException(
            429,
            f"too many failed sign-ins; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(session, username, password)
    if user is None:
        context.limiter.failed(address, username)
        raise unauthorized(BAD_SIGNIN)
    context.limiter.succeeded(address, username)
    return user


@router.post("/token", response_model=TokenOut)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: DB,
    context: Context,
) -> TokenOut:
    """OAuth2 password flow: trade a user name and password for a bearer token."""
    user = _check_password(context, session, request, form.username, form.password)
    access = issue_token(session, user, "bearer", context.settings.token_days)
    session.commit()
    return TokenOut(access_token=access)


def start_session(response: Response, session: DB, context: Context, user: User) -> SessionOut:
    csrf = secrets.token_urlsafe(24)
    value = issue_token(session, user, "session", context.settings.token_days, csrf=csrf)
    session.commit()
    max_age = context.settings.token_days * 86_400
    secure = context.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, value, max_age=max_age, httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure
    )
    return SessionOut(user=UserOut.model_validate(user), csrf_token=csrf)


@router.post("/login", response_model=SessionOut)
def login(
    body: Credentials, request: Request, response: Response, session: DB, context: Context
) -> SessionOut:
    """Browser sign-in: sets an HttpOnly session cookie and returns the CSRF value."""
    user = _check_password(context, session, request, body.username, body.password)
    return start_session(response, session, context, user)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: DB, user: CurrentUser) -> None:
    token_value = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if token_value:
        revoke_token(session, token_value)
        session.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me", response_model=SessionOut)
def me(request: Request, session: DB, user: CurrentUser) -> SessionOut:
    """The signed-in user, and the session's CSRF value when signed in by cookie."""
    from synthera.server.accounts import lookup_token

    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and bearer_token(request) is None:
        found = lookup_token(session, cookie)
        csrf = found[1].csrf_token if found else None
    return SessionOut(user=UserOut.model_validate(user), csrf_token=csrf)


@router.post("/setup", response_model=SessionOut, status_code=201)
def setup(body: SetupIn, response: Response, session: DB, context: Context) -> SessionOut:
    """Create the first admin with the token from the setup link the server printed."""
    expected = context.setup_token
    if expected is None or count_users(session) > 0:
        raise HTTPException(409, "this server is already set up: sign in instead")
    if not same_secret(body.token, expected):
        raise HTTPException(403, "the setup token is wrong: use the link the server printed")
    user = create_user(session, body.username, body.password, is_admin=True)
    context.setup_token = None
    return start_session(response, session, context, user)
