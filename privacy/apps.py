from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self):
        from privacy.admin import contribute_actions

        contribute_actions()
