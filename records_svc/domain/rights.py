"""Named rights. Two come from the desktop ERP, with their numeric codes."""

from __future__ import annotations

VALIDATE_PROSPECT = "validate_prospect"
SHOW_CLOSED_ACCOUNTS = "show_closed_accounts"
MANAGE_FIELDS = "manage_fields"
MANAGE_TEMPLATES = "manage_templates"
MANAGE_USERS = "manage_users"
ERP_SYNC = "erp_sync"
#: merge two accounts into one (merging a client needs erp_sync too)
MERGE_ACCOUNTS = "merge_accounts"

ALL_RIGHTS = (
    VALIDATE_PROSPECT,
    SHOW_CLOSED_ACCOUNTS,
    MANAGE_FIELDS,
    MANAGE_TEMPLATES,
    MANAGE_USERS,
    ERP_SYNC,
    MERGE_ACCOUNTS,
)

#: The ERP's right codes, accepted wherever a right is named.
ERP_CODES = {"191515": VALIDATE_PROSPECT, "191516": SHOW_CLOSED_ACCOUNTS}


class UnknownRightError(ValueError):
    pass


def resolve(right: str) -> str:
    """A right name, or an ERP code such as 191515, to its name."""
    name = ERP_CODES.get(right.strip(), right.strip())
    if name not in ALL_RIGHTS:
        known = ", ".join(ALL_RIGHTS)
        raise UnknownRightError(
            f"unknown right '{right}' (known: {known}; ERP codes 191515, 191516)"
        )
    return name
