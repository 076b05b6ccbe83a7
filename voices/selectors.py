"""Reads of residents' comments: the desk's inbox, the public questions and answers, the reports,
the bulletin's answered questions, and one address's comments for the personal-data desk."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from organizations.models import Membership, Organization
from voices.models import Comment

Status = Comment.Status


def comment_inbox(*, organization_ids, status: str = "", topic: str = "", assignee: str = "") -> QuerySet[Comment]:
    """The desk's inbox over the organizations the reader manages, newest first, filtered.

    ``assignee``: a user id, ``"none"`` for comments nobody has taken, ``""`` for all.
    """
    comments = Comment.objects.filter(organization_id__in=organization_ids).select_related("organization", "assignee")
    if status in Status.values:
        comments = comments.filter(status=status)
    if topic in Comment.Topic.values:
        comments = comments.filter(topic=topic)
    if assignee == "none":
        comments = comments.filter(assignee__isnull=True)
    elif assignee.isdigit():
        comments = comments.filter(assignee_id=int(assignee))
    return comments.annotate(note_count=Count("notes")).order_by("-created_at", "-id")


def comment_counts(*, organization_ids) -> dict[str, int]:
    """How many comments are in each status (one query), and in all."""
    rows = Comment.objects.filter(organization_id__in=organization_ids).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Status.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts[status] for status in Status.values)
    return counts


def comment_for_desk(*, organization_ids, pk: int) -> Comment | None:
    """One comment if it is addressed to an organization the reader manages (else None: a 404)."""
    return (
        Comment.objects.filter(organization_id__in=organization_ids, pk=pk)
        .select_related("organization", "assignee", "replied_by")
        .prefetch_related("notes__author")
        .first()
    )


def assignable_members(*, organization_id: int) -> QuerySet[Membership]:
    """Who a comment of this organization can be given to: its owners and managers."""
    return (
        Membership.objects.filter(organization_id=organization_id, role__in=Membership.MANAGING_ROLES)
        .select_related("user")
        .order_by("user__username")
    )


def published_comments(*, organization: Organization | None = None) -> QuerySet[Comment]:
    """Answered questions made public (with the writer's consent), newest first. Callers show
    only topic, kind, text, reply and dates: never the email, which is the only personal datum."""
    comments = Comment.objects.filter(published=True).exclude(reply="").select_related("organization")
    if organization is not None:
        comments = comments.filter(organization=organization)
    return comments.order_by("-published_at", "-id")


def published_between(organization: Organization, start: dt.datetime, end: dt.datetime) -> QuerySet[Comment]:
    """For the Weekly Bulletin: the organization's comments published in ``[start, end)``, answered,
    oldest first. Only ``topic``, ``kind``, ``language``, ``text``, ``reply``, ``reply_language``
    and ``published_at`` are loaded: nothing personal reaches a bulletin."""
    return (
        Comment.objects.filter(
            organization=organization,
            published=True,
            published_at__gte=start,
            published_at__lt=end,
            status__in=[Status.ANSWERED, Status.CLOSED],
        )
        .exclude(reply="")
        .only("id", "organization_id", "topic", "kind", "language", "text", "reply", "reply_language", "published_at")
        .order_by("published_at", "id")
    )


def comment_by_token(*, token: str) -> Comment | None:
    if not token or len(token) > 64:
        return None
    return Comment.objects.filter(token=token).select_related("organization").first()


def comments_for_email(*, email: str) -> QuerySet[Comment]:
    """Every comment left with this address (the personal-data desk's export and erasure)."""
    return Comment.objects.filter(email=email.strip().lower()).select_related("organization").order_by("id")


@dataclass
class TopicCount:
    topic: str
    label: str
    received: int
    answered: int


def voices_report(*, organization: Organization, start: dt.datetime, end: dt.datetime) -> dict:
    """Comments received in ``[start, end)``: per topic (received, answered), and the time from
    receipt to the first answer (median and mean, in hours) over those answered."""
    comments = Comment.objects.filter(organization=organization, created_at__gte=start, created_at__lt=end)
    rows = comments.values("topic").annotate(
        received=Count("id"), answered=Count("id", filter=Q(first_answered_at__isnull=False))
    )
    by_topic = {row["topic"]: row for row in rows}
    topics = [
        TopicCount(
            topic=value, label=str(label), received=by_topic[value]["received"], answered=by_topic[value]["answered"]
        )
        for value, label in Comment.Topic.choices
        if value in by_topic
    ]
    waits = [
        (answered - received).total_seconds() / 3600
        for received, answered in comments.filter(first_answered_at__isnull=False).values_list(
            "created_at", "first_answered_at"
        )
    ]
    return {
        "received": sum(topic.received for topic in topics),
        "answered": sum(topic.answered for topic in topics),
        "open": comments.filter(status__in=[Status.NEW, Status.IN_PROGRESS]).count(),
        "topics": topics,
        "median_hours_to_answer": round(statistics.median(waits), 1) if waits else None,
        "mean_hours_to_answer": round(statistics.fmean(waits), 1) if waits else None,
    }
