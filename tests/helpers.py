"""Shared test helpers (scenarios used by several test files). Fixtures live in conftest."""

from __future__ import annotations

from django.utils import timezone

from notifications.models import Notice


def notice_in(organization, *, status: str = Notice.Status.PUBLISHED, **fields) -> Notice:
    """A notice of ``organization`` (published now unless told), written in English, Chinese and Japanese."""
    values = {
        "category": Notice.Category.SERVICE,
        "title": {"en": "Office hours change", "zh-hans": "办公时间调整", "ja": "窓口時間の変更"},
        "body": {"en": "Open 9 to 5.", "zh-hans": "九点至五点开放。", "ja": "9時から17時まで。"},
        **fields,
    }
    values.setdefault("published_at", timezone.now() if status != Notice.Status.DRAFT else None)
    return Notice.objects.create(organization=organization, status=status, **values)
