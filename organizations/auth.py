"""API token authentication with a short cache, so a door scanner's every request skips a query.

Two kinds of token are accepted under ``Authorization: Token <key>``: named ``organizations.ApiToken``s
(made in the admin, stored as digests) and DRF's ``authtoken.Token`` (one per user, older
clients). A token deleted in the admin, or a user deactivated, stops working at once in every
process that shares the cache (Redis in production): the signals below drop the cached entry.
With the per-process default cache, other processes notice within TOKEN_CACHE_SECONDS. The cache
is keyed by the key's digest, so the cache holds no usable key either.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from organizations import access
from organizations.models import KEY_PREFIX, ApiToken, Membership, token_digest


def _key(digest: str) -> str:
    return f"auth-token:{digest}"


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        digest = token_digest(key)
        cached = cache.get(_key(digest))
        if cached is not None:
            return cached, None
        if key.startswith(KEY_PREFIX):  # a named token, else DRF's
            named = ApiToken.objects.select_related("user").filter(digest=digest).first()
            if named is None:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            if not named.user.is_active:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            # Stamped on a cache miss only: at most one write per token per TOKEN_CACHE_SECONDS.
            ApiToken.objects.filter(pk=named.pk).update(last_used_at=timezone.now())
            user, token = named.user, named
        else:
            user, token = super().authenticate_credentials(key)
        cache.set(_key(digest), user, settings.TOKEN_CACHE_SECONDS)
        return user, token


@receiver(post_delete, sender=Token)
def _forget_deleted_token(sender, instance: Token, **kwargs) -> None:
    cache.delete(_key(token_digest(instance.key)))


@receiver(post_delete, sender=ApiToken)
def _forget_deleted_api_token(sender, instance: ApiToken, **kwargs) -> None:
    cache.delete(_key(instance.digest))


@receiver(post_save, sender=get_user_model())
def _forget_changed_user(sender, instance, **kwargs) -> None:
    digests = [token_digest(key) for key in Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)]
    digests += ApiToken.objects.filter(user_id=instance.pk).values_list("digest", flat=True)
    cache.delete_many([_key(digest) for digest in digests])


@receiver([post_save, post_delete], sender=Membership)
def _forget_checkin_roles(sender, instance: Membership, **kwargs) -> None:
    access.forget_roles(user_id=instance.user_id)
