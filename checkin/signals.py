from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from checkin.selectors import checkin_staff_cache_key
from events.models import Membership


@receiver([post_save, post_delete], sender=Membership)
def _forget_checkin_role(sender, instance: Membership, **kwargs) -> None:
    cache.delete(checkin_staff_cache_key(instance.user_id))
