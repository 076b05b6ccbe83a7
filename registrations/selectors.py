"""Reads for registrations: access checks by manage token, links, organizer lists."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from common.exceptions import NotFound
from events.models import Event, Membership, Session
from registrations.models import Registration, RegistrationsLink


def event_is_over(*, event_id: int, now: dt.datetime) -> bool:
    """The event has sessions going ahead and every one of them has ended: it is history."""
    live = Session.objects.filter(event_id=event_id).exclude(status=Session.Status.CANCELLED)
    last = live.aggregate(last=Max("ends_at"))["last"]
    return last is not None and last <= now


def _absolute(path: str, absolute: bool = True) -> str:
    """``SITE_URL`` + path for what leaves the site (emails, API bodies, calendars); our own pages
    pass ``absolute=False`` so their links work on whatever host and port served them."""
    return f"{settings.SITE_URL}{path}" if absolute else path


def manage_url(*, registration: Registration) -> str:
    """The attendee's private page (see, cancel, ticket, calendar). The token is the only key."""
    return _absolute(f"/manage/{registration.manage_token}/")


def registration_links(*, registration: Registration, absolute: bool = True) -> dict[str, str | None]:
    """Private links of one registration; ticket and calendar only once it is confirmed."""
    token = registration.manage_token
    links: dict[str, str | None] = {"manage_url": _absolute(f"/manage/{token}/", absolute)}
    confirmed = registration.status == Registration.Status.CONFIRMED
    ticket = reverse("registrations:registration-ticket", kwargs={"pk": registration.pk, "fmt": "png"})
    calendar = reverse("registrations:registration-calendar", kwargs={"pk": registration.pk})
    links["ticket_url"] = _absolute(f"{ticket}?token={token}", absolute) if confirmed else None
    links["calendar_url"] = _absolute(f"{calendar}?token={token}", absolute) if confirmed else None
    return links


def calendar_feed_urls(*, email: str) -> dict[str, str] | None:
    """The https:// and webcal:// URLs of the address's private feed, or None if it has none.

    Only ever put in an email to that address (see ``calendar_feed_send``)."""
    from registrations.models import CalendarFeed

    token = CalendarFeed.objects.filter(email=email).values_list("token", flat=True).first()
    if token is None:
        return None
    https_url = _absolute(reverse("registrations:personal-feed", kwargs={"token": token}))
    return {"feed_url": https_url, "webcal_url": "webcal://" + https_url.split("://", 1)[1]}


def payment_url(*, registration: Registration, absolute: bool = True) -> str:
    """Our own stable link that opens (or reopens) Stripe Checkout for a pending registration."""
    path = reverse("registrations:registration-pay", kwargs={"pk": registration.pk})
    return _absolute(f"{path}?token={registration.manage_token}", absolute)


def ticket_image_url(*, registration: Registration, position: int, fmt: str, absolute: bool = True) -> str:
    path = reverse("registrations:registration-ticket", kwargs={"pk": registration.pk, "fmt": fmt})
    return _absolute(f"{path}?token={registration.manage_token}&seat={position}", absolute)


def user_manages_event(*, user, event: Event) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, organization_id=event.organization_id, role__in=Membership.MANAGING_ROLES
    ).exists()


def registration_access(*, pk: int, token: str | None, user, organizers: bool = True) -> tuple[Registration, bool]:
    """The registration and whether the caller is its attendee (holds its manage token or owns it).

    Otherwise (``organizers``) the caller organizes its event: they may read and cancel it, but
    are never handed its manage token, which opens what is the attendee's alone (see
    ``registration_for_request``). Anyone else gets NotFound, not Forbidden: ids must not be probed.
    """
    registration = (
        Registration.objects.select_related("event", "event__organization", "event__venue")
        .prefetch_related("tickets")
        .filter(pk=pk)
        .first()
    )
    if registration is None:
        raise NotFound()
    if token and constant_time_compare(token, registration.manage_token):
        return registration, True
    if user is not None and user.is_authenticated:
        if registration.user_id == user.pk:
            return registration, True
        if organizers and user_manages_event(user=user, event=registration.event):
            return registration, False
    raise NotFound()


def registration_for_request(*, pk: int, token: str | None, user, organizers: bool = True) -> Registration:
    """The registration if the caller holds its manage token, owns it, or (``organizers``)
    organizes its event.

    ``organizers=False`` for what is the attendee's alone: their rating of the event (an
    organizer must not write it) and their personal calendar feed (it lists their registrations
    with every organization, not only the caller's). Anyone else gets NotFound, not Forbidden:
    ids must not be probed.
    """
    return registration_access(pk=pk, token=token, user=user, organizers=organizers)[0]


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(event_id=registration.event_id).waitlisted_in_order()
    ahead = ahead.filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def event_registrations(*, event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event).select_related("event").prefetch_related("tickets").order_by("id")


# --- "My registrations": every registration of one address, behind an expiring mailed link ------


def my_registrations_url(*, email: str, now: dt.datetime | None = None) -> str | None:
    """The newest unexpired link of the address, absolute (it goes in an email), or None."""
    link = (
        RegistrationsLink.objects.filter(email=email, expires_at__gt=now or timezone.now())
        .order_by("-expires_at")
        .first()
    )
    return _absolute(reverse("pages:my-registrations-list", kwargs={"token": link.token})) if link else None


def my_registrations_link(*, token: str, now: dt.datetime) -> RegistrationsLink | None:
    if not token or len(token) > 64:
        return None
    return RegistrationsLink.objects.filter(token=token, expires_at__gt=now).first()


def my_registrations(*, email: str) -> QuerySet[Registration]:
    """The address's registrations (not erased), newest first, with what the list shows loaded."""
    sessions = Session.objects.select_related("venue").order_by("starts_at", "id")
    return (
        Registration.objects.filter(email=email, anonymised_at__isnull=True)
        .select_related("event", "event__organization", "event__venue")
        .prefetch_related("tickets", Prefetch("event__sessions", queryset=sessions))
        .order_by("-created_at", "-id")
    )
