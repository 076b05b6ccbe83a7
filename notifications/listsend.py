"""List sending: one message (a notice, a bulletin issue) to many subscribers, each copy once.

The contract the desks post through (``post``) is fixed here; the machinery behind it
(``start``: recipients written as ListDelivery rows in chunks, each chunk sent over one SMTP
connection, the sweeper) is filled in by the list-sending work (issue 14, item 5).

``rendered`` is ``{language: {"subject": str, "text": str, "html": str}}`` for every language a
subscriber may read (en, zh-hans, ja); the per-recipient parts are placeholders filled in when a
copy is sent: ``[[unsubscribe_url]]`` and ``[[preferences_url]]``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from notifications.models import Bulletin, ListMessage, Notice
from organizations.models import Organization

PLACEHOLDERS = ("[[unsubscribe_url]]", "[[preferences_url]]")


def post(
    *,
    organization: Organization,
    dedupe_key: str,
    rendered: dict[str, dict[str, str]],
    notice: Notice | None = None,
    bulletin: Bulletin | None = None,
) -> ListMessage:
    """Record one list message inside the caller's transaction; its sending starts on commit.

    Exactly one of ``notice`` / ``bulletin`` names what is sent, and so who receives it (the
    confirmed subscribers of that notice's category, or of the bulletin). Posting the same
    ``dedupe_key`` twice returns the first message: nothing is sent twice.
    """
    if (notice is None) == (bulletin is None):
        raise ValueError("a list message sends either a notice or a bulletin")
    existing = ListMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = ListMessage.objects.create(
                organization=organization,
                dedupe_key=dedupe_key,
                rendered=rendered,
                notice=notice,
                bulletin=bulletin,
            )
    except IntegrityError:  # the same key posted concurrently: theirs wins
        return ListMessage.objects.get(dedupe_key=dedupe_key)
    message_id = message.pk
    transaction.on_commit(lambda: start(message_id))
    return message


def start(message_id: int) -> None:
    """Begin sending a posted message (after commit). Filled in by the list-sending work."""
