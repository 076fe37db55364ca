"""Users, their passwords and rights."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from httpkit.error_codes import field_error
from httpkit.userstate import UserState
from records_svc.domain import rights as rights_mod
from records_svc.domain.errors import ConflictError, FieldValidationError, NotFoundError
from records_svc.domain.models import User, UserRight

MIN_PASSWORD_LENGTH = 8
#: Settings.password_hashing → werkzeug's method; the cheap one is for test suites only
#: (a hash records its method: verifying reads it from the hash, whatever the setting)
HASH_METHODS = {"scrypt": "scrypt", "insecure-fast-for-tests": "pbkdf2:sha256:1"}


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"No user '{username}'.")
    return user


def _password_errors(password: str, field: str) -> list[dict[str, str]]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [field_error(field, "too_short", f"at least {MIN_PASSWORD_LENGTH} characters")]
    return []


def hash_password(password: str, hashing: str = "scrypt") -> str:
    return generate_password_hash(password, method=HASH_METHODS[hashing])


def create_user(
    session: Session,
    username: str,
    password: str,
    rights: Iterable[str] = (),
    *,
    display_name: str | None = None,
    hashing: str = "scrypt",
) -> User:
    username = username.strip()
    display_name = (display_name or "").strip() or None
    errors = []
    if display_name is not None and len(display_name) > 120:
        errors.append(field_error("display_name", "too_long", "at most 120 characters"))
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        errors.append(field_error("username", "invalid_format", "1 to 80 characters, no spaces"))
    errors += _password_errors(password, "password")
    try:
        names = sorted({rights_mod.resolve(r) for r in rights})
    except rights_mod.UnknownRightError as exc:
        errors.append(field_error("rights", "not_one_of", str(exc)))
        names = []
    if errors:
        raise FieldValidationError(errors)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"The user '{username}' exists already.")
    user = User(
        username=username,
        password_hash=hash_password(password, hashing),
        token_version=0,
        display_name=display_name,
    )
    user.rights = [UserRight(right=name) for name in names]
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash(hashing: str) -> str:
    """A constant hash of the current method, so that an unknown user costs as much as a
    wrong password."""
    return hash_password("carnet-timing-equaliser", hashing)


def authenticate(
    session: Session, username: str, password: str, *, hashing: str = "scrypt"
) -> User | None:
    """The active user with these credentials, or None (``hashing``: the method new
    passwords get, which an unknown user's check costs as much as)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(hashing), password)
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


def end_sessions(user: User) -> None:
    """The tokens issued so far stop working (on both services within 5 s)."""
    user.token_version = (user.token_version or 0) + 1


def revoke(session: Session, username: str, right: str) -> User:
    user = get_by_username(session, username)
    name = rights_mod.resolve(right)
    if name in user.right_names:
        user.rights = [r for r in user.rights if r.right != name]
        end_sessions(user)
    session.flush()
    return user


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    user = get_by_username(session, username)
    if user.disabled != disabled:
        user.disabled = disabled
        end_sessions(user)
    session.flush()
    return user


def set_password(
    session: Session, username: str, password: str, *, hashing: str = "scrypt"
) -> User:
    """An operator sets a password (``carnet users set-password``); sessions end."""
    user = get_by_username(session, username)
    return _replace_password(session, user, password, "password", hashing)


def change_password(
    session: Session, user_id: int, current: str, new: str, *, hashing: str = "scrypt"
) -> User:
    """The user changes their own password; every session of theirs ends, this one too."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}.")
    if not check_password_hash(user.password_hash, current):
        raise FieldValidationError(
            [field_error("current_password", "invalid", "is not your password")]
        )
    return _replace_password(session, user, new, "new_password", hashing)


def _replace_password(
    session: Session, user: User, password: str, field: str, hashing: str
) -> User:
    """A new password (checked, ``field`` named on refusal), every session of the user ended."""
    errors = _password_errors(password, field)
    if errors:
        raise FieldValidationError(errors)
    user.password_hash = hash_password(password, hashing)
    end_sessions(user)
    session.flush()
    return user


def sign_out(session: Session, user_id: int, token_version: int) -> bool:
    """End the user's sessions if the token signing out is still current."""
    user = session.get(User, user_id)
    if user is None or user.token_version != token_version:
        return False
    end_sessions(user)
    session.flush()
    return True


def state_of(session: Session, user_id: int) -> UserState | None:
    """What both services check on each request: token version, active flag, rights."""
    user = session.get(User, user_id)
    if user is None:
        return None
    return UserState.of(
        user.id, user.username, user.token_version or 0, not user.disabled, user.right_names
    )


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def require_user(session: Session, user_id: Any, field: str) -> int | None:
    """``user_id`` when such a user exists (None stays None); 422 naming ``field`` if not."""
    if user_id is None:
        return None
    if session.get(User, user_id) is None:
        raise FieldValidationError([field_error(field, "not_found", "no such user")])
    return int(user_id)


def list_active_users(session: Session) -> list[User]:
    """Who may own a record or be given an action (owner pickers)."""
    stmt = select(User).where(User.disabled.is_(False)).order_by(User.username)
    return list(session.scalars(stmt))
