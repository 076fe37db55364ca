"""Input hygiene shared by every service: no NUL characters anywhere in a request.

PostgreSQL text cannot hold NUL, and no field of Carnet has a use for one, so a
request carrying it is refused up front with the field at fault, whatever the
endpoint (one rule instead of a check in every schema).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, request

from httpkit.problems import ProblemError


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, sub in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield f"{path}.{key!r}" if path else repr(key)
            yield from _nul_paths(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _nul_paths(sub, f"{path}[{index}]")


def _check_request() -> None:
    fields: list[str] = []
    for key, value in request.args.items(multi=True):
        fields += _nul_paths(value, key)
    if request.mimetype == "application/json":
        fields += _nul_paths(request.get_json(silent=True), "")
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in request.form.items(multi=True):
            fields += _nul_paths(value, key)
    if fields:
        raise ProblemError(
            "NUL characters are not allowed in any field.",
            status=422,
            errors=[{"field": field, "message": "contains a NUL character"} for field in fields],
        )


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
