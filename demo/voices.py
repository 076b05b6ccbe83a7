"""The demo's residents' comments and demands: three messages in three languages, one of them
answered and published on /voices/, one being worked on (assigned, with a note), one new."""

from __future__ import annotations

from organizations.models import Organization
from voices import services
from voices.models import Comment

ANSWERED_QUESTION = "我刚搬到朝阳区，租房后需要在多长时间内办理住宿登记？在哪里办理？"
ANSWER = (
    "您好！境外人员入住后须在24小时内（在城市地区）到居住地派出所办理住宿登记。"
    "请携带护照和租房合同。如果住在酒店，酒店会为您办理。"
)
DEMAND = (
    "Please add English signs at the Sanlitun community service centre. The queue numbers and the "
    "counters are only labelled in Chinese, and newcomers do not know where to go."
)
NOTE = "Ask the centre's manager whether bilingual signs are already planned for the spring refit."
COMMENT = "先週の日本語の子育て相談会はとても役に立ちました。毎月開催していただけると嬉しいです。"


def load_voices(*, organization: Organization, owner) -> list[Comment]:
    """Three comments through the same use cases the pages and the desk call (receipts included)."""
    answered = services.comment_create(
        organization_id=organization.pk,
        topic=Comment.Topic.HOUSING,
        kind=Comment.Kind.QUESTION,
        text=ANSWERED_QUESTION,
        language="zh-hans",
        email="li.wei@example.cn",
        publish_consent=True,
    )
    services.comment_reply_send(comment_id=answered.pk, user=owner, text=ANSWER, language="zh-hans")
    services.comment_publish(comment_id=answered.pk, user=owner, published=True)
    demand = services.comment_create(
        organization_id=organization.pk,
        topic=Comment.Topic.PUBLIC_SERVICES,
        kind=Comment.Kind.DEMAND,
        text=DEMAND,
        language="en",
        email="",
        publish_consent=True,
    )
    services.comment_assign(comment_id=demand.pk, user=owner, assignee_id=owner.pk)
    services.note_add(comment_id=demand.pk, user=owner, text=NOTE)
    comment = services.comment_create(
        organization_id=organization.pk,
        topic=Comment.Topic.EVENTS,
        kind=Comment.Kind.COMMENT,
        text=COMMENT,
        language="ja",
        email="",
        publish_consent=False,
    )
    return [answered, demand, comment]
