"""A user's calendar feed: a secret iCalendar URL (RFC 5545) a phone's calendar subscribes to.

The token is random (256 bits) and only its SHA-256 is kept: it is shown once, when
made, and gives access to that one feed. The feed lists the user's open actions (each
with a reminder) and the expected signing dates of their open opportunities, under the
access policy of the user's rights as they are now.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from records_svc.domain import access
from records_svc.domain.errors import NotFoundError
from records_svc.domain.list_models import CalendarFeed
from records_svc.domain.listing import utc
from records_svc.domain.models import User
from records_svc.domain.opportunities import OPEN_STAGES
from records_svc.domain.opportunity_models import Action, Opportunity

#: how long before an action the phone reminds of it
REMINDER = timedelta(minutes=15)
ACTION_LENGTH = timedelta(minutes=30)
TYPE_LABELS = {"call": "Appel", "meeting": "Rendez-vous", "email": "E-mail", "task": "Tâche"}
MAX_EVENTS = 2000


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(session: Session, user_id: int) -> tuple[CalendarFeed, str]:
    """A new secret token for the user's feed (the previous URL stops working)."""
    session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user_id, token_hash=_digest(token))
    session.add(feed)
    session.flush()
    return feed, token


def get_feed(session: Session, user_id: int) -> CalendarFeed:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed is None:
        raise NotFoundError("No calendar feed; create one with POST.")
    return feed


def revoke_feed(session: Session, user_id: int) -> None:
    session.delete(get_feed(session, user_id))
    session.flush()


def feed_owner(session: Session, token: str) -> User:
    """The active user whose feed ``token`` opens; 404 for any other token."""
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token)))
    user = session.get(User, feed.user_id) if feed is not None else None
    if user is None or user.disabled:
        raise NotFoundError("No such calendar.")
    return user


def render_feed(session: Session, user: User, *, host: str, now: datetime) -> str:
    """The user's calendar, seen with their rights (a closed client stays hidden)."""
    access.bind(session, access.AccessPolicy.for_rights(user.right_names))
    policy = access.of(session)
    actions = session.scalars(
        policy.visible_by_account(select(Action), Action.account_id)
        .where(Action.assignee_id == user.id, Action.done.is_(False))
        .order_by(Action.due_at, Action.id)
        .limit(MAX_EVENTS)
    )
    opportunities = session.scalars(
        policy.visible_by_account(select(Opportunity), Opportunity.account_id)
        .where(Opportunity.owner_id == user.id, Opportunity.stage.in_(OPEN_STAGES))
        .order_by(Opportunity.expected_signing_date, Opportunity.id)
        .limit(MAX_EVENTS)
    )
    stamp = _instant(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Carnet//Agenda commercial//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _property("X-WR-CALNAME", f"Carnet — {user.display_name or user.username}"),
    ]
    for action in actions:
        lines += _action_event(action, host, stamp)
    for opportunity in opportunities:
        lines += _signing_event(opportunity, host, stamp)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _action_event(action: Action, host: str, stamp: str) -> list[str]:
    start = utc(action.due_at)
    label = TYPE_LABELS.get(action.type, action.type)
    summary = f"{label} : {action.subject} ({action.account.name})"
    lines = [
        "BEGIN:VEVENT",
        f"UID:action-{action.id}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_instant(start)}",
        f"DTEND:{_instant(start + ACTION_LENGTH)}",
        _property("SUMMARY", summary),
    ]
    if action.notes:
        lines.append(_property("DESCRIPTION", action.notes))
    lines += [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER:-PT{int(REMINDER.total_seconds() // 60)}M",
        _property("DESCRIPTION", summary),
        "END:VALARM",
        "END:VEVENT",
    ]
    return lines


def _signing_event(opportunity: Opportunity, host: str, stamp: str) -> list[str]:
    day = opportunity.expected_signing_date
    summary = f"Signature prévue : {opportunity.title} ({opportunity.account.name})"
    return [
        "BEGIN:VEVENT",
        f"UID:opportunity-{opportunity.id}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_day(day)}",
        f"DTEND;VALUE=DATE:{_day(day + timedelta(days=1))}",
        _property("SUMMARY", summary),
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _property(name: str, text: str) -> str:
    """A TEXT property, escaped as RFC 5545 §3.3.11 says."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return f"{name}:{escaped}"


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued by CRLF and a space (§3.1), never inside a
    UTF-8 sequence."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, 74  # the continuation's leading space counts
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)
