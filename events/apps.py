from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = _("Events and courses")

    def ready(self):
        from events import signals  # noqa: F401 - drops cached registration forms when events change
