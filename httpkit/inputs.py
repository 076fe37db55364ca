"""Input hygiene shared by every service, applied once to every request before its view.

- A JSON body is parsed here first, under limits: its size (413), its depth (400) and
  the length of its integer literals, so that no later parser meets a body that makes
  Python recurse too deep or spend seconds converting a 5,000-digit number.
- No text may carry a NUL (PostgreSQL text cannot hold one) nor a lone surrogate such
  as ``"\\ud800"`` (not encodable in UTF-8, so no database can store it), and no integer
  may fall outside what JSON clients read exactly (±2**53 - 1): 422 naming each field.

One rule here instead of a check in every schema; the views then parse a body known
to be harmless.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app, request

from httpkit.error_codes import field_error
from httpkit.problems import ProblemError

#: app.config keys (each service sets them from its settings)
MAX_JSON_BYTES_KEY = "CARNET_MAX_JSON_BYTES"
MAX_JSON_DEPTH_KEY = "CARNET_MAX_JSON_DEPTH"
DEFAULT_MAX_JSON_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 32

#: the integers a JSON client (the portal's JavaScript) reads exactly
MAX_SAFE_INTEGER = 2**53 - 1
#: longer literals are not even converted (int() of 4,300+ digits raises, and is slow before)
_MAX_INT_LITERAL = len(str(MAX_SAFE_INTEGER)) + 2
_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER_MESSAGE = f"an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"


class _OversizedInteger:
    """Stands for an integer literal too long to convert, so that the walk names its field."""


_OVERSIZED = _OversizedInteger()


def _parse_int(literal: str) -> int | _OversizedInteger:
    return _OVERSIZED if len(literal) > _MAX_INT_LITERAL else int(literal)


def _field(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    if _SURROGATE.search(value):
        return "contains a lone surrogate (not valid Unicode text)"
    return None


def _invalid_values(value: Any, path: str) -> Iterator[dict[str, str]]:
    """The error entry of every value no field of Carnet can hold."""
    if isinstance(value, str):
        message = _text_problem(value)
        if message:
            yield field_error(path or "body", "unstorable_text", message)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | _OversizedInteger):
        if isinstance(value, _OversizedInteger) or abs(value) > MAX_SAFE_INTEGER:
            yield field_error(path or "body", "out_of_range", _INTEGER_MESSAGE)
    elif isinstance(value, dict):
        for key, sub in value.items():
            key_problem = _text_problem(key) if isinstance(key, str) else None
            if key_problem:
                yield field_error(_field(path, repr(key)), "unstorable_text", key_problem)
            yield from _invalid_values(sub, _field(path, str(key)))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _invalid_values(sub, f"{path}[{index}]")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (without recursion: the body may be hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((sub, level + 1) for sub in node)
    return deepest


def _limit(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def _json_body() -> Any:
    """The request's JSON body, parsed under the limits; None when it is not JSON at all."""
    max_bytes = _limit(MAX_JSON_BYTES_KEY, DEFAULT_MAX_JSON_BYTES)
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    data = request.get_data(cache=True)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    max_depth = _limit(MAX_JSON_DEPTH_KEY, DEFAULT_MAX_JSON_DEPTH)
    try:
        body = json.loads(data, parse_int=_parse_int)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:
        return None  # not JSON: the view's parser answers 400 with its own words
    if _depth(body) > max_depth:
        raise _too_deep(max_depth)
    return body


def _too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        f"The JSON body is larger than {max_bytes} bytes.", status=413, max_bytes=max_bytes
    )


def _too_deep(max_depth: int) -> ProblemError:
    return ProblemError(
        f"The JSON body nests arrays and objects more than {max_depth} levels deep.",
        status=400,
        max_depth=max_depth,
    )


def _check_request() -> None:
    found: list[dict[str, str]] = []
    for key, value in request.args.items(multi=True):
        found += _invalid_values(value, key)
    if request.is_json:
        found += _invalid_values(_json_body(), "")
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in request.form.items(multi=True):
            found += _invalid_values(value, key)
    if found:
        fields = ", ".join(sorted({error["field"] for error in found}))
        raise ProblemError(
            f"Some fields hold values Carnet cannot store: {fields}.",
            status=422,
            errors=found,
        )


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
