"""Check-in use cases: scan a code, check in a party by registration, upload offline scans, undo.

The scan path is the hottest code in the product (hundreds of scans a second when doors open),
so it is shaped around the database constraints instead of locks:

1. ``verify_ticket`` checks the Ed25519 signature before touching the database (a forged or
   mangled code costs no query), then loads ticket + registration + event in one query.
2. The session is resolved and authorised in one query (membership joined in).
3. Rules that refuse entry (cancelled, unpaid, outside the window) are decided in memory.
4. One INSERT of the check-in, in its own savepoint. The unique index on the nonce and the
   partial unique index "one effective in per ticket, session and entry" decide the races: the
   insert that loses raises IntegrityError, and only then do we read which index refused it --
   the same nonce (a retry: replay the stored answer) or the same ticket (already checked in:
   record a duplicate with who scanned first).

Only exits, re-entries after an exit and undo take a row lock (on the ticket, always before
any check-in row), because they decide from the latest movement rather than by one insert.
Nothing here locks the event, so check-in never waits for registrations (see docs/locking.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from checkin import answers, selectors
from checkin.models import CheckIn
from common.exceptions import CheckinNonceReused, CheckinNotLatest, DomainError, InvalidInput, NotFound
from common.sql import insert_rows
from events.models import Event, Session
from organizations import access
from registrations.models import Payment, Registration, Ticket
from registrations.services import door_payment_record as _door_payment_record
from registrations.tickets import TicketCodeInvalid, parse_ticket_code

IN, OUT = CheckIn.Direction.IN, CheckIn.Direction.OUT
MAX_BATCH = 500
# A retry loop bound for the rare case where the check-in that refused our insert is undone
# before we could read it; in practice the second attempt succeeds.
_MAX_ATTEMPTS = 3


@dataclass
class CheckinResult:
    """One scan's answer (see ``checkin/answers.py``) and the row it wrote or replayed, if any."""

    body: dict
    checkin: CheckIn | None = None
    replayed: bool = False

    @property
    def status(self) -> str:
        return self.body["status"]


@dataclass
class RegistrationCheckinResult:
    registration: Registration
    session: Session
    results: list[CheckinResult] = field(default_factory=list)
    party: list[dict] = field(default_factory=list)


@dataclass
class _Scan:
    """Everything one scan of one ticket needs; the ticket comes with registration and event."""

    ticket: Ticket
    session: Session | None  # None only when no session was given and none is open
    user: object
    nonce: uuid.UUID
    direction: str
    device: str
    scanned_at: dt.datetime
    source: str
    with_party: bool = True

    @property
    def registration(self) -> Registration:
        return self.ticket.registration

    @property
    def event(self) -> Event:
        return self.ticket.registration.event

    def row(self, **fields) -> CheckIn:
        return CheckIn(
            ticket_id=self.ticket.pk,
            registration_id=self.registration.pk,
            session_id=self.session.pk,
            direction=self.direction,
            scanned_at=self.scanned_at,
            scanned_by=self.user if getattr(self.user, "is_authenticated", False) else None,
            device=self.device,
            nonce=self.nonce,
            source=self.source,
            **fields,
        )

    def answer(self, *, status: str, color: str, message: str) -> dict:
        questions = selectors.checkin_questions(event_id=self.event.pk) if self.registration.answers else []
        return answers.for_ticket(
            status=status,
            color=color,
            message=message,
            nonce=self.nonce,
            direction=self.direction,
            ticket=self.ticket,
            session=self.session,
            scanned_at=self.scanned_at,
            questions=questions,
        )


# --- scanning a code --------------------------------------------------------------------------


def checkin_perform(
    *,
    code: str,
    session_id: int | None,
    nonce: uuid.UUID | str,
    direction: str = IN,
    user,
    device: str = "",
    scanned_at: dt.datetime | None = None,
    source: str = CheckIn.Source.ONLINE,
    now: dt.datetime | None = None,
) -> CheckinResult:
    """Check one scanned code in (or out) at a session and say what the door should do.

    ``session_id=None`` means the ticket's event's session whose check-in window is open at
    the scan time. Raises ``InvalidInput`` for a session the user may not scan for (unknown and
    foreign look the same) and ``CheckinNonceReused`` for a nonce already used for another
    ticket; every other outcome is an answer (``result.status``). Each write is its own
    transaction (savepoint when called inside one).
    """
    return _perform(
        code=code,
        session_id=session_id,
        nonce=_as_uuid(nonce),
        direction=direction,
        user=user,
        device=device,
        scanned_at=scanned_at,
        source=source,
        now=now or timezone.now(),
        sessions={},
    )


def _perform(*, code, session_id, nonce, direction, user, device, scanned_at, source, now, sessions) -> CheckinResult:
    at = min(scanned_at, now) if scanned_at is not None else now  # a phone clock ahead is not the future
    try:
        ticket_id = parse_ticket_code(code)  # a forged code costs no query
    except TicketCodeInvalid:
        # Or the ticket card's short code, typed at the door: one indexed lookup.
        ticket_id = selectors.ticket_id_by_short_code(code=code)
        if ticket_id is None:
            return CheckinResult(answers.invalid(nonce=nonce, direction=direction, session_id=session_id))
    ticket = selectors.ticket_for_scan(ticket_id=ticket_id)
    if ticket is None:
        return CheckinResult(answers.invalid(nonce=nonce, direction=direction, session_id=session_id))
    registration = ticket.registration
    if session_id is not None:
        session = _session(user=user, session_id=session_id, cache=sessions)
        if session.event_id != registration.event_id:
            return CheckinResult(answers.wrong_event(nonce=nonce, direction=direction, session_id=session.pk))
        registration.event = event = session.event  # cached with the session
    else:
        registration.event = event = Event.objects.get(pk=registration.event_id)
        if not access.may_scan(user=user, organization_id=event.organization_id):
            return CheckinResult(answers.wrong_event(nonce=nonce, direction=direction, session_id=None))
        candidates = selectors.open_sessions(event=event, at=at)
        session = candidates[0] if candidates else None
    scan = _Scan(
        ticket=ticket,
        session=session,
        user=user,
        nonce=nonce,
        direction=direction,
        device=device[:64],
        scanned_at=at,
        source=source,
    )
    if session is None:
        return _replay(scan) or _refused(scan, answers.NOT_OPEN)
    return _scan_ticket(scan)


def _session(*, user, session_id: int, cache: dict) -> Session:
    if session_id not in cache:
        cache[session_id] = selectors.session_for_checkin(user=user, session_id=session_id)
    session = cache[session_id]
    if session is None:
        raise InvalidInput(fields={"session": [_("Unknown session.")]}, code="unknown_session")
    return session


def _as_uuid(nonce) -> uuid.UUID:
    if isinstance(nonce, uuid.UUID):
        return nonce
    try:
        return uuid.UUID(str(nonce))
    except ValueError as exc:
        raise InvalidInput(fields={"nonce": [_("Must be a valid UUID.")]}) from exc


def _scan_ticket(scan: _Scan) -> CheckinResult:
    if scan.direction == OUT:
        return _record_out(scan)
    refusal = _refusal(scan)
    if refusal is not None:
        return _replay(scan) or _refused(scan, refusal)
    return _record_in(scan)


def _refusal(scan: _Scan) -> str | None:
    """Why this ticket may not enter this session now, or None. No database access."""
    registration, session, event = scan.registration, scan.session, scan.event
    if registration.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED):
        return answers.CANCELLED
    if registration.status in (*Registration.ON_HOLD, Registration.Status.WAITLISTED):
        return answers.UNPAID
    if session.is_cancelled or event.status == Event.Status.CANCELLED:
        return answers.NOT_OPEN
    opens_at = session.starts_at - dt.timedelta(minutes=event.checkin_opens_minutes)
    if not opens_at <= scan.scanned_at <= session.ends_at:
        return answers.NOT_OPEN
    return None


def _refused(scan: _Scan, status: str) -> CheckinResult:
    message = answers.refusal_message(
        status=status, registration=scan.registration, session=scan.session, at=scan.scanned_at
    )
    return CheckinResult(scan.answer(status=status, color=answers.RED, message=message))


def _insert(row: CheckIn) -> bool:
    """INSERT in a savepoint; False when a unique index refused it (the caller finds out which)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _insert_relaxed(row)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _relax_commit(connection)
            row.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _insert_relaxed(row: CheckIn) -> bool:
    """The same INSERT and commit mode as ``atomic()`` + ``_relax_commit`` + ``save()``, in one
    round trip instead of four (BEGIN, SET LOCAL, INSERT, COMMIT).

    Outside a transaction the two statements go as one simple query, which PostgreSQL runs as one
    implicit transaction: SET LOCAL holds for it alone, and a refused INSERT rolls it all back.
    The statement is written once from the model (``common.sql.insert_rows``).
    """
    try:
        insert_rows([row], before="SET LOCAL synchronous_commit TO OFF")
    except IntegrityError:
        return False
    return True


def _relax_commit(connection) -> None:
    """Don't wait for this check-in's WAL flush (PostgreSQL asynchronous commit, this transaction only).

    On this class of disk an fsync'ed commit alone has a p99 of ~25 ms, which is the door's whole
    budget. Asynchronous commit never corrupts or reorders data; only a crash of the database
    server itself could lose the last ~0.6 s of check-ins, and a lost check-in is simply scanned
    again (it was never counted, so nobody is counted twice). Registrations and payments keep
    synchronous commits. See docs/locking.md.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _done(row: CheckIn) -> CheckinResult:
    return CheckinResult({**row.response, "checkin_id": row.pk}, checkin=row)


def _replay(scan: _Scan, stored: CheckIn | None = None) -> CheckinResult | None:
    """The stored answer of this scan's nonce, or None if the nonce is new.

    A nonce is one scan: the same nonce for another ticket, session or direction is a client
    bug, refused rather than answered with somebody else's name.
    """
    if stored is None:
        stored = CheckIn.objects.filter(nonce=scan.nonce).first()
        if stored is None:
            return None
    # With no session given and none open any more, the stored row's session is the one meant.
    session_id = scan.session.pk if scan.session is not None else stored.session_id
    if (stored.ticket_id, stored.session_id, stored.direction) != (scan.ticket.pk, session_id, scan.direction):
        raise CheckinNonceReused()
    return CheckinResult({**stored.response, "checkin_id": stored.pk}, checkin=stored, replayed=True)


def _record_in(scan: _Scan) -> CheckinResult:
    for _attempt in range(_MAX_ATTEMPTS):
        # The first entry is by far the most common case: try it blind, let the index judge.
        color, message = answers.admitted_message(ticket=scan.ticket, entry=1)
        body = scan.answer(status=answers.OK, color=color, message=message)
        body["entry"] = 1
        if scan.with_party and scan.registration.party_size > 1:
            body["party"] = _party_after_entry(scan)
        row = scan.row(entry=1, response=body)
        if _insert(row):
            return _done(row)
        result = _after_conflict(scan)
        if result is not None:
            return result
    raise DomainError(_("The ticket changed while checking in. Please scan again."), code="retry")


def _party_after_entry(scan: _Scan) -> list[dict]:
    party = selectors.party(registration_id=scan.registration.pk, session_id=scan.session.pk)
    for member in party:
        if member["ticket_id"] == scan.ticket.pk:
            member.update(checked_in=True, inside=True)
    return party


def _after_conflict(scan: _Scan) -> CheckinResult | None:
    """Our "in" was refused by an index: a replayed nonce, a ticket already in, or a re-entry.

    None means the check-in that refused us was undone meanwhile: try again.
    """
    rows = selectors.effective_movements(ticket_id=scan.ticket.pk, session_id=scan.session.pk, nonce=scan.nonce)
    stored = next((row for row in rows if row.nonce == scan.nonce), None)
    if stored is not None:
        return _replay(scan, stored)
    latest = selectors.latest_movement(rows)
    if latest is None:
        return None
    if latest.direction == IN:
        return _record_duplicate(scan, first=latest)
    return _record_reentry(scan)


def _record_duplicate(scan: _Scan, *, first: CheckIn) -> CheckinResult:
    """Answer "already checked in" and record the scan as a duplicate of ``first``."""
    by = answers.display_name(first.scanned_by)
    message = answers.already_message(first_scanned_at=first.scanned_at, first_scanned_by=by, event=scan.event)
    body = scan.answer(status=answers.ALREADY_CHECKED_IN, color=answers.RED, message=message)
    body.update(
        entry=first.entry,
        first_scanned_at=answers.iso(first.scanned_at),
        first_scanned_by=by,
        first_checkin_id=first.pk,
    )
    if scan.with_party and scan.registration.party_size > 1:
        body["party"] = selectors.party(registration_id=scan.registration.pk, session_id=scan.session.pk)
    row = scan.row(entry=first.entry, status=CheckIn.Status.ALREADY_CHECKED_IN, is_duplicate=True, response=body)
    if _insert(row):
        return _done(row)
    # Duplicates are outside the effective-in index: only the nonce can have refused this row.
    return _replay(scan)


def _lock_ticket(ticket_id: int) -> None:
    """Serialise the movements of one ticket (exit, re-entry, undo). Caller is in a transaction."""
    Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk", flat=True).first()


def _record_reentry(scan: _Scan) -> CheckinResult | None:
    """Back in after a recorded exit: entry n+1, decided under the ticket lock."""
    with transaction.atomic():
        _lock_ticket(scan.ticket.pk)
        rows = selectors.effective_movements(ticket_id=scan.ticket.pk, session_id=scan.session.pk, nonce=scan.nonce)
        stored = next((row for row in rows if row.nonce == scan.nonce), None)
        if stored is not None:
            return _replay(scan, stored)
        latest = selectors.latest_movement(rows)
        if latest is not None and latest.direction == IN:
            return _record_duplicate(scan, first=latest)
        entry = latest.entry + 1 if latest is not None else 1
        color, message = answers.admitted_message(ticket=scan.ticket, entry=entry)
        body = scan.answer(status=answers.OK, color=color, message=message)
        body["entry"] = entry
        if scan.with_party and scan.registration.party_size > 1:
            body["party"] = _party_after_entry(scan)
        row = scan.row(entry=entry, response=body)
        if _insert(row):
            return _done(row)
        # The nonce, or (entry 1 after everything was undone) a first entry that does not take
        # the lock: None lets the caller start over.
        return _replay(scan)


def _record_out(scan: _Scan) -> CheckinResult:
    """An exit closes the current entry; only someone inside can leave. No status or window
    checks: whoever is inside may always go out."""
    with transaction.atomic():
        _lock_ticket(scan.ticket.pk)
        rows = selectors.effective_movements(ticket_id=scan.ticket.pk, session_id=scan.session.pk, nonce=scan.nonce)
        stored = next((row for row in rows if row.nonce == scan.nonce), None)
        if stored is not None:
            return _replay(scan, stored)
        latest = selectors.latest_movement(rows)
        if latest is None or latest.direction == OUT:
            return _not_inside(scan)
        body = scan.answer(status=answers.OK, color=answers.GREEN, message=answers.goodbye_message(ticket=scan.ticket))
        body["entry"] = latest.entry
        row = scan.row(entry=latest.entry, response=body)
        if _insert(row):
            return _done(row)
        # Under the ticket lock no other exit of this entry can appear: only the nonce refuses.
        return _replay(scan) or _not_inside(scan)


def _not_inside(scan: _Scan) -> CheckinResult:
    message = answers.not_inside_message(ticket=scan.ticket)
    return CheckinResult(scan.answer(status=answers.NOT_INSIDE, color=answers.AMBER, message=message))


# --- a party, by registration id (after a name search) ----------------------------------------


def party_nonce(*, nonce: uuid.UUID, ticket_id: int) -> uuid.UUID:
    """One client nonce per request, one derived nonce per ticket: a retried request replays
    every ticket's first answer, and a later request for more tickets records only those."""
    return uuid.uuid5(nonce, f"ticket:{ticket_id}")


@transaction.atomic
def checkin_registration(
    *,
    registration_id: int,
    session_id: int,
    nonce: uuid.UUID | str,
    ticket_ids: list[int] | None = None,
    direction: str = IN,
    user,
    device: str = "",
    now: dt.datetime | None = None,
) -> RegistrationCheckinResult:
    """Check in all (or some) tickets of one registration at one session, one transaction.

    A registration of another event or organization is NotFound; ticket ids that are not this
    registration's are InvalidInput. Tickets are handled in id order, so two volunteers
    confirming the same party at once take their index entries in the same order.
    """
    now = now or timezone.now()
    nonce = _as_uuid(nonce)
    session = _session(user=user, session_id=session_id, cache={})
    registration = (
        Registration.objects.select_related("event")
        .filter(pk=registration_id, event_id=session.event_id)
        .prefetch_related("tickets")
        .first()
    )
    if registration is None:
        raise NotFound(_("No such registration for this session's event."))
    tickets = sorted(registration.tickets.all(), key=lambda t: t.pk)
    if ticket_ids is not None:
        unknown = set(ticket_ids) - {t.pk for t in tickets}
        if unknown:
            raise InvalidInput(
                fields={
                    "tickets": [
                        _("These tickets are not in this registration: %(ids)s")
                        % {"ids": ", ".join(str(i) for i in sorted(unknown))}
                    ]
                }
            )
        tickets = [t for t in tickets if t.pk in set(ticket_ids)]
    outcome = RegistrationCheckinResult(registration=registration, session=session)
    for ticket in tickets:
        ticket.registration = registration  # already loaded with its event: no query per ticket
        scan = _Scan(
            ticket=ticket,
            session=session,
            user=user,
            nonce=party_nonce(nonce=nonce, ticket_id=ticket.pk),
            direction=direction,
            device=device[:64],
            scanned_at=now,
            source=CheckIn.Source.ONLINE,
            with_party=False,
        )
        outcome.results.append(_scan_ticket(scan))
    outcome.party = selectors.party(registration_id=registration.pk, session_id=session.pk)
    return outcome


# --- offline batches ------------------------------------------------------------------------------


def checkin_batch(*, scans: list[dict], user, device: str = "", now: dt.datetime | None = None) -> list[CheckinResult]:
    """Record scans made offline; one result per scan, in the order given.

    Scans are processed in ``scanned_at`` order, so when two doors scanned one ticket the
    earlier scan is the check-in and the later one a recorded duplicate. Each scan is its own
    transaction: a batch never holds many index entries at once, so two doors uploading
    overlapping batches cannot deadlock, and a batch cut off half-way keeps what it recorded
    (the client re-sends it; nonces make that harmless). A scan that cannot be processed
    (unknown session, reused nonce) gets an ``error`` answer; the others still go through.
    """
    if len(scans) > MAX_BATCH:
        raise InvalidInput(fields={"scans": [_("At most %(n)d scans per batch.") % {"n": MAX_BATCH}]})
    now = now or timezone.now()
    sessions: dict = {}
    results: list[CheckinResult | None] = [None] * len(scans)
    order = sorted(range(len(scans)), key=lambda i: (scans[i]["scanned_at"], i))
    for i in order:
        scan = scans[i]
        direction = scan.get("direction") or IN
        try:
            results[i] = _perform(
                code=scan["code"],
                session_id=scan.get("session"),
                nonce=_as_uuid(scan["nonce"]),
                direction=direction,
                user=user,
                device=scan.get("device") or device,
                scanned_at=scan["scanned_at"],
                source=CheckIn.Source.OFFLINE,
                now=now,
                sessions=sessions,
            )
        except DomainError as exc:
            body = answers.error(
                nonce=scan["nonce"], direction=direction, code=exc.code, message=exc.message, fields=exc.fields
            )
            results[i] = CheckinResult(body)
    return results


# --- undo and payment -----------------------------------------------------------------------------


@transaction.atomic
def checkin_revert(*, checkin_id: int, user, now: dt.datetime | None = None) -> CheckIn:
    """Undo a mistaken scan: the row stays (history) with who undid it and when.

    Undoing twice is a no-op. Only the latest movement of a ticket can be undone (undo the
    exit before the entry it closed), so the in/out history never contradicts itself.
    """
    found = (
        CheckIn.objects.filter(pk=checkin_id)
        .values_list("ticket_id", "session__event__organization_id", "session__event_id")
        .first()
    )
    if found is None or not access.may_scan(user=user, organization_id=found[1]):
        raise NotFound(_("No such check-in."))
    _lock_ticket(found[0])
    checkin = CheckIn.objects.select_for_update().get(pk=checkin_id)
    if checkin.reverted_at is not None:
        return checkin
    if checkin.is_effective:
        later = CheckIn.objects.filter(
            ticket_id=checkin.ticket_id, session_id=checkin.session_id, is_duplicate=False, reverted_at=None
        ).filter(entry__gt=checkin.entry)
        if checkin.direction == IN:
            later = later | CheckIn.objects.filter(
                ticket_id=checkin.ticket_id,
                session_id=checkin.session_id,
                is_duplicate=False,
                reverted_at=None,
                entry=checkin.entry,
                direction=OUT,
            )
        if later.exists():
            raise CheckinNotLatest()
    checkin.reverted_at = now or timezone.now()
    checkin.reverted_by = user if getattr(user, "is_authenticated", False) else None
    checkin.save(update_fields=["reverted_at", "reverted_by"])
    # Undoing a scan is rare and changes who counts as present: audited, unlike the scans
    # themselves (their rows are the record, and the door's hot path stays one insert).
    audit.record(
        actor=user,
        action=AuditAction.CHECKIN_REVERT,
        organization_id=found[1],
        event_id=found[2],
        target_type="checkin",
        target_id=checkin.pk,
        target_label=f"#{checkin.pk} · session {checkin.session_id} · ticket {checkin.ticket_id}",
        details={"direction": checkin.direction, "scanned_at": checkin.scanned_at},
    )
    return checkin


def checkin_door_payment(*, registration_id: int, user, now: dt.datetime | None = None) -> Payment:
    """Record the cash a volunteer took at the door (idempotent: a second tap returns the first
    payment). Only for registrations of events the user may scan for; others are NotFound."""
    event_org = Registration.objects.filter(pk=registration_id).values_list("event__organization_id", flat=True).first()
    if event_org is None or not access.may_scan(user=user, organization_id=event_org):
        raise NotFound(_("No such registration."))
    return _door_payment_record(registration_id=registration_id, received_by=user, now=now)
