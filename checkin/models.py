"""Check-ins: every recorded door scan of a ticket for a session.

Exactly-once lives in the database, not in the code that writes the rows:

- ``nonce`` is unique: the client makes one UUID per scan, so a retried request (a phone on bad
  Wi-Fi, an offline batch uploaded twice) hits the index and replays the stored ``response``.
- ``checkin_one_effective_in``: at most one *effective* "in" (not reverted, not a recorded
  duplicate) per ticket, session and entry. Two volunteers scanning one ticket at the same
  moment both try the same INSERT; the index lets exactly one through and the other becomes a
  recorded duplicate (``already_checked_in``).
- ``entry`` numbers the times one ticket entered one session. It is 1 for everyone who never
  left; a recorded exit ("out" with the same entry number) lets the person back in as entry 2,
  and so on. Without a recorded exit a second "in" is a duplicate, so a ticket cannot be
  shared by handing the phone back through the door.

Rejected scans (invalid, wrong event, cancelled, unpaid, not open, not inside) write nothing:
the hot path for them is read-only, and a retry is simply evaluated again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Session
from registrations.models import Registration, Ticket


class CheckIn(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("In")
        OUT = "out", _("Out")

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline (uploaded later)")

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in (recorded duplicate)")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="checkins")
    # Denormalised from the ticket: reports and the name search group by registration.
    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="checkins"
    )
    session = models.ForeignKey(Session, verbose_name=_("Session"), on_delete=models.CASCADE, related_name="checkins")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.IN)
    entry = models.PositiveSmallIntegerField(
        _("entry number"),
        default=1,
        help_text=_("The n-th time this ticket entered this session; an exit closes entry n."),
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OK)
    is_duplicate = models.BooleanField(_("duplicate scan"), default=False)
    # Client time for offline scans (when the person was at the door), server time online.
    scanned_at = models.DateTimeField(_("scanned at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scanned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    device = models.CharField(_("Device"), max_length=64, blank=True)
    nonce = models.UUIDField(_("scan ID"), unique=True)
    source = models.CharField(_("source"), max_length=7, choices=Source.choices, default=Source.ONLINE)
    # The answer the scanner got, replayed verbatim for the same nonce.
    response = models.JSONField(_("answer to the scanner"), default=dict, blank=True)
    reverted_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = _("check-ins")
        ordering = ["id"]
        verbose_name = _("check-in")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "session", "entry"],
                condition=Q(direction="in", is_duplicate=False, reverted_at__isnull=True),
                name="checkin_one_effective_in",
            ),
            models.UniqueConstraint(
                fields=["ticket", "session", "entry"],
                condition=Q(direction="out", is_duplicate=False, reverted_at__isnull=True),
                name="checkin_one_effective_out",
            ),
            models.CheckConstraint(
                condition=Q(is_duplicate=False, status="ok") | Q(is_duplicate=True, status="already_checked_in"),
                name="checkin_duplicate_status",
            ),
            models.CheckConstraint(condition=Q(entry__gte=1), name="checkin_entry_positive"),
        ]
        indexes = [
            # ?since= refreshes of the offline list and arrivals-over-time reports.
            models.Index(fields=["session", "recorded_at"], name="checkin_session_recorded"),
            models.Index(fields=["registration", "session"], name="checkin_registration_session"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} ticket {self.ticket_id} @ session {self.session_id} ({self.status})"

    @property
    def is_effective(self) -> bool:
        return not self.is_duplicate and self.reverted_at is None
