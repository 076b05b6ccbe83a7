"""Residents' comments, demands and questions to an office, and the office's answers.

A ``Comment`` is what one resident wrote (no name is ever asked for: an optional email is the
only personal datum, kept for the answer) and its life on the desk: status, assignee, the reply
and whether the question and answer are published (only with the writer's consent, never with
the email). ``Note`` is the team's internal notes on it, never shown to the resident.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_TEXT = 4000
MIN_TEXT = 10
MAX_REPLY = 8000
MAX_NOTE = 2000


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Comment(models.Model):
    class Topic(models.TextChoices):
        HOUSING = "housing", _("Housing")
        VISAS = "visas", _("Visas and residence permits")
        WORK = "work", _("Work and business")
        HEALTH = "health", _("Health care")
        EDUCATION = "education", _("Schools and education")
        TRANSPORT = "transport", _("Transport")
        PUBLIC_SERVICES = "services", _("Public services")
        EVENTS = "events", pgettext_lazy("voices topic", "Events and courses")
        OTHER = "other", pgettext_lazy("voices topic", "Other")

    class Kind(models.TextChoices):
        COMMENT = "comment", pgettext_lazy("voices kind", "Comment")
        DEMAND = "demand", pgettext_lazy("voices kind", "Demand")
        QUESTION = "question", pgettext_lazy("voices kind", "Question")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("voices status", "New")
        IN_PROGRESS = "in_progress", pgettext_lazy("voices status", "In progress")
        ANSWERED = "answered", pgettext_lazy("voices status", "Answered")
        CLOSED = "closed", pgettext_lazy("voices status", "Closed")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="comments", verbose_name=_("organization")
    )
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(_("text"), max_length=MAX_TEXT)
    language = models.CharField(pgettext_lazy("voices", "language"), max_length=10)
    # Lower-cased by the service; empty when the resident wants no answer by email.
    email = models.EmailField(pgettext_lazy("voices", "email"), blank=True)
    publish_consent = models.BooleanField(_("may be published without a name"), default=False)
    status = models.CharField(
        pgettext_lazy("voices", "status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_comments",
        verbose_name=_("assigned to"),
    )
    reply = models.TextField(_("reply"), max_length=MAX_REPLY, blank=True)
    reply_language = models.CharField(_("reply language"), max_length=10, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(pgettext_lazy("voices", "published at"), null=True, blank=True)
    # The resident's private link to the status and the answer: unguessable, never derived.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = pgettext_lazy("voices", "comment")
        verbose_name_plural = _("comments and demands")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="comment_inbox"),
            models.Index(fields=["organization", "-published_at"], condition=Q(published=True), name="comment_public"),
            models.Index(fields=["email"], name="comment_email"),
        ]
        constraints = [
            # Nothing is published without the writer's consent, nor without an answer.
            models.CheckConstraint(
                condition=Q(published=False) | (Q(publish_consent=True) & ~Q(reply="")),
                name="comment_published_needs_consent_and_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.status})"


class Note(models.Model):
    """A team member's internal note on a comment: for the desk only."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("note"), max_length=MAX_NOTE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"note on #{self.comment_id}"
