import re

import pytest
from django.test import Client

from events.models import Question
from registrations.models import Registration
from tests.factories import EventFactory, QuestionFactory


@pytest.fixture
def zh_client():
    """A browser that chose 简体中文 with the language switcher (the cookie set_language sets)."""
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.fixture
def event(db):
    """A free event with a required choice question, an optional text question and a checkbox."""
    event = EventFactory(
        slug="tea-evening",
        title={"en": "Tea evening", "zh-hans": "茶艺之夜", "ja": "お茶の夕べ"},
        description={"en": "We drink tea together.", "zh-hans": "一起喝茶。"},
        capacity=10,
        max_guests=2,
    )
    QuestionFactory(
        event=event,
        key="nationality",
        kind=Question.Kind.CHOICE,
        required=True,
        position=1,
        label={"en": "Where are you from?", "zh-hans": "您来自哪里？", "ja": "出身は？"},
        choices=[
            {"value": "jp", "label": {"en": "Japan", "zh-hans": "日本", "ja": "日本"}},
            {"value": "de", "label": {"en": "Germany", "zh-hans": "德国", "ja": "ドイツ"}},
        ],
    )
    QuestionFactory(
        event=event, key="diet", position=2, label={"en": "Food allergies?", "zh-hans": "食物过敏？"}, required=False
    )
    QuestionFactory(
        event=event,
        key="photos",
        kind=Question.Kind.CHECKBOX,
        position=3,
        label={"en": "You may take photos of me", "zh-hans": "可以给我拍照"},
    )
    return event


def form_data(**overrides):
    data = {
        "name": "Li Na",
        "email": "lina@example.org",
        "answer_nationality": "jp",
        "answer_diet": "",
        "privacy": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def html(response) -> str:
    return response.content.decode()


def manage_url(registration):
    return f"/manage/{registration.manage_token}/"


@pytest.fixture
def registered(client, event):
    """Li Na registered for the tea evening with a guest, through the page."""
    response = client.post(f"/events/{event.slug}/register/", form_data(guests="Wang Wei"))
    assert response.status_code == 302
    return Registration.objects.get(email="lina@example.org")


def field_block(page: str, name: str) -> str:
    """The markup of the form field named ``name`` (label, help, errors and widget together)."""
    for chunk in re.split(r'(?=<div class="field )', page):
        if chunk.startswith('<div class="field ') and f'name="{name}"' in chunk:
            return chunk
    raise AssertionError(f"no field {name!r} on the page")


def field_errors(page: str, name: str) -> list[str]:
    block = field_block(page, name)
    match = re.search(r'<ul class="errors" id="[^"]+">(.*?)</ul>', block, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def text(response_or_page) -> str:
    """The page's visible text: tags dropped, whitespace collapsed."""
    page = response_or_page if isinstance(response_or_page, str) else html(response_or_page)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page)).replace("&amp;", "&")
