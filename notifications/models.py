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

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no longer relevant)")

    registration = models.ForeignKey(
        "registrations.Registration", on_delete=models.CASCADE, related_name="notifications"
    )
    session = models.ForeignKey(
        "events.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    announcement = models.ForeignKey(
        "notifications.Announcement", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    recipient = models.EmailField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=10)
    # Rendered when the message is built (at send time) and kept for the admin list.
    subject = models.CharField(max_length=300, blank=True)
    # What must be frozen at the moment of the change (old time and place of a move, ...);
    # everything else is read fresh when the message is built.
    params = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
        "organizations.Organization", on_delete=models.CASCADE, related_name="announcements"
    )
    events = models.ManyToManyField("events.Event", related_name="announcements")
    subject = models.JSONField(_("subject"), default=dict)
    body = models.JSONField(_("body"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_count = models.PositiveIntegerField(default=0)
    # Who it went to (``notifications.selectors.Audience``); ``session`` for "checked in at a session".
    audience = models.CharField(_("recipients"), max_length=20, default="active")
    session = models.ForeignKey(
        "events.Session", on_delete=models.SET_NULL, null=True, blank=True, related_name="announcements"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return next((text for text in (self.subject or {}).values() if text), f"Announcement {self.pk}")


class Feedback(models.Model):
    """What an attendee thought of an event: one per registration, editable by its owner."""

    registration = models.OneToOneField("registrations.Registration", on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 — registration {self.registration_id}"
