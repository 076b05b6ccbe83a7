"""Small, idempotent tasks of the events app."""

from __future__ import annotations

import logging

from celery import shared_task

from events import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sweep_orphan_images() -> int:
    """Beat (daily): delete event image files no event refers to any more."""
    deleted = services.event_images_sweep()
    if deleted:
        logger.info("Deleted %d orphan event image file(s).", len(deleted))
    return len(deleted)
