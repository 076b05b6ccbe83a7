"""The desk's screens for running an event: its registrations (search, filters, actions, CSV),
messages to its attendees (compose, preview per language, audience counts, delivery), and the
team (members, volunteer invitations, scanner tokens), plus the page an invited volunteer
chooses a password on.

Views read a form, call one selector or service, and render; rules live in the services.
Everything here is for owners and managers of the event's organization: anyone else gets 404
(ids and slugs must not be probed), anonymous callers the sign-in page.
"""

from __future__ import annotations

import zoneinfo
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.exceptions import DomainError
from common.i18n import active_language, pick
from common.pages import language_name, page_context
from events.models import Event, Session
from notifications import notices
from notifications import selectors as mail
from notifications.messages import announcement_parts
from notifications.models import Announcement
from organizations import access
from organizer import roster, team
from organizer.ops_forms import AnnouncementForm, InviteForm, RosterFilterForm, TokenForm
from registrations import exports, services

LOGIN_URL = reverse_lazy("admin:login")
PAGE_SIZE = 50


def manager_required(view):
    """Signed in (else the sign-in page) and owner or manager of some organization (else 403);
    each view then scopes its rows to the user's organizations."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not access.manages_any(user=request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def session_label(session: Session, event: Event) -> str:
    when = date_format(
        timezone.localtime(session.starts_at, zoneinfo.ZoneInfo(event.timezone)), "SHORT_DATETIME_FORMAT"
    )
    title = session.t("title", active_language())
    return f"{when} · {title}" if title else when


def session_options(event: Event) -> tuple[list[Session], list[tuple[str, str]]]:
    sessions = roster.event_sessions(event=event)
    return sessions, [(str(s.pk), session_label(s, event)) for s in sessions]


def event_context(event: Event) -> dict:
    """The event's and organization's names in the desk's language (falling back as the public pages do)."""
    language = active_language()
    return {
        "event": event,
        "event_title": event.t("title", language) or event.slug,
        "organization_name": event.organization.t("name", language),
    }


def announcement_title(announcement: Announcement, organization_language: str) -> str:
    return pick(announcement.subject, active_language(), [organization_language]) or str(announcement)


def report_error(request: HttpRequest, exc: DomainError) -> None:
    """A refused action (the service's translated message) as a notice on the next page."""
    messages.error(request, exc.message)


# --- registrations --------------------------------------------------------------------------------


@manager_required
def registrations_page(request: HttpRequest, slug: str) -> HttpResponse:
    event = roster.desk_event(user=request.user, slug=slug)
    _sessions, options = session_options(event)
    form = RosterFilterForm(request.GET or None, sessions=options)
    filters = form.filters() if request.GET else roster.RosterFilters()
    rows = roster.roster(event=event, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    questions = list(event.questions.all())
    language = active_language()
    query = request.GET.copy()
    query.pop("page", None)
    for registration in page:
        registration.answer_list = [(q.t("label", language), registration.answers.get(q.key)) for q in questions]
        registration.guests = [t.name for t in registration.tickets.all() if t.position > 0]
    context = page_context(
        request,
        **event_context(event),
        form=form,
        page=page,
        questions=questions,
        filter_query=query.urlencode(),
        csv_url=reverse("desk:registrations-csv", kwargs={"slug": event.slug})
        + (f"?{query.urlencode()}" if query else ""),
        back=request.get_full_path(),
    )
    return render(request, "organizer/registrations.html", context)


@manager_required
def registrations_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The same list as today's organizer CSV (``registrations.exports``), with the page's filters."""
    event = roster.desk_event(user=request.user, slug=slug)
    _sessions, options = session_options(event)
    filters = RosterFilterForm(request.GET, sessions=options).filters()
    rows = roster.roster(event=event, filters=filters).order_by("id")
    return exports.event_registrations_csv(event=event, registrations=rows, actor=request.user)


ACTIONS = {
    "cancel": gettext_lazy("The registration is cancelled; a paid seat is refunded."),
    "resend": gettext_lazy("The ticket is on its way again."),
    "door-payment": gettext_lazy("Payment recorded."),
    "promote": gettext_lazy("Promoted from the waiting list; the attendee is told by email."),
}


@require_POST
@manager_required
def registration_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    """One button of a registration's row; back to the list as it was filtered."""
    event = roster.desk_event(user=request.user, slug=slug)
    registration = roster.desk_registration(event=event, pk=pk)
    if action not in ACTIONS:
        return HttpResponse(status=404)
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
        report_error(request, exc)
    else:
        messages.success(request, ACTIONS[action])
    return back_to_list(request, event)


def back_to_list(request: HttpRequest, event: Event) -> HttpResponse:
    target = request.POST.get("back", "")
    prefix = reverse("desk:registrations", kwargs={"slug": event.slug})
    return redirect(target if target.startswith(prefix) else prefix)


# --- messages -------------------------------------------------------------------------------------


@manager_required
def messages_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Compose (``Preview`` shows each language and who reads which), then ``Send``."""
    event = roster.desk_event(user=request.user, slug=slug)
    _sessions, options = session_options(event)
    form = AnnouncementForm(request.POST or None, sessions=options)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "send" in request.POST:
            try:
                announcement = notices.announcement_create(
                    user=request.user,
                    event_slugs=[event.slug],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    audience=form.cleaned_data["audience"],
                    session_id=form.session_id,
                )
            except DomainError as exc:
                report_error(request, exc)
            else:
                messages.success(request, _("Sent to %(n)d people.") % {"n": announcement.recipient_count})
                return redirect("desk:message", slug=event.slug, pk=announcement.pk)
        preview = announcement_preview(event=event, form=form)
    sent = list(Announcement.objects.filter(events=event).order_by("-id")[:20])
    for announcement in sent:
        announcement.title = announcement_title(announcement, event.organization.default_language)
    context = page_context(request, **event_context(event), form=form, preview=preview, sent=sent)
    return render(
        request, "organizer/messages.html", context, status=200 if form.is_valid() or not form.is_bound else 400
    )


def announcement_preview(*, event: Event, form: AnnouncementForm) -> dict:
    """Each written language as a reader would get it, and how many get which."""
    draft = Announcement(subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])
    organization_language = event.organization.default_language
    languages = [
        {"code": code, "name": language_name(code), "parts": announcement_parts(draft, code, organization_language)}
        for code in form.written
    ]
    audience = mail.announcement_audience(
        event_ids=[event.pk], audience=form.cleaned_data["audience"], session_id=form.session_id
    )
    counts = mail.reading_languages(
        registrations=audience, written=form.written, organization_language=organization_language
    )
    readers = [
        {"languages": " + ".join(language_name(code) for code in key.split("+")), "count": n}
        for key, n in counts.items()
    ]
    return {"languages": languages, "readers": readers, "total": sum(counts.values())}


@manager_required
def message_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One announcement: what was sent, to whom, and how the delivery went (from the outbox)."""
    event = roster.desk_event(user=request.user, slug=slug)
    announcement = get_object_or_404(Announcement.objects.filter(events=event).select_related("session"), pk=pk)
    delivery = mail.announcement_delivery(announcement_id=announcement.pk)
    context = page_context(
        request,
        **event_context(event),
        announcement=announcement,
        title=announcement_title(announcement, event.organization.default_language),
        audience_label=dict(AnnouncementForm.base_fields["audience"].choices).get(announcement.audience, ""),
        session_label=session_label(announcement.session, event) if announcement.session else "",
        delivery=delivery,
        in_progress=delivery["pending"] + delivery["sending"],
        texts=[
            {"code": code, "name": language_name(code), "subject": text, "body": announcement.body.get(code, "")}
            for code, text in announcement.subject.items()
        ],
    )
    return render(request, "organizer/message.html", context)


# --- team -----------------------------------------------------------------------------------------


@manager_required
def team_page(request: HttpRequest) -> HttpResponse:
    organizations = list(team.team_organizations(user=request.user))
    invite = InviteForm(organizations=organizations, initial={"language": request.LANGUAGE_CODE})
    token_form = TokenForm(holders=team.token_holders(user=request.user))
    return render_team(request, organizations=organizations, invite=invite, token_form=token_form)


def render_team(request, *, organizations, invite, token_form, new_key: str = "", status: int = 200):
    language = active_language()
    members = list(team.team_members(user=request.user))
    for membership in members:
        membership.organization_name = membership.organization.t("name", language)
    context = page_context(
        request,
        organizations=organizations,
        members=members,
        tokens=team.team_tokens(user=request.user),
        invite=invite,
        token_form=token_form,
        new_key=new_key,
    )
    return render(request, "organizer/team.html", context, status=status)


@require_POST
@manager_required
def team_invite(request: HttpRequest) -> HttpResponse:
    organizations = list(team.team_organizations(user=request.user))
    invite = InviteForm(request.POST, organizations=organizations)
    if invite.is_valid():
        try:
            membership = team.volunteer_invite(
                inviter=request.user,
                organization=invite.chosen_organization,
                email=invite.cleaned_data["email"],
                language=invite.cleaned_data["language"],
            )
        except DomainError as exc:
            for field, problems in (exc.fields or {"email": [exc.message]}).items():
                for problem in problems:
                    invite.add_error(field if field in invite.fields else None, problem)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
            return redirect("desk:team")
    token_form = TokenForm(holders=team.token_holders(user=request.user))
    return render_team(request, organizations=organizations, invite=invite, token_form=token_form, status=400)


@require_POST
@manager_required
def token_issue(request: HttpRequest) -> HttpResponse:
    organizations = list(team.team_organizations(user=request.user))
    holders = team.token_holders(user=request.user)
    token_form = TokenForm(request.POST, holders=holders)
    invite = InviteForm(organizations=organizations, initial={"language": request.LANGUAGE_CODE})
    if not token_form.is_valid():
        return render_team(request, organizations=organizations, invite=invite, token_form=token_form, status=400)
    token, key = team.scanner_token_issue(
        issuer=request.user, holder_id=int(token_form.cleaned_data["holder"]), name=token_form.cleaned_data["name"]
    )
    messages.success(request, _("Token made for %(user)s. Copy it now: it is shown only once.") % {"user": token.user})
    # Shown on this response only (never stored readable, never in a redirect URL).
    response = render_team(
        request, organizations=organizations, invite=invite, token_form=TokenForm(holders=holders), new_key=key
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@manager_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        team.scanner_token_revoke(user=request.user, token_id=pk)
    except DomainError:
        return HttpResponse(status=404)
    messages.success(request, _("Token revoked: it stops working at once."))
    return redirect("desk:team")


# --- an invited volunteer chooses a password --------------------------------------------------------


class WelcomeView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm view with the desk's look: the link from the invitation works once."""

    template_name = "organizer/welcome.html"
    success_url = reverse_lazy("scan:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in to scan tickets."))
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **page_context(self.request)}
