"""Writing the audit log. One helper, called by organizer use cases inside their own transaction.

The entry commits or rolls back with the change it describes: an action that fails leaves no
trace, and an action that commits cannot lose its entry. Callers pass what they know (actor,
organization, target); the client address comes from the request context (``audit.context``).

Not audited on purpose: volunteers' ticket scans. The check-in rows already say who scanned
which ticket when, and an extra insert on the door's hot path would double its writes.
"""

from __future__ import annotations

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from audit.context import client_ip
from audit.models import AuditAction, AuditEntry

# Keys never written to the log, at any depth: credentials and attendees' contact data.
_SECRET_KEY = re.compile(r"token|secret|password|signature|api_key|email", re.IGNORECASE)
MAX_DETAILS_CHARS = 20_000


def _scrub(value):
    if isinstance(value, dict):
        return {key: ("[hidden]" if _SECRET_KEY.search(str(key)) else _scrub(item)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def jsonable(value):
    """A JSON-safe copy: model instances become their primary key, dates ISO strings."""
    if isinstance(value, models.Model):
        return value.pk
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def field_changes(*, before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose value differs."""
    pairs = {name: [jsonable(before.get(name)), jsonable(value)] for name, value in after.items()}
    return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return actor.get_username()[:150]


def record(
    *,
    actor,
    action: AuditAction | str,
    organization_id: int | None,
    event_id: int | None = None,
    target_type: str = "",
    target_id: object = "",
    target_label: str = "",
    details: dict | None = None,
    standalone: bool = False,
) -> AuditEntry:
    """Append one entry. Must run inside the transaction of the action it records.

    ``standalone``: the entry is all there is to write (an export only reads), so its own
    single-statement transaction is enough.
    """
    if not standalone and not transaction.get_connection().in_atomic_block:
        # Outside a transaction the entry could outlive a failed action (or the reverse).
        raise RuntimeError("audit.record() must be called inside the action's transaction")
    safe = _scrub(jsonable(details or {}))
    if len(json.dumps(safe)) > MAX_DETAILS_CHARS:
        safe = {"truncated": True, "keys": sorted(safe)[:50]}
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor),
        organization_id=organization_id,
        event_id=event_id,
        action=str(action),
        target_type=target_type,
        target_id=str(target_id or "")[:64],
        target_label=str(target_label or "")[:200],
        details=safe,
        ip=client_ip.get(),
    )


# --- labels: enough to recognise the target, nothing personal ----------------------------------


def event_label(event) -> str:
    return event.slug


def session_label(session) -> str:
    return f"{session.event.slug} · {session.starts_at:%Y-%m-%d %H:%M} UTC" if session.starts_at else ""


def registration_label(registration) -> str:
    return f"#{registration.pk} · {registration.event.slug}"


def record_export(*, actor, organization_id: int, event=None, table: str, query: str = "") -> AuditEntry:
    """Downloading a table of participants is reading personal data in bulk: it goes in the log.
    The export only reads, so the entry is its own transaction."""
    return record(
        actor=actor,
        action=AuditAction.EXPORT,
        organization_id=organization_id,
        event_id=event.pk if event else None,
        target_type="event" if event else "organization",
        target_id=event.pk if event else organization_id,
        target_label=f"{event_label(event) if event else 'organization'} · {table}",
        details={"table": table, **({"query": query} if query else {})},
        standalone=True,
    )


def record_event(*, actor, action: AuditAction, event, details: dict | None = None) -> AuditEntry:
    return record(
        actor=actor,
        action=action,
        organization_id=event.organization_id,
        event_id=event.pk,
        target_type="event",
        target_id=event.pk,
        target_label=event_label(event),
        details=details,
    )


def record_session(*, actor, action: AuditAction, session, details: dict | None = None) -> AuditEntry:
    return record(
        actor=actor,
        action=action,
        organization_id=session.event.organization_id,
        event_id=session.event_id,
        target_type="session",
        target_id=session.pk,
        target_label=session_label(session),
        details=details,
    )


def record_registration(*, actor, action: AuditAction, registration, details: dict | None = None) -> AuditEntry:
    return record(
        actor=actor,
        action=action,
        organization_id=registration.event.organization_id,
        event_id=registration.event_id,
        target_type="registration",
        target_id=registration.pk,
        target_label=registration_label(registration),
        details=details,
    )
