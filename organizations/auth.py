"""API token authentication with a short cache, so a door scanner's every request skips a query.

Two kinds of token are accepted under ``Authorization: Token <key>``: named ``organizations.ApiToken``s
(made in the admin, stored as digests) and DRF's ``authtoken.Token`` (one per user, older
clients). A token deleted in the admin, or a user deactivated, stops working at once in every
process that shares the cache (Redis in production): the signals below drop the cached entry.
With the per-process default cache, other processes notice within TOKEN_CACHE_SECONDS. The cache
is keyed by the key's digest, so the cache holds no usable key either.

The cached user carries its scanning roles (``access.scannable_organization_ids``), so a door
scan learns who scans and for whom in one read; a membership change drops the user's token
entries with the roles.
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
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token

from common import cache_reads
from organizations import access
from organizations.models import KEY_PREFIX, ApiToken, Membership, token_digest


def _key(digest: str) -> str:
    return f"auth-token:{digest}"


def token_cache_key(request) -> str | None:
    """The cache entry ``CachedTokenAuthentication`` will read for this request, or None (no
    token): a view can prefetch it with its own reads (``common.cache_reads``)."""
    words = get_authorization_header(request).split()
    if len(words) != 2 or words[0].lower() != CachedTokenAuthentication.keyword.lower().encode():
        return None
    try:
        return _key(token_digest(words[1].decode()))
    except UnicodeError:
        return None


def _forget_tokens_of(user_id: int) -> None:
    digests = [token_digest(key) for key in Token.objects.filter(user_id=user_id).values_list("key", flat=True)]
    digests += ApiToken.objects.filter(user_id=user_id).values_list("digest", flat=True)
    cache.delete_many([_key(digest) for digest in digests])


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        digest = token_digest(key)
        cached = cache_reads.get(_key(digest))
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
        access.scannable_organization_ids(user=user)  # kept on the user object, so cached with it
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
    _forget_tokens_of(instance.pk)


@receiver([post_save, post_delete], sender=Membership)
def _forget_checkin_roles(sender, instance: Membership, **kwargs) -> None:
    access.forget_roles(user_id=instance.user_id)
    _forget_tokens_of(instance.user_id)  # their cached user carries the roles too
