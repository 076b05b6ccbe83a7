"""The outbox: one row per email, written in the same transaction as the change that causes it.

A row is the promise to send one message, exactly once:

- ``dedupe_key`` is unique (registration + kind + session/version, e.g.
  ``changed:reg-7:session-12:seq-3``), so the same change recorded twice is one row;
- the sending task claims a row with a conditional UPDATE (``pending`` → ``sending``) before
  talking to the mail server, so a duplicated or retried task finds nothing to do;
- a row that is ``sending`` when its worker dies is never resent on its own (we cannot know
  whether the server took it); it turns ``failed`` and an admin decides (see services).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Notification(models.Model):
    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation")
        PAYMENT_DUE = "payment_due", _("Payment due")
        WAITLISTED = "waitlisted", _("Waitlisted")
        PROMOTED = "promoted", _("Promoted from the waiting list")
        HOLD_EXPIRED = "hold_expired", _("Payment hold expired")
        EMAIL_CONFIRM = "email_confirm", _("Confirm your email")
        REMINDER = "reminder", _("Reminder")
        CHANGED = "changed", _("Session changed")
        CANCELLED = "cancelled", _("Cancelled")
        FEEDBACK_REQUEST = "feedback_request", _("Feedback request")
        ANNOUNCEMENT = "announcement", _("Announcement")
        MANAGE_LINK = "manage_link", _("Manage link")
        CALENDAR_FEED = "calendar_feed", _("Calendar subscription link")
        MY_REGISTRATIONS = "my_registrations", _("My registrations link")
        CERTIFICATE = "certificate", _("Certificate of completion")
        VOICE_RECEIVED = "voice_received", _("Comment received")
        VOICE_REPLY = "voice_reply", _("Answer to a comment")
        SUBSCRIPTION_CONFIRM = "subscription_confirm", _("Confirm your subscription")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no longer relevant)")

    # Empty for messages about no registration: the answer to a resident's comment, a
    # subscription's confirmation.
    registration = models.ForeignKey(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    comment = models.ForeignKey(
        "voices.Comment",
        verbose_name=pgettext_lazy("voices", "comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subscription = models.ForeignKey(
        "notifications.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    session = models.ForeignKey(
        "events.Session",
        verbose_name=_("Session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    announcement = models.ForeignKey(
        "notifications.Announcement",
        verbose_name=_("announcement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient = models.EmailField(_("recipient"))
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("Language"), max_length=10)
    # Rendered when the message is built (at send time) and kept for the admin list.
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # What must be frozen at the moment of the change (old time and place of a move, ...);
    # everything else is read fresh when the message is built.
    params = models.JSONField(_("message details"), default=dict, blank=True)
    dedupe_key = models.CharField(_("duplicate check key"), max_length=200, unique=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("email to an attendee")
        verbose_name_plural = _("emails to attendees")
        ordering = ["-id"]
        indexes = [
            # The sweeper: pending rows that are due. Partial, so it stays small as rows are sent.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_pending_due"),
            models.Index(fields=["status", "claimed_at"], name="notification_status_claimed"),
            # "Has this registration already been reminded of this session?"
            models.Index(fields=["session", "kind", "registration"], name="notification_session_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"


class Announcement(models.Model):
    """An organizer's message to the registrants of some of their events, in one or more languages."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="announcements",
    )
    events = models.ManyToManyField("events.Event", verbose_name=_("Events"), related_name="announcements")
    subject = models.JSONField(_("subject"), default=dict)
    body = models.JSONField(_("body"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient_count = models.PositiveIntegerField(_("number of recipients"), default=0)
    # Who it went to (``notifications.selectors.Audience``); ``session`` for "checked in at a session".
    audience = models.CharField(_("recipients"), max_length=20, default="active")
    session = models.ForeignKey(
        "events.Session",
        verbose_name=_("Session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announcements",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-id"]

    def __str__(self) -> str:
        return next((text for text in (self.subject or {}).values() if text), f"Announcement {self.pk}")


class Feedback(models.Model):
    """What an attendee thought of an event: one per registration, editable by its owner."""

    registration = models.OneToOneField(
        "registrations.Registration", verbose_name=_("registration"), on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(_("Language"), max_length=10)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("feedback")
        ordering = ["-id"]
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 — registration {self.registration_id}"


# ── The residents' bridge: subscribers, notices, the weekly bulletin, and list sending ──────────
#
# Shape (docs/bridge.md): a Subscription is one address in one language following some
# organizations; a Notice or a Bulletin issue becomes one ListMessage, rendered once per language;
# the message's recipients are ListDelivery rows written in chunks, and a chunk is what one task
# sends over one SMTP connection. Each delivery is one promise: one copy to one address.


class Subscription(models.Model):
    """One address following some organizations' notices and bulletin, in one language.

    Nothing is sent before ``confirmed_at`` (double opt-in). ``token`` is the private link for
    confirmation, preferences and one-click unsubscribe: unguessable, never derived from the email.
    """

    email = models.EmailField(_("email"), unique=True)  # stored lower-cased by the services
    language = models.CharField(_("language"), max_length=10)
    # Empty with ``all_organizations`` = everything published on this site.
    all_organizations = models.BooleanField(_("all organizations"), default=True)
    organizations = models.ManyToManyField(
        "organizations.Organization", blank=True, related_name="subscriptions", verbose_name=_("organizations")
    )
    bulletin = models.BooleanField(_("weekly bulletin"), default=True)
    # Notice categories received as they are posted (``Notice.Category`` values).
    notice_categories = models.JSONField(_("notice categories"), default=list, blank=True)
    token = models.CharField(_("private link key"), max_length=64, unique=True)
    # The consent as shown and agreed to (text, version, moment), as registrations keep it.
    consent = models.JSONField(_("consent"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            # Recipients of a list message: confirmed and still subscribed, by language.
            models.Index(
                fields=["language", "id"],
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
                name="subscription_active_lang",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.language})"


class Notice(models.Model):
    """An office's notice (a policy, a service, works, safety, an event), per language."""

    class Category(models.TextChoices):
        POLICY = "policy", _("Policy")
        SERVICE = "service", _("Service")
        WORKS = "works", _("Renovation or works")
        SAFETY = "safety", _("Safety")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="notices", verbose_name=_("organization")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.JSONField(_("title"), default=dict)
    body = models.JSONField(_("body"), default=dict)
    venue = models.ForeignKey(
        "organizations.Venue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("venue"),
    )
    area = models.JSONField(_("area"), default=dict, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["status", "-published_at"], name="notice_board")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="notice_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return next((text for text in (self.title or {}).values() if text), f"Notice {self.pk}")


class Bulletin(models.Model):
    """One issue of an organization's Weekly Bulletin: built once per language, then sent."""

    class Status(models.TextChoices):
        BUILT = "built", _("Ready for preview")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="bulletins", verbose_name=_("organization")
    )
    week_start = models.DateField(_("week of"))  # the Monday of the week, in the org's time zone
    # {"en": {"subject": …, "text": …, "html": …}, "zh-hans": …}: what every reader of a language gets.
    contents = models.JSONField(_("contents"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BUILT)
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.UniqueConstraint(fields=["organization", "week_start"], name="bulletin_one_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.week_start}"


class ListMessage(models.Model):
    """One message to many subscribers (a notice, a bulletin issue), rendered once per language."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")  # deliveries being written in chunks
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="list_messages",
    )
    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, null=True, blank=True, related_name="list_messages"
    )
    bulletin = models.ForeignKey(
        Bulletin,
        verbose_name=_("bulletin"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="list_messages",
    )
    # "notice:12", "bulletin:4": posting the same thing twice is one message.
    dedupe_key = models.CharField(_("duplicate check key"), max_length=100, unique=True)
    # {"en": {"subject": …, "text": …, "html": …}, …}; per-recipient parts are placeholders.
    rendered = models.JSONField(_("rendered message"), default=dict)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PREPARING)
    recipient_count = models.PositiveIntegerField(_("number of recipients"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("list message")
        verbose_name_plural = _("list messages")

    def __str__(self) -> str:
        return self.dedupe_key


class ListChunk(models.Model):
    """A few hundred deliveries of one message: what one task sends over one SMTP connection.

    Claimed with one conditional ``UPDATE … RETURNING`` (pending → sending); a chunk left
    ``sending`` by a killed worker is resumed by the sweeper, which sends only the deliveries
    not yet marked sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")

    message = models.ForeignKey(
        ListMessage, verbose_name=_("list message"), on_delete=models.CASCADE, related_name="chunks"
    )
    number = models.PositiveIntegerField(_("batch number"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sending batch")
        verbose_name_plural = _("sending batches")
        ordering = ["message", "number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="listchunk_unique_number")]
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="listchunk_status_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.message} #{self.number} ({self.status})"


class ListDelivery(models.Model):
    """One copy of one list message to one address: sent once, or failed with its reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")

    message = models.ForeignKey(
        ListMessage, verbose_name=_("list message"), on_delete=models.CASCADE, related_name="deliveries"
    )
    chunk = models.ForeignKey(
        ListChunk, verbose_name=_("sending batch"), on_delete=models.CASCADE, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    email = models.EmailField(_("Email address"))
    language = models.CharField(_("Language"), max_length=10)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("list delivery")
        verbose_name_plural = _("list deliveries")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "email"], name="listdelivery_once_per_address")]
        indexes = [
            models.Index(fields=["chunk", "status"], name="listdelivery_chunk_status"),
            # The sliding-window cap counts what was sent lately (notifications/listsend.Pacer).
            models.Index(fields=["sent_at"], name="listdelivery_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.message} → {self.email} ({self.status})"


class Suppression(models.Model):
    """An address we no longer send list mail to: repeated permanent (5xx) failures, or a complaint."""

    email = models.EmailField(_("Email address"), unique=True)
    permanent_failures = models.PositiveSmallIntegerField(_("permanent failures"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    suppressed_at = models.DateTimeField(
        _("suppressed at"), null=True, blank=True
    )  # null: counting, not yet suppressed
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email
