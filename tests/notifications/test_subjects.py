"""Subjects are plain text: titles with &, <, > and quotes arrive as typed, in every language."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from notifications import messages, notices
from tests.factories import EventFactory, MembershipFactory, UserFactory
from tests.notifications.conftest import LANGUAGES, inbox

pytestmark = pytest.mark.django_db

HOSTILE = "Residence Permits: Q&A <Visa> \"Work\" & 'Study'"
TITLE = {"en": HOSTILE, "zh-hans": f"居留许可：{HOSTILE}", "ja": f"在留許可：{HOSTILE}"}
TEMPLATES = Path(messages.__file__).resolve().parent / "templates" / "notifications"


def register(event, email, language):
    from registrations import services as registration_services

    return registration_services.registration_create(
        event_id=event.pk, name="Lin", email=email, language=language, consents={"privacy": True}
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirmation_and_waitlisted_subjects_keep_the_title_as_typed(language, send_on_commit):
    event = EventFactory(title=TITLE, capacity=1)
    with send_on_commit():
        register(event, "first@example.org", language)
        register(event, "second@example.org", language)
    for address in ("first@example.org", "second@example.org"):
        (mail,) = inbox(address)
        assert TITLE[language] in mail.subject, mail.subject
        assert "&amp;" not in mail.subject and "&lt;" not in mail.subject and "&quot;" not in mail.subject
        assert "&#x27;" not in mail.subject and "&#39;" not in mail.subject
        # The bodies were already plain (layout.txt turns escaping off); the HTML part escapes.
        assert TITLE[language] in mail.text
        assert "Q&amp;A &lt;Visa&gt;" in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_announcement_subject_is_plain_text(language, send_on_commit):
    event = EventFactory(title=TITLE)
    manager = UserFactory()
    MembershipFactory(user=manager, organization=event.organization)
    register(event, "reader@example.org", language)
    with send_on_commit():
        notices.announcement_create(
            user=manager,
            event_slugs=[event.slug],
            subject={code: f"Change: {HOSTILE}" for code in LANGUAGES},
            body={code: "Room <B> & C" for code in LANGUAGES},
        )
    mail = next(m for m in inbox("reader@example.org") if m.message["X-Huiguan-Notification"] == "announcement")
    assert f"Change: {HOSTILE}" in mail.subject, mail.subject


def _variables(source: str) -> set[str]:
    return set(re.findall(r"{{\s*(\w+)", source)) | set(re.findall(r"with \w+=(\w+)", source))


def _subject_templates():
    """Those that show a variable (a fixed subject such as the calendar feed's has nothing to escape)."""
    return [path for path in sorted(TEMPLATES.glob("*/*.subject.txt")) if _variables(path.read_text())]


@pytest.mark.parametrize("path", _subject_templates(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_subject_template_renders_without_escaping(path):
    """Each subject template, with every variable it uses set to the hostile title."""
    context = dict.fromkeys(_variables(path.read_text()), HOSTILE)
    language, kind = path.parent.name, path.name.removesuffix(".subject.txt")
    with translation.override(language):
        subject = messages._render(kind, "subject.txt", language, context)
    assert HOSTILE in subject and "&amp;" not in subject, subject
