from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checkin"
    verbose_name = _("Check-in")

    def ready(self):
        from checkin import signals  # noqa: F401 - drops cached sessions when sessions or events change
