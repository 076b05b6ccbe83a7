"""The audit log: who did what to which event or registration, and when. Append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditAction(models.TextChoices):
    # Message context "audit log": the same English words name attendee e-mails elsewhere.
    EVENT_CREATE = "event.create", pgettext_lazy("audit log", "Event created")
    EVENT_UPDATE = "event.update", pgettext_lazy("audit log", "Event changed")
    EVENT_PUBLISH = "event.publish", pgettext_lazy("audit log", "Event published")
    EVENT_CANCEL = "event.cancel", pgettext_lazy("audit log", "Event cancelled")
    EVENT_QUESTIONS = "event.questions", pgettext_lazy("audit log", "Registration questions changed")
    SESSION_CREATE = "session.create", pgettext_lazy("audit log", "Session added")
    SESSION_UPDATE = "session.update", pgettext_lazy("audit log", "Session changed")
    SESSION_CANCEL = "session.cancel", pgettext_lazy("audit log", "Session cancelled")
    SESSIONS_GENERATE = "sessions.generate", pgettext_lazy("audit log", "Sessions generated")
    REGISTRATION_CANCEL = "registration.cancel", pgettext_lazy("audit log", "Registration cancelled by the organizer")
    DOOR_PAYMENT = "registration.door_payment", pgettext_lazy("audit log", "Payment taken at the door")
    REGISTRATION_PROMOTE = "registration.promote", pgettext_lazy("audit log", "Promoted from the waiting list by hand")
    TICKET_RESEND = "registration.ticket_resend", pgettext_lazy("audit log", "Ticket sent again")
    REGISTRATION_REFUND = "registration.refund", pgettext_lazy("audit log", "Refunded by the organizer")
    FAPIAO_ISSUED = "registration.fapiao_issued", pgettext_lazy("audit log", "Fapiao marked as issued")
    MEMBER_INVITE = "membership.invite", pgettext_lazy("audit log", "Volunteer invited")
    TOKEN_CREATE = "token.create", pgettext_lazy("audit log", "Scanner token issued")
    TOKEN_REVOKE = "token.revoke", pgettext_lazy("audit log", "Scanner token revoked")
    CHECKIN_REVERT = "checkin.revert", pgettext_lazy("audit log", "Check-in undone")
    ANNOUNCEMENT_SEND = "announcement.send", pgettext_lazy("audit log", "Announcement sent")
    # Residents' comments and demands (voices/).
    VOICE_STATUS = "voice.status", pgettext_lazy("audit log", "Comment status changed")
    VOICE_ASSIGN = "voice.assign", pgettext_lazy("audit log", "Comment assigned")
    VOICE_NOTE = "voice.note", pgettext_lazy("audit log", "Internal note added")
    VOICE_REPLY = "voice.reply", pgettext_lazy("audit log", "Answer sent to the resident")
    VOICE_PUBLISH = "voice.publish", pgettext_lazy("audit log", "Question and answer published")
    VOICE_UNPUBLISH = "voice.unpublish", pgettext_lazy("audit log", "Question and answer withdrawn")
    EXPORT = "export.csv", pgettext_lazy("audit log", "Report exported")
    # --- board: notices and the weekly bulletin
    NOTICE_CREATE = "notice.create", pgettext_lazy("audit log", "Notice created")
    NOTICE_UPDATE = "notice.update", pgettext_lazy("audit log", "Notice changed")
    NOTICE_PUBLISH = "notice.publish", pgettext_lazy("audit log", "Notice published")
    NOTICE_WITHDRAW = "notice.withdraw", pgettext_lazy("audit log", "Notice withdrawn")
    BULLETIN_SEND = "bulletin.send", pgettext_lazy("audit log", "Weekly bulletin sent")
    # ---
    TICKET_TYPE_SAVE = "ticket_type.save", pgettext_lazy("audit log", "Ticket type saved")
    TICKET_TYPE_DELETE = "ticket_type.delete", pgettext_lazy("audit log", "Ticket type deleted")
    PROMO_CODE_SAVE = "promo_code.save", pgettext_lazy("audit log", "Code saved")
    ADMIN_ADD = "admin.add", pgettext_lazy("audit log", "Added in the admin")
    ADMIN_CHANGE = "admin.change", pgettext_lazy("audit log", "Changed in the admin")
    ADMIN_DELETE = "admin.delete", pgettext_lazy("audit log", "Deleted in the admin")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One organizer action. Rows are only ever inserted (save refuses updates, delete refuses).

    Targets are referenced by type + id + a label copied at the time, not by foreign keys, so an
    entry outlives what it describes (a deleted draft, a removed membership). Labels and details
    carry no names, emails or tokens of attendees: anonymising registrations later must not need
    to rewrite an append-only log.
    """

    at = models.DateTimeField(pgettext_lazy("audit log", "when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("audit log", "who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(pgettext_lazy("audit log", "who (as recorded)"), max_length=150, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.ForeignKey(
        "events.Event", verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(pgettext_lazy("audit log", "what"), max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(_("kind of record"), max_length=40, blank=True)
    target_id = models.CharField(_("record number"), max_length=64, blank=True)
    target_label = models.CharField(pgettext_lazy("audit log", "on"), max_length=200, blank=True)
    details = models.JSONField(_("Details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(pgettext_lazy("audit log", "client address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["event", "-at"], name="audit_event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")
