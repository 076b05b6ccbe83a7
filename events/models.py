from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.i18n import TranslatedMixin
from events import images
from organizations import access
from organizations.models import Category, Organization, Venue


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


PAYMENT_METHODS = ("card", "alipay", "wechat_pay")


def default_payment_methods() -> list[str]:
    return ["card", "alipay", "wechat_pay"]


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Event.Status.PUBLISHED)

    def for_organizer(self, user):
        """Events of organizations where ``user`` is owner or manager (staff see everything)."""
        return self.filter(access.managed_by(user))


class Event(TranslatedMixin, models.Model):
    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        COURSE = "course", _("Course")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices, default=Kind.EVENT)
    slug = models.SlugField(_("Web address"), max_length=80, unique=True)
    default_language = models.CharField(_("Default language"), max_length=10, default="en")
    title = models.JSONField(_("title"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    description = models.JSONField(_("description"), default=dict, blank=True)
    spoken_languages = models.JSONField(_("spoken languages"), default=list, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("Category"), on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    online_url = models.URLField(_("Online URL"), blank=True)
    # Checked and re-encoded by events.images before it is stored (never assigned raw uploads).
    image = models.FileField(_("image"), upload_to=images.upload_to, blank=True, max_length=200)
    image_width = models.PositiveIntegerField(_("image width (pixels)"), null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(_("image height (pixels)"), null=True, blank=True, editable=False)
    timezone = models.CharField(_("Time zone"), max_length=64, default=settings.DEFAULT_EVENT_TIMEZONE)
    capacity = models.PositiveIntegerField(_("Capacity"), validators=[MinValueValidator(0)], default=0)
    registration_opens_at = models.DateTimeField(_("Registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("Registration closes"), null=True, blank=True)
    price = models.DecimalField(_("Price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    max_guests = models.PositiveSmallIntegerField(
        _("Guests per registration"),
        default=0,
        help_text=_("How many guests one registration may bring (each takes a seat and gets a ticket)."),
    )
    payment_methods = models.JSONField(
        _("Online payment methods"),
        default=default_payment_methods,
        blank=True,
        help_text=_("Stripe Checkout methods offered: card, alipay, wechat_pay."),
    )
    allow_pay_at_door = models.BooleanField(
        _("Allow paying at the door"),
        default=False,
        help_text=_("Attendees may choose to pay in cash at the door; volunteers collect it."),
    )
    payment_hold_minutes = models.PositiveIntegerField(
        _("Payment hold (minutes)"), default=30, help_text=_("How long an unpaid registration holds its seat.")
    )
    # Against seat squatting (registrations/services/email_holds.py): a new registration holds its
    # seat this long until the link emailed to it is opened; 0 = confirmed at once (small events).
    email_confirm_minutes = models.PositiveSmallIntegerField(
        _("email confirmation hold (minutes)"),
        default=0,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_(
            "Confirm your email to keep the seat: a new registration holds its seat this many minutes "
            "until the link we email is opened (0 = off, confirmed at once)."
        ),
    )
    # Courses: a participant completes (and gets a certificate) by attending at least this share of
    # the held sessions (checkin/completion.py); 6 of 8 is exactly 75 %.
    completion_threshold = models.PositiveSmallIntegerField(
        _("completion threshold (%)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Courses: the share of held sessions a participant must attend to complete the course "
            "and receive a certificate."
        ),
    )
    open_holds_per_domain = models.PositiveIntegerField(
        _("open holds per email domain"),
        default=0,
        help_text=_(
            "At most this many seats waiting for an email confirmation or a payment per email domain "
            "(the part after @) at a time (0 = no limit)."
        ),
    )
    checkin_opens_minutes = models.PositiveIntegerField(
        _("Check-in opens (minutes before)"),
        default=60,
        help_text=_("Check-in opens this many minutes before a session starts."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("Reminder (hours before)"),
        default=24,
        validators=[MaxValueValidator(168)],
        help_text=_("Confirmed attendees get a reminder email this many hours before each session (0 = none)."),
    )
    # Maintained under the event row lock by registrations.services (see docs/locking.md):
    # seats held by confirmed + pending-payment registrations, and registrations waiting.
    seats_held = models.PositiveIntegerField(_("seats held"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("on the waiting list"), default=0, editable=False)
    recurrence_rule = models.CharField(
        _("Recurrence rule"),
        max_length=500,
        blank=True,
        help_text=_("The RRULE the sessions were last generated from (for reference)."),
    )
    # Lower-cased titles and summaries in every language: one indexed column for `q` search.
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Refund policy on cancel (events/refund_policy.py): a full refund until ``refund_full_days``
    # before the first session (unset: until it starts), then ``refund_partial_percent`` % until
    # ``refund_partial_days`` before it, then none.
    refund_full_days = models.PositiveSmallIntegerField(
        _("full refund until (days before)"),
        null=True,
        blank=True,
        help_text=_("Empty: a full refund until the event starts."),
    )
    refund_partial_percent = models.PositiveSmallIntegerField(
        _("then refund (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    refund_partial_days = models.PositiveSmallIntegerField(_("partial refund until (days before)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="event_capacity_non_negative"),
            models.CheckConstraint(condition=Q(price__gte=0), name="event_price_non_negative"),
            models.CheckConstraint(condition=Q(max_guests__lte=20), name="event_max_guests_bounded"),
            models.CheckConstraint(condition=Q(refund_partial_percent__lte=100), name="event_refund_percent_bounded"),
            models.CheckConstraint(
                condition=Q(refund_full_days__isnull=True) | Q(refund_partial_days__lte=F("refund_full_days")),
                name="event_refund_days_order",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="event_registration_window_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.t("title") or self.slug

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_held, 0)

    def build_search_text(self) -> str:
        parts = [*(self.title or {}).values(), *(self.summary or {}).values(), self.slug]
        return "\n".join(part.casefold() for part in parts if part)


class Session(TranslatedMixin, models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        MOVED = "moved", _("Moved")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("venue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        help_text=_("Leave empty to use the event's venue."),
    )
    title = models.JSONField(_("title"), default=dict, blank=True, help_text=_("Optional, e.g. 'Lesson 3: the dot'."))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # Bumped whenever time or place changes, so calendar apps replace the old copy (iCal SEQUENCE).
    sequence = models.PositiveIntegerField(_("calendar version"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("Session")
        verbose_name_plural = _("Sessions")
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start")]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(zoneinfo.ZoneInfo(self.event.timezone)) if self.event_id else self.starts_at
        return f"{self.event} @ {local:%Y-%m-%d %H:%M}"

    def fallback_languages(self) -> list[str]:
        return [self.event.default_language] if self.event_id else []

    @property
    def effective_venue_id(self) -> int | None:
        return self.venue_id or self.event.venue_id

    @property
    def effective_venue(self) -> Venue | None:
        return self.venue if self.venue_id else self.event.venue

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Question(TranslatedMixin, models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CHOICE = "choice", _("Choice")
        CHECKBOX = "checkbox", _("Checkbox")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Stable identifier used in answers, e.g. 'nationality'.")
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    label = models.JSONField(_("label"), default=dict)
    required = models.BooleanField(_("required"), default=False)
    # [{"value": "jp", "label": {"en": "Japan", "zh-hans": "日本", "ja": "日本"}}, ...]
    choices = models.JSONField(_("answer options"), default=list, blank=True)
    show_at_checkin = models.BooleanField(_("show at check-in"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "key"], name="question_unique_key_per_event")]

    def __str__(self) -> str:
        return self.t("label") or self.key

    def fallback_languages(self) -> list[str]:
        return [self.event.default_language] if self.event_id else []

    @property
    def choice_values(self) -> list[str]:
        return [choice.get("value") for choice in self.choices or []]


# --- ticket types and codes (issue 15) ------------------------------------------------------------


class TicketType(TranslatedMixin, models.Model):
    """One kind of seat of an event (Standard, Student, early bird), with its own price and rules.

    ``quota`` is counted over the lines of active registrations (waiting ones included, so a
    promotion from the waiting list never oversells a type), under the event row lock
    (``registrations.services.pricing``). Hidden types are offered only with a code that unlocks them.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_types", verbose_name=_("event"))
    name = models.JSONField(_("name"), default=dict)
    door_note = models.JSONField(
        _("note at the door"),
        default=dict,
        blank=True,
        help_text=_("Shown to volunteers when they scan the ticket, e.g. 'bring your student card'."),
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"), verbose_name=_("price"))
    quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("At most this many seats of this type (empty: only the event's capacity)."),
        verbose_name=_("quota (seats)"),
    )
    on_sale_from = models.DateTimeField(null=True, blank=True, verbose_name=_("On sale from"))
    on_sale_until = models.DateTimeField(
        null=True, blank=True, help_text=_("e.g. the end of the early-bird price."), verbose_name=_("On sale until")
    )
    min_per_registration = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("A registration that picks this type takes at least this many (0 or 1: no minimum)."),
        verbose_name=_("at least per registration"),
    )
    max_per_registration = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("At most this many per registration (empty: no limit)."),
        verbose_name=_("at most per registration"),
    )
    hidden = models.BooleanField(
        default=False, help_text=_("Offered only with a code that unlocks it."), verbose_name=_("Hidden")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_type_price_non_negative"),
            models.CheckConstraint(
                condition=Q(on_sale_from__isnull=True)
                | Q(on_sale_until__isnull=True)
                | Q(on_sale_until__gt=F("on_sale_from")),
                name="ticket_type_sale_window_order",
            ),
            models.CheckConstraint(
                condition=Q(max_per_registration__isnull=True) | Q(max_per_registration__gte=F("min_per_registration")),
                name="ticket_type_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.t("name") or f"#{self.pk}"

    def fallback_languages(self) -> list[str]:
        return [self.event.default_language] if self.event_id else []

    def on_sale(self, now) -> bool:
        return (self.on_sale_from is None or self.on_sale_from <= now) and (
            self.on_sale_until is None or now < self.on_sale_until
        )


class PromoCode(models.Model):
    """A code a registrant types: a percentage or an amount off, and/or hidden ticket types unlocked.

    For one event (``event``) or, with ``event`` empty, for every event of the organization.
    Its uses are the active registrations that carry it, counted under the event row lock and
    this code's row lock (``registrations.services.pricing``), so ``max_uses`` is never overshot.
    """

    class Discount(models.TextChoices):
        NONE = "none", _("No discount (unlocks ticket types)")
        PERCENT = "percent", _("Percentage off")
        AMOUNT = "amount", _("Amount off the registration")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="promo_codes", verbose_name=_("organization")
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="promo_codes",
        help_text=_("Empty: valid for every event of the organization."),
        verbose_name=_("event"),
    )
    code = models.CharField(
        max_length=40, help_text=_("What people type; letters and digits, not case-sensitive."), verbose_name=_("Code")
    )
    discount = models.CharField(
        max_length=10, choices=Discount.choices, default=Discount.PERCENT, verbose_name=_("kind of discount")
    )
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Percent (1–100) or amount off."),
        verbose_name=_("amount or percentage off"),
    )
    unlocks = models.ManyToManyField(
        TicketType, blank=True, related_name="unlocked_by", verbose_name=_("Unlocks hidden ticket types")
    )
    valid_from = models.DateTimeField(null=True, blank=True, verbose_name=_("Valid from"))
    valid_until = models.DateTimeField(null=True, blank=True, verbose_name=_("Valid until"))
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: no limit."), verbose_name=_("maximum uses")
    )
    active = models.BooleanField(default=True, verbose_name=_("Active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="promo_code_unique_per_organization"),
            models.CheckConstraint(condition=Q(value__gte=0), name="promo_code_value_non_negative"),
            models.CheckConstraint(
                condition=~Q(discount="percent") | Q(value__lte=100), name="promo_code_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="promo_code_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)


def normalize_code(value: str) -> str:
    """Codes are compared upper-cased without surrounding spaces ("demo10 " is DEMO10)."""
    return (value or "").strip().upper()
