"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in the web process."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("huiguan")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A task lives beside the function it runs (its name= keeps the name it was first queued under);
# these are the modules that hold them, imported when a worker or beat starts.
app.conf.imports = (
    "events.services",
    "registrations.services.register",
    "registrations.services.payments",
    "registrations.services.refunds",
    "notifications.sending",
    "notifications.listsend",
    "notifications.services",
    "privacy.services",
    "notifications.bulletins",  # board: the weekly bulletin's beat task
)
app.autodiscover_tasks()

# Celery's Django fixup closes every database connection before and after every task, so each
# task opens a new PostgreSQL connection (~20 ms, more than most of our tasks take). Keep them
# the way Django does for requests instead: CONN_MAX_AGE and CONN_HEALTH_CHECKS, applied around
# each task by close_old_connections(). (The fixup then only recycles every 2 × this many tasks.)
app.conf.db_reuse_max = 10_000

# The worker touches a file from its consumer's event loop; `python -m backend.worker_liveness` is the probe.
# A dotted name, not the class: importing it here would make `python -m backend.worker_liveness` import itself twice.
app.steps["consumer"].add("backend.worker_liveness:LivenessFile")


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender=None, **kwargs) -> None:
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # eager tasks run inside the caller's request and transaction: leave its connection alone
    from django.db import close_old_connections

    close_old_connections()


app.conf.beat_schedule = {
    "expire-payment-holds": {"task": "registrations.tasks.expire_payment_holds", "schedule": 60.0},
    # Refunds always finish: re-queue refund_pending rows the queue missed or Stripe refused.
    "sweep-refunds": {"task": "registrations.tasks.refunds_sweep", "schedule": 120.0},
    # The outbox (notifications/): leftovers and retries, reminders before sessions, feedback after events.
    "sweep-notifications": {
        "task": "notifications.tasks.sweep_notifications",
        "schedule": settings.NOTIFICATION_SWEEP_SECONDS,
    },
    # List sending (notifications/listsend.py): lost preparations, chunks past their time or lease.
    "sweep-list-messages": {"task": "notifications.tasks.sweep_list_messages", "schedule": 60.0},
    "send-reminders": {"task": "notifications.tasks.send_reminders", "schedule": 300.0},
    "send-feedback-requests": {"task": "notifications.tasks.send_feedback_requests", "schedule": 900.0},
    "send-certificates": {"task": "notifications.tasks.send_certificates", "schedule": 900.0},
    # Personal data: registrations of events over for ANONYMISE_AFTER_DAYS lose name, email, answers.
    "anonymise-old-registrations": {
        "task": "registrations.tasks.anonymise_old_registrations",
        "schedule": crontab(hour=3, minute=30),
    },
    # Image files a rolled-back or killed upload left behind (events/services.event_images_sweep).
    "sweep-orphan-images": {"task": "events.tasks.sweep_orphan_images", "schedule": crontab(hour=4, minute=10)},
    # board: each organization's Weekly Bulletin at its weekday and hour, in its time zone (notifications/bulletins.py).
    "send-bulletins": {"task": "notifications.tasks.send_bulletins", "schedule": crontab(minute="*/15")},
}
