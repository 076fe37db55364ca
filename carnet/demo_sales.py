"""Demo opportunities (signing over the next three months) and actions, for `carnet demo load`."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from records_svc.db import UnitOfWork
from records_svc.domain import actions, opportunities
from records_svc.domain.models import Account, Contact

TITLES = (
    "Renouvellement du parc informatique",
    "Contrat de maintenance annuel",
    "Déploiement CRM",
    "Formation des équipes commerciales",
    "Audit de sécurité",
    "Migration vers le cloud",
    "Extension de licence",
    "Équipement du nouveau site",
    "Accompagnement RGPD",
    "Infogérance",
)
SUBJECTS = {
    "call": ("Premier appel", "Relance téléphonique", "Point d'avancement"),
    "meeting": ("Rendez-vous de découverte", "Démonstration", "Négociation finale"),
    "email": ("Envoi de la proposition", "Compte rendu de réunion", "Envoi des tarifs"),
    "task": ("Préparer le devis", "Mettre à jour la proposition", "Vérifier le Kbis"),
}
#: stage, weight, and whether its signing date lies behind us
STAGE_MIX = (
    ("qualification", 30, False),
    ("proposal", 30, False),
    ("negotiation", 25, False),
    ("won", 10, True),
    ("lost", 5, True),
)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), UTC)


def load(uow: UnitOfWork, owner_id: int, *, seed: int, today: date | None = None) -> dict[str, int]:
    """Opportunities on about 40 % of the accounts, each with its contacts and actions."""
    rng = random.Random(seed + 6)
    today = today or datetime.now(UTC).date()
    session = uow.session
    by_account: dict[int, list[int]] = defaultdict(list)
    for contact_id, account_id in session.execute(
        select(Contact.id, Contact.account_id).order_by(Contact.id)
    ):
        by_account[account_id].append(contact_id)
    totals = {"opportunities": 0, "actions": 0}
    accounts = session.execute(
        select(Account.id, Account.kind, Account.closed).order_by(Account.id)
    )
    for account_id, kind, closed in list(accounts):
        if closed or rng.random() > 0.4:
            continue
        contact_ids = by_account.get(account_id, [])
        for _ in range(rng.choice((1, 1, 2))):
            stage, _, past = rng.choices(STAGE_MIX, weights=[w for _, w, _ in STAGE_MIX])[0]
            offset = -rng.randint(1, 60) if past else rng.randint(0, 91)
            opportunity = opportunities.create_opportunity(
                uow,
                owner_id,
                {
                    "account_id": account_id,
                    "title": rng.choice(TITLES),
                    "amount": Decimal(rng.randrange(1500, 150000, 50)),
                    "stage": stage,
                    "expected_signing_date": today + timedelta(days=offset),
                    "contact_ids": rng.sample(contact_ids, min(len(contact_ids), 2)),
                },
            )
            totals["opportunities"] += 1
            for _ in range(rng.randint(1, 3)):
                kind_of_action = rng.choice(tuple(SUBJECTS))
                day = today + timedelta(days=rng.randint(-30, 30))
                target = (
                    {"kind": "contact", "id": rng.choice(contact_ids)}
                    if contact_ids and rng.random() < 0.6
                    else {"kind": kind, "id": account_id}
                )
                actions.create_from_opportunity(
                    uow,
                    owner_id,
                    opportunity.id,
                    {
                        "type": kind_of_action,
                        "subject": rng.choice(SUBJECTS[kind_of_action]),
                        "due_at": _at(day, rng),
                        "done": day < today,
                        "target": target,
                    },
                )
                totals["actions"] += 1
    return totals
