"""Registration questions on the desk: saved through the API's service, keys stable, answers kept."""

import pytest

from audit.models import AuditAction, AuditEntry
from events.models import Question
from tests.factories import RegistrationFactory
from tests.organizer.helpers import desk_client, desk_world

pytestmark = pytest.mark.django_db


def question_post(**overrides) -> dict:
    data = {
        "label_en": "Dietary needs",
        "label_zh-hans": "饮食要求",
        "label_ja": "食事の制限",
        "kind": "text",
        "options_en": "",
        "options_zh-hans": "",
        "options_ja": "",
    }
    data.update(overrides)
    return data


def base(w):
    return f"/organizer/events/{w.event.slug}/questions/"


def test_add_a_text_question_and_a_choice_in_three_languages():
    w = desk_world()
    client = desk_client(w.manager, language="zh-hans")
    page = client.get(base(w))
    assert page.status_code == 200 and "添加问题" in page.content.decode()
    response = client.post(base(w) + "new/", question_post(required="on", show_at_checkin="on"))
    assert response.status_code == 302 and response["Location"] == base(w)
    choice = question_post(
        label_en="Level",
        **{"label_zh-hans": "水平", "label_ja": "レベル"},
        kind="choice",
        options_en="Beginner\nIntermediate",
        **{"options_zh-hans": "初级\n中级", "options_ja": "初級\n中級"},
    )
    assert client.post(base(w) + "new/", choice).status_code == 302
    first, second = w.event.questions.order_by("position")
    assert (first.key, first.kind, first.required, first.show_at_checkin) == ("dietary-needs", "text", True, True)
    assert first.label == {"en": "Dietary needs", "zh-hans": "饮食要求", "ja": "食事の制限"}
    assert second.key == "level" and second.position == 1
    assert second.choices == [
        {"value": "beginner", "label": {"en": "Beginner", "zh-hans": "初级", "ja": "初級"}},
        {"value": "intermediate", "label": {"en": "Intermediate", "zh-hans": "中级", "ja": "中級"}},
    ]
    assert AuditEntry.objects.filter(action=AuditAction.EVENT_QUESTIONS, event=w.event).count() == 2
    listing = client.get(base(w)).content.decode()
    assert "饮食要求" in listing and "水平" in listing


def test_a_change_keeps_the_key_and_the_option_values_so_answers_stay_readable():
    w = desk_world()
    client = desk_client(w.owner)
    client.post(base(w) + "new/", question_post(label_en="Level", kind="choice", options_en="Beginner\nAdvanced"))
    registration = RegistrationFactory(event=w.event, answers={"level": "advanced"})
    changed = question_post(label_en="Your level", kind="choice", options_en="New to it\nAdvanced\nNative")
    assert client.post(base(w) + "level/", changed).status_code == 302
    question = w.event.questions.get()
    assert question.key == "level"
    assert [c["value"] for c in question.choices] == ["beginner", "advanced", "native"]
    registration.refresh_from_db()
    assert registration.answers == {"level": "advanced"}


def test_reorder_and_remove():
    w = desk_world()
    client = desk_client(w.manager)
    for label in ("Alpha", "Beta", "Gamma"):
        client.post(base(w) + "new/", question_post(label_en=label))
    assert client.post(base(w) + "gamma/move/", {"direction": "up"}).status_code == 302
    assert list(w.event.questions.order_by("position").values_list("key", flat=True)) == ["alpha", "gamma", "beta"]
    client.post(base(w) + "alpha/move/", {"direction": "up"})  # already first: nothing moves
    assert client.post(base(w) + "gamma/delete/").status_code == 302
    assert list(w.event.questions.order_by("position").values_list("key", flat=True)) == ["alpha", "beta"]
    assert client.get(base(w) + "gamma/").status_code == 404


def test_clear_errors_in_the_readers_language():
    w = desk_world()
    client = desk_client(w.manager, language="ja")
    no_default = question_post(label_en="", **{"label_zh-hans": "", "label_ja": "質問"})
    w.event.default_language = "en"
    w.event.save(update_fields=["default_language"])
    response = client.post(base(w) + "new/", no_default)
    assert response.status_code == 400
    one_option = question_post(kind="choice", options_en="Only one")
    response = client.post(base(w) + "new/", one_option)
    assert response.status_code == 400
    body = response.content.decode()
    assert "選択肢は2つ以上必要です" in body
    assert not Question.objects.exists()


def test_only_the_events_own_managers():
    w = desk_world()
    assert desk_client(w.other).get(base(w)).status_code == 404
    assert desk_client(w.other).post(base(w) + "new/", question_post()).status_code == 404
    assert desk_client(w.volunteer).get(base(w)).status_code == 403
    assert desk_client().get(base(w)).status_code == 302
    assert not Question.objects.exists()
