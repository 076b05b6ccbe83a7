from django.apps import AppConfig


class CheckinConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checkin"

    def ready(self):
        from checkin import signals  # noqa: F401 - drops cached sessions when sessions or events change
