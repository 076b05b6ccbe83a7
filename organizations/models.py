"""Tenancy: who runs events (organizations), who works for them (memberships), where (venues),
and the shared categories. The tables keep their first names (``events_*``): they moved here
from ``events`` without a schema change."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.i18n import TranslatedMixin


class Organization(TranslatedMixin, models.Model):
    slug = models.SlugField(_("Web address"), unique=True)
    name = models.JSONField(_("name"), default=dict)
    contact_email = models.EmailField(_("contact email"), blank=True)
    default_language = models.CharField(_("Default language"), max_length=10, default="en")
    timezone = models.CharField(_("Time zone"), max_length=64, default=settings.DEFAULT_EVENT_TIMEZONE)
    # The Weekly Bulletin goes out on this weekday (0 = Monday) at this hour, in ``timezone``.
    bulletin_enabled = models.BooleanField(_("send the weekly bulletin"), default=True)
    bulletin_weekday = models.PositiveSmallIntegerField(
        _("bulletin weekday"), default=4, validators=[MaxValueValidator(6)]
    )
    bulletin_hour = models.PositiveSmallIntegerField(_("bulletin hour"), default=9, validators=[MaxValueValidator(23)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Calendar feeds show the name: a change must reach their validators (registrations.selectors).
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        db_table = "events_organization"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.t("name") or self.slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        VOLUNTEER = "volunteer", _("Volunteer")

    MANAGING_ROLES = (Role.OWNER, Role.MANAGER)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        db_table = "events_membership"
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class Venue(TranslatedMixin, models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="venues"
    )
    name = models.JSONField(_("name"), default=dict)
    address = models.JSONField(_("address"), default=dict, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accessibility_notes = models.JSONField(_("accessibility notes"), default=dict, blank=True)
    # Calendar feeds show name, address and position: a change must reach their validators.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        db_table = "events_venue"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="venue_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="venue_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.t("name") or f"Venue {self.pk}"

    def fallback_languages(self) -> list[str]:
        return [self.organization.default_language] if self.organization_id else []

    @property
    def map_url(self) -> str:
        if self.latitude is None or self.longitude is None:
            return ""
        return f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}#map=18/{self.latitude}/{self.longitude}"


class Category(TranslatedMixin, models.Model):
    slug = models.SlugField(_("Web address"), unique=True)
    name = models.JSONField(_("name"), default=dict)

    class Meta:
        verbose_name = _("category")
        db_table = "events_category"
        ordering = ["slug"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.t("name") or self.slug


MANAGING_ROLES = Membership.MANAGING_ROLES


# --- API tokens: several per person, each named after the device it lives on ---------------------
# DRF's ``authtoken.Token`` (one per user, key stored in clear) still authenticates for existing
# clients; new tokens are made here. Only a SHA-256 digest of the key is stored: the key is shown
# once, when the token is made, and a database dump cannot be replayed against the API.

# Every named token's key starts with this: it tells the authentication which table holds the
# key (and lets secret scanners spot a leaked one).
KEY_PREFIX = "hg_"


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("The device or use, e.g. door phone 2."))
    digest = models.CharField(_("fingerprint of the key"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        db_table = "common_apitoken"
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
