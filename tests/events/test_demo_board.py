"""The demo's notice board and bulletin: subscribers in three languages, two notices in three
languages on the board (each posted as one list message), one past issue readable per language."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from notifications.models import Bulletin, ListMessage, Notice, Subscription

pytestmark = pytest.mark.django_db


def test_demo_has_subscribers_two_notices_and_a_past_bulletin(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        call_command("demo_data", stdout=StringIO())
    subscribers = Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    assert sorted(subscribers.values_list("language", flat=True)) == ["en", "ja", "zh-hans"]
    notices = Notice.objects.filter(status=Notice.Status.PUBLISHED)
    assert notices.count() == 2
    for notice in notices:
        assert set(notice.title) == set(notice.body) == {"en", "zh-hans", "ja"}
        assert ListMessage.objects.filter(notice=notice).count() == 1
    issue = Bulletin.objects.get(status=Bulletin.Status.SENT)
    assert set(issue.contents) == {"en", "zh-hans", "ja"}
    for language, word in (("en", "Weekly Bulletin"), ("zh-hans", "每周简报"), ("ja", "週刊ニュース")):
        assert word in Client().get(f"/bulletin/{issue.pk}/?lang={language}").content.decode()
    board = Client().get("/notices/?lang=ja").content.decode()
    assert "木曜日の夜、三里屯路で断水" in board and "在留許可の相談窓口" in board
