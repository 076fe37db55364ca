"""Users, their passwords and rights."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from records_svc.domain import rights as rights_mod
from records_svc.domain.errors import ConflictError, FieldValidationError, NotFoundError
from records_svc.domain.models import User, UserRight

MIN_PASSWORD_LENGTH = 8
# A constant hash so that an unknown user costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("carnet-timing-equaliser")


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"No user '{username}'.")
    return user


def create_user(session: Session, username: str, password: str, rights: Iterable[str] = ()) -> User:
    username = username.strip()
    errors = []
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        errors.append({"field": "username", "message": "1 to 80 characters, no spaces"})
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            {"field": "password", "message": f"at least {MIN_PASSWORD_LENGTH} characters"}
        )
    try:
        names = sorted({rights_mod.resolve(r) for r in rights})
    except rights_mod.UnknownRightError as exc:
        errors.append({"field": "rights", "message": str(exc)})
        names = []
    if errors:
        raise FieldValidationError(errors)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"The user '{username}' exists already.")
    user = User(username=username, password_hash=generate_password_hash(password))
    user.rights = [UserRight(right=name) for name in names]
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    return user


def grant(session: Session, username: str, right: str) -> User:
    user = get_by_username(session, username)
    name = rights_mod.resolve(right)
    if name not in user.right_names:
        user.rights.append(UserRight(right=name))
    session.flush()
    return user


def revoke(session: Session, username: str, right: str) -> User:
    user = get_by_username(session, username)
    name = rights_mod.resolve(right)
    user.rights = [r for r in user.rights if r.right != name]
    session.flush()
    return user


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    user = get_by_username(session, username)
    user.disabled = disabled
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def is_active(session: Session, user_id: int) -> bool:
    return session.scalar(select(User.disabled).where(User.id == user_id)) is False
