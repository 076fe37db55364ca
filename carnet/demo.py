"""`carnet demo load`: a realistic French data set, written through the domain."""

from __future__ import annotations

import random

import phonenumbers

from carnet import demo_sales
from carnet.fakedata import companies
from records_svc.db import Database
from records_svc.domain import accounts, contacts, users

DEMO_SEED = 20261127


def _valid_phone(value: str) -> str | None:
    parsed = phonenumbers.parse(value, "FR")
    return value if phonenumbers.is_valid_number(parsed) else None


def load(db: Database, *, count: int = 300, seed: int = DEMO_SEED) -> dict[str, int]:
    """Write ``count`` accounts (about a quarter clients, a few closed) with their contacts."""
    rng = random.Random(seed)
    totals = {"prospects": 0, "clients": 0, "closed_clients": 0, "contacts": 0}
    with db.unit_of_work() as uow:
        owner = users.list_users(uow.session)
        owner_id = owner[0].id if owner else None
        for i, company in enumerate(companies(count, seed=seed)):
            data = {
                "name": company.name,
                "legal_name": company.legal_name,
                "siren": company.siren,
                "siret": company.siret,
                "ape_code": company.ape_code,
                "address": {
                    "line1": company.line1,
                    "postal_code": company.postal_code,
                    "city": company.city,
                    "country": "France",
                },
                "phone": _valid_phone(company.phone),
                "email": company.email,
                "website": company.website,
            }
            if i % 4 == 3:
                closed = rng.random() < 0.12
                account, _ = accounts.sync_client(
                    uow, f"ERP-{10000 + i}", {**data, "closed": closed}
                )
                totals["clients"] += 1
                totals["closed_clients"] += int(closed)
            else:
                if owner_id is None:
                    raise RuntimeError("create a user first (carnet serve creates the admin)")
                account = accounts.create_prospect(uow, owner_id, data)
                if rng.random() < 0.4:
                    accounts.validate_prospect(uow, account.id)
                totals["prospects"] += 1
            for person in company.contacts:
                contacts.create_contact(
                    uow,
                    account.id,
                    {
                        "civility": person.civility,
                        "first_name": person.first_name,
                        "last_name": person.last_name,
                        "job_title": person.job_title,
                        "direct_line": _valid_phone(person.direct_line),
                        "mobile": _valid_phone(person.mobile),
                        "email": person.email,
                    },
                )
                totals["contacts"] += 1
        if owner_id is not None:
            totals.update(demo_sales.load(uow, owner_id, seed=seed))
    return totals
