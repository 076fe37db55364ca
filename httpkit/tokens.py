"""Signed bearer tokens: issued by records_svc at sign-in, verified by every service."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import jwt
from flask import g, request

from httpkit.problems import ProblemError

ISSUER = "carnet"
ALGORITHM = "HS256"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user id, name and rights carried by the token."""

    user_id: int
    username: str
    rights: frozenset[str]

    def has(self, right: str) -> bool:
        return right in self.rights


class UnauthorizedError(ProblemError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="carnet"'})


class ForbiddenError(ProblemError):
    status = 403


def issue_token(
    key: str, *, user_id: int, username: str, rights: Iterable[str], ttl_seconds: int
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "name": username,
        "rights": sorted(set(rights)),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_token(key: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("The token has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise UnauthorizedError("The token is invalid.") from exc
    try:
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims.get("name", "")),
            rights=frozenset(str(r) for r in claims.get("rights", [])),
        )
    except (TypeError, ValueError) as exc:
        raise UnauthorizedError("The token is invalid.") from exc


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise UnauthorizedError("This endpoint needs a bearer token (Authorization: Bearer …).")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:  # pragma: no cover - a view forgot @authenticated
        raise UnauthorizedError("Not signed in.")
    return cast(Principal, principal)


def authenticated(verify: Callable[[], Principal], *rights: str) -> Callable[[F], F]:
    """Decorator factory: ``verify`` turns the request into a Principal (or raises)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = verify()
            missing = [r for r in rights if not principal.has(r)]
            if missing:
                raise ForbiddenError(
                    f"This action needs the right '{missing[0]}'.", missing_right=missing[0]
                )
            g.principal = principal
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
