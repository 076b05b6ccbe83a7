"""Building the emails about a resident's comment (``voices``): the receipt with its private link,
and the office's answer. These rows name no registration: everything comes from the comment.

The language was resolved once, when the row was written (``outbox.notify_comment``): the
resident's language for the receipt, the reply's language for the answer. The templates
(``notifications/voices/<kind>.*``) use ``{% translate %}`` and are rendered under that language;
the answer's text is the one frozen in ``params`` when it was sent, so a later edit on the desk
does not change an email already queued.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from common.i18n import pick
from notifications.messages import Built, Skip, transactional_email
from notifications.models import Notification

Kind = Notification.Kind
KINDS = frozenset({Kind.VOICE_RECEIVED, Kind.VOICE_REPLY})


def comment_url(token: str, language: str) -> str:
    """The resident's private page for one comment (status and answer), in their language."""
    return f"{settings.SITE_URL}{reverse('pages:voice-mine', kwargs={'token': token})}?lang={language}"


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render(*, comment, kind: str, language: str, reply: str = "") -> tuple[str, str, str]:
    """Subject, text and HTML of one message about ``comment``, as its reader gets it in
    ``language`` (also the desk's preview of an answer before it is sent)."""
    organization = comment.organization
    with translation.override(language):
        context = {
            "language": language,
            "org_name": pick(organization.name, language, [organization.default_language]) or organization.slug,
            "org_email": organization.contact_email,
            "kind_label": comment.get_kind_display(),
            "topic_label": comment.get_topic_display(),
            "text": comment.text,
            "reply": reply,
            "url": comment_url(comment.token, language),
            "comment_id": comment.pk,
        }
        base = f"notifications/voices/{kind}"
        subject = get_template(f"{base}.subject.txt").template.render(Context(context, autoescape=False))
        subject = re.sub(r"\s+", " ", subject).strip()[:300]
        text = _tidy(get_template(f"{base}.txt").render(context))
        html = get_template(f"{base}.html").render(context)
    return subject, text, html


def build(notification: Notification, *, now: dt.datetime | None = None) -> Built:
    """The email for one comment row, or ``Skip`` when its address is gone (erased) or it was never one."""
    comment = notification.comment
    if comment is None or not comment.email or comment.email != notification.recipient:
        raise Skip("the comment's address was removed")
    organization = comment.organization
    language = notification.language
    subject, text, html = render(
        comment=comment, kind=notification.kind, language=language, reply=notification.params.get("reply", "")
    )
    message = transactional_email(
        notification, subject=subject, text=text, html=html, reply_to=organization.contact_email
    )
    return Built(message=message, subject=subject)
