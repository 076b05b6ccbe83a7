from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from checkin.selectors import session_cache_key
from events.models import Event, Session


@receiver([post_save, post_delete], sender=Session)
def _forget_session(sender, instance: Session, **kwargs) -> None:
    cache.delete(session_cache_key(instance.pk))


@receiver(post_save, sender=Event)
def _forget_event_sessions(sender, instance: Event, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"seats_held", "waitlist_count", "updated_at"}:
        return
    cache.delete_many([session_cache_key(pk) for pk in instance.sessions.values_list("pk", flat=True)])
