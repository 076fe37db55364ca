"""Applying a SIRENE look-up to a prospect: one versioned write, re-indexed like any edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from records_svc.db import UnitOfWork
from records_svc.domain import accounts, history
from records_svc.domain.models import Account


def apply_lookup(
    uow: UnitOfWork,
    account_id: int,
    fields: Mapping[str, Any],
    *,
    expected_version: int | None,
) -> tuple[Account, list[dict[str, Any]]]:
    """Write ``fields`` (what the look-up says the record receives) to the prospect.

    A SIREN look-up keeps the prospect's SIRET only if it belongs to that SIREN.
    Returns the prospect and the warnings the write itself adds.
    """
    account = accounts.get_account(uow.session, account_id, accounts.PROSPECT)
    history.tag(uow.session, history.SIRENE_FILLED)
    data = dict(fields)
    warnings: list[dict[str, Any]] = []
    siren = data.get("siren")
    if "siret" not in data and siren and account.siret and account.siret[:9] != siren:
        data["siret"] = None
        warnings.append(
            {
                "field": "siret",
                "code": "cleared",
                "message": f"SIRET {account.siret} effacé : il appartient à une autre entreprise.",
            }
        )
    updated = accounts.update_account(
        uow, account_id, data, expected_version=expected_version, kind=accounts.PROSPECT
    )
    return updated, warnings
