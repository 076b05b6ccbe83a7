"""The comments API's input and output. Shapes only: the rules are in ``voices.services``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.i18n import CONTENT_LANGUAGE_CHOICES
from voices.models import MAX_TEXT, Comment


class CommentCreateSerializer(serializers.Serializer):
    organization = serializers.SlugField(help_text=_("The office the message is for (its slug)."))
    topic = serializers.ChoiceField(choices=Comment.Topic.choices)
    kind = serializers.ChoiceField(choices=Comment.Kind.choices, default=Comment.Kind.COMMENT)
    text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=True)
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGE_CHOICES, required=False)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    publish_consent = serializers.BooleanField(default=False)


class CommentCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    private_url = serializers.CharField(help_text=_("Your private page with the status and the answer."))


class PublishedCommentSerializer(serializers.Serializer):
    """A published question and answer: never the address, nothing about who wrote it."""

    id = serializers.IntegerField()
    organization = serializers.CharField(source="organization.slug")
    topic = serializers.CharField()
    kind = serializers.CharField()
    language = serializers.CharField()
    text = serializers.CharField()
    reply = serializers.CharField()
    reply_language = serializers.CharField()
    published_at = serializers.DateTimeField()
