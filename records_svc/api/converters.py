"""URL converters: record ids are positive integers that fit an INTEGER key."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the INTEGER primary keys of PostgreSQL


class IdConverter(IntegerConverter):
    """``<id:account_id>``: 1 … 2**31-1; anything else is a 404 before a query is made."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)

    @staticmethod
    def openapi_schema(converter: IntegerConverter) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
