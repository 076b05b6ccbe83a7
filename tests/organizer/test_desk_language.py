"""No English model or field name on a desk page while the UI speaks Chinese or Japanese.

Every translated msgid of the catalog that looks like a name (a few words, letters only) is
looked for as a whole text of the rendered page (a text node, or an aria-label / alt / title /
placeholder): "Capacity" or "Waiting list" left in English fails, naming the page."""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import timezone

from events.models import Question
from tests.factories import EventFactory, RegistrationFactory
from tests.organizer.helpers import desk_client, desk_world

pytestmark = pytest.mark.django_db

LOCALES = {"zh-hans": "zh_Hans", "ja": "ja"}
# Shown in English on purpose: the switcher names each language in itself.
ALLOWED = {"English"}
NAME_LIKE = re.compile(r"^[A-Za-z][A-Za-z' -]{2,40}$")
ATTRIBUTES = {"aria-label", "alt", "title", "placeholder"}


def english_names(locale: str) -> set[str]:
    path = Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        catalog = read_po(po)
    names = set()
    for message in catalog:
        if not isinstance(message.id, str) or not message.string or message.context:
            continue
        if NAME_LIKE.match(message.id) and len(message.id.split()) <= 4 and message.string != message.id:
            names.add(message.id)
    return names - ALLOWED


class Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(" ".join(data.split()).strip(" :·—()"))


def english_on(html: str, names: set[str]) -> list[str]:
    parser = Texts()
    parser.feed(html)
    return sorted({text for text in parser.texts if text in names})


def desk_pages(w) -> dict[str, tuple[str, str, dict | None]]:
    event = w.event
    session = event.sessions.get()
    day = (timezone.now() + dt.timedelta(days=9)).date().isoformat()
    generate = {
        "gen-preset": "weekly",
        "gen-count": "2",
        "gen-first_date": day,
        "gen-first_time": "19:00",
        "gen-duration_minutes": "60",
        "preview": "1",
    }
    base = f"/organizer/events/{event.slug}/"
    return {
        "home": ("get", "/organizer/", None),
        "new": ("get", "/organizer/events/new/", None),
        "new with errors": ("post", "/organizer/events/new/", {"title_en": "x"}),
        "overview": ("get", base, None),
        "edit": ("get", base + "edit/", None),
        "sessions": ("get", base + "sessions/", None),
        "session errors": ("post", base + "sessions/", {"add-date": "nope"}),
        "generate preview": ("post", base + "sessions/generate/", generate),
        "session": ("get", f"{base}sessions/{session.pk}/", None),
        "cancel": ("get", base + "cancel/", None),
        "duplicate": ("get", base + "duplicate/", None),
        "preview": ("get", base + "preview/", None),
        "questions": ("get", base + "questions/", None),
        "question new": ("get", base + "questions/new/", None),
        "question errors": ("post", base + "questions/new/", {"kind": "choice", "options_en": "one"}),
        "question": ("get", base + "questions/diet/", None),
    }


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_no_english_names_on_desk_pages(language):
    w = desk_world()
    RegistrationFactory(event=w.event)
    Question.objects.create(
        event=w.event, key="diet", kind="choice", label={"en": "Diet"}, choices=[{"value": "v", "label": {"en": "V"}}]
    )
    EventFactory(organization=w.org, status="draft", title={"en": "Only English"})
    names = english_names(LOCALES[language])
    assert {"Capacity", "Waiting list", "Price", "Venue"} <= names  # the scan looks for what matters
    client = desk_client(w.manager, language=language)
    found = {}
    for page, (method, url, data) in desk_pages(w).items():
        response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 400), (page, response.status_code)
        english = english_on(response.content.decode(), names)
        if english:
            found[page] = english
    for page, url in (("login", "/organizer/login/"), ("refused", "/organizer/")):
        user = None if page == "login" else w.volunteer
        english = english_on(desk_client(user, language=language).get(url).content.decode(), names)
        if english:
            found[page] = english
    assert not found, f"English on desk pages in {language}: {found}"


def test_the_scan_catches_an_english_label():
    names = english_names("ja")
    assert english_on("<main><label>Capacity</label><p>定員</p></main>", names) == ["Capacity"]
