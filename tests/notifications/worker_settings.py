"""The production settings for the integration test's worker, with a one-second retry backoff."""

from backend.settings import *  # noqa: F403

NOTIFICATION_RETRY_BASE_SECONDS = 1
