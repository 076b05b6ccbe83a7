"""Models of the ground floor that belong to no app in particular."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for the same key."""

    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "registrations_idempotencykey"
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
