"""Anonymise registrations past the retention period, once: for setups without Celery beat (the embedded default)."""

from django.core.management.base import BaseCommand

from privacy import services
from registrations.consent import anonymise_after_days


class Command(BaseCommand):
    help = "Anonymise the registrations of events that ended more than ANONYMISE_AFTER_DAYS days ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Override ANONYMISE_AFTER_DAYS for this run.")

    def handle(self, *args, days=None, **options):
        days = anonymise_after_days() if days is None else days
        if days < 1:
            self.stderr.write("--days must be at least 1.")
            return
        count = services.registrations_anonymise_due(days=days)
        self.stdout.write(f"registrations anonymised: {count} (events ended over {days} days ago)")
