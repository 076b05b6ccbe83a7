"""Who may reach what: every API route and page × every role, each cell's status written down.

The routes are collected from the URL resolver, and every registered ModelAdmin from the admin
site: a route, a method of an API view or an admin without a row here fails the suite, so a new
endpoint cannot skip the matrix.

Columns (ROLES): anonymous; the attendee (Alice) with her manage token; another attendee (Bob)
with *his* token, asking for Alice's things; a volunteer of Alice's organization and one of
another organization; a manager of Alice's organization and one of another; a superuser.
API calls authenticate with an API token (users) or ``X-Manage-Token`` (attendees); pages with
a session cookie or the token in the link, as the real clients do.

Each row is run against a fresh world; each role's request runs in a savepoint rolled back
afterwards, so one role's write never changes what the next sees. Beyond the status:
- a role not entitled to a row's private data finds none of it in the body (registrants' names,
  emails, manage tokens; another organization's registrants);
- a write refused (status ≥ 400) leaves the database exactly as it was.

Status notation: "200", "404", ...; "3xx" is a redirect (login page, or the admin's "does not exist").

The organizer's desk (``/organizer/``) tells owners from managers, so its rows (DESK_ROWS) add
a ninth cell: an owner of Alice's organization (``own``, not staff: the desk needs no admin
account). Rows without an ``owner`` cell do not run the owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from events.models import Event, Question
from organizations.models import Membership
from registrations.confirm_links import confirm_token
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

ROLES = ("anon", "att", "oth", "vol", "vol2", "mgr", "mgr2", "su")
USER_ROLES = ("vol", "vol2", "mgr", "mgr2", "su", "own")

# Who may see the private data a row is about (the row's "kind").
ENTITLED = {
    "public": set(),  # public data only: nobody's registration shows
    "attendee": {"att", "mgr", "su", "own"},  # Alice's own registration (and her organizers)
    "checkin": {"vol", "mgr", "su", "own"},  # the door of Alice's event
    "organizer": {"mgr", "su", "own"},  # Alice's organization's back office
    "capability": set(ROLES),  # the secret is in the URL itself (a calendar feed link)
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Routes outside the matrix, and why.
UNLISTED = {
    "admin/": "the admin's own URLs: covered per ModelAdmin in ADMIN_MATRIX below",
}


# --- the world -------------------------------------------------------------------------------------


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.org = OrganizationFactory(slug="tea-club")
    w.org2 = OrganizationFactory(slug="chess-club")
    w.users = {
        "vol": UserFactory(username="vol"),
        "vol2": UserFactory(username="vol2"),
        "mgr": UserFactory(username="mgr", is_staff=True),
        "mgr2": UserFactory(username="mgr2", is_staff=True),
        "su": UserFactory(username="root", is_staff=True, is_superuser=True),
        "own": UserFactory(username="own"),
    }
    for role, org, kind in (
        ("vol", w.org, Membership.Role.VOLUNTEER),
        ("vol2", w.org2, Membership.Role.VOLUNTEER),
        ("mgr", w.org, Membership.Role.MANAGER),
        ("mgr2", w.org2, Membership.Role.MANAGER),
        ("own", w.org, Membership.Role.OWNER),
    ):
        MembershipFactory(user=w.users[role], organization=org, role=kind)
    w.tokens = {role: Token.objects.create(user=user).key for role, user in w.users.items()}

    w.event = EventFactory(organization=w.org, slug="tea-evening", with_session=False, capacity=20, max_guests=1)
    w.session = SessionFactory(event=w.event, starts_at=timezone.now() - timezone.timedelta(minutes=10))
    Question.objects.create(event=w.event, key="diet", label={"en": "Dietary needs"})
    w.venue = w.event.venue
    w.draft = EventFactory(
        organization=w.org, slug="tea-draft", status=Event.Status.DRAFT, title={"en": "Unannounced tea plan"}
    )
    w.alice = RegistrationFactory(event=w.event, name="Alice Secretname", email="alice.secret@example.org")
    w.bob = RegistrationFactory(event=w.event, name="Bob Hiddenname", email="bob.hidden@example.org")
    w.alice_ticket = w.alice.tickets.get(position=0)
    w.bob_ticket = w.bob.tickets.get(position=0)
    w.checkin = CheckInFactory(ticket=w.alice_ticket, session=w.session)

    from notifications.models import Feedback
    from registrations.models import CalendarFeed

    Feedback.objects.create(registration=w.alice, rating=4, comment="Alice's private remark", language="en")
    w.feed = CalendarFeed.objects.create(email=w.alice.email)
    from registrations.models import RegistrationsLink

    expires = timezone.now() + timezone.timedelta(hours=1)
    w.my_links = {
        "att": RegistrationsLink.objects.create(email=w.alice.email, expires_at=expires).token,
        "oth": RegistrationsLink.objects.create(email=w.bob.email, expires_at=expires).token,
    }

    from organizations.tokens import api_token_create

    w.api_token, _key = api_token_create(holder=w.users["vol"], name="door phone", issuer=w.users["mgr"])

    from notifications.models import Announcement

    w.announcement = Announcement.objects.create(organization=w.org, subject={"en": "Tea news"}, body={"en": "Hi"})
    w.announcement.events.set([w.event])

    # --- board: a published notice, a draft and a sent bulletin issue of Alice's organization
    from notifications import bulletins as board_bulletins
    from tests.helpers import notice_in

    w.notice = notice_in(w.org, title={"en": "Tea room closed for works"})
    w.notice_draft = notice_in(w.org, status="draft", title={"en": "Unannounced notice draft"})
    w.bulletin = board_bulletins.bulletin_send(
        organization=w.org, week_start=board_bulletins.week_start_of(organization=w.org, moment=timezone.now())
    )
    # ---

    # Money (receipts): Alice paid 10 CNY at the door and has receipt 1; Bob asked for a fapiao.
    from django.db import transaction as db_transaction

    from registrations.models import FapiaoRequest, Payment
    from registrations.services.receipts import receipt_issue

    with db_transaction.atomic():
        w.alice_payment = Payment.objects.create(
            registration=w.alice, provider="door", status="paid", amount=10, currency="CNY", paid_at=timezone.now()
        )
        w.alice_receipt = receipt_issue(payment=w.alice_payment)
    w.bob_fapiao = FapiaoRequest.objects.create(
        registration=w.bob, company_name="Bob Hiddenname Trading", taxpayer_id="91350100M000100Y43"
    )

    # --- reach: Alice's and Bob's subscriptions (each one's private link) ---
    from notifications.models import Subscription

    w.subs = {
        role: Subscription.objects.create(
            email=person.email, language="en", token=f"sub-{role}-" + "s" * 40, confirmed_at=timezone.now()
        )
        for role, person in (("att", w.alice), ("oth", w.bob))
    }

    w.event2 = EventFactory(organization=w.org2, slug="chess-night")
    w.carol = RegistrationFactory(event=w.event2, name="Carol Privatename", email="carol.private@example.org")

    from voices.models import Comment

    w.voice = Comment.objects.create(
        organization=w.org,
        topic="housing",
        kind="question",
        language="en",
        email="voice.writer@example.org",
        text="A resident's unpublished question about the flat upstairs.",
    )

    # --- tickets ---
    from events.models import PromoCode, TicketType

    w.ticket_type = TicketType.objects.create(event=w.event, name={"en": "Standard"}, price=0)
    w.spare_type = TicketType.objects.create(event=w.event, name={"en": "Spare"}, price=0, position=1, hidden=True)
    w.promo_code = PromoCode.objects.create(organization=w.org, event=w.event, code="TEA10", value=10)
    return w


def secrets_for(w, role: str, kind: str) -> list[str]:
    """What this role must not find in the body of a row of this kind."""
    found: list[str] = []
    if role not in ENTITLED[kind]:
        found += [w.alice.name, w.alice.email, w.alice.manage_token, "Alice's private remark", w.feed.token]
        if role != "oth":  # Bob's own data is his
            found += [w.bob.name, w.bob.email, w.bob.manage_token]
    if role not in {"mgr", "su", "own"}:  # a draft is the organizers' business until it is published
        found.append(w.draft.title["en"])
        found.append(w.notice_draft.title["en"])  # board: a draft notice too
    if role not in {"vol2", "mgr2", "su"} and kind != "capability":
        found += [w.carol.name, w.carol.email, w.carol.manage_token]
    if role not in {"mgr", "su", "own"} and kind != "capability":  # a resident's comment: its office's only
        found += [w.voice.email, w.voice.text, w.voice.token]
    return found


def snapshot() -> dict:
    """Every row an endpoint could write (users aside: a login stamps last_login)."""
    names = [
        "organizations.Organization",
        "organizations.Membership",
        "organizations.Venue",
        "events.Event",
        "events.Session",
        "events.Question",
        "registrations.Registration",
        "registrations.Ticket",
        "registrations.CalendarFeed",
        "registrations.RegistrationsLink",
        "registrations.Payment",
        "registrations.Refund",
        "registrations.Receipt",
        "registrations.ReceiptCounter",
        "registrations.FapiaoRequest",
        "checkin.CheckIn",
        "notifications.Feedback",
        "notifications.Announcement",
        "notifications.Notification",
        "notifications.Subscription",
        "organizations.ApiToken",
        "authtoken.Token",
        "notifications.Notice",  # board
        "notifications.Bulletin",
        "notifications.ListMessage",
        "voices.Comment",
        "voices.Note",
    ]
    return {name: list(apps.get_model(name).objects.order_by("pk").values()) for name in names}


# --- rows --------------------------------------------------------------------------------------


def manage_token(w, role: str) -> str | None:
    return {"att": w.alice.manage_token, "oth": w.bob.manage_token}.get(role)


def my_link_token(w, role: str) -> str:
    """The role's own "My registrations" link, or a guess."""
    return w.my_links.get(role) or "guessed-" + "x" * 35


def link_token(w, role: str) -> str:
    """The token a role puts in a private link: its own, or a guess."""
    return manage_token(w, role) or "guessed-" + "x" * 35


@dataclass
class Row:
    method: str
    route: str  # as the resolver spells it
    url: Callable[[SimpleNamespace, str], str]
    kind: str
    expect: str  # one status per role, in ROLES order
    body: Callable[[SimpleNamespace], dict] | None = None
    form: bool = False  # send the body form-encoded (pages) instead of JSON
    note: str = ""
    owner: str | None = None  # the owner's cell (desk rows); None: the row does not run the owner
    statuses: dict = field(init=False)

    def __post_init__(self):
        cells = self.expect.split()
        assert len(cells) == len(ROLES), (self.method, self.route)
        self.statuses = dict(zip(ROLES, cells, strict=True))
        if self.owner is not None:
            self.statuses["own"] = self.owner

    @property
    def roles(self) -> tuple[str, ...]:
        return (*ROLES, "own") if self.owner is not None else ROLES

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def const(path: str):
    return lambda w, role: path


def png_upload():
    from tests.events.test_images import picture, upload

    return upload("tea.png", picture(size=(16, 12)))


def scan_body(w):
    from registrations.tickets import ticket_code

    # No session: the scanner lets the server pick the ticket's open session, so a volunteer of
    # another organization reaches the ticket check itself (and gets wrong_event).
    return {"code": ticket_code(ticket_id=w.bob_ticket.pk), "nonce": str(uuid.uuid4())}


def batch_body(w):
    return {"scans": [{**scan_body(w), "scanned_at": timezone.now().isoformat()}]}


def event_body(w):
    return {
        "organization": "tea-club",
        "kind": "event",
        "slug": "new-tea",
        "default_language": "en",
        "title_i18n": {"en": "New tea"},
        "capacity": 5,
        "price": "0",
    }


def session_body(w):
    start = timezone.now() + timezone.timedelta(days=30)
    return {"starts_at": start.isoformat(), "ends_at": (start + timezone.timedelta(hours=1)).isoformat()}


R = "api/v1/"
# Row(method, route as the resolver spells it, url(world, role), kind, statuses for: anon att oth vol vol2 mgr mgr2 su)
ROWS = [
    # --- public browsing
    Row("GET", "", const("/"), "public", "200 200 200 200 200 200 200 200"),
    Row("GET", "healthz", const("/healthz"), "public", "200 200 200 200 200 200 200 200"),
    Row("GET", "api/schema/", const("/api/schema/"), "public", "200 200 200 200 200 200 200 200"),
    Row("GET", "api/docs/", const("/api/docs/"), "public", "200 200 200 200 200 200 200 200"),
    Row("GET", "jsi18n/", const("/jsi18n/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        "i18n/setlang/",
        const("/i18n/setlang/"),
        "public",
        "302 302 302 302 302 302 302 302",
        body=lambda w: {"language": "ja", "next": "/"},
        form=True,
    ),
    Row("GET", "events/<slug:slug>/", const("/events/tea-evening/"), "public", "200 200 200 200 200 200 200 200"),
    Row("GET", "favicon.ico", const("/favicon.ico"), "public", "301 301 301 301 301 301 301 301"),
    Row(
        "GET",
        "events/<slug:slug>/poster/",
        const("/events/tea-evening/poster/"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row(
        "GET",
        "events/<slug:slug>/poster/",
        const("/events/tea-draft/poster/"),
        "public",
        "404 404 404 404 404 404 404 404",
        note="a draft has no poster",
    ),
    Row(
        "GET",
        "events/<slug:slug>/qr.svg",
        const("/events/tea-evening/qr.svg"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row("GET", "my/", const("/my/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        "my/",
        const("/my/"),
        "public",
        "200 200 200 200 200 200 200 200",
        body=lambda w: {"email": "someone.new@example.org"},
        form=True,
        note="the same answer for any address; the link goes by email only",
    ),
    Row(
        "GET",
        "my/<str:token>/",
        lambda w, r: f"/my/{my_link_token(w, r)}/",
        "attendee",
        "404 200 200 404 404 404 404 404",
        note="only the mailed link opens it (Bob's link lists Bob's registrations, nothing of Alice's)",
    ),
    Row(
        "GET",
        "events/<slug:slug>/",
        const("/events/tea-draft/"),
        "public",
        "404 404 404 404 404 404 404 404",
        note="a draft is not public, not even to its organizers on the public site",
    ),
    Row(
        "GET",
        "events/<slug:slug>/register/",
        const("/events/tea-evening/register/"),
        "public",
        "302 302 302 302 302 302 302 302",
    ),
    Row(
        "POST",
        "events/<slug:slug>/register/",
        const("/events/tea-evening/register/"),
        "public",
        "302 302 302 302 302 302 302 302",
        body=lambda w: {"name": "New Person", "email": "new.person@example.org", "privacy": "on"},
        form=True,
    ),
    Row("GET", R + "events/", const("/api/v1/events/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET",
        "^media/(?P<path>.+)$",
        const("/media/events/no-such-image.png"),
        "public",
        "404 404 404 404 404 404 404 404",
        note="uploaded event images are public by their unguessable names (tests/events/test_images.py)",
    ),
    Row(
        "GET",
        R + "events/<slug:slug>/",
        const("/api/v1/events/tea-evening/"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row(
        "GET",
        R + "events/<slug:slug>/",
        const("/api/v1/events/tea-draft/"),
        "public",
        "404 404 404 404 404 404 404 404",
    ),
    Row(
        "GET",
        R + "events/<slug:slug>/sessions/",
        const("/api/v1/events/tea-evening/sessions/"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row("GET", R + "categories/", const("/api/v1/categories/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET",
        R + "events/<slug:slug>/calendar.ics",
        const("/api/v1/events/tea-evening/calendar.ics"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row("GET", R + "calendar.ics", const("/api/v1/calendar.ics"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        R + "events/<slug:slug>/registrations/",
        const("/api/v1/events/tea-evening/registrations/"),
        "public",
        "201 201 201 201 201 201 201 201",
        body=lambda w: {
            "name": "New Person",
            "email": "new.person@example.org",
            "language": "en",
            "consents": {"privacy": True},
        },
    ),
    Row("GET", R + "privacy/consent/", const("/api/v1/privacy/consent/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        R + "payments/stripe/webhook/",
        const("/api/v1/payments/stripe/webhook/"),
        "public",
        "503 503 503 503 503 503 503 503",
        body=lambda w: {"id": "evt_forged", "type": "checkout.session.completed"},
        note="no webhook secret in the tests: refused for everybody (signatures: tests/registrations)",
    ),
    # --- an attendee's own registration (manage token; the owner account; her organizers)
    Row(
        "GET",
        R + "registrations/<int:pk>/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/",
        "attendee",
        "404 200 404 404 404 200 404 200",
    ),
    Row(
        "DELETE",
        R + "registrations/<int:pk>/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/",
        "attendee",
        "404 200 404 404 404 200 404 200",
    ),
    Row(
        "GET",
        R + "registrations/<int:pk>/pay/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/pay/",
        "attendee",
        "404 409 404 404 404 409 404 409",
        note="a free, confirmed registration has nothing to pay: 409 once the caller may see it",
    ),
    Row(
        "POST",
        R + "registrations/<int:pk>/pay/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/pay/",
        "attendee",
        "404 409 404 404 404 409 404 409",
    ),
    Row(
        "GET",
        R + r"^registrations/(?P<pk>[0-9]+)/ticket\.(?P<fmt>png|svg)$",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/ticket.svg",
        "attendee",
        "404 200 404 404 404 200 404 200",
    ),
    Row(
        "GET",
        R + "registrations/<int:pk>/calendar.ics",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/calendar.ics",
        "attendee",
        "404 200 404 404 404 200 404 200",
    ),
    Row(
        "POST",
        R + "registrations/<int:pk>/calendar-feed/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/calendar-feed/",
        "attendee",
        "404 202 404 404 404 404 404 404",
        body=lambda w: {},
        note="the feed link is mailed to Alice's address, never in the response",
    ),
    Row(
        "GET",
        R + "registrations/<int:pk>/data/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/data/",
        "attendee",
        "404 200 404 404 404 404 404 404",
        note="the attendee's own right; organizers have their own views",
    ),
    Row(
        "DELETE",
        R + "registrations/<int:pk>/data/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/data/",
        "attendee",
        "404 200 404 404 404 404 404 404",
    ),
    Row(
        "GET",
        R + "calendar/feeds/<str:token>.ics",
        lambda w, r: f"/api/v1/calendar/feeds/{w.feed.token}.ics",
        "capability",
        "200 200 200 200 200 200 200 200",
        note="the link is the key, whoever holds it",
    ),
    Row(
        "GET",
        R + "calendar/feeds/<str:token>.ics",
        const("/api/v1/calendar/feeds/guessed-token.ics"),
        "public",
        "404 404 404 404 404 404 404 404",
    ),
    Row(
        "GET",
        R + "registrations/<int:pk>/feedback/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/feedback/",
        "attendee",
        "404 200 404 404 404 200 404 200",
    ),
    Row(
        "POST",
        R + "registrations/<int:pk>/feedback/",
        lambda w, r: f"/api/v1/registrations/{w.alice.pk}/feedback/",
        "attendee",
        "404 200 404 404 404 404 404 404",
        body=lambda w: {"rating": 5, "comment": "lovely"},
    ),
    Row(
        "GET",
        "manage/<str:token>/",
        lambda w, r: f"/manage/{link_token(w, r)}/",
        "attendee",
        "404 200 200 404 404 404 404 404",
        note="only the link opens it (Bob's link opens Bob's page, with nothing of Alice's)",
    ),
    Row(
        "GET",
        "manage/<str:token>/cancel/",
        lambda w, r: f"/manage/{link_token(w, r)}/cancel/",
        "attendee",
        "404 200 200 404 404 404 404 404",
    ),
    Row(
        "POST",
        "manage/<str:token>/cancel/",
        lambda w, r: f"/manage/{link_token(w, r)}/cancel/",
        "attendee",
        "404 302 302 404 404 404 404 404",
        body=lambda w: {},
        form=True,
        note="Bob's link cancels Bob, never Alice (checked below)",
    ),
    Row(
        "POST",
        "manage/<str:token>/calendar-feed/",
        lambda w, r: f"/manage/{link_token(w, r)}/calendar-feed/",
        "attendee",
        "404 302 302 404 404 404 404 404",
        body=lambda w: {},
        form=True,
        note="mails the link holder's own address",
    ),
    # receipts: the receipt PDF and the fapiao request (Bob's link finds no receipt 1 of his)
    Row(
        "GET",
        "manage/<str:token>/receipts/<int:number>.pdf",
        lambda w, r: f"/manage/{link_token(w, r)}/receipts/{w.alice_receipt.number}.pdf",
        "attendee",
        "404 200 404 404 404 404 404 404",
    ),
    Row(
        "POST",
        "manage/<str:token>/fapiao/",
        lambda w, r: f"/manage/{link_token(w, r)}/fapiao/",
        "attendee",
        "404 302 302 404 404 404 404 404",
        body=lambda w: {"company_name": "Tea Trading Ltd", "taxpayer_id": "91350100M000100Y43"},
        form=True,
        note="a free seat has nothing to invoice: back to the manage page with that notice",
    ),
    Row(
        "GET",
        "manage/<str:token>/certificate/<int:seat>.pdf",
        lambda w, r: f"/manage/{link_token(w, r)}/certificate/0.pdf",
        "attendee",
        "404 404 404 404 404 404 404 404",
        note="this world's event is no course: nobody has a certificate (the holder's own is in "
        "tests/reports/test_attendee_certificate.py; another seat's or link's is 404 there)",
    ),
    Row(
        "GET",
        "manage/<str:token>/data.json",
        lambda w, r: f"/manage/{link_token(w, r)}/data.json",
        "attendee",
        "404 200 200 404 404 404 404 404",
        note="Bob's link downloads Bob's data",
    ),
    Row(
        "GET",
        "manage/<str:token>/erase/",
        lambda w, r: f"/manage/{link_token(w, r)}/erase/",
        "attendee",
        "404 200 200 404 404 404 404 404",
    ),
    Row(
        "POST",
        "manage/<str:token>/erase/",
        lambda w, r: f"/manage/{link_token(w, r)}/erase/",
        "attendee",
        "404 302 302 404 404 404 404 404",
        body=lambda w: {},
        form=True,
        note="Bob's link erases Bob",
    ),
    Row(
        "GET",
        "confirm/<str:token>/",
        lambda w, r: f"/confirm/{confirm_token(registration=w.alice)}/",
        "capability",
        "3xx 3xx 3xx 3xx 3xx 3xx 3xx 3xx",
        note="the emailed link confirms Alice's address, whoever opens it (it only travels by email)",
    ),
    Row(
        "GET",
        "confirm/<str:token>/",
        const("/confirm/guessed-token/"),
        "public",
        "404 404 404 404 404 404 404 404",
    ),
    Row(
        "GET",
        R + "organizer/audit/",
        const("/api/v1/organizer/audit/"),
        "organizer",
        "401 401 401 403 403 200 200 200",
        note="another organization's manager gets their own (empty) log",
    ),
    Row(
        "GET",
        "feedback/<int:pk>/",
        lambda w, r: f"/feedback/{w.alice.pk}/" + (f"?token={manage_token(w, r)}" if manage_token(w, r) else ""),
        "attendee",
        "404 200 404 404 404 404 404 404",
    ),
    Row(
        "POST",
        "feedback/<int:pk>/",
        lambda w, r: f"/feedback/{w.alice.pk}/",
        "attendee",
        "404 200 404 404 404 404 404 404",
        body=lambda w: {"rating": "5", "comment": "lovely"},
        form=True,
    ),
    # --- the door
    Row("GET", "scan/", const("/scan/"), "checkin", "302 302 302 200 200 200 200 200"),
    Row("GET", "scan/login/", const("/scan/login/"), "public", "200 200 200 302 302 302 302 302"),
    Row(
        "POST",
        "scan/login/",
        const("/scan/login/"),
        "public",
        "200 200 200 302 302 302 302 302",
        body=lambda w: {"username": "vol", "password": "wrong"},
        form=True,
        note="signed-in users are sent on; a wrong password re-renders the form",
    ),
    Row(
        "POST",
        "scan/logout/",
        const("/scan/logout/"),
        "public",
        "302 302 302 302 302 302 302 302",
        body=lambda w: {},
        form=True,
    ),
    Row("GET", "scan/sw.js", const("/scan/sw.js"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET", R + "checkin/sessions/", const("/api/v1/checkin/sessions/"), "checkin", "401 401 401 200 200 200 200 200"
    ),
    Row(
        "GET",
        R + "checkin/sessions/<int:pk>/tickets/",
        lambda w, r: f"/api/v1/checkin/sessions/{w.session.pk}/tickets/",
        "checkin",
        "401 401 401 200 404 200 404 200",
    ),
    Row(
        "GET",
        R + "checkin/sessions/<int:pk>/counts/",
        lambda w, r: f"/api/v1/checkin/sessions/{w.session.pk}/counts/",
        "checkin",
        "401 401 401 200 404 200 404 200",
    ),
    Row(
        "GET",
        R + "checkin/search/",
        lambda w, r: f"/api/v1/checkin/search/?session={w.session.pk}&q=Secretname",
        "checkin",
        "401 401 401 200 404 200 404 200",
    ),
    Row(
        "POST",
        R + "checkin/",
        const("/api/v1/checkin/"),
        "checkin",
        "401 401 401 200 200 200 200 200",
        body=scan_body,
        note="another organization's ticket is a 200 with status wrong_event (checked below), nothing stored",
    ),
    Row(
        "POST",
        R + "checkin/batch/",
        const("/api/v1/checkin/batch/"),
        "checkin",
        "401 401 401 200 200 200 200 200",
        body=batch_body,
    ),
    Row(
        "POST",
        R + "checkin/registrations/<int:pk>/",
        lambda w, r: f"/api/v1/checkin/registrations/{w.bob.pk}/",
        "checkin",
        "401 401 401 200 400 200 400 200",
        body=lambda w: {"session": w.session.pk, "nonce": str(uuid.uuid4())},
        note="another organization's session is unknown_session (400), the same as one that does not exist",
    ),
    Row(
        "POST",
        R + "checkin/registrations/<int:pk>/door-payment/",
        lambda w, r: f"/api/v1/checkin/registrations/{w.bob.pk}/door-payment/",
        "checkin",
        "401 401 401 409 404 409 404 409",
        note="Bob owes nothing: 409 once the caller may see him",
    ),
    Row(
        "POST",
        R + "checkin/<int:pk>/revert/",
        lambda w, r: f"/api/v1/checkin/{w.checkin.pk}/revert/",
        "checkin",
        "401 401 401 200 404 200 404 200",
    ),
    # --- the organizer's API
    Row(
        "GET",
        R + "organizer/^events/$",
        const("/api/v1/organizer/events/"),
        "organizer",
        "401 401 401 403 403 200 200 200",
    ),
    Row(
        "POST",
        R + "organizer/^events/$",
        const("/api/v1/organizer/events/"),
        "organizer",
        "401 401 401 403 403 201 403 201",
        body=event_body,
    ),
    Row(
        "GET",
        R + "organizer/^events/(?P<slug>[^/.]+)/$",
        const("/api/v1/organizer/events/tea-evening/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "PATCH",
        R + "organizer/^events/(?P<slug>[^/.]+)/$",
        const("/api/v1/organizer/events/tea-evening/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"capacity": 30},
    ),
    Row(
        "PUT",
        R + "organizer/^events/(?P<slug>[^/.]+)/$",
        const("/api/v1/organizer/events/tea-evening/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {**event_body(w), "slug": "tea-evening", "capacity": 30},
    ),
    Row(
        "POST",
        R + "organizer/^events/(?P<slug>[^/.]+)/publish/$",
        const("/api/v1/organizer/events/tea-draft/publish/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "POST",
        R + "organizer/^events/(?P<slug>[^/.]+)/image/$",
        const("/api/v1/organizer/events/tea-evening/image/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"image": png_upload()},
        form=True,
    ),
    Row(
        "DELETE",
        R + "organizer/^events/(?P<slug>[^/.]+)/image/$",
        const("/api/v1/organizer/events/tea-evening/image/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "POST",
        R + "organizer/^events/(?P<slug>[^/.]+)/cancel/$",
        const("/api/v1/organizer/events/tea-evening/cancel/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "POST",
        R + "organizer/^events/(?P<slug>[^/.]+)/sessions/$",
        const("/api/v1/organizer/events/tea-evening/sessions/"),
        "organizer",
        "401 401 401 403 403 201 404 201",
        body=session_body,
    ),
    Row(
        "POST",
        R + "organizer/^events/(?P<slug>[^/.]+)/sessions/generate/$",
        const("/api/v1/organizer/events/tea-evening/sessions/generate/"),
        "organizer",
        "401 401 401 403 403 201 404 201",
        body=lambda w: {
            "rule": "FREQ=WEEKLY;COUNT=2",
            "first_start": (timezone.now() + timezone.timedelta(days=60)).isoformat(),
            "duration_minutes": 60,
        },
    ),
    Row(
        "GET",
        R + "organizer/^sessions/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/sessions/{w.session.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "PATCH",
        R + "organizer/^sessions/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/sessions/{w.session.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"title_i18n": {"en": "Renamed"}},
    ),
    Row(
        "PUT",
        R + "organizer/^sessions/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/sessions/{w.session.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=session_body,
    ),
    Row(
        "POST",
        R + "organizer/^sessions/(?P<pk>[^/.]+)/cancel/$",
        lambda w, r: f"/api/v1/organizer/sessions/{w.session.pk}/cancel/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "organizer/^venues/$",
        const("/api/v1/organizer/venues/"),
        "organizer",
        "401 401 401 403 403 200 200 200",
    ),
    Row(
        "POST",
        R + "organizer/^venues/$",
        const("/api/v1/organizer/venues/"),
        "organizer",
        "401 401 401 403 403 201 403 201",
        body=lambda w: {"organization": "tea-club", "name_i18n": {"en": "Hall"}},
    ),
    Row(
        "GET",
        R + "organizer/^venues/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/venues/{w.venue.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "PATCH",
        R + "organizer/^venues/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/venues/{w.venue.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"name_i18n": {"en": "Renamed hall"}},
    ),
    Row(
        "PUT",
        R + "organizer/^venues/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/venues/{w.venue.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"organization": "tea-club", "name_i18n": {"en": "Renamed hall"}},
    ),
    Row(
        "GET",
        R + "organizer/events/<slug:slug>/registrations/",
        const("/api/v1/organizer/events/tea-evening/registrations/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "organizer/events/<slug:slug>/registrations.csv",
        const("/api/v1/organizer/events/tea-evening/registrations.csv"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "POST",
        R + "organizer/announcements/",
        const("/api/v1/organizer/announcements/"),
        "organizer",
        "401 401 401 403 403 201 400 201",
        note="another organization's event reads as one that does not exist (400 on the field)",
        body=lambda w: {"events": ["tea-evening"], "subject_i18n": {"en": "Hello"}, "body_i18n": {"en": "News"}},
    ),
    # --- board: the notice board, its feeds and API, the bulletin's archive; the organizer API for notices
    Row("GET", "notices/", const("/notices/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET", "notices/<int:pk>/", lambda w, r: f"/notices/{w.notice.pk}/", "public", "200 200 200 200 200 200 200 200"
    ),
    Row(
        "GET",
        "notices/<int:pk>/",
        lambda w, r: f"/notices/{w.notice_draft.pk}/",
        "public",
        "404 404 404 404 404 404 404 404",
        note="a draft notice is not on the board, not even for its organizers",
    ),
    Row(
        "GET",
        "notices/feed/<str:language>.atom",
        const("/notices/feed/ja.atom"),
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row("GET", "bulletin/", const("/bulletin/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET",
        "bulletin/<int:pk>/",
        lambda w, r: f"/bulletin/{w.bulletin.pk}/",
        "public",
        "200 200 200 200 200 200 200 200",
    ),
    Row("GET", R + "notices/", const("/api/v1/notices/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "GET",
        R + "organizer/^notices/$",
        const("/api/v1/organizer/notices/"),
        "organizer",
        "401 401 401 403 403 200 200 200",
    ),
    Row(
        "POST",
        R + "organizer/^notices/$",
        const("/api/v1/organizer/notices/"),
        "organizer",
        "401 401 401 403 403 201 403 201",
        body=lambda w: {
            "organization": "tea-club",
            "category": "works",
            "title_i18n": {"en": "Works"},
            "body_i18n": {"en": "Soon"},
        },
    ),
    Row(
        "GET",
        R + "organizer/^notices/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/notices/{w.notice_draft.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "PATCH",
        R + "organizer/^notices/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/notices/{w.notice_draft.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {"urgent": True},
    ),
    Row(
        "PUT",
        R + "organizer/^notices/(?P<pk>[^/.]+)/$",
        lambda w, r: f"/api/v1/organizer/notices/{w.notice_draft.pk}/",
        "organizer",
        "401 401 401 403 403 200 404 200",
        body=lambda w: {
            "organization": "tea-club",
            "category": "policy",
            "title_i18n": {"en": "P"},
            "body_i18n": {"en": "B"},
        },
    ),
    Row(
        "POST",
        R + "organizer/^notices/(?P<pk>[^/.]+)/publish/$",
        lambda w, r: f"/api/v1/organizer/notices/{w.notice_draft.pk}/publish/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "POST",
        R + "organizer/^notices/(?P<pk>[^/.]+)/withdraw/$",
        lambda w, r: f"/api/v1/organizer/notices/{w.notice.pk}/withdraw/",
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    # --- reports
    Row(
        "GET",
        R + "reports/events/<slug:slug>/",
        const("/api/v1/reports/events/tea-evening/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "reports/events/<slug:slug>/attendance/",
        const("/api/v1/reports/events/tea-evening/attendance/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "reports/events/<slug:slug>/<slug:table>.csv",
        const("/api/v1/reports/events/tea-evening/attendance.csv"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "reports/events/<slug:slug>/certificates/<int:registration_id>.pdf",
        lambda w, r: f"/api/v1/reports/events/tea-evening/certificates/{w.alice.pk}.pdf",
        "organizer",
        "401 401 401 403 403 404 404 404",
        note="an event, not a course: no certificate for anybody",
    ),
    Row(
        "GET",
        R + "reports/organizations/<slug:slug>/",
        const("/api/v1/reports/organizations/tea-club/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        R + "reports/organizations/<slug:slug>/<slug:table>.csv",
        const("/api/v1/reports/organizations/tea-club/events.csv"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
    Row(
        "GET",
        "organizer/reports/",
        const("/organizer/reports/"),
        "organizer",
        "302 302 302 200 200 200 200 200",
        note="the index lists the caller's own organizations and events: empty for a volunteer",
    ),
    Row(
        "GET",
        "organizer/reports/events/<slug:slug>/",
        const("/organizer/reports/events/tea-evening/"),
        "organizer",
        "302 302 302 404 404 200 404 200",
    ),
    Row(
        "GET",
        "organizer/reports/organizations/<slug:slug>/",
        const("/organizer/reports/organizations/tea-club/"),
        "organizer",
        "302 302 302 404 404 200 404 200",
    ),
]


# --- the organizer's desk: owners and managers of the organization; volunteers get a 403 that
# points to the scanner; another organization's event is a 404; anonymous callers go to the login.
# Columns: anon att oth vol vol2 mgr mgr2 su, then owner=.
DESK_ROWS = [
    Row("GET", "organizer/", const("/organizer/"), "organizer", "302 302 302 403 403 200 200 200", owner="200"),
    Row(
        "GET", "organizer/login/", const("/organizer/login/"), "public", "200 200 200 302 302 302 302 302", owner="302"
    ),
    Row(
        "POST",
        "organizer/login/",
        const("/organizer/login/"),
        "public",
        "200 200 200 302 302 302 302 302",
        body=lambda w: {"username": "mgr", "password": "wrong"},
        form=True,
        owner="302",
        note="signed-in users are sent on; a wrong password re-renders the form",
    ),
    Row(
        "POST",
        "organizer/logout/",
        const("/organizer/logout/"),
        "public",
        "302 302 302 302 302 302 302 302",
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row(
        "GET",
        "organizer/events/<slug:slug>/",
        const("/organizer/events/tea-evening/"),
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
]


def desk_event_body(w):
    return {
        "organization": w.org.pk,
        "kind": "event",
        "default_language": "en",
        "title_en": "Tea evening, edited",
        "timezone": "Asia/Shanghai",
        "capacity": "25",
        "max_guests": "1",
        "slug": "tea-evening",
        "price": "0",
        "currency": "CNY",
        "payment_hold_minutes": "30",
        "reminder_hours": "24",
        "checkin_opens_minutes": "60",
    }


def desk_session_body(w, prefix=""):
    day = (timezone.now() + timezone.timedelta(days=40)).date().isoformat()
    return {f"{prefix}date": day, f"{prefix}starts": "10:00", f"{prefix}ends": "11:00", f"{prefix}allow_overlap": "on"}


def desk_generate_body(w):
    day = (timezone.now() + timezone.timedelta(days=40)).date().isoformat()
    return {
        "gen-preset": "weekly",
        "gen-count": "2",
        "gen-first_date": day,
        "gen-first_time": "10:00",
        "gen-duration_minutes": "60",
        "preview": "1",
    }


D = "organizer/events/<slug:slug>/"
DESK = "302 302 302 403 403 200 404 200"  # a page of one of Alice's organization's events
DESK_WRITE = "302 302 302 403 403 302 404 302"  # a write there: done, then back to a desk page
DESK_ROWS += [
    Row(
        "GET",
        "organizer/events/new/",
        const("/organizer/events/new/"),
        "organizer",
        "302 302 302 403 403 200 200 200",
        owner="200",
    ),
    Row(
        "POST",
        "organizer/events/new/",
        const("/organizer/events/new/"),
        "organizer",
        "302 302 302 403 403 302 400 302",
        body=lambda w: {**desk_event_body(w), "slug": "new-tea"},
        form=True,
        owner="302",
        note="another organization's manager cannot pick Alice's organization (400 on the field)",
    ),
    Row("GET", D + "edit/", const("/organizer/events/tea-evening/edit/"), "organizer", DESK, owner="200"),
    Row(
        "POST",
        D + "edit/",
        const("/organizer/events/tea-evening/edit/"),
        "organizer",
        DESK_WRITE,
        body=desk_event_body,
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "image/",
        const("/organizer/events/tea-evening/image/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {"remove": "1"},
        form=True,
        owner="302",
    ),
    Row("GET", D + "sessions/", const("/organizer/events/tea-evening/sessions/"), "organizer", DESK, owner="200"),
    Row(
        "POST",
        D + "sessions/",
        const("/organizer/events/tea-evening/sessions/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: desk_session_body(w, "add-"),
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "sessions/generate/",
        const("/organizer/events/tea-evening/sessions/generate/"),
        "organizer",
        DESK,
        body=desk_generate_body,
        form=True,
        owner="200",
        note="the preview: a calendar, nothing saved",
    ),
    Row(
        "GET",
        D + "sessions/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/sessions/{w.session.pk}/",
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        D + "sessions/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/sessions/{w.session.pk}/",
        "organizer",
        DESK_WRITE,
        body=desk_session_body,
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "sessions/<int:pk>/cancel/",
        lambda w, r: f"/organizer/events/tea-evening/sessions/{w.session.pk}/cancel/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row("GET", D + "questions/", const("/organizer/events/tea-evening/questions/"), "organizer", DESK, owner="200"),
    Row(
        "GET",
        D + "questions/new/",
        const("/organizer/events/tea-evening/questions/new/"),
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        D + "questions/new/",
        const("/organizer/events/tea-evening/questions/new/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {"label_en": "Level", "kind": "text"},
        form=True,
        owner="302",
    ),
    Row(
        "GET",
        D + "questions/<slug:key>/",
        const("/organizer/events/tea-evening/questions/diet/"),
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        D + "questions/<slug:key>/",
        const("/organizer/events/tea-evening/questions/diet/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {"label_en": "Diet", "kind": "text"},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "questions/<slug:key>/move/",
        const("/organizer/events/tea-evening/questions/diet/move/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {"direction": "up"},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "questions/<slug:key>/delete/",
        const("/organizer/events/tea-evening/questions/diet/delete/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row("GET", D + "preview/", const("/organizer/events/tea-evening/preview/"), "organizer", DESK, owner="200"),
    Row(
        "GET",
        D + "preview/",
        const("/organizer/events/tea-draft/preview/"),
        "organizer",
        DESK,
        owner="200",
        note="a draft's preview: its organizers only",
    ),
    Row(
        "POST",
        D + "publish/",
        const("/organizer/events/tea-draft/publish/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row("GET", D + "cancel/", const("/organizer/events/tea-evening/cancel/"), "organizer", DESK, owner="200"),
    Row(
        "POST",
        D + "cancel/",
        const("/organizer/events/tea-evening/cancel/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row("GET", D + "duplicate/", const("/organizer/events/tea-evening/duplicate/"), "organizer", DESK, owner="200"),
    Row(
        "POST",
        D + "duplicate/",
        const("/organizer/events/tea-evening/duplicate/"),
        "organizer",
        DESK_WRITE,
        body=lambda w: {"slug": "tea-evening-again", "first_day": "2031-05-06"},
        form=True,
        owner="302",
    ),
]


def desk_action(action: str, note: str = "") -> Row:
    return Row(
        "POST",
        "organizer/events/<slug:slug>/registrations/<int:pk>/<slug:action>/",
        lambda w, r: f"/organizer/events/tea-evening/registrations/{w.alice.pk}/{action}/",
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=lambda w: {},
        form=True,
        owner="302",
        note=note or "back to the list, with the outcome (or the refusal) as a notice",
    )


def announcement_body(w) -> dict:
    return {"subject_en": "Rain", "body_en": "Bring an umbrella.", "audience": "confirmed", "send": "1"}


WELCOME = "/organizer/welcome/MQ/bad-token/"
# The registrations, messages and team screens (desk-ops): the same pattern, plus the team's
# forms (another organization's manager sends a choice that is not theirs: 400, nothing written).
DESK_ROWS += [
    Row(
        "GET",
        "organizer/events/<slug:slug>/registrations/",
        const("/organizer/events/tea-evening/registrations/"),
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "GET",
        "organizer/events/<slug:slug>/registrations.csv",
        const("/organizer/events/tea-evening/registrations.csv"),
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    desk_action("cancel"),
    desk_action("resend"),
    desk_action("door-payment", note="Alice does not pay at the door: a refusal notice, nothing written"),
    desk_action("promote", note="Alice is not waiting: a refusal notice, nothing written"),
    Row(
        "GET",
        "organizer/events/<slug:slug>/message/",
        const("/organizer/events/tea-evening/message/"),
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "POST",
        "organizer/events/<slug:slug>/message/",
        const("/organizer/events/tea-evening/message/"),
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=announcement_body,
        form=True,
        owner="302",
        note="sent: on to its delivery page",
    ),
    Row(
        "GET",
        "organizer/events/<slug:slug>/message/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/message/{w.announcement.pk}/",
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "GET", "organizer/team/", const("/organizer/team/"), "organizer", "302 302 302 403 403 200 200 200", owner="200"
    ),
    Row(
        "POST",
        "organizer/team/invite/",
        const("/organizer/team/invite/"),
        "organizer",
        "302 302 302 403 403 302 400 302",
        body=lambda w: {"organization": w.org.pk, "email": "new.volunteer@example.org", "language": "en"},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        "organizer/team/tokens/",
        const("/organizer/team/tokens/"),
        "organizer",
        "302 302 302 403 403 200 400 200",
        body=lambda w: {"holder": w.users["vol"].pk, "name": "door phone 2"},
        form=True,
        owner="200",
        note="the new key is in this response only",
    ),
    Row(
        "POST",
        "organizer/team/tokens/<int:pk>/revoke/",
        lambda w, r: f"/organizer/team/tokens/{w.api_token.pk}/revoke/",
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row(
        "GET",
        "organizer/welcome/<uidb64>/<token>/",
        const(WELCOME),
        "public",
        "200 200 200 200 200 200 200 200",
        owner="200",
        note="a wrong or used link says so (the one-use link itself: tests/organizer/test_desk_services.py)",
    ),
    Row(
        "POST",
        "organizer/welcome/<uidb64>/<token>/",
        const(WELCOME),
        "public",
        "200 200 200 200 200 200 200 200",
        body=lambda w: {"new_password1": "guessed-pass-1", "new_password2": "guessed-pass-1"},
        form=True,
        owner="200",
    ),
]
# board: the desk's notices and Weekly Bulletin
DESK_ROWS += [
    Row(
        "GET",
        "organizer/notices/",
        const("/organizer/notices/"),
        "organizer",
        "302 302 302 403 403 200 200 200",
        owner="200",
    ),
    Row(
        "GET",
        "organizer/notices/new/",
        const("/organizer/notices/new/"),
        "organizer",
        "302 302 302 403 403 200 200 200",
        owner="200",
    ),
    Row(
        "POST",
        "organizer/notices/new/",
        const("/organizer/notices/new/"),
        "organizer",
        "302 302 302 403 403 302 400 302",
        body=lambda w: {"organization": w.org.pk, "category": "works", "title_en": "Works", "body_en": "Soon"},
        form=True,
        owner="302",
        note="another organization's manager cannot pick Alice's organization (400 on the field)",
    ),
    Row(
        "GET",
        "organizer/notices/<int:pk>/",
        lambda w, r: f"/organizer/notices/{w.notice_draft.pk}/",
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        "organizer/notices/<int:pk>/",
        lambda w, r: f"/organizer/notices/{w.notice_draft.pk}/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {"organization": w.org.pk, "category": "safety", "title_en": "Works", "body_en": "Soon"},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        "organizer/notices/<int:pk>/publish/",
        lambda w, r: f"/organizer/notices/{w.notice_draft.pk}/publish/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        "organizer/notices/<int:pk>/withdraw/",
        lambda w, r: f"/organizer/notices/{w.notice.pk}/withdraw/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row(
        "GET",
        "organizer/bulletin/",
        const("/organizer/bulletin/"),
        "organizer",
        "302 302 302 403 403 200 200 200",
        owner="200",
        note="each manager sees their own organization's next issue",
    ),
    Row(
        "POST",
        "organizer/bulletin/send/",
        const("/organizer/bulletin/send/"),
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=lambda w: {"organization": "tea-club"},
        form=True,
        owner="302",
        note="this week's issue is already sent in the world: a manager is told so; another organization's is 404",
    ),
]


# --- residents' comments and demands (voices): the public form, the writer's private page, the
# API, the report, and the desk's inbox (owners and managers of the comment's organization).
def voice_form_body(w) -> dict:
    return {
        "organization": "tea-club",
        "kind": "demand",
        "topic": "transport",
        "text": "Please add English to the bus stop signs.",
        "language": "en",
        "email": "",
        "website": "",
    }


def voice_desk_post(action: str, body, note: str = "") -> Row:
    return Row(
        "POST",
        f"organizer/voices/<int:pk>/{action}/",
        lambda w, r: f"/organizer/voices/{w.voice.pk}/{action}/",
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=body,
        form=True,
        owner="302",
        note=note,
    )


ROWS += [
    Row("GET", "voices/", const("/voices/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        "voices/",
        const("/voices/"),
        "public",
        "302 302 302 302 302 302 302 302",
        body=voice_form_body,
        form=True,
        note="kept: on to the writer's private page",
    ),
    Row(
        "GET",
        "voices/mine/<str:token>/",
        lambda w, r: f"/voices/mine/{w.voice.token}/",
        "capability",
        "200 200 200 200 200 200 200 200",
        note="the private link is the key, whoever holds it",
    ),
    Row(
        "GET",
        "voices/mine/<str:token>/",
        const("/voices/mine/guessed-" + "x" * 35 + "/"),
        "public",
        "404 404 404 404 404 404 404 404",
    ),
    Row(
        "POST",
        "voices/mine/<str:token>/erase/",
        lambda w, r: f"/voices/mine/{w.voice.token}/erase/",
        "capability",
        "302 302 302 302 302 302 302 302",
        body=lambda w: {},
        form=True,
        note="the writer's own link erases the writer's own message",
    ),
    Row(
        "POST",
        "voices/mine/<str:token>/erase/",
        const("/voices/mine/guessed-" + "x" * 35 + "/erase/"),
        "public",
        "404 404 404 404 404 404 404 404",
        body=lambda w: {},
        form=True,
    ),
    Row("GET", R + "comments/", const("/api/v1/comments/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        R + "comments/",
        const("/api/v1/comments/"),
        "public",
        "201 201 201 201 201 201 201 201",
        body=lambda w: {**voice_form_body(w), "publish_consent": False},
    ),
    Row(
        "GET",
        R + "reports/organizations/<slug:slug>/voices/",
        const("/api/v1/reports/organizations/tea-club/voices/"),
        "organizer",
        "401 401 401 403 403 200 404 200",
    ),
]
DESK_ROWS += [
    Row(
        "GET",
        "organizer/voices/",
        const("/organizer/voices/"),
        "organizer",
        "302 302 302 403 403 200 200 200",
        owner="200",
        note="each manager sees their own organizations' comments only",
    ),
    Row(
        "GET",
        "organizer/voices/<int:pk>/",
        lambda w, r: f"/organizer/voices/{w.voice.pk}/",
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    voice_desk_post("status", lambda w: {"status": "in_progress"}),
    voice_desk_post("assign", lambda w: {"assignee": str(w.users["mgr"].pk)}),
    voice_desk_post("note", lambda w: {"note": "Call the housing bureau."}),
    voice_desk_post("reply", lambda w: {"reply": "Thank you, we are on it.", "language": "en", "send": "1"}),
    voice_desk_post("publish", lambda w: {"published": "1"}, note="no consent: a refusal notice, nothing written"),
]
# Money on the desk (receipts): refund page, receipt PDF, fapiao requests.
DESK_ROWS += [
    Row(
        "GET",
        "organizer/events/<slug:slug>/refunds/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/refunds/{w.alice.pk}/",
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "POST",
        "organizer/events/<slug:slug>/refunds/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/refunds/{w.alice.pk}/",
        "organizer",
        "302 302 302 403 403 400 404 400",
        body=lambda w: {"amount": "5"},
        form=True,
        owner="400",
        note="Alice paid in cash: nothing is refundable online, the form says so",
    ),
    Row(
        "GET",
        "organizer/events/<slug:slug>/registrations/<int:pk>/receipts/<int:number>.pdf",
        lambda w, r: f"/organizer/events/tea-evening/registrations/{w.alice.pk}/receipts/{w.alice_receipt.number}.pdf",
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "GET",
        "organizer/events/<slug:slug>/fapiao/",
        const("/organizer/events/tea-evening/fapiao/"),
        "organizer",
        "302 302 302 403 403 200 404 200",
        owner="200",
    ),
    Row(
        "POST",
        "organizer/events/<slug:slug>/fapiao/<int:pk>/issued/",
        lambda w, r: f"/organizer/events/tea-evening/fapiao/{w.bob_fapiao.pk}/issued/",
        "organizer",
        "302 302 302 403 403 302 404 302",
        body=lambda w: {},
        form=True,
        owner="302",
    ),
]

# --- tickets: the event's Tickets tab (ticket types and codes) ---


def desk_ticket_type_body(w, prefix="type-"):
    return {
        f"{prefix}name_en": "Student",
        f"{prefix}price": "30",
        f"{prefix}min_per_registration": "0",
        f"{prefix}position": "2",
        "add_type": "1",
    }


def desk_code_body(w, prefix="code-"):
    return {f"{prefix}code": "NEW5", f"{prefix}discount": "percent", f"{prefix}value": "5", f"{prefix}active": "on"}


DESK_ROWS += [
    Row("GET", D + "tickets/", const("/organizer/events/tea-evening/tickets/"), "organizer", DESK, owner="200"),
    Row(
        "POST",
        D + "tickets/",
        const("/organizer/events/tea-evening/tickets/"),
        "organizer",
        DESK_WRITE,
        body=desk_ticket_type_body,
        form=True,
        owner="302",
        note="adds a ticket type (``add_code`` adds a code the same way)",
    ),
    Row(
        "GET",
        D + "tickets/types/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/tickets/types/{w.ticket_type.pk}/",
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        D + "tickets/types/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/tickets/types/{w.ticket_type.pk}/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {k: v for k, v in desk_ticket_type_body(w).items() if k != "add_type"},
        form=True,
        owner="302",
    ),
    Row(
        "POST",
        D + "tickets/types/<int:pk>/delete/",
        lambda w, r: f"/organizer/events/tea-evening/tickets/types/{w.spare_type.pk}/delete/",
        "organizer",
        DESK_WRITE,
        body=lambda w: {},
        form=True,
        owner="302",
    ),
    Row(
        "GET",
        D + "tickets/codes/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/tickets/codes/{w.promo_code.pk}/",
        "organizer",
        DESK,
        owner="200",
    ),
    Row(
        "POST",
        D + "tickets/codes/<int:pk>/",
        lambda w, r: f"/organizer/events/tea-evening/tickets/codes/{w.promo_code.pk}/",
        "organizer",
        DESK_WRITE,
        body=desk_code_body,
        form=True,
        owner="302",
    ),
]
ROWS += DESK_ROWS


# --- reach: subscriptions (private link = the subscription's token) ---


def sub_token(w, role: str) -> str:
    sub = w.subs.get(role)
    return sub.token if sub else "guessed-" + "x" * 40


ROWS += [
    Row("GET", "subscribe/", const("/subscribe/"), "public", "200 200 200 200 200 200 200 200"),
    Row(
        "POST",
        "subscribe/",
        const("/subscribe/"),
        "public",
        "200 200 200 200 200 200 200 200",
        body=lambda w: {"email": "someone.new@example.org", "language": "en", "consent": "on"},
        form=True,
        note="the same answer for any address; only a confirmation link is mailed",
    ),
    Row(
        "POST",
        R + "subscriptions/",
        const("/api/v1/subscriptions/"),
        "public",
        "202 202 202 202 202 202 202 202",
        body=lambda w: {"email": "someone.new@example.org", "consent": True},
        note="never says whether the address is subscribed",
    ),
    Row(
        "GET",
        "subscribe/confirm/<str:token>/",
        lambda w, r: f"/subscribe/confirm/{sub_token(w, r)}/",
        "attendee",
        "404 3xx 3xx 404 404 404 404 404",
        note="Bob's link confirms Bob",
    ),
    Row(
        "GET",
        "subscribe/preferences/<str:token>/",
        lambda w, r: f"/subscribe/preferences/{sub_token(w, r)}/",
        "attendee",
        "404 200 200 404 404 404 404 404",
    ),
    Row(
        "POST",
        "subscribe/preferences/<str:token>/",
        lambda w, r: f"/subscribe/preferences/{sub_token(w, r)}/",
        "attendee",
        "404 3xx 3xx 404 404 404 404 404",
        body=lambda w: {"language": "ja", "bulletin": "on"},
        form=True,
    ),
    Row(
        "GET",
        "subscribe/unsubscribe/<str:token>/",
        lambda w, r: f"/subscribe/unsubscribe/{sub_token(w, r)}/",
        "attendee",
        "404 200 200 404 404 404 404 404",
        note="a GET only asks",
    ),
    Row(
        "POST",
        "subscribe/unsubscribe/<str:token>/",
        lambda w, r: f"/subscribe/unsubscribe/{sub_token(w, r)}/",
        "attendee",
        "404 200 200 404 404 404 404 404",
        body=lambda w: {"List-Unsubscribe": "One-Click"},
        form=True,
        note="RFC 8058 one-click: no CSRF token, no login; the link is the proof",
    ),
    Row(
        "GET",
        "subscribe/preferences/<str:token>/data.json",
        lambda w, r: f"/subscribe/preferences/{sub_token(w, r)}/data.json",
        "attendee",
        "404 200 200 404 404 404 404 404",
    ),
    Row(
        "GET",
        "subscribe/preferences/<str:token>/erase/",
        lambda w, r: f"/subscribe/preferences/{sub_token(w, r)}/erase/",
        "attendee",
        "404 200 200 404 404 404 404 404",
    ),
    Row(
        "POST",
        "subscribe/preferences/<str:token>/erase/",
        lambda w, r: f"/subscribe/preferences/{sub_token(w, r)}/erase/",
        "attendee",
        "404 3xx 3xx 404 404 404 404 404",
        body=lambda w: {},
        form=True,
        note="Bob's link erases Bob's subscription",
    ),
]


# --- the admin: every ModelAdmin's list, and the change page of one of Alice's organization's rows ------
# Volunteers have no is_staff (as in real life), so the admin sends them to its login page like
# anonymous callers. A manager of another organization finds the row "does not exist" (a redirect
# to the admin index), and their lists show none of Alice's organization's rows.


def admin_row(model: str, obj: Callable[[SimpleNamespace], object] | None, changelist: str, change: str = ""):
    app_label, model_name = model.split(".")
    base = f"/admin/{app_label}/{model_name}/"
    rows = [Row("GET", f"admin:{model}", const(base), "organizer", changelist)]
    if obj is not None:
        rows.append(Row("GET", f"admin:{model}", lambda w, r: f"{base}{obj(w).pk}/change/", "organizer", change))
    return rows


ADMIN_ROWS = [
    Row("GET", "admin:index", const("/admin/"), "organizer", "3xx 3xx 3xx 3xx 3xx 200 200 200"),
    *admin_row("events.event", lambda w: w.event, "3xx 3xx 3xx 3xx 3xx 200 200 200", "3xx 3xx 3xx 3xx 3xx 200 3xx 200"),
    *admin_row(
        "events.session", lambda w: w.session, "3xx 3xx 3xx 3xx 3xx 200 200 200", "3xx 3xx 3xx 3xx 3xx 200 3xx 200"
    ),
    *admin_row(
        "organizations.organization",
        lambda w: w.org,
        "3xx 3xx 3xx 3xx 3xx 200 200 200",
        "3xx 3xx 3xx 3xx 3xx 200 3xx 200",
    ),
    *admin_row(
        "organizations.membership",
        lambda w: w.users["vol"].memberships.get(),
        "3xx 3xx 3xx 3xx 3xx 200 200 200",
        "3xx 3xx 3xx 3xx 3xx 200 3xx 200",
    ),
    *admin_row(
        "organizations.venue", lambda w: w.venue, "3xx 3xx 3xx 3xx 3xx 200 200 200", "3xx 3xx 3xx 3xx 3xx 200 3xx 200"
    ),
    *admin_row("organizations.category", None, "3xx 3xx 3xx 3xx 3xx 200 200 200"),
    *admin_row(
        "registrations.registration",
        lambda w: w.alice,
        "3xx 3xx 3xx 3xx 3xx 200 200 200",
        "3xx 3xx 3xx 3xx 3xx 200 3xx 200",
    ),
    *admin_row("registrations.payment", None, "3xx 3xx 3xx 3xx 3xx 200 200 200"),
    *admin_row("registrations.stripeevent", None, "3xx 3xx 3xx 3xx 3xx 403 403 200"),
    *admin_row(
        "checkin.checkin", lambda w: w.checkin, "3xx 3xx 3xx 3xx 3xx 200 200 200", "3xx 3xx 3xx 3xx 3xx 200 3xx 200"
    ),
    *admin_row("notifications.notification", None, "3xx 3xx 3xx 3xx 3xx 200 200 200"),
    *admin_row("notifications.announcement", None, "3xx 3xx 3xx 3xx 3xx 200 200 200"),
    *admin_row(
        "notifications.feedback",
        lambda w: w.alice.feedback,
        "3xx 3xx 3xx 3xx 3xx 200 200 200",
        "3xx 3xx 3xx 3xx 3xx 200 3xx 200",
    ),
    *admin_row(
        "organizations.apitoken",
        lambda w: w.api_token,
        "3xx 3xx 3xx 3xx 3xx 200 200 200",
        "3xx 3xx 3xx 3xx 3xx 200 3xx 200",
    ),
    *admin_row(
        "auth.user", lambda w: w.users["vol"], "3xx 3xx 3xx 3xx 3xx 403 403 200", "3xx 3xx 3xx 3xx 3xx 403 403 200"
    ),
    *admin_row("auth.group", None, "3xx 3xx 3xx 3xx 3xx 403 403 200"),
    *admin_row("authtoken.tokenproxy", None, "3xx 3xx 3xx 3xx 3xx 403 403 200"),
    *admin_row("audit.auditentry", None, "3xx 3xx 3xx 3xx 3xx 200 200 200"),
]
ALL_ROWS = ROWS + ADMIN_ROWS


# --- running one row ---------------------------------------------------------------------------------


def client_for(w, role: str, url: str):
    if url.startswith("/api/"):
        client = APIClient()
        if role in USER_ROLES:
            client.credentials(HTTP_AUTHORIZATION=f"Token {w.tokens[role]}")
        elif manage_token(w, role):
            client.credentials(HTTP_X_MANAGE_TOKEN=manage_token(w, role))
        return client
    client = Client()
    if role in USER_ROLES:
        client.force_login(w.users[role])
    return client


def send(w, row: Row, role: str):
    url = row.url(w, role)
    client = client_for(w, role, url)
    body = row.body(w) if row.body else None
    if row.form and body is not None and not url.startswith("/api/") and manage_token(w, role) and "feedback" in url:
        body = {**body, "token": manage_token(w, role)}
    method = getattr(client, row.method.lower())
    if row.method == "GET":
        return method(url)
    if row.form and url.startswith("/api/"):
        return method(url, body or {}, format="multipart")  # an upload
    if row.form:
        return method(url, body or {})
    return method(url, body, format="json") if body is not None else method(url)


def matches(expected: str, status: int) -> bool:
    return 300 <= status < 400 if expected == "3xx" else str(status) == expected


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.django_db
@pytest.mark.parametrize("row", ALL_ROWS, ids=[f"{i:03d} {r.id}" for i, r in enumerate(ALL_ROWS)])
def test_access_matrix(row: Row):
    w = build_world()
    actual, problems = {}, []
    for role in row.roles:
        cache.clear()
        writes = row.method in WRITE_METHODS
        before = snapshot() if writes else None
        with transaction.atomic():
            response = send(w, row, role)
            text = body_text(response)
            after = snapshot() if writes else None
            transaction.set_rollback(True)
        actual[role] = response.status_code
        if not matches(row.statuses[role], response.status_code):
            problems.append(f"{role}: expected {row.statuses[role]}, got {response.status_code}: {text[:300]}")
        leaked = [secret for secret in secrets_for(w, role, row.kind) if secret and secret in text]
        if leaked:
            problems.append(f"{role}: the body shows {leaked}")
        if writes and response.status_code >= 400 and after != before:
            changed = [name for name in before if before[name] != after[name]]
            problems.append(f"{role}: a refused write changed {changed}")
    assert not problems, f"{row.id}\n  actual: {' '.join(str(actual[r]) for r in row.roles)}\n  " + "\n  ".join(
        problems
    )


# --- coverage: no route, API method or ModelAdmin without a row ------------------------------------


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _methods(pattern) -> set[str] | None:
    """The methods an API view answers; None for a plain Django view (any row will do: its rows say which)."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return {method.upper() for method in actions if method != "head"}
    view_class = getattr(callback, "cls", None)
    if view_class is not None:
        return {
            method.upper()
            for method in view_class.http_method_names
            if method not in ("options", "head") and hasattr(view_class, method)
        }
    return None


def test_every_route_and_method_has_a_row():
    listed = {(row.method, row.route) for row in ROWS}
    routes = list(_walk(get_resolver().url_patterns))
    missing = []
    for route, pattern in routes:
        if any(route.startswith(prefix) for prefix in UNLISTED):
            continue
        methods = _methods(pattern)
        if methods is None:
            if not any(r == route for _m, r in listed):
                missing.append(f"* {route}")
            continue
        missing += [f"{method} {route}" for method in sorted(methods) if (method, route) not in listed]
    assert not missing, "routes without a row in the access matrix: " + ", ".join(missing)
    known = {route for route, _pattern in routes}
    stale = sorted({row.route for row in ROWS} - known)
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_model_admin_has_a_row():
    listed = {row.route for row in ADMIN_ROWS}
    registered = {f"admin:{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry}
    assert registered <= listed, f"ModelAdmins without a row in the access matrix: {sorted(registered - listed)}"


# --- the cells whose refusal is not a 4xx ----------------------------------------------------------


@pytest.mark.django_db
def test_bobs_link_cancels_bob_never_alice():
    w = build_world()
    response = Client().post(f"/manage/{w.bob.manage_token}/cancel/")
    assert response.status_code == 302
    w.alice.refresh_from_db()
    w.bob.refresh_from_db()
    assert (w.alice.status, w.bob.status) == ("confirmed", "cancelled")


@pytest.mark.django_db
def test_a_volunteer_of_another_organization_scanning_a_ticket_gets_wrong_event_and_stores_nothing():
    w = build_world()
    before = snapshot()
    client = client_for(w, "vol2", "/api/v1/checkin/")
    response = client.post("/api/v1/checkin/", scan_body(w), format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "wrong_event"
    text = response.content.decode()
    assert not [secret for secret in secrets_for(w, "vol2", "checkin") if secret in text]
    assert snapshot() == before


@pytest.mark.django_db
def test_an_unknown_session_reads_the_same_as_another_organizations():
    """vol2's 400 unknown_session for Alice's session is what a session that does not exist gets."""
    w = build_world()
    client = client_for(w, "vol2", "/api/v1/")
    body = {"session": w.session.pk, "nonce": str(uuid.uuid4())}
    theirs = client.post(f"/api/v1/checkin/registrations/{w.bob.pk}/", body, format="json")
    body = {"session": w.session.pk + 1000, "nonce": str(uuid.uuid4())}
    missing = client.post(f"/api/v1/checkin/registrations/{w.bob.pk}/", body, format="json")
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json() == missing.json()


@pytest.mark.django_db
def test_an_organizer_cannot_reach_an_attendees_personal_feed_or_rating():
    """The personal feed lists the attendee's registrations with *every* organization, so Alice's
    organizer must not get (or rotate) its URL; nor write her rating of their own event."""
    w = build_world()
    elsewhere = RegistrationFactory(event=w.event2, name=w.alice.name, email=w.alice.email)
    assert elsewhere.event.organization_id == w.org2.pk
    for role in ("mgr", "su"):
        client = client_for(w, role, "/api/v1/")
        assert client.post(f"/api/v1/registrations/{w.alice.pk}/calendar-feed/").status_code == 404
        response = client.post(f"/api/v1/registrations/{w.alice.pk}/feedback/", {"rating": 1}, format="json")
        assert response.status_code == 404
        assert client.get(f"/api/v1/registrations/{w.alice.pk}/feedback/").status_code == 200  # reading is reporting
    w.alice.feedback.refresh_from_db()
    assert w.alice.feedback.rating == 4
    # Alice's own feed holds both organizations' events.
    feed = APIClient().get(f"/api/v1/calendar/feeds/{w.feed.token}.ics")
    assert feed.status_code == 200 and w.event2.title["en"] in feed.content.decode()
