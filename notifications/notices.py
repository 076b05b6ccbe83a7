"""Notices to the people registered for an event when the organizer changes it (a session
moved or cancelled, a new venue, a new schedule, the event cancelled), and the organizer's own
announcements. Written as outbox rows inside the organizer's transaction (``organizer.services``),
the event row locked.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import InvalidInput
from common.i18n import clean_translations
from events.models import Event, Session
from notifications import outbox, selectors
from notifications.models import Announcement, Notification

Kind = Notification.Kind
Status = Notification.Status


def notify_session_changed(
    *, session: Session, old_starts_at: dt.datetime, old_ends_at: dt.datetime, old_venue_id: int | None
) -> list[Notification]:
    """A session moved (time or venue): tell every active registrant, old → new. Caller holds the event lock.

    ``session.sequence`` must already be bumped. A change notice not sent yet for the same session
    is superseded: the new one says "from the original time to the newest", and nothing is sent
    if the session is back where it was.
    """
    superseded = {
        row.registration_id: row
        for row in Notification.objects.select_for_update().filter(
            session=session, kind=Kind.CHANGED, status=Status.PENDING
        )
    }
    if superseded:
        Notification.objects.filter(pk__in=[row.pk for row in superseded.values()]).update(
            status=Status.SKIPPED, last_error="superseded by a later change"
        )
    rows = []
    new = (session.starts_at, session.ends_at, session.effective_venue_id)
    for registration in selectors.active_registrations(session.event_id):
        earlier = superseded.get(registration.pk)
        params = (
            dict(earlier.params)
            if earlier is not None
            else {
                "old_starts_at": old_starts_at.isoformat(),
                "old_ends_at": old_ends_at.isoformat(),
                "old_venue_id": old_venue_id,
            }
        )
        original = (
            dt.datetime.fromisoformat(params["old_starts_at"]),
            dt.datetime.fromisoformat(params["old_ends_at"]),
            params["old_venue_id"],
        )
        if original == new:
            continue  # moved back before anyone was told: nothing changed for them
        params["sequence"] = session.sequence
        rows.append(outbox.row(registration=registration, kind=Kind.CHANGED, session=session, params=params))
    return outbox.insert(rows)


def notify_venue_changed(*, event: Event, old_venue_id: int | None) -> list[Notification]:
    """The event moved to another venue (its sessions without a venue of their own moved with it):
    one notice per active registrant, not one per session. Caller holds the event lock.

    Like a session move, a notice not sent yet is superseded by the next change, keeps the place
    people were first told about, and nothing is sent if the event is back there.
    """
    pending = {
        row.registration_id: row
        for row in Notification.objects.select_for_update().filter(
            registration__event_id=event.pk, kind=Kind.CHANGED, status=Status.PENDING, params__scope="venue"
        )
    }
    if pending:
        Notification.objects.filter(pk__in=[row.pk for row in pending.values()]).update(
            status=Status.SKIPPED, last_error="superseded by a later change"
        )
    # Each move bumps the sessions' sequence, so this names the change and a retry finds its own rows.
    marker = f"venue-{event.sessions.aggregate(n=Max('sequence'))['n'] or 0}"
    rows = []
    for registration in selectors.active_registrations(event.pk):
        earlier = pending.get(registration.pk)
        original = earlier.params.get("old_venue_id") if earlier is not None else old_venue_id
        if original == event.venue_id:
            continue  # moved back before anyone was told
        params = {"scope": "venue", "old_venue_id": original, "venue_id": event.venue_id}
        rows.append(outbox.row(registration=registration, kind=Kind.CHANGED, params=params, suffix=marker))
    return outbox.insert(rows)


def notify_schedule_changed(*, event: Event, created: list[Session], cancelled_ids: list[int]) -> list[Notification]:
    """Sessions were generated for an event people registered for (a course rescheduled or extended):
    one notice per active registrant with the new dates, not one per session. Caller holds the event lock."""
    if not created and not cancelled_ids:
        return []
    marker = f"schedule-{min(session.pk for session in created)}" if created else f"schedule-x{min(cancelled_ids)}"
    params = {"scope": "schedule", "added": len(created), "cancelled": len(cancelled_ids)}
    rows = [
        outbox.row(registration=registration, kind=Kind.CHANGED, params=params, suffix=marker)
        for registration in selectors.active_registrations(event.pk)
    ]
    return outbox.insert(rows)


def notify_session_cancelled(*, session: Session) -> list[Notification]:
    """One session was cancelled: every active registrant. Caller holds the event lock."""
    rows = [
        outbox.row(registration=registration, kind=Kind.CANCELLED, session=session, params={"scope": "session"})
        for registration in selectors.active_registrations(session.event_id)
    ]
    return outbox.insert(rows)


def notify_event_cancelled(*, event: Event) -> list[Notification]:
    """The whole event was cancelled: every active registrant. Caller holds the event lock."""
    rows = [
        outbox.row(registration=registration, kind=Kind.CANCELLED, params={"scope": "event"}, suffix="event")
        for registration in selectors.active_registrations(event.pk)
    ]
    return outbox.insert(rows)


# --- announcements -----------------------------------------------------------------------------


@transaction.atomic
def announcement_create(
    *,
    user,
    event_slugs: list[str],
    subject: object,
    body: object,
    audience: str = selectors.Audience.ACTIVE,
    session_id: int | None = None,
) -> Announcement:
    """An organizer's message to the registrants of some of their events, one email per address.

    The events must all belong to one organization the user manages. Each language given needs a
    subject and a body; each recipient reads their own language if it is there, otherwise the
    organization's language and English. ``audience`` (``selectors.Audience``) narrows who gets
    it: everyone active (the default), confirmed, waiting, checked in, or checked in at the
    session ``session_id`` of one of the events. Locks: none (rows are inserted, deduped by key).
    """
    slugs = list(dict.fromkeys(event_slugs or []))
    if not slugs:
        raise InvalidInput(fields={"events": [_("Choose at least one event.")]})
    events = list(Event.objects.for_organizer(user).filter(slug__in=slugs).select_related("organization").distinct())
    unknown = sorted(set(slugs) - {event.slug for event in events})
    if unknown:
        raise InvalidInput(fields={"events": [_("No such event of yours: %(slugs)s") % {"slugs": ", ".join(unknown)}]})
    if len({event.organization_id for event in events}) > 1:
        raise InvalidInput(fields={"events": [_("Choose events of one organization.")]})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, value, limit in (("subject_i18n", subject, 200), ("body_i18n", body, 20_000)):
        try:
            cleaned[field] = clean_translations(value, max_length=limit)
        except Exception as exc:  # django ValidationError: report it on the field
            errors[field] = list(getattr(exc, "messages", [str(exc)]))
    if not errors:
        if not cleaned["subject_i18n"]:
            errors["subject_i18n"] = [_("Write a subject in at least one language.")]
        elif set(cleaned["subject_i18n"]) != set(cleaned["body_i18n"]):
            errors["body_i18n"] = [_("Give a subject and a body in the same languages.")]
    errors.update(audience_errors(events=events, audience=audience, session_id=session_id))
    if errors:
        raise InvalidInput(fields=errors)
    announcement = Announcement.objects.create(
        organization=events[0].organization,
        subject=cleaned["subject_i18n"],
        body=cleaned["body_i18n"],
        audience=audience,
        session_id=session_id if audience == selectors.Audience.SESSION else None,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    announcement.events.set(events)
    rows, seen = [], set()
    registrations = selectors.announcement_audience(
        event_ids=[event.pk for event in events], audience=audience, session_id=announcement.session_id
    )
    for registration in registrations:
        if registration.email in seen:
            continue  # registered for two of the chosen events: one email
        seen.add(registration.email)
        rows.append(
            outbox.row(
                registration=registration,
                kind=Kind.ANNOUNCEMENT,
                announcement=announcement,
                suffix=f"ann-{announcement.pk}",
            )
        )
    outbox.insert(rows)
    announcement.recipient_count = len(rows)
    announcement.save(update_fields=["recipient_count"])
    # One entry per announcement; it belongs to an event when it was sent about a single one.
    audit.record(
        actor=user,
        action=AuditAction.ANNOUNCEMENT_SEND,
        organization_id=events[0].organization_id,
        event_id=events[0].pk if len(events) == 1 else None,
        target_type="announcement",
        target_id=announcement.pk,
        target_label=", ".join(sorted(event.slug for event in events))[:200],
        details={"languages": sorted(cleaned["subject_i18n"]), "recipients": len(rows), "audience": audience},
    )
    return announcement


def audience_errors(*, events: list[Event], audience: str, session_id: int | None) -> dict[str, list[str]]:
    """What is wrong with a choice of recipients (empty when nothing is)."""
    if audience not in selectors.Audience.ALL:
        return {"audience": [_("Choose who gets the message.")]}
    if audience != selectors.Audience.SESSION:
        return {}
    if session_id is None or not Session.objects.filter(pk=session_id, event__in=events).exists():
        return {"session": [_("Choose one of the sessions of this event.")]}
    return {}
