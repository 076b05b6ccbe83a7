"""Drop an event's cached registration form (events.selectors) when what it holds changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from events.models import Event, Question, Session, TicketType
from events.selectors import registration_form_forget

# Written on every registration, and read again under the lock: no reason to drop the form.
_COUNTERS = {"seats_held", "waitlist_count", "updated_at"}


@receiver([post_save, post_delete], sender=Event)
def _forget_event_form(sender, instance: Event, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= _COUNTERS:
        return
    registration_form_forget(slug=instance.slug)


@receiver([post_save, post_delete], sender=Session)
@receiver([post_save, post_delete], sender=Question)
@receiver([post_save, post_delete], sender=TicketType)
def _forget_form_of_event(sender, instance, **kwargs) -> None:
    if type(instance).event.is_cached(instance):
        slug = instance.event.slug
    else:
        slug = Event.objects.filter(pk=instance.event_id).values_list("slug", flat=True).first()
    if slug is not None:
        registration_form_forget(slug=slug)
