"""Use cases of residents' comments and demands: writing one, and the desk's work on it.

Each desk use case is one transaction that locks the comment row (``select_for_update``) before
reading its state, asks ``organizations.access`` whether the user manages the comment's
organization, changes the row, appends its audit entry, and records any email through
``notifications.outbox`` (sent after commit). Nothing else is locked, so these never wait on an
event lock. Status rules: new → in progress → answered → closed; "answered" is reached only by
sending an answer; a closed or answered comment can be taken up again (in progress).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import record
from common.exceptions import Forbidden, InvalidInput, InvalidTransition, NotFound
from common.i18n import normalize_language
from notifications import outbox
from organizations import access
from organizations.models import Membership, Organization
from voices.models import MAX_NOTE, MAX_REPLY, MAX_TEXT, MIN_TEXT, Comment, Note

Status = Comment.Status

# Which status a person may move a comment to, from each status. ANSWERED is not in any set:
# only ``comment_reply_send`` reaches it.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.NEW, Status.CLOSED}),
    Status.ANSWERED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def comment_label(comment: Comment) -> str:
    """The audit log's label: the number and topic, nothing the resident wrote."""
    return f"#{comment.pk} · {comment.topic}"


def clean_text(text: str, *, minimum: int, maximum: int, field: str) -> str:
    text = (text or "").strip()
    if len(text) < minimum:
        raise InvalidInput(fields={field: [_("Please write at least %(n)d characters.") % {"n": minimum}]})
    if len(text) > maximum:
        raise InvalidInput(fields={field: [_("Please keep it under %(n)d characters.") % {"n": maximum}]})
    return text


# --- residents ----------------------------------------------------------------------------------


@transaction.atomic
def comment_create(
    *,
    organization_id: int | None,
    topic: str,
    kind: str,
    text: str,
    language: str,
    email: str = "",
    publish_consent: bool = False,
) -> Comment:
    """A resident writes to an office. With an address, a receipt carrying the private link is
    recorded in the outbox (sent after commit). No lock: a new row conflicts with nothing."""
    errors: dict[str, list[str]] = {}
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        errors["organization"] = [_("Please choose an office.")]
    if topic not in Comment.Topic.values:
        errors["topic"] = [_("Please choose a topic.")]
    if kind not in Comment.Kind.values:
        errors["kind"] = [_("Please choose what kind of message this is.")]
    try:
        text = clean_text(text, minimum=MIN_TEXT, maximum=MAX_TEXT, field="text")
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    comment = Comment.objects.create(
        organization=organization,
        topic=topic,
        kind=kind,
        text=text,
        language=normalize_language(language) or settings.LANGUAGE_CODE,
        email=(email or "").strip().lower(),
        publish_consent=bool(publish_consent),
    )
    outbox.notify_comment(comment=comment, kind=outbox.Kind.VOICE_RECEIVED)
    return comment


# --- the desk -----------------------------------------------------------------------------------


def _locked(*, comment_id: int, user) -> Comment:
    """The comment row, locked, if ``user`` manages its organization. Caller holds the transaction.

    A comment of another organization is a NotFound, the same as one that does not exist."""
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None or not access.can_manage(user=user, organization_id=comment.organization_id):
        raise NotFound(_("No such comment."))
    return comment


def _audit(*, user, action: AuditAction, comment: Comment, details: dict | None = None) -> None:
    record(
        actor=user,
        action=action,
        organization_id=comment.organization_id,
        target_type="comment",
        target_id=comment.pk,
        target_label=comment_label(comment),
        details=details,
    )


@transaction.atomic
def comment_set_status(*, comment_id: int, user, status: str) -> Comment:
    """Move a comment along (see ``TRANSITIONS``). Locks the comment row."""
    comment = _locked(comment_id=comment_id, user=user)
    if status == comment.status:
        return comment
    if status not in TRANSITIONS.get(comment.status, frozenset()):
        if status == Status.ANSWERED:
            raise InvalidTransition(_("A comment becomes answered when you send the answer."))
        raise InvalidTransition()
    before = comment.status
    comment.status = status
    comment.save(update_fields=["status", "updated_at"])
    _audit(user=user, action=AuditAction.VOICE_STATUS, comment=comment, details={"status": [before, status]})
    return comment


@transaction.atomic
def comment_assign(*, comment_id: int, user, assignee_id: int | None) -> Comment:
    """Give the comment to an owner or manager of its organization (None: to nobody). A new
    comment that someone takes is in progress. Locks the comment row."""
    comment = _locked(comment_id=comment_id, user=user)
    if assignee_id is not None:
        member = Membership.objects.filter(
            organization_id=comment.organization_id, user_id=assignee_id, role__in=Membership.MANAGING_ROLES
        ).exists()
        if not member:
            raise InvalidInput(fields={"assignee": [_("Choose a member of this organization's team.")]})
    if comment.assignee_id == assignee_id:
        return comment
    before = comment.assignee_id
    comment.assignee_id = assignee_id
    fields = ["assignee", "updated_at"]
    if assignee_id is not None and comment.status == Status.NEW:
        comment.status = Status.IN_PROGRESS
        fields.append("status")
    comment.save(update_fields=fields)
    _audit(user=user, action=AuditAction.VOICE_ASSIGN, comment=comment, details={"assignee": [before, assignee_id]})
    return comment


@transaction.atomic
def note_add(*, comment_id: int, user, text: str) -> Note:
    """An internal note, for the team only. Locks the comment row."""
    comment = _locked(comment_id=comment_id, user=user)
    text = clean_text(text, minimum=1, maximum=MAX_NOTE, field="note")
    note = Note.objects.create(comment=comment, author=user, text=text)
    _audit(user=user, action=AuditAction.VOICE_NOTE, comment=comment, details={"note": note.pk})
    return note


@transaction.atomic
def comment_reply_send(*, comment_id: int, user, text: str, language: str, now: dt.datetime | None = None) -> Comment:
    """Answer the resident: the reply is stored (it shows on their private page) and, if they
    left an address, mailed to it in ``language`` through the outbox after commit. Sending a
    corrected answer later is a new email. The comment becomes answered. Locks the comment row."""
    comment = _locked(comment_id=comment_id, user=user)
    text = clean_text(text, minimum=1, maximum=MAX_REPLY, field="reply")
    language = normalize_language(language)
    if language is None:
        raise InvalidInput(fields={"language": [_("Choose the language of the answer.")]})
    now = now or timezone.now()
    before = comment.status
    comment.reply = text
    comment.reply_language = language
    comment.replied_by = user
    comment.replied_at = now
    comment.first_answered_at = comment.first_answered_at or now
    comment.status = Status.ANSWERED
    comment.save(
        update_fields=[
            "reply",
            "reply_language",
            "replied_by",
            "replied_at",
            "first_answered_at",
            "status",
            "updated_at",
        ]
    )
    mailed = outbox.notify_comment(
        comment=comment,
        kind=outbox.Kind.VOICE_REPLY,
        params={"reply": text},
        suffix=f"at-{int(now.timestamp() * 1000)}",
    )
    _audit(
        user=user,
        action=AuditAction.VOICE_REPLY,
        comment=comment,
        details={"language": language, "status": [before, comment.status], "mailed": mailed is not None},
    )
    return comment


@transaction.atomic
def comment_publish(*, comment_id: int, user, published: bool, now: dt.datetime | None = None) -> Comment:
    """Show the question and its answer on ``/voices/`` (never the address), or take them down.
    Only with the writer's consent and once answered. Locks the comment row."""
    comment = _locked(comment_id=comment_id, user=user)
    if published == comment.published:
        return comment
    if published and not comment.publish_consent:
        raise Forbidden(_("The resident did not agree to publication."))
    if published and not comment.reply:
        raise InvalidTransition(_("Answer the comment before publishing it."))
    comment.published = published
    comment.published_at = (now or timezone.now()) if published else None
    comment.save(update_fields=["published", "published_at", "updated_at"])
    action = AuditAction.VOICE_PUBLISH if published else AuditAction.VOICE_UNPUBLISH
    _audit(user=user, action=action, comment=comment)
    return comment


# --- personal data ------------------------------------------------------------------------------


def _erase(*, ids: list[int]) -> None:
    """Blank what identifies the writer of these comments (caller holds their row locks)."""
    outbox.comment_messages_erase(comment_ids=ids)
    Comment.objects.filter(pk__in=ids).update(
        email="",
        text="",
        reply="",
        published=False,
        published_at=None,
        publish_consent=False,
        updated_at=timezone.now(),
    )
    Note.objects.filter(comment_id__in=ids).update(text="")


@transaction.atomic
def comment_erase(*, token: str) -> Comment | None:
    """The writer erases one comment from its private page (the token is the proof): its address,
    text and answer are blanked and it leaves the public page; topic, kind and dates stay for the
    reports. Locks the comment row. None for an unknown token. Idempotent."""
    comment = Comment.objects.select_for_update().filter(token=token).first() if token else None
    if comment is None:
        return None
    _erase(ids=[comment.pk])
    comment.refresh_from_db()
    return comment


@transaction.atomic
def comments_erase_for_email(*, email: str) -> int:
    """Erase the address from every comment left with it, unpublish them, and blank their text and
    answer (the text can identify its writer). Topic, kind, language and dates stay for the
    reports; pending emails to the address are skipped. Returns how many comments. Idempotent."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    comments = Comment.objects.select_for_update().filter(email=email)
    ids = list(comments.values_list("pk", flat=True))
    if not ids:
        return 0
    _erase(ids=ids)
    return len(ids)
