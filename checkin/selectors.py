"""Reads for the door: who may scan where, sessions, the offline ticket list, search, counts.

Every list comes back with what it shows already loaded (one query per table, whatever its
length), and every read is scoped to the organizations where the user is owner, manager or
volunteer; a session of another organization is "not found", never "forbidden", so ids cannot
be probed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import zoneinfo

from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from checkin.answers import payment_due
from checkin.models import CheckIn
from common import cache_reads
from common.exceptions import NotFound
from events.models import Event, Question, Session, TicketType
from organizations import access
from registrations.models import Registration, RegistrationLine, Ticket
from registrations.shortcodes import normalize_short_code
from registrations.tickets import ticket_code

# ``?since=`` goes back this much further than asked: a row saved just before a list was read
# may commit just after it, with an updated_at older than the list's generated_at.
SINCE_OVERLAP = dt.timedelta(seconds=30)
SEARCH_LIMIT = 50


# --- who may scan -------------------------------------------------------------------------------


def is_checkin_staff(*, user) -> bool:
    """Owner, manager or volunteer of at least one organization (or a superuser)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return bool(access.scannable_organization_ids(user=user))


def scannable_sessions(*, user) -> QuerySet[Session]:
    queryset = Session.objects.all()
    if user.is_superuser:
        return queryset
    return queryset.filter(access.scans_for(user=user, organization_ref=OuterRef("event__organization_id")))


SESSION_CACHE_SECONDS = 10


def session_cache_key(session_id: int) -> str:
    return f"checkin-session:{session_id}"


def session_for_checkin(*, user, session_id: int) -> Session | None:
    """The session with its event, if the user may scan for it.

    Every scan asks this, so the (session, event) pair is cached for a few seconds: saving a
    session or its event drops the entry (checkin.signals), and the short expiry bounds how long
    another process's copy can lag behind a change.
    """
    key = session_cache_key(session_id)
    session = cache_reads.get(key)  # the scan prefetches it with the token
    if session is None:
        session = (
            Session.objects.select_related("event")
            .defer("event__description", "event__search_text", "event__summary")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            return None
        cache.set(key, session, SESSION_CACHE_SECONDS)
    if not access.may_scan(user=user, organization_id=session.event.organization_id):
        return None
    return session


def session_for_checkin_or_404(*, user, session_id: int) -> Session:
    session = session_for_checkin(user=user, session_id=session_id)
    if session is None:
        raise NotFound()
    return session


def open_sessions(*, event: Event, at: dt.datetime) -> list[Session]:
    """Sessions of the event whose check-in window (``checkin_opens_minutes`` before the start
    until the end) contains ``at``, nearest start first."""
    opens = dt.timedelta(minutes=event.checkin_opens_minutes)
    sessions = list(
        Session.objects.filter(event_id=event.pk, starts_at__lte=at + opens, ends_at__gte=at).exclude(
            status=Session.Status.CANCELLED
        )
    )
    sessions.sort(key=lambda s: (abs((s.starts_at - at).total_seconds()), s.pk))
    return sessions


def checkin_sessions(*, user, day: dt.date | None = None, now: dt.datetime | None = None) -> list[Session]:
    """Sessions for the scanner's session picker: those starting on ``day`` (in each event's own
    timezone; default today) plus any whose check-in window is open now. Drafts are left out."""
    now = now or timezone.now()
    anchor = now if day is None else dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    # Every timezone's calendar day lies within 26 hours of UTC noon of that day.
    candidates = (
        scannable_sessions(user=user)
        .filter(starts_at__gte=anchor - dt.timedelta(hours=40), starts_at__lt=anchor + dt.timedelta(hours=40))
        .exclude(event__status=Event.Status.DRAFT)
        .select_related("event", "event__venue__organization", "venue__organization")
        .order_by("starts_at", "id")
    )
    chosen = []
    for session in candidates:
        zone = _zone(session.event.timezone)
        wanted = day if day is not None else timezone.localtime(now, zone).date()
        opens_at = session.starts_at - dt.timedelta(minutes=session.event.checkin_opens_minutes)
        open_now = day is None and opens_at <= now <= session.ends_at
        if timezone.localtime(session.starts_at, zone).date() == wanted or open_now:
            chosen.append(session)
    return chosen


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


# --- check-in state of tickets ------------------------------------------------------------------


def _effective(*, session_id: int, direction: str) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(
        ticket_id=OuterRef("pk"), session_id=session_id, direction=direction, is_duplicate=False, reverted_at=None
    )


def with_checkin_state(queryset: QuerySet[Ticket], *, session_id: int) -> QuerySet[Ticket]:
    """Annotate tickets with ``checkin_id`` (their effective "in" of the latest entry, or None)
    and ``inside`` (that entry has no recorded exit)."""
    ins = _effective(session_id=session_id, direction=CheckIn.Direction.IN).order_by("-entry")
    exit_of_entry = CheckIn.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        session_id=session_id,
        entry=OuterRef("entry"),
        direction=CheckIn.Direction.OUT,
        is_duplicate=False,
        reverted_at=None,
    )
    latest_in = ins.annotate(left=Exists(exit_of_entry)).values("left")[:1]
    return queryset.annotate(checkin_id=Subquery(ins.values("id")[:1]), checkin_left=Subquery(latest_in))


def ticket_state(ticket: Ticket) -> dict:
    """``checked_in``/``inside``/``checkin_id`` of a ticket annotated by ``with_checkin_state``."""
    checked_in = ticket.checkin_id is not None
    return {
        "checked_in": checked_in,
        "inside": checked_in and not ticket.checkin_left,
        "checkin_id": ticket.checkin_id,
    }


def party(*, registration_id: int, session_id: int) -> list[dict]:
    """Every ticket of one registration with its state at one session; one query."""
    tickets = with_checkin_state(Ticket.objects.filter(registration_id=registration_id), session_id=session_id)
    return [
        {"ticket_id": t.pk, "name": t.name, "position": t.position, **ticket_state(t)}
        for t in tickets.order_by("position")
    ]


def checkin_questions(*, event_id: int) -> list[Question]:
    return list(Question.objects.filter(event_id=event_id, show_at_checkin=True).order_by("position", "id"))


def effective_movements(*, ticket_id: int, session_id: int, nonce=None) -> list[CheckIn]:
    """Effective check-ins of one ticket at one session, plus the row of ``nonce`` if any; one query."""
    condition = Q(ticket_id=ticket_id, session_id=session_id, is_duplicate=False, reverted_at=None)
    if nonce is not None:
        condition |= Q(nonce=nonce)
    return list(CheckIn.objects.filter(condition).select_related("scanned_by"))


def latest_movement(rows: list[CheckIn]) -> CheckIn | None:
    """The last effective movement: the highest entry, and its exit if there is one."""
    effective = [row for row in rows if row.is_effective]
    return max(effective, key=lambda r: (r.entry, r.direction == CheckIn.Direction.OUT), default=None)


# --- lists ----------------------------------------------------------------------------------------


def session_checkin_list(*, session: Session, since: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Every ticket of the session's event (all registration statuses, so an offline scanner
    can give the same answer as the server) with its check-in state at this session.

    With ``since``, only tickets whose registration changed or that were scanned or reverted
    at this session since then (minus a small overlap: clients upsert, so repeats are harmless).
    """
    queryset = Ticket.objects.filter(registration__event_id=session.event_id)
    if since is not None:
        since = since - SINCE_OVERLAP
        touched = CheckIn.objects.filter(ticket_id=OuterRef("pk"), session_id=session.pk).filter(
            Q(recorded_at__gt=since) | Q(reverted_at__gt=since)
        )
        queryset = queryset.filter(Q(registration__updated_at__gt=since) | Exists(touched))
    queryset = queryset.select_related("registration").order_by("pk")
    return with_checkin_state(queryset, session_id=session.pk)


def checkin_search(*, session: Session, q: str, limit: int = SEARCH_LIMIT) -> QuerySet[Registration]:
    """Registrations of the session's event whose name or a guest's name contains ``q``, or whose
    email address is ``q`` (whole, any case).

    The email is matched whole and never shown: an attendee may give their address at the door,
    but a part of one ("@gov.cn") must not list who registered with it. Tickets come prefetched
    with their state at the session.
    """
    guest = Ticket.objects.filter(registration_id=OuterRef("pk"), name__icontains=q)
    tickets = with_checkin_state(Ticket.objects.order_by("position"), session_id=session.pk)
    matches = Q(name__icontains=q) | Exists(guest)
    if "@" in q:
        matches |= Q(email=q.strip().lower())  # stored lower-cased by the registration service
    return (
        Registration.objects.filter(event_id=session.event_id)
        .filter(matches)
        .prefetch_related(Prefetch("tickets", queryset=tickets))
        .order_by("name", "id")[:limit]
    )


def session_checkin_counts(*, session: Session) -> dict:
    """The door's display: expected seats, who arrived, who is inside now; two queries."""
    registrations = Registration.objects.filter(event_id=session.event_id).aggregate(
        expected=Sum("party_size", filter=Q(status=Registration.Status.CONFIRMED)),
        payments_due=Count(
            "id",
            filter=Q(
                status=Registration.Status.CONFIRMED,
                payment_method=Registration.PaymentMethod.DOOR,
                paid_at=None,
                amount_due__gt=0,
            ),
        ),
    )
    effective = Q(is_duplicate=False, reverted_at=None)
    rows = CheckIn.objects.filter(session_id=session.pk).aggregate(
        checked_in=Count("ticket_id", distinct=True, filter=effective & Q(direction=CheckIn.Direction.IN)),
        ins=Count("id", filter=effective & Q(direction=CheckIn.Direction.IN)),
        outs=Count("id", filter=effective & Q(direction=CheckIn.Direction.OUT)),
        duplicates=Count("id", filter=Q(is_duplicate=True)),
        reverted=Count("id", filter=Q(reverted_at__isnull=False)),
        offline=Count("id", filter=effective & Q(source=CheckIn.Source.OFFLINE)),
    )
    expected = registrations["expected"] or 0
    return {
        "session": session.pk,
        "expected": expected,
        "checked_in": rows["checked_in"],
        "not_arrived": max(expected - rows["checked_in"], 0),
        "inside_now": rows["ins"] - rows["outs"],
        "by_direction": {"in": rows["ins"], "out": rows["outs"]},
        "duplicates": rows["duplicates"],
        "reverted": rows["reverted"],
        "offline": rows["offline"],
        "payments_due": registrations["payments_due"],
    }


def session_offline_tickets(*, session: Session, since: dt.datetime | None = None) -> list[dict]:
    """The offline scanner's rows: ``code_hash`` is the sha256 of the full signed code, so the
    list lets a phone recognise a ticket without holding anything that would get somebody in."""
    rows = []
    for ticket in session_checkin_list(session=session, since=since):
        registration = ticket.registration
        code = ticket_code(ticket_id=ticket.pk)
        rows.append(
            {
                "ticket_id": ticket.pk,
                "code_hash": hashlib.sha256(code.encode("ascii")).hexdigest(),
                "name": ticket.name,
                "position": ticket.position,
                "registration_id": registration.pk,
                "party_size": registration.party_size,
                "status": registration.status,
                "payment_due": payment_due(registration),
                **{key: value for key, value in ticket_state(ticket).items() if key != "checkin_id"},
            }
        )
    return rows


# --- the scan's hot path ----------------------------------------------------------------------


def _in_model_order(model, wanted: set[str]) -> tuple[str, ...]:
    # Model.from_db expects the columns in the model's own field order.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


_TICKET_FIELDS = _in_model_order(Ticket, {"id", "registration_id", "position", "name"})
_REGISTRATION_FIELDS = _in_model_order(
    Registration,
    {
        "id",
        "event_id",
        "name",
        "status",
        "party_size",
        "answers",
        "amount_due",
        "currency",
        "payment_method",
        "paid_at",
    },
)


_TICKET_TYPE_FIELDS = ("name", "door_note")


def _scan_sql() -> str:
    """The ticket, its registration and (left join, by the seat's line) its ticket type's name and
    door note: still one indexed lookup per table (the line's ticket is unique)."""
    ticket, registration = Ticket._meta, Registration._meta
    line, ticket_type = RegistrationLine._meta, TicketType._meta
    columns = [f"t.{ticket.get_field(f).column}" for f in _TICKET_FIELDS]
    columns += [f"r.{registration.get_field(f).column}" for f in _REGISTRATION_FIELDS]
    columns += [f"tt.{ticket_type.get_field(f).column}" for f in _TICKET_TYPE_FIELDS]
    return (
        f"SELECT {', '.join(columns)} FROM {ticket.db_table} t "
        f"JOIN {registration.db_table} r ON r.id = t.{ticket.get_field('registration').column} "
        f"LEFT JOIN {line.db_table} l ON l.{line.get_field('ticket').column} = t.id "
        f"LEFT JOIN {ticket_type.db_table} tt ON tt.id = l.{line.get_field('ticket_type').column} "
        "WHERE t.id = %s"
    )


def _converted(model, names, values) -> list:
    """Apply the same database-to-Python conversions the ORM would (JSON text, decimals, datetimes)."""
    out = []
    for (column, converters), value in zip(_converters(model, names, connection.alias), values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        out.append(value)
    return out


@functools.cache
def _converters(model, names: tuple[str, ...], alias: str) -> list[tuple]:
    """Per column, the converters the ORM would apply: looked up once, not on every scan."""
    db = connections[alias]
    columns = []
    for name in names:
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        columns.append((column, db.ops.get_db_converters(column) + field.get_db_converters(db)))
    return columns


def ticket_id_by_short_code(*, code: object) -> int | None:
    """The id of the ticket whose short code this is (any case, spaced or hyphenated), or None.

    Anything that is not shaped like a short code costs no query."""
    short = normalize_short_code(code)
    if short is None:
        return None
    return Ticket.objects.filter(short_code=short).values_list("pk", flat=True).first()


def ticket_for_scan(*, ticket_id: int) -> Ticket | None:
    """The ticket and its registration in one hand-written query (no event: the caller has it).

    Every scan runs this; building the equivalent ORM query costs more than running it, so the
    SQL is prepared here from the models' own metadata and the rows are converted like the ORM
    would, then turned into ordinary (partly deferred) model instances.
    """
    with connection.cursor() as cursor:
        cursor.execute(_scan_sql(), [ticket_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TICKET_FIELDS)
    end = split + len(_REGISTRATION_FIELDS)
    ticket = Ticket.from_db(connection.alias, _TICKET_FIELDS, _converted(Ticket, _TICKET_FIELDS, row[:split]))
    registration = Registration.from_db(
        connection.alias, _REGISTRATION_FIELDS, _converted(Registration, _REGISTRATION_FIELDS, row[split:end])
    )
    ticket.registration = registration
    type_row = row[end:]
    # What the door shows of the seat's ticket type: {"name": {...}, "door_note": {...}}, or None.
    ticket.door_type = (
        dict(zip(_TICKET_TYPE_FIELDS, _converted(TicketType, _TICKET_TYPE_FIELDS, type_row), strict=True))
        if type_row[0] is not None
        else None
    )
    return ticket
