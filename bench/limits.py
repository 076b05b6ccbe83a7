"""The limit of each hot path: the statements its use case cannot skip, through a raw cursor.

A do-nothing view says what Django and gunicorn cost; these say what the database's part costs.
Each runs exactly the statements the real endpoint must run, on the same tables, unique indexes
and commit mode, with no ORM, no DRF and no middleware beyond the project's (they are mounted in
``bench/urls.py`` beside the bare view, served by the same gunicorn in the same run):

- check-in: verify the code's signature, read the ticket's registration (and that the session
  is its event's), insert the check-in row in a savepoint (``synchronous_commit`` off for that
  transaction, as the real one), answer a small JSON;
- registration: lock the event row, insert the registration, its ticket and its outbox row,
  update the seat counters, commit (synchronous, as the real one), answer a small JSON.

Column lists and the constant columns' database values are prepared once from the models'
metadata (so the rows are valid for the real tables), the per-request values are plain Python.
"""

from __future__ import annotations

import json
import secrets
import uuid
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from psycopg.types.json import Jsonb


@cache
def _insert(model_label: str, given: tuple[str, ...]) -> tuple[str, tuple[tuple[str, object], ...]]:
    """``INSERT … RETURNING id`` for every concrete column of the model, and per column either the
    name of the value given per request (``given``) or its default, converted for the database
    once ("now" for auto_now fields). Prepared once: a request only fills the values in."""
    from django.apps import apps

    model = apps.get_model(model_label)
    columns, sources = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.attname in given:
            sources.append((field.attname, None))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            sources.append(("", _NOW))
        elif callable(field.default):
            sources.append(("", field))  # a fresh value per row (a unique short code, a token)
        else:
            sources.append(("", field.get_db_prep_save(field.get_default(), connection)))
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) VALUES ({placeholders}) RETURNING id'
    return sql, tuple(sources)


_NOW = object()


def _values(model_label: str, values: dict) -> tuple[str, list]:
    sql, sources = _insert(model_label, tuple(sorted(values)))
    now = timezone.now()
    row = []
    for name, constant in sources:
        if name:
            row.append(values[name])
        elif constant is _NOW:
            row.append(now)
        elif isinstance(constant, Field):
            row.append(constant.get_db_prep_save(constant.get_default(), connection))
        else:
            row.append(constant)
    return sql, row


@csrf_exempt
def checkin(request):
    from registrations.tickets import TicketCodeInvalid, parse_ticket_code

    payload = json.loads(request.body)
    try:
        ticket_id = parse_ticket_code(payload["code"])
    except TicketCodeInvalid:
        return JsonResponse({"status": "invalid"})
    session_id = int(payload["session"])
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            "SELECT t.registration_id, r.status FROM registrations_ticket t"
            " JOIN registrations_registration r ON r.id = t.registration_id"
            " JOIN events_session s ON s.event_id = r.event_id AND s.id = %s"
            " WHERE t.id = %s",
            [session_id, ticket_id],
        )
        row = cursor.fetchone()
        if row is None or row[1] != "confirmed":
            return JsonResponse({"status": "invalid"})
        sql, values = _values(
            "checkin.CheckIn",
            {
                "ticket_id": ticket_id,
                "registration_id": row[0],
                "session_id": session_id,
                "scanned_at": now,
                "recorded_at": now,
                "nonce": uuid.UUID(payload["nonce"]),
                "response": Jsonb({"status": "ok"}),
            },
        )
        try:
            with transaction.atomic():  # a savepoint, as the real blind INSERT: a race lands here
                cursor.execute(sql, values)
        except IntegrityError:
            return JsonResponse({"status": "already_checked_in"})
    return JsonResponse({"status": "ok", "ticket": ticket_id})


@csrf_exempt
def register(request, slug: str):
    payload = json.loads(request.body)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, capacity, seats_held, waitlist_count FROM events_event WHERE slug = %s FOR UPDATE",
            [slug],
        )
        event_id, status, capacity, seats_held, waitlist_count = cursor.fetchone()
        confirmed = status == "published" and waitlist_count == 0 and seats_held + 1 <= capacity
        sql, values = _values(
            "registrations.Registration",
            {
                "event_id": event_id,
                "name": payload["name"],
                "email": payload["email"].lower(),
                "language": payload.get("language", "en"),
                "consents": Jsonb({"privacy": {"given": True, "at": now.isoformat()}}),
                "status": "confirmed" if confirmed else "waitlisted",
                "manage_token": secrets.token_urlsafe(32),
                "confirmed_at": now if confirmed else None,
                "waitlisted_at": None if confirmed else now,
            },
        )
        cursor.execute(sql, values)
        (registration_id,) = cursor.fetchone()
        sql, values = _values(
            "registrations.Ticket", {"registration_id": registration_id, "position": 0, "name": payload["name"]}
        )
        cursor.execute(sql, values)
        kind = "confirmation" if confirmed else "waitlisted"
        sql, values = _values(
            "notifications.Notification",
            {
                "registration_id": registration_id,
                "recipient": payload["email"].lower(),
                "kind": kind,
                "language": payload.get("language", "en"),
                "dedupe_key": f"{kind}:reg-{registration_id}",
                "params": Jsonb({}),
            },
        )
        cursor.execute(sql, values)
        cursor.execute(
            "UPDATE events_event SET seats_held = %s, waitlist_count = %s WHERE id = %s",
            [seats_held + (1 if confirmed else 0), waitlist_count + (0 if confirmed else 1), event_id],
        )
    return JsonResponse({"id": registration_id, "status": "confirmed" if confirmed else "waitlisted"}, status=201)
