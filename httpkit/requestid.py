"""A request id on every request: taken from ``X-Request-ID`` or made, logged, echoed back.

Records enqueue jobs within the request, so the id set here is the one the job
queue puts on the jobs' messages.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from config.logs import HTTP_HEADER, current_request_id, reset_request_id, set_request_id

log = logging.getLogger("carnet.http")

#: what a caller's id may look like; anything else is replaced by a new one
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def init_app(app: Flask) -> None:
    @app.before_request
    def _begin() -> None:
        given = request.headers.get(HTTP_HEADER, "")
        g.carnet_request_token = set_request_id(given if _VALID.match(given) else uuid.uuid4().hex)
        g.carnet_request_started = time.perf_counter()

    @app.after_request
    def _answer(response: Response) -> Response:
        request_id = current_request_id()
        if request_id:
            response.headers[HTTP_HEADER] = request_id
        started = g.get("carnet_request_started")
        if started is not None:
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def _end(_: BaseException | None) -> None:
        token = g.pop("carnet_request_token", None)
        if token is not None:
            try:
                reset_request_id(token)
            except ValueError:  # torn down in another context (a test client kept open)
                set_request_id(None)
