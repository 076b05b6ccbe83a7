"""Send what is left in the outbox, once: for setups without Celery beat (the embedded default)."""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = "Record due reminders and feedback requests, then send pending notifications that are due."

    def handle(self, *args, **options):
        reminders = services.reminders_enqueue()
        feedback = services.feedback_requests_enqueue()
        sent = services.notifications_sweep()
        self.stdout.write(f"reminders recorded: {reminders}, feedback requests recorded: {feedback}, sent: {sent}")
