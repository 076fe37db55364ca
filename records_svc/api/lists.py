"""What the list views share: their query arguments turned into a ``ListQuery``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from httpkit.tokens import current_principal
from records_svc.domain.listing import ListQuery, check_filters

#: the query arguments every list takes beside its filters
PAGING = ("cursor", "limit")


def user_id_of(value: str | int | None) -> int | None:
    """``me`` → the caller; a user id as is."""
    if value is None:
        return None
    if value == "me":
        return current_principal().user_id
    return int(value)


def list_query(args: Mapping[str, Any], known: Collection[str], *, custom: bool) -> ListQuery:
    """The filters of ``args``; 422 naming any the list does not know."""
    names = [name for name in args if name not in PAGING]
    check_filters(names, known, custom=custom)
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
        custom={k.removeprefix("custom."): str(v) for k, v in args.items() if k.startswith("custom.")},
        sort=args.get("sort"),
    )
