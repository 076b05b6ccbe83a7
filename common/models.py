"""Models of the ground floor that belong to no app in particular."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for the same key."""

    key = models.CharField(_("request key"), max_length=255)
    scope = models.CharField(_("used for"), max_length=255)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("reply status code"))
    response_body = models.JSONField(_("reply content"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved reply to a repeated request")
        verbose_name_plural = _("saved replies to repeated requests")
        db_table = "registrations_idempotencykey"
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
