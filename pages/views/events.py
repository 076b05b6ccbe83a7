"""Public pages for browsing: the events list and an event's page (with its registration form).

Server-rendered, no JavaScript needed. Each view reads through ``events.selectors`` (relations
already loaded) and hands the templates small, language-resolved view models, so a template
never follows a relation or picks a translation itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError as ApiValidationError

from common.exceptions import InvalidInput
from common.forms import EXTRA_SPOKEN_LANGUAGES
from common.i18n import active_language, content_languages, pick
from common.pages import language_name, not_found, page_context
from events import refund_policy, selectors
from events.filters import EventFilter
from events.models import Event
from organizations.models import Venue
from pages import presentation
from pages.forms import RegistrationForm
from registrations import services as registration_services
from registrations.selectors import registration_state
from registrations.services import pricing

PAGE_SIZE = 20


@dataclass
class VenueView:
    name: str
    address: str
    map_url: str
    accessibility: str

    @classmethod
    def of(cls, venue: Venue | None, language: str, fallbacks: list[str]) -> VenueView | None:
        if venue is None:
            return None
        name = pick(venue.name, language, fallbacks)
        return cls(
            name=name,
            address=pick(venue.address, language, fallbacks),
            map_url=presentation.map_url(
                latitude=venue.latitude, longitude=venue.longitude, name=name, language=language
            ),
            accessibility=pick(venue.accessibility_notes, language, fallbacks),
        )


@dataclass
class EventCard:
    """One event as a list card, in the reader's language."""

    slug: str
    url: str
    title: str
    summary: str
    kind: str
    kind_label: str
    category: str
    timezone: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    session_count: int
    is_free: bool
    price: object
    currency: str
    seats_left: int
    waitlist: bool
    venue: VenueView | None
    online: bool
    spoken_languages: list[str] = field(default_factory=list)
    image_url: str = ""
    image_width: int | None = None
    image_height: int | None = None
    title_lang: str = ""  # the language of a fallback title or summary, for lang="..."
    summary_lang: str = ""

    @classmethod
    def of(cls, event: Event, language: str) -> EventCard:
        fallbacks = [event.default_language, event.organization.default_language]
        category = pick(event.category.name, language, fallbacks) if event.category else ""
        if presentation.names_the_kind(category, event.get_kind_display()):
            category = ""  # "Course · Courses" says one thing twice
        return cls(
            slug=event.slug,
            url=reverse("pages:event-detail", kwargs={"slug": event.slug}),
            title=pick(event.title, language, fallbacks) or event.slug,
            summary=pick(event.summary, language, fallbacks),
            kind=event.kind,
            kind_label=event.get_kind_display(),
            category=category,
            timezone=event.timezone,
            starts_at=getattr(event, "starts_at", None),
            ends_at=getattr(event, "ends_at", None),
            session_count=getattr(event, "session_count", 0),
            is_free=event.is_free,
            price=event.price,
            currency=event.currency,
            seats_left=event.seats_left,
            # Nobody overtakes a waiting party: with anyone waiting, a new registration waits too.
            waitlist=event.seats_left == 0 or event.waitlist_count > 0,
            venue=VenueView.of(event.venue, language, fallbacks),
            online=bool(event.online_url),
            spoken_languages=[language_name(code) for code in event.spoken_languages or []],
            image_url=event.image.url if event.image else "",
            image_width=event.image_width,
            image_height=event.image_height,
            title_lang=presentation.text_language(event.title, language, fallbacks),
            summary_lang=presentation.text_language(event.summary, language, fallbacks),
        )


# --- events list -----------------------------------------------------------------------------------


class EventPageFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class EventPageFilter(EventFilter):
    """The API's filters plus whole-day dates, as a phone's date picker sends them (to is inclusive)."""

    date_from = django_filters.DateFilter(
        method="filter_date_from", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    class Meta(EventFilter.Meta):
        form = EventPageFilterForm

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(starts_at__gte=_local_midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(starts_at__lt=_local_midnight(value + dt.timedelta(days=1)))


FILTER_FIELDS = ("q", "kind", "category", "language", "date_from", "date_to", "free")


def _dress_filter_form(form: forms.Form, language: str) -> None:
    """Labels, widgets and choices for the page (the API's filter form has none of these)."""
    fields = form.fields
    fields["q"].label = _("Search")
    fields["q"].help_text = ""
    fields["q"].widget = forms.TextInput(attrs={"type": "search", "maxlength": 100, "autocomplete": "off"})
    fields["kind"].label = _("Type")
    fields["kind"].empty_label = _("Events and courses")
    fields["kind"].choices = Event.Kind.choices
    fields["category"].label = _("Category")
    fields["category"].empty_label = _("All categories")
    fields["category"].label_from_instance = lambda category: category.t("name", language) or category.slug
    spoken = [*content_languages(), *(code for code in EXTRA_SPOKEN_LANGUAGES if code not in content_languages())]
    fields["language"].label = _("Spoken language")
    fields["language"].help_text = ""
    fields["language"].widget = forms.Select(
        choices=[("", _("Any language")), *((code, language_name(code)) for code in spoken)]
    )
    fields["date_from"].label = _("From")
    fields["date_to"].label = _("To")
    fields["free"].label = _("Price")
    fields["free"].widget = forms.Select(choices=[("", _("Free and paid")), ("true", _("Free")), ("false", _("Paid"))])
    for name in FILTER_FIELDS:
        fields[name].required = False


def _api_errors_to_form(form: forms.Form, exc: ApiValidationError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {None: exc.detail}
    for name, messages in detail.items():
        target = {"starts_before": "date_to", "starts_after": "date_from"}.get(name, name)
        messages = messages if isinstance(messages, list) else [messages]
        form.add_error(target if target in form.fields else None, [str(message) for message in messages])


def event_list(request: HttpRequest) -> HttpResponse:
    """Upcoming published events with the API's filters as a GET form; bad input shows as form errors."""
    language = active_language()
    # Always bound: the filter set only drops past events when it filters.
    filterset = EventPageFilter(request.GET, queryset=selectors.event_list(include_past=True), request=request)
    form = filterset.form
    _dress_filter_form(form, language)
    events = Event.objects.none()
    if filterset.is_valid():
        try:
            events = filterset.qs  # the spoken-language and date-order checks raise while it is built
        except ApiValidationError as exc:
            _api_errors_to_form(form, exc)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    cards = [EventCard.of(event, language) for event in page.object_list]
    groups = presentation.date_groups(cards, now=timezone.now())
    visible = [form[name] for name in FILTER_FIELDS]
    shown_with_fields = (*FILTER_FIELDS, NON_FIELD_ERRORS)
    hidden_errors = [
        message for name, messages in form.errors.items() if name not in shown_with_fields for message in messages
    ]
    filtered = any(request.GET.get(name) for name in FILTER_FIELDS)
    return render(
        request,
        "pages/event_list.html",
        page_context(
            request,
            form=form,
            fields=visible,
            hidden_errors=hidden_errors,
            page=page,
            cards=cards,
            groups=groups,
            filtered=filtered,
        ),
    )


# --- event page ------------------------------------------------------------------------------------


@dataclass
class SessionView:
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    status: str
    status_label: str
    venue: VenueView | None  # only when it differs from the event's venue
    cancelled: bool


def session_views(event: Event, language: str) -> list[SessionView]:
    """The event's sessions (prefetched, with venues) in the reader's language."""
    fallbacks = [event.default_language, event.organization.default_language]
    return [
        SessionView(
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            title=pick(session.title, language, fallbacks),
            status=session.status,
            status_label=session.get_status_display(),
            venue=VenueView.of(session.venue, language, fallbacks)
            if session.venue_id and session.venue_id != event.venue_id
            else None,
            cancelled=session.is_cancelled,
        )
        for session in event.sessions.all()
    ]


def get_event(slug: str) -> Event | None:
    return selectors.event_detail_queryset().filter(slug=slug).first()


def registration_quote(*, event: Event, form: RegistrationForm, language: str) -> dict | None:
    """What the party chosen on the form would pay, with the code typed (nothing is booked): the
    page shows it after "Apply code" and whenever the form comes back."""
    ticket_type, guests = form.chosen_party()
    now = timezone.now()
    quote = {"code": "", "code_error": "", "lines": [], "total": None, "currency": event.currency}
    try:
        code = pricing.code_resolve(event=event, text=form.code_text, now=now)
    except InvalidInput as exc:
        code = None
        quote["code_error"] = exc.message
    if code is not None:
        quote["code"] = code.code
    party = [pricing.Seat(name=str((form.data or form.initial).get("name") or ""), ticket_type_id=ticket_type)]
    party += [pricing.Seat(name=guest["name"], ticket_type_id=guest["ticket_type"]) for guest in guests]
    try:
        lines = pricing.lines_plan(event=event, party=party, code=code, now=now)
    except InvalidInput as exc:
        quote["lines_error"] = exc.message
        return quote
    quote["lines"] = [
        {
            "label": line.ticket_type.t("name", language) if line.ticket_type_id else card_title(event, language),
            "unit_price": line.unit_price,
            "discount": line.discount,
            "amount": line.amount,
        }
        for line in lines
    ]
    quote["total"] = pricing.lines_total(lines)
    return quote


def card_title(event: Event, language: str) -> str:
    return pick(event.title, language, [event.default_language])


def event_page(
    request: HttpRequest,
    *,
    event: Event,
    form=None,
    status: int = 200,
) -> HttpResponse:
    """Render an event's page; ``form`` is a bound registration form when a POST came back with errors."""
    language = active_language()
    fallbacks = [event.default_language, event.organization.default_language]
    payments_enabled = registration_services.payments_enabled()
    state = registration_state(
        event=event, ends_at=getattr(event, "ends_at", None), now=timezone.now(), payments_enabled=payments_enabled
    )
    if form is None and state.open:
        form = RegistrationForm(
            event=event,
            language=language,
            payments_enabled=payments_enabled,
            user=request.user,
            code_text=request.GET.get("code", "")[:40],
            initial={"code": request.GET.get("code", "")[:40]},
        )
    quote = None
    if form is not None:
        form.mark_errors()
        if form.is_bound or form.code_text:
            quote = registration_quote(event=event, form=form, language=language)
    event_venue = VenueView.of(event.venue, language, fallbacks)
    sessions = session_views(event, language)
    calendar_url = reverse("registrations:event-calendar", kwargs={"slug": event.slug})
    card = EventCard.of(event, language)
    description = pick(event.description, language, fallbacks)
    context = page_context(
        request,
        switcher_next=reverse("pages:event-detail", kwargs={"slug": event.slug}),
        event=event,
        card=card,
        description=description,
        description_lang=presentation.text_language(event.description, language, fallbacks),
        timezone_label=presentation.timezone_label(event.timezone, language),
        poster_url=reverse("pages:event-poster", kwargs={"slug": event.slug}) + f"?{urlencode({'lang': language})}",
        **share_context(request, event=event, card=card, description=description, language=language),
        organization=pick(event.organization.name, language, fallbacks) or event.organization.slug,
        venue=event_venue,
        sessions=sessions,
        calendar_url=f"{calendar_url}?{urlencode({'lang': language})}",
        state=state,
        form=form,
        door_only=getattr(form, "door_only", False),
        quote=quote,
        ticket_prices=getattr(form, "price_by_type", {}),
        payments_enabled=payments_enabled,
        refund_policy=refund_policy_view(event, sessions),
    )
    return render(request, "pages/event_detail.html", context, status=status)


def refund_policy_view(event: Event, sessions: list[SessionView]) -> list[refund_policy.PolicyStep]:
    """The refund policy's sentences for a paid event (shown before paying); none for a free one."""
    if event.is_free:
        return []
    starts = [s.starts_at for s in sessions if not s.cancelled]
    return refund_policy.policy_steps(event=event, first_start=min(starts) if starts else None)


def share_context(request: HttpRequest, *, event: Event, card: EventCard, description: str, language: str) -> dict:
    """The page's description and share tags, with absolute URLs of the host that served it."""
    page_url = request.build_absolute_uri(reverse("pages:event-detail", kwargs={"slug": event.slug}))
    summary = presentation.short_description(card.summary or description)
    tags = presentation.share_tags(
        title=card.title,
        description=summary,
        url=f"{page_url}?{urlencode({'lang': language})}",
        image_url=request.build_absolute_uri(card.image_url) if card.image_url else "",
        image_size=(card.image_width, card.image_height),
        language=language,
        site_name="Huiguan",
    )
    return {"meta_description": summary, "share_tags": tags, "canonical_url": page_url}


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_event(slug)
    if event is None:
        return not_found(request, _("This event does not exist or is no longer published."))
    return event_page(request, event=event)
