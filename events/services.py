"""Write use cases for organizations, events and sessions.

Every function is one transaction. Functions that change an event or its sessions lock the
event row first (the same lock registration takes), so a schedule change and a registration
never interleave. See docs/locking.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from celery import shared_task
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import InvalidInput, InvalidTransition, SessionOverlap
from events import images, ticketing
from events.models import Event, Question, Session
from events.recurrence import localize, parse_recurrence
from organizations.access import ensure_can_manage
from organizations.models import Organization, Venue

# --- overlap -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue_id: int | None


def session_overlaps(*, slots: Iterable[Slot], exclude_ids: Iterable[int] = ()) -> list[Session]:
    """Scheduled sessions held in the same venue at a time that overlaps one of ``slots``.

    A session's venue is its own override or else its event's venue. Cancelled sessions
    free the room. One query, whatever the number of slots.
    """
    slots = [slot for slot in slots if slot.venue_id]
    if not slots:
        return []
    venue_ids = {slot.venue_id for slot in slots}
    window_start = min(slot.starts_at for slot in slots)
    window_end = max(slot.ends_at for slot in slots)
    candidates = (
        Session.objects.exclude(status=Session.Status.CANCELLED)
        .exclude(event__status=Event.Status.CANCELLED)
        .exclude(pk__in=list(exclude_ids))
        .filter(starts_at__lt=window_end, ends_at__gt=window_start)
        .filter(Q(venue_id__in=venue_ids) | Q(venue__isnull=True, event__venue_id__in=venue_ids))
        .select_related("event", "venue", "event__venue")
    )
    clashes = []
    for session in candidates:
        for slot in slots:
            if (
                session.effective_venue_id == slot.venue_id
                and session.starts_at < slot.ends_at
                and session.ends_at > slot.starts_at
            ):
                clashes.append(session)
                break
    return clashes


def _raise_on_overlap(*, slots: list[Slot], exclude_ids: Iterable[int] = (), allow_overlap: bool) -> list[Session]:
    clashes = session_overlaps(slots=slots, exclude_ids=exclude_ids)
    if clashes and not allow_overlap:
        raise SessionOverlap(
            _("This overlaps %(n)d session(s) in the same venue. Send allow_overlap=true to schedule it anyway.")
            % {"n": len(clashes)},
            conflicts=[
                {
                    "session": clash.pk,
                    "event": clash.event.slug,
                    "starts_at": clash.starts_at.isoformat(),
                    "ends_at": clash.ends_at.isoformat(),
                }
                for clash in clashes
            ],
        )
    return clashes


# --- events ------------------------------------------------------------------------------------


logger = logging.getLogger(__name__)

EVENT_FIELDS = {
    "kind",
    "slug",
    "default_language",
    "title",
    "summary",
    "description",
    "spoken_languages",
    "category",
    "venue",
    "online_url",
    "timezone",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "price",
    "currency",
    "max_guests",
    "payment_methods",
    "allow_pay_at_door",
    "payment_hold_minutes",
    "email_confirm_minutes",
    "open_holds_per_domain",
    "checkin_opens_minutes",
    "reminder_hours",
    "completion_threshold",
    "refund_full_days",
    "refund_partial_percent",
    "refund_partial_days",
}


def _check_event_rules(event: Event) -> None:
    errors: dict[str, list[str]] = {}
    if not (event.title or {}).get(event.default_language):
        errors["title"] = [
            _("A title in the default language (%(code)s) is required.") % {"code": event.default_language}
        ]
    if (
        event.registration_opens_at
        and event.registration_closes_at
        and event.registration_closes_at <= event.registration_opens_at
    ):
        errors["registration_closes_at"] = [_("Registration must close after it opens.")]
    if event.refund_partial_percent > 100:
        errors["refund_partial_percent"] = [_("A refund share is at most 100 %.")]
    if event.refund_full_days is not None and event.refund_partial_days > event.refund_full_days:
        errors["refund_partial_days"] = [
            _("The partial refund must end after the full refund does (fewer days before).")
        ]
    if event.venue_id and event.venue.organization_id != event.organization_id:
        errors["venue"] = [_("This venue belongs to another organization.")]
    if Event.objects.filter(slug=event.slug).exclude(pk=event.pk).exists():
        errors["slug"] = [_("Another event already uses this address (slug).")]
    if errors:
        raise InvalidInput(fields=errors)


def _save_event(event: Event) -> None:
    """Save; a slug taken between the check and the insert (a race) is the same 400, not a 500."""
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError as exc:
        if Event.objects.filter(slug=event.slug).exclude(pk=event.pk).exists():
            raise InvalidInput(fields={"slug": [_("Another event already uses this address (slug).")]}) from exc
        raise


@transaction.atomic
def event_create(*, user, organization: Organization, **fields) -> Event:
    ensure_can_manage(user=user, organization_id=organization.pk)
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = Event(organization=organization, status=Event.Status.DRAFT, **fields)
    _check_event_rules(event)
    _save_event(event)
    ticketing.default_ticket_type_create(event=event)
    audit.record_event(actor=user, action=AuditAction.EVENT_CREATE, event=event, details={"fields": sorted(fields)})
    return event


@dataclass(frozen=True)
class EventChange:
    """What an edit changed that others must act on (notices, the waiting list): see organizer.services."""

    event: Event
    old_venue_id: int | None
    moved_sessions: int  # sessions held at the event's venue, which moved with it
    capacity_raised: bool


@transaction.atomic
def event_change(*, user, event: Event, **fields) -> EventChange:
    """Edit the event's fields under its row lock; sessions at a new venue get a new iCal sequence.

    Locks: the event row (``select_for_update``), held until the caller's transaction ends.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot be changed."))
    capacity_before, venue_before = event.capacity, event.venue_id
    before = {name: event.serializable_value(name) for name in fields}  # FKs as ids: no extra query
    for name, value in fields.items():
        setattr(event, name, value)
    _check_event_rules(event)
    _save_event(event)
    if "price" in fields:
        ticketing.event_price_follow_single_type(event=event)
    changes = audit.field_changes(before=before, after={name: event.serializable_value(name) for name in fields})
    if changes:
        audit.record_event(actor=user, action=AuditAction.EVENT_UPDATE, event=event, details={"changes": changes})
    moved = 0
    if event.venue_id != venue_before:
        # Sessions held at the event's venue moved with it: calendars must replace their copy.
        moved = (
            event.sessions.filter(venue__isnull=True)
            .exclude(status=Session.Status.CANCELLED)
            .update(sequence=F("sequence") + 1, status=Session.Status.MOVED, updated_at=timezone.now())
        )
    return EventChange(
        event=event, old_venue_id=venue_before, moved_sessions=moved, capacity_raised=event.capacity > capacity_before
    )


@transaction.atomic
def event_publish(*, user, event: Event) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if event.status == Event.Status.PUBLISHED:
        return event
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot be published again."))
    if not event.sessions.exclude(status=Session.Status.CANCELLED).exists():
        raise InvalidTransition(_("Add at least one session before publishing."))
    _check_event_rules(event)
    event.status = Event.Status.PUBLISHED
    event.published_at = timezone.now()
    event.save(update_fields=["status", "published_at", "updated_at"])
    audit.record_event(actor=user, action=AuditAction.EVENT_PUBLISH, event=event)
    return event


@transaction.atomic
def event_mark_cancelled(*, user, event: Event) -> tuple[Event, bool]:
    """Set the event's status to cancelled; returns it and whether it was cancelled just now.

    Locks: the event row. Refunds, notices and the audit entry are the caller's
    (``organizer.services.event_cancel``), in the same transaction.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if event.status == Event.Status.CANCELLED:
        return event, False
    event.status = Event.Status.CANCELLED
    event.cancelled_at = timezone.now()
    event.save(update_fields=["status", "cancelled_at", "updated_at"])
    return event, True


@transaction.atomic
def event_set_questions(*, user, event: Event, questions: list[dict]) -> list[Question]:
    """Replace the event's registration questions. Answers are keyed by ``key``, so keep keys stable."""
    ensure_can_manage(user=user, organization_id=event.organization_id)
    keep_keys = [question["key"] for question in questions]
    event.questions.exclude(key__in=keep_keys).delete()
    saved = []
    for position, data in enumerate(questions):
        question, _created = Question.objects.update_or_create(
            event=event,
            key=data["key"],
            defaults={
                "kind": data.get("kind", Question.Kind.TEXT),
                "label": data.get("label_i18n") or data.get("label") or {},
                "required": data.get("required", False),
                "choices": data.get("choices", []),
                "show_at_checkin": data.get("show_at_checkin", False),
                "position": position,
            },
        )
        saved.append(question)
    audit.record_event(actor=user, action=AuditAction.EVENT_QUESTIONS, event=event, details={"keys": keep_keys})
    return saved


# --- sessions ----------------------------------------------------------------------------------


def _check_session_times(*, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidInput(fields={"starts_at": [_("Give times with a UTC offset.")]})
    if ends_at <= starts_at:
        raise InvalidInput(fields={"ends_at": [_("The end must be after the start.")]})


def _check_session_venue(*, event: Event, venue: Venue | None) -> None:
    if venue is not None and venue.organization_id != event.organization_id:
        raise InvalidInput(fields={"venue": [_("This venue belongs to another organization.")]})


@transaction.atomic
def session_create(
    *,
    user,
    event: Event,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue: Venue | None = None,
    title: dict | None = None,
    allow_overlap: bool = False,
) -> Session:
    event = Event.objects.select_for_update(of=("self",)).select_related("venue").get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot get new sessions."))
    _check_session_times(starts_at=starts_at, ends_at=ends_at)
    _check_session_venue(event=event, venue=venue)
    venue_id = venue.pk if venue else event.venue_id
    clashes = _raise_on_overlap(slots=[Slot(starts_at, ends_at, venue_id)], allow_overlap=allow_overlap)
    session = Session.objects.create(event=event, starts_at=starts_at, ends_at=ends_at, venue=venue, title=title or {})
    audit.record_session(
        actor=user,
        action=AuditAction.SESSION_CREATE,
        session=session,
        details={"starts_at": starts_at, "ends_at": ends_at, "venue": venue_id, "overlaps": len(clashes)},
    )
    return session


@dataclass(frozen=True)
class SessionChange:
    """A session after an edit, and where and when it was before (for the notices of a move)."""

    session: Session
    moved: bool
    old_starts_at: dt.datetime
    old_ends_at: dt.datetime
    old_venue_id: int | None


@transaction.atomic
def session_change(
    *,
    user,
    session: Session,
    allow_overlap: bool = False,
    **fields,
) -> SessionChange:
    """Move a session (time or venue) or retitle it. A move bumps ``sequence`` for calendars.

    Locks: the event row (``select_for_update(of=self)``), so seat and schedule decisions of the
    same event wait; notices are the caller's (``organizer.services.session_update``).
    """
    event = Event.objects.select_for_update(of=("self",)).select_related("venue").get(pk=session.event_id)
    session = Session.objects.select_related("venue").get(pk=session.pk)
    session.event = event
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if session.is_cancelled:
        raise InvalidTransition(_("A cancelled session cannot be changed."))
    unknown = set(fields) - {"starts_at", "ends_at", "venue", "title"}
    if unknown:
        raise TypeError(f"Unknown session fields: {sorted(unknown)}")
    before = (session.starts_at, session.ends_at, session.effective_venue_id)
    before_fields = {name: session.serializable_value(name) for name in fields}
    for name, value in fields.items():
        setattr(session, name, value)
    _check_session_times(starts_at=session.starts_at, ends_at=session.ends_at)
    _check_session_venue(event=event, venue=session.venue)
    after = (session.starts_at, session.ends_at, session.effective_venue_id)
    if after != before:
        _raise_on_overlap(
            slots=[Slot(session.starts_at, session.ends_at, session.effective_venue_id)],
            exclude_ids=[session.pk],
            allow_overlap=allow_overlap,
        )
        session.sequence += 1
        session.status = Session.Status.MOVED
    session.save()
    changes = audit.field_changes(
        before=before_fields, after={name: session.serializable_value(name) for name in fields}
    )
    if changes:
        audit.record_session(
            actor=user,
            action=AuditAction.SESSION_UPDATE,
            session=session,
            details={"changes": changes, "allow_overlap": allow_overlap},
        )
    return SessionChange(
        session=session, moved=after != before, old_starts_at=before[0], old_ends_at=before[1], old_venue_id=before[2]
    )


@transaction.atomic
def session_mark_cancelled(*, user, session: Session) -> tuple[Session, bool]:
    """Cancel one session (a new iCal sequence); returns it and whether it was cancelled just now.

    Locks: the event row. Notices are the caller's (``organizer.services.session_cancel``).
    """
    event = Event.objects.select_for_update().get(pk=session.event_id)
    session = Session.objects.get(pk=session.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    session.event = event
    if session.is_cancelled:
        return session, False
    session.status = Session.Status.CANCELLED
    session.sequence += 1
    session.save(update_fields=["status", "sequence", "updated_at"])
    audit.record_session(actor=user, action=AuditAction.SESSION_CANCEL, session=session)
    return session, True


@transaction.atomic
def session_reinstate(*, user, session: Session, status: str = Session.Status.SCHEDULED) -> Session:
    """Take back a cancellation (the admin's status field): a new iCal sequence, so calendars that
    dropped the session show it again. Locks: the event row."""
    event = Event.objects.select_for_update().get(pk=session.event_id)
    session = Session.objects.get(pk=session.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    session.event = event
    if not session.is_cancelled:
        return session
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot be changed."))
    session.status = status if status != Session.Status.CANCELLED else Session.Status.SCHEDULED
    session.sequence += 1
    session.save(update_fields=["status", "sequence", "updated_at"])
    audit.record_session(
        actor=user,
        action=AuditAction.SESSION_UPDATE,
        session=session,
        details={"changes": {"status": ["cancelled", session.status]}},
    )
    return session


@dataclass(frozen=True)
class ScheduleChange:
    created: list[Session]
    cancelled_ids: list[int]


@transaction.atomic
def sessions_generate(
    *,
    user,
    event: Event,
    rule: str,
    first_start: dt.datetime,
    duration: dt.timedelta,
    venue: Venue | None = None,
    replace_future: bool = False,
    allow_overlap: bool = False,
) -> ScheduleChange:
    """Create one session per occurrence of ``rule``, at the same wall-clock time in the event's zone.

    ``first_start`` is a naive local time (e.g. Tuesday 19:00 in Europe/Berlin): each session
    keeps 19:00 local across DST changes. With ``replace_future``, sessions that have not
    started yet are cancelled first (sessions in the past are history and stay).
    """
    event = Event.objects.select_for_update(of=("self",)).select_related("venue").get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot get new sessions."))
    if duration <= dt.timedelta(0):
        raise InvalidInput(fields={"duration_minutes": [_("The duration must be positive.")]})
    if duration > dt.timedelta(days=1):
        raise InvalidInput(fields={"duration_minutes": [_("A session lasts at most 24 hours.")]})
    _check_session_venue(event=event, venue=venue)
    if timezone.is_aware(first_start):
        first_start = timezone.make_naive(first_start, zoneinfo.ZoneInfo(event.timezone))
    occurrences = parse_recurrence(rule=rule, first_start=first_start)

    replaced_ids: list[int] = []
    if replace_future:
        replaced = event.sessions.filter(starts_at__gt=timezone.now())
        replaced_ids = list(replaced.values_list("pk", flat=True))
    venue_id = venue.pk if venue else event.venue_id
    sessions = [
        Session(
            event=event,
            starts_at=localize(occurrence, event.timezone),
            ends_at=localize(occurrence + duration, event.timezone),
            venue=venue,
        )
        for occurrence in occurrences
    ]
    _raise_on_overlap(
        slots=[Slot(s.starts_at, s.ends_at, venue_id) for s in sessions],
        exclude_ids=replaced_ids,
        allow_overlap=allow_overlap,
    )
    if replaced_ids:
        # Cancel rather than delete: calendars that hold the old dates get a cancellation.
        Session.objects.filter(pk__in=replaced_ids).update(
            status=Session.Status.CANCELLED, sequence=F("sequence") + 1, updated_at=timezone.now()
        )
    created = Session.objects.bulk_create(sessions)
    event.recurrence_rule = rule.strip()[:500]
    event.save(update_fields=["recurrence_rule", "updated_at"])
    audit.record_event(
        actor=user,
        action=AuditAction.SESSIONS_GENERATE,
        event=event,
        details={
            "rule": event.recurrence_rule,
            "first_start": first_start,
            "duration_minutes": int(duration.total_seconds() // 60),
            "venue": venue_id,
            "created": len(created),
            "cancelled": replaced_ids,
            "allow_overlap": allow_overlap,
        },
    )
    return ScheduleChange(created=created, cancelled_ids=replaced_ids)


# --- image -------------------------------------------------------------------------------------


def image_delete_on_commit(name: str) -> None:
    """Delete the stored image ``name`` once the surrounding transaction commits (never on rollback)."""
    if name:
        storage = Event._meta.get_field("image").storage
        transaction.on_commit(partial(storage.delete, name))


@transaction.atomic
def event_set_image(*, user, event: Event, upload) -> Event:
    """Check ``upload`` (events.images) and make it the event's image; the old file goes on commit.

    Raises InvalidInput with an ``image`` message for anything that is not an acceptable picture.
    """
    ensure_can_manage(user=user, organization_id=event.organization_id)
    try:
        checked = images.check_event_image(upload)
    except DjangoValidationError as exc:
        raise InvalidInput(fields={"image": exc.messages}) from exc
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Event.Status.CANCELLED:
        raise InvalidTransition(_("A cancelled event cannot be changed."))
    old = event.image.name
    event.image.save(checked.content.name, checked.content, save=False)
    event.image_width, event.image_height = checked.width, checked.height
    event.save(update_fields=["image", "image_width", "image_height", "updated_at"])
    image_delete_on_commit(old)
    _audit_image(user=user, event=event, old=old)
    return event


def _audit_image(*, user, event: Event, old: str) -> None:
    if old != event.image.name:
        changes = {"image": [old or None, event.image.name or None]}
        audit.record_event(actor=user, action=AuditAction.EVENT_UPDATE, event=event, details={"changes": changes})


@transaction.atomic
def event_remove_image(*, user, event: Event) -> Event:
    ensure_can_manage(user=user, organization_id=event.organization_id)
    event = Event.objects.select_for_update().get(pk=event.pk)
    old = event.image.name
    event.image = ""
    event.image_width = event.image_height = None
    event.save(update_fields=["image", "image_width", "image_height", "updated_at"])
    image_delete_on_commit(old)
    _audit_image(user=user, event=event, old=old)
    return event


# A file is written before its transaction commits; younger files may still be about to be referenced.
ORPHAN_IMAGE_GRACE = dt.timedelta(hours=6)


def event_images_sweep(*, older_than: dt.timedelta = ORPHAN_IMAGE_GRACE) -> list[str]:
    """Delete image files no event refers to: left by a transaction that rolled back after the file
    was written, or by a process killed in between. Returns the deleted names."""
    storage = Event._meta.get_field("image").storage
    directory = images.UPLOAD_DIRECTORY
    try:
        _subdirectories, names = storage.listdir(directory)
    except FileNotFoundError:
        return []
    cutoff = timezone.now() - older_than
    # Read after listing: a file committed meanwhile is in this set or younger than the cutoff.
    referenced = set(Event.objects.exclude(image="").values_list("image", flat=True))
    deleted = []
    for name in sorted(names):
        path = f"{directory}/{name}"
        if path in referenced:
            continue
        try:
            if storage.get_modified_time(path) >= cutoff:
                continue
            storage.delete(path)
        except FileNotFoundError:
            continue  # deleted by someone else meanwhile
        deleted.append(path)
    return deleted


@shared_task(ignore_result=True, name="events.tasks.sweep_orphan_images")
def sweep_orphan_images() -> int:
    """Beat (daily): delete event image files no event refers to any more."""
    deleted = event_images_sweep()
    if deleted:
        logger.info("Deleted %d orphan event image file(s).", len(deleted))
    return len(deleted)
