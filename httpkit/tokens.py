"""Signed bearer tokens: issued by records_svc at sign-in, verified by every service."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import jwt
from flask import Response, g, request

from httpkit.error_codes import CSRF_FAILED
from httpkit.problems import ProblemError

ISSUER = "carnet"
ALGORITHM = "HS256"

#: the portal's session: the same signed token, in an HttpOnly, SameSite=Strict cookie
SESSION_COOKIE = "carnet_session"
#: readable by the page's script, which echoes it in CSRF_HEADER on unsafe methods
CSRF_COOKIE = "carnet_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user id and name, the token version, and the rights they hold.

    Decoded from a token, ``rights`` are those the token was issued with; once
    checked against the user's current state (httpkit.userstate.check_current)
    they are the user's current ones.
    """

    user_id: int
    username: str
    rights: frozenset[str]
    token_version: int = 0

    def has(self, right: str) -> bool:
        return right in self.rights


class UnauthorizedError(ProblemError):
    status = 401

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="carnet"'}, **extra)


class ForbiddenError(ProblemError):
    status = 403


def issue_token(
    key: str,
    *,
    user_id: int,
    username: str,
    rights: Iterable[str],
    ttl_seconds: int,
    token_version: int = 0,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "name": username,
        "rights": sorted(set(rights)),
        "ver": token_version,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


#: tokens whose signature was verified, with their claims (a type-ahead sends the same
#: token on every key stroke, and the HMAC check and claims parsing cost more than a search)
VERIFIED_CACHE_SIZE = 4096
_verified: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_verified_lock = threading.Lock()


def _verified_claims(key: str, token: str) -> dict[str, Any]:
    """The token's claims once its signature and claims are checked; a token checked before
    is not checked again until it expires (a bounded LRU keyed by key and token)."""
    entry = (key, token)
    with _verified_lock:
        claims = _verified.get(entry)
        if claims is not None:
            if claims["exp"] > time.time():
                _verified.move_to_end(entry)
                return claims
            del _verified[entry]
    claims = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss"]},
    )
    if isinstance(claims.get("exp"), int | float):
        with _verified_lock:
            _verified[entry] = claims
            while len(_verified) > VERIFIED_CACHE_SIZE:
                _verified.popitem(last=False)
    return claims


def decode_token(key: str, token: str) -> Principal:
    """The caller the token names, once verified (signature checks are cached per token)."""
    try:
        claims = _verified_claims(key, token)
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("The token has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise UnauthorizedError("The token is invalid.") from exc
    try:
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims.get("name", "")),
            rights=frozenset(str(r) for r in claims.get("rights", [])),
            token_version=int(claims.get("ver", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise UnauthorizedError("The token is invalid.") from exc


def bearer_token() -> str:
    """The caller's token: the ``Authorization: Bearer`` header, else the session cookie.

    A bearer header always wins and behaves as it always did. Without one, the
    portal's session cookie is accepted; on unsafe methods it must come with the
    CSRF header (double submit), since a browser sends cookies by itself.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        session = request.cookies.get(SESSION_COOKIE, "").strip()
        if session:
            check_csrf(session)
            return session
        raise UnauthorizedError("This endpoint needs a bearer token (Authorization: Bearer …).")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token bound to a session: only who can read the session cookie can derive it."""
    return hashlib.sha256(b"carnet-csrf:" + session_token.encode()).hexdigest()


def check_csrf(session_token: str) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token_for(session_token).encode()):
        raise ForbiddenError(
            f"A request signed in by the session cookie must carry the {CSRF_HEADER} header "
            f"(the value of the {CSRF_COOKIE} cookie).",
            title="CSRF check failed",
            code=CSRF_FAILED,
        )


def set_session_cookies(response: Response, token: str, max_age: int) -> None:
    """Sign the browser in: the token HttpOnly, its CSRF token readable, both SameSite=Strict."""
    secure = request.is_secure
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=secure,
        samesite="Strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(token),
        max_age=max_age,
        path="/",
        httponly=False,
        secure=secure,
        samesite="Strict",
    )


def clear_session_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="Strict")


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
