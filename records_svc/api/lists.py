"""What the list views share: their query arguments turned into a ``ListQuery``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from flask import request

from httpkit.tokens import current_principal
from records_svc.domain.listing import ListQuery, check_filters

#: the query arguments every list takes beside its filters
PAGING = ("cursor", "limit")


def user_id_of(value: str | int | None) -> int | None:
    """``me`` → the caller; a user id as is; ``all`` (or nothing): None, anyone."""
    if value is None or value == "all":
        return None
    if value == "me":
        return current_principal().user_id
    return int(value)


def check_query(known: Collection[str], *, custom: bool) -> dict[str, str]:
    """422 naming each query argument the list does not know; the ``custom.<key>`` ones.

    Read from the query string itself: the schema drops what it does not declare.
    """
    names = [name for name in request.args if name not in PAGING]
    check_filters(names, known, custom=custom)
    return {
        name.removeprefix("custom."): request.args[name]
        for name in names
        if name.startswith("custom.")
    }


def no_query() -> None:
    """422 naming each query argument of a view that takes none (a job, a file), as a
    list refuses an unknown filter: a misspelt argument is never ignored."""
    check_filters(list(request.args), (), custom=False)


def list_query(args: Mapping[str, Any], known: Collection[str], *, custom: bool) -> ListQuery:
    """The filters of ``args`` (as the schema loaded them); 422 for unknown ones."""
    custom_filters = check_query(known, custom=custom)
    owner = args.get("owner")
    return ListQuery(
        owner_id=user_id_of(owner if owner is not None else args.get("owner_id")),
        kind=args.get("kind"),
        status=args.get("status"),
        closed=args.get("closed"),
        city=args.get("city"),
        postal_code=args.get("postal_code"),
        updated_since=args.get("updated_since"),
        q=args.get("q"),
        custom=custom_filters,
        sort=args.get("sort"),
    )
