"""API token authentication with a short cache, so a door scanner's every request skips a query.

A token deleted in the admin, or a user deactivated, stops working at once in every process that
shares the cache (Redis in production): the signals below drop the cached entry. With the
per-process default cache, other processes notice within TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def _key(token_key: str) -> str:
    return f"auth-token:{token_key}"


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        cached = cache.get(_key(key))
        if cached is not None:
            return cached, None
        user, token = super().authenticate_credentials(key)
        cache.set(_key(key), user, settings.TOKEN_CACHE_SECONDS)
        return user, token


@receiver(post_delete, sender=Token)
def _forget_deleted_token(sender, instance: Token, **kwargs) -> None:
    cache.delete(_key(instance.key))


@receiver(post_save, sender=get_user_model())
def _forget_changed_user(sender, instance, **kwargs) -> None:
    for key in Token.objects.filter(user_id=instance.pk).values_list("key", flat=True):
        cache.delete(_key(key))
