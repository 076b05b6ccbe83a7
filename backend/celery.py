"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in the web process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("huiguan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


app.conf.beat_schedule = {
    "expire-payment-holds": {"task": "registrations.tasks.expire_payment_holds", "schedule": 60.0},
}
