"""Representations shared by the opportunity and action blueprints."""

from __future__ import annotations

from typing import Any

from records_svc.api.common import API, account_path, iso
from records_svc.domain.opportunities import CLOSED_STAGES, CalendarDay
from records_svc.domain.opportunity_models import Action, Opportunity


def opportunity_path(opportunity_id: int) -> str:
    return f"{API}/opportunities/{opportunity_id}"


def opportunity_repr(opportunity: Opportunity) -> dict[str, Any]:
    path = opportunity_path(opportunity.id)
    return {
        "id": opportunity.id,
        "account_id": opportunity.account_id,
        "account": opportunity.account,  # dumped by AccountRefSchema
        "title": opportunity.title,
        "amount": f"{opportunity.amount:.2f}",
        "currency": opportunity.currency,
        "stage": opportunity.stage,
        "open": opportunity.stage not in CLOSED_STAGES,
        "probability": opportunity.probability,
        "expected_signing_date": opportunity.expected_signing_date.isoformat(),
        "owner_id": opportunity.owner_id,
        "contact_ids": [c.id for c in opportunity.contacts],
        "contacts": [
            {
                "id": c.id,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "link": f"{API}/contacts/{c.id}",
            }
            for c in opportunity.contacts
        ],
        "version": opportunity.version,
        "created_at": iso(opportunity.created_at),
        "updated_at": iso(opportunity.updated_at),
        "links": {
            "self": path,
            "account": account_path(opportunity.account),
            "contacts": f"{path}/contacts",
            "actions": f"{path}/actions",
        },
    }


def calendar_day_repr(day: CalendarDay) -> dict[str, Any]:
    return {
        "date": day.date.isoformat(),
        "count": len(day.opportunities),
        "totals": {c: f"{v:.2f}" for c, v in sorted(day.totals.items())},
        "weighted_totals": {c: f"{v:.2f}" for c, v in sorted(day.weighted_totals.items())},
        "items": [opportunity_repr(o) for o in day.opportunities],
    }


def action_repr(action: Action) -> dict[str, Any]:
    kind, target_id = action.target_kind, action.target_id
    target_link = f"{API}/{kind}s/{target_id}"
    return {
        "id": action.id,
        "type": action.type,
        "subject": action.subject,
        "notes": action.notes,
        "due_at": iso(action.due_at),
        "done": bool(action.done),
        "done_at": iso(action.done_at),
        "author_id": action.author_id,
        "assignee_id": action.assignee_id,
        "target": {"kind": kind, "id": target_id, "link": target_link},
        "account": action.account,  # dumped by AccountRefSchema
        "opportunity_id": action.opportunity_id,
        "version": action.version,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
        "links": {
            "self": f"{API}/actions/{action.id}",
            "target": target_link,
            "opportunity": (
                opportunity_path(action.opportunity_id) if action.opportunity_id else None
            ),
        },
    }
