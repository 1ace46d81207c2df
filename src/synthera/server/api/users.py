"""Accounts, managed by admins: GET /users, POST /users."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from synthera.server.accounts import create_user
from synthera.server.api.deps import DB, AdminUser
from synthera.server.api.schemas import NewUser, UserOut
from synthera.server.tables import User

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserOut])
def list_users(session: DB, admin: AdminUser) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@router.post("", response_model=UserOut, status_code=201)
def add_user(body: NewUser, session: DB, admin: AdminUser) -> User:
    user = create_user(session, body.username, body.password, is_admin=body.is_admin)
    session.commit()
    return user
