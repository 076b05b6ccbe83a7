"""Helpers for the voices tests: the world (two offices and their teams) and comments in it."""

from __future__ import annotations

from types import SimpleNamespace

from tests.organizer.helpers import desk_world
from voices.models import Comment


def voices_world() -> SimpleNamespace:
    """Two offices; an owner, a manager and a volunteer of the first, a manager of the second."""
    return desk_world(
        events=False,
        slug="foreign-affairs",
        name={"en": "Foreign Affairs Office", "zh-hans": "外事办公室", "ja": "外事弁公室"},
    )


def make_comment(organization, **fields) -> Comment:
    """A comment as a resident left it (straight to the table: no receipt email)."""
    values = {
        "topic": Comment.Topic.HOUSING,
        "kind": Comment.Kind.QUESTION,
        "text": "Where can I register my new address after moving?",
        "language": "en",
        "email": "",
        "publish_consent": False,
        **fields,
    }
    return Comment.objects.create(organization=organization, **values)
