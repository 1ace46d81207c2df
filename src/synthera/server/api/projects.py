"""Shared projects: a user makes one, adds others by name, and puts datasets in it.

POST   /projects                          create (the caller owns it and is its first member)
GET    /projects                          the projects the caller belongs to
GET    /projects/{id}                     one, with its members (404 for non-members)
DELETE /projects/{id}                     owner only; its datasets become private again
POST   /projects/{id}/members             owner only: add a user by name
DELETE /projects/{id}/members/{user_id}   owner, or a member leaving; not the owner
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from synthera.errors import ParameterError
from synthera.server.access import member_project, member_project_ids
from synthera.server.accounts import USERNAME
from synthera.server.api.deps import DB, CurrentUser
from synthera.server.api.schemas import MemberIn, MemberOut, ProjectIn, ProjectOut
from synthera.server.tables import Project, ProjectMember, User, new_id

router = APIRouter(prefix="/projects", tags=["projects"])


def describe(session: Session, project: Project) -> ProjectOut:
    rows = session.execute(
        select(User.id, User.username, ProjectMember.added_at)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id)
        .order_by(ProjectMember.added_at, User.username)
    )
    members = [MemberOut(id=i, username=name, added_at=at) for i, name, at in rows]
    return ProjectOut(
        id=project.id,
        name=project.name,
        owner_id=project.owner_id,
        created_at=project.created_at,
        members=members,
    )


def owned_project(session: Session, project_id: str, user: User) -> Project:
    project = member_project(session, project_id, user)
    if project.owner_id != user.id:
        raise HTTPException(403, "only the project's owner can do this")
    return project


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectIn, session: DB, user: CurrentUser) -> ProjectOut:
    name = body.name.strip()
    if not name or not name.isprintable():
        raise ParameterError("a project name needs visible characters and no line breaks")
    project = Project(id=new_id(), owner_id=user.id, name=name)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=user.id))
    session.commit()
    return describe(session, project)


@router.get("", response_model=list[ProjectOut])
def list_projects(session: DB, user: CurrentUser) -> list[ProjectOut]:
    query = select(Project).where(Project.id.in_(member_project_ids(user)))
    return [describe(session, p) for p in session.scalars(query.order_by(Project.name))]


@router.get("/{project_id}", response_model=ProjectOut)
def read_project(project_id: str, session: DB, user: CurrentUser) -> ProjectOut:
    return describe(session, member_project(session, project_id, user))


@router.delete("/{project_id}", status_code=204)
def delete_project(project_id: str, session: DB, user: CurrentUser) -> None:
    """The datasets in it stay with their owners, private again (the database's SET NULL)."""
    session.delete(owned_project(session, project_id, user))
    session.commit()


@router.post("/{project_id}/members", response_model=ProjectOut, status_code=201)
def add_member(project_id: str, body: MemberIn, session: DB, user: CurrentUser) -> ProjectOut:
    project = owned_project(session, project_id, user)
    other = None
    if USERNAME.match(body.username):  # no odd characters reach the database
        other = session.scalar(
            select(User).where(func.lower(User.username) == body.username.lower())
        )
    if other is None:
        raise ParameterError(f"there is no user named {body.username!r}")
    if session.get(ProjectMember, (project.id, other.id)) is None:
        session.add(ProjectMember(project_id=project.id, user_id=other.id))
        session.commit()
    return describe(session, project)


@router.delete("/{project_id}/members/{user_id}", status_code=204)
def remove_member(project_id: str, user_id: str, session: DB, user: CurrentUser) -> None:
    """The owner removes anyone else; a member may leave. Either way they lose sight of the
    project's datasets and everything made from them, their own runs included."""
    project = member_project(session, project_id, user)
    if user.id not in (user_id, project.owner_id):  # neither leaving nor the owner
        raise HTTPException(403, "only the project's owner can remove other members")
    if user_id == project.owner_id:
        raise HTTPException(409, "the owner cannot leave the project: delete it instead")
    member = session.get(ProjectMember, (project.id, user_id))
    if member is None:
        raise HTTPException(404, f"user {user_id} is not a member of this project")
    session.delete(member)
    session.commit()
