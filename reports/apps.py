from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Participation reports: figures aggregated in the database, CSV, charts, certificates.

    An app of its own because every report reads across events, registrations, check-ins and
    feedback, and none of those apps should depend on the others' reporting needs.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"
