"""An event's registrations on the desk: search, filters (status, session, payment), answers;
the buttons of a row (cancel with refund, resend the ticket, payment received at the door,
promote from the waiting list) and the CSV export. Rules live in ``registrations.services``."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from common.exceptions import DomainError
from common.i18n import active_language
from events.models import Event, Session
from organizer.ops_forms import RosterFilterForm
from organizer.selectors import roster
from organizer.views.base import desk_page, desk_render, managed_event
from registrations import exports, services

PAGE_SIZE = 50


def session_label(session: Session, event: Event) -> str:
    """ "12/3/26 19:00 · Lesson 3" in the event's time zone and the desk's language."""
    local = timezone.localtime(session.starts_at, zoneinfo.ZoneInfo(event.timezone))
    when = date_format(local, "SHORT_DATETIME_FORMAT")
    title = session.t("title", active_language())
    return f"{when} · {title}" if title else when


def session_options(event: Event) -> list[tuple[str, str]]:
    return [(str(s.pk), session_label(s, event)) for s in roster.event_sessions(event=event)]


@require_GET
@desk_page
def registrations_page(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    form = RosterFilterForm(request.GET or None, sessions=session_options(event))
    filters = form.filters() if request.GET else roster.RosterFilters()
    page = Paginator(roster.roster(event=event, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    questions = list(event.questions.all())
    language = active_language()
    for registration in page:
        registration.answer_list = [(q.t("label", language), registration.answers.get(q.key)) for q in questions]
        registration.guests = [t.name for t in registration.tickets.all() if t.position > 0]
    query = request.GET.copy()
    query.pop("page", None)
    csv_url = reverse("desk:event-registrations-csv", kwargs={"slug": event.slug})
    context = {
        "event": event,
        "form": form,
        "page": page,
        "filter_query": query.urlencode(),
        "csv_url": csv_url + (f"?{query.urlencode()}" if query else ""),
        "back": request.get_full_path(),
    }
    return desk_render(request, "organizer/registrations.html", context, event=event)


@require_GET
@desk_page
def registrations_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Today's organizer CSV (``registrations.exports``: audited, formula-safe), with the page's filters."""
    event = managed_event(request, slug)
    filters = RosterFilterForm(request.GET, sessions=session_options(event)).filters()
    rows = roster.roster(event=event, filters=filters).order_by("id")
    return exports.event_registrations_csv(event=event, registrations=rows, actor=request.user)


ACTIONS = {
    "cancel": gettext_lazy("The registration is cancelled; a paid seat is refunded."),
    "resend": gettext_lazy("The ticket is on its way again."),
    "door-payment": gettext_lazy("Payment recorded."),
    "promote": gettext_lazy("Promoted from the waiting list; the attendee is told by email."),
}


@require_POST
@desk_page
def registration_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    """One button of a registration's row; back to the list as it was filtered. A refusal (no
    free seat, an event that is over…) comes back as the service's translated message."""
    event = managed_event(request, slug)
    registration = roster.desk_registration(event=event, pk=pk)
    if action not in ACTIONS:
        raise Http404
    try:
        if action == "cancel":
            services.registration_cancel(registration_id=registration.pk, actor=request.user)
        elif action == "resend":
            if not services.ticket_resend(registration_id=registration.pk, actor=request.user):
                messages.info(request, _("The ticket was sent a few minutes ago; try again later."))
                return back_to_list(request, event)
        elif action == "door-payment":
            services.door_payment_record(registration_id=registration.pk, received_by=request.user)
        else:
            services.waitlist_promote_by_hand(registration_id=registration.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ACTIONS[action])
    return back_to_list(request, event)


def back_to_list(request: HttpRequest, event: Event) -> HttpResponse:
    """The filtered list the button was pressed on (only ever this event's list: no open redirect)."""
    target = request.POST.get("back", "")
    prefix = reverse("desk:event-registrations", kwargs={"slug": event.slug})
    return redirect(target if target.startswith(prefix) else prefix)
