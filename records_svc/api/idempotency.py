"""``Idempotency-Key`` on every POST of the records API, as one request hook.

A client that did not get the answer of a POST (a connection reset, a timeout)
sends it again with the same key: the first answer comes back (status, body,
``Location``, ``ETag``) with ``Idempotent-Replayed: true``, and nothing is
created twice. The same key with another request is a 422; while the first
request still runs, a 409 with ``Retry-After``. Only successful answers are
kept (24 hours, per user); a failed request wrote nothing and may run again.
"""

from __future__ import annotations

import hashlib
import re

from flask import Flask, Response, g, request

from httpkit.error_codes import field_error
from httpkit.problems import ProblemError
from records_svc.api.common import _verify, services
from records_svc.domain import idempotency

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: visible ASCII, as the IETF draft's examples (UUIDs, random strings)
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")
#: the headers of the first answer that a replay repeats
_KEPT = ("Location", "ETag", "Content-Type", "Content-Location")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True, parse_form_data=False))
    return digest.hexdigest()


def _error(detail: str, status: int, code: str, **headers: str) -> ProblemError:
    return ProblemError(
        detail, status=status, errors=[field_error(HEADER, code, detail)], headers=headers
    )


def init_app(app: Flask) -> None:
    @app.before_request
    def _replay_or_reserve() -> Response | None:
        if request.method != "POST" or HEADER not in request.headers:
            return None
        key = request.headers[HEADER]
        if not _VALID.match(key):
            raise _error("must be 1 to 255 visible ASCII characters", 400, "invalid_header")
        try:
            user_id = _verify().user_id
        except ProblemError:
            return None  # not signed in: the view answers that, and nothing is kept
        try:
            with services().db.unit_of_work() as uow:
                answer = idempotency.reserve(uow.session, user_id, key, _fingerprint())
        except idempotency.KeyReusedError:
            raise _error(
                "this key was already used for another request", 422, "key_reused"
            ) from None
        except idempotency.KeyInFlightError:
            raise _error(
                "the first request with this key is still running",
                409,
                "in_flight",
                **{"Retry-After": "1"},
            ) from None
        if answer is not None:
            replay = Response(answer.body, status=answer.status, headers=answer.headers)
            replay.headers[REPLAYED] = "true"
            return replay
        g.carnet_idempotency = (user_id, key)
        return None

    @app.after_request
    def _keep_answer(response: Response) -> Response:
        held = g.pop("carnet_idempotency", None)
        if held is not None:
            answer = None
            if 200 <= response.status_code < 300 and not response.is_streamed:
                headers = {h: response.headers[h] for h in _KEPT if h in response.headers}
                answer = idempotency.Answer(response.status_code, headers, response.get_data())
            _settle(held, answer)
        return response

    @app.teardown_request
    def _release(_: BaseException | None) -> None:
        held = g.pop("carnet_idempotency", None)
        if held is not None:  # the request ended without an answer (an exception)
            _settle(held, None)


def _settle(held: tuple[int, str], answer: idempotency.Answer | None) -> None:
    user_id, key = held
    with services().db.unit_of_work() as uow:
        idempotency.settle(uow.session, user_id, key, answer)
