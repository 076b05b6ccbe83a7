"""The Django admin speaks the UI language: no English app, model, field or choice name on the admin
index, on any model's list, add or change page, while the UI is in Chinese or Japanese.

The English names are collected from the models themselves (verbose names of every app, model and
field of the project's apps, and the labels of their choices), so a field added tomorrow without a
translated name fails here. A page fails if one of them is a whole text of the page (a text node, a
button, a title or label attribute), or sits inside a translated sentence ("选择 event 来修改",
"以 Status"). Content values (an event's title, a time-zone name, a username) are not names."""

from __future__ import annotations

import re
import zoneinfo
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import CharField, TextField
from django.forms.utils import pretty_name
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from audit.models import AuditAction, AuditEntry
from notifications.models import Announcement, Feedback, Notification
from organizations.models import ApiToken, Membership, token_digest
from registrations.models import Payment, StripeEvent
from tests.factories import (
    CategoryFactory,
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    UserFactory,
    VenueFactory,
)
from tests.organizer.helpers import desk_client

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("common", "organizations", "audit", "events", "registrations", "checkin", "notifications")
LANGUAGES = ("zh-hans", "ja")
# The same in every language on purpose: a brand, and a word Japanese offices write in Latin letters.
SAME_ON_PURPOSE = {"Stripe", "OK"}
# Keys of the JSON a help text shows by example (a question's choices: [{"value": …, "label": …}]):
# code, not English, in any language; a field of that name elsewhere is still checked by its label.
JSON_KEYS = {"Value", "Label"}
ATTRIBUTES = {"aria-label", "alt", "title", "placeholder"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def project_names() -> list[tuple[str, Promise | str]]:
    """(where, name) of every app, model, field and choice label of the project's apps."""
    names = []
    for label in PROJECT_APPS:
        config = apps.get_app_config(label)
        names.append((label, config.verbose_name))
        for model in config.get_models():
            where = f"{label}.{model.__name__}"
            names += [(where, model._meta.verbose_name), (f"{where} (plural)", model._meta.verbose_name_plural)]
            for field in model._meta.get_fields():
                if field.auto_created:
                    continue  # reverse relations and the id: Django names them
                names.append((f"{where}.{field.name}", field.verbose_name))
                for _value, choice in field.flatchoices or ():
                    names.append((f"{where}.{field.name} choice", choice))
    return names


def attribute_names() -> set[str]:
    """What Django shows for a field nobody named ("Created at", "Checkin opens minutes")."""
    return {
        pretty_name(field.name)
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.get_fields()
        if not field.auto_created
    }


def english_names(language: str) -> set[str]:
    """The English names that read differently in ``language`` (none of them may show there), and
    the attribute names Django falls back to."""
    found = attribute_names()
    for _where, name in project_names():
        with translation.override("en"):
            english = capfirst(str(name))
        with translation.override(language):
            translated = capfirst(str(name))
        if translated != english:
            found.add(english)
    return found


def project_msgids(locale: str) -> set[str]:
    with (Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po").open("rb") as po:
        return {message.id for message in read_po(po) if isinstance(message.id, str) and message.string}


def test_every_name_is_translated():
    for language, locale in (("zh-hans", "zh_Hans"), ("ja", "ja")):
        # Our own catalog, not Django's: there "session" is a browser session (会话), not a date of a course.
        ours = project_msgids(locale)
        untranslated = []
        for where, name in project_names():
            with translation.override("en"):
                english = str(name)
            with translation.override(language):
                same = str(name) == english
            if english not in SAME_ON_PURPOSE and (same or english not in ours):
                untranslated.append(f"{where}: {english}")
        assert not untranslated, f"names not translated in {language}: {untranslated}"
    # The scan below looks for the names a support worker reads most.
    assert {"Capacity", "Allow paying at the door", "Check-in", "Messages from Stripe", "Created"} <= english_names(
        "ja"
    )


class Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self.skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (name in ATTRIBUTES or (name == "value" and attributes.get("type") in ("submit", "button"))):
                self.texts.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(" ".join(data.split()))


def content_values() -> set[str]:
    """What the admin shows of the rows themselves: each row's text (``str``), its plain text
    fields, and the permissions' names (which Django stores in English when it makes them)."""
    values = set(zoneinfo.available_timezones())
    for model in [
        Permission,
        get_user_model(),
        *(m for a in PROJECT_APPS for m in apps.get_app_config(a).get_models()),
    ]:
        text_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, (CharField, TextField))]
        for row in model.objects.all():
            values.add(str(row))
            values |= {getattr(row, name) for name in text_fields if getattr(row, name)}
    return values


def english_on(html: str, names: set[str], content: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The English names on the page: a whole text, or a word group inside a translated sentence.
    ``content`` values are taken out of the texts first."""
    parser = Texts()
    parser.feed(html)
    lowered = {name.casefold(): name for name in names}
    taken_out = re.compile("|".join(map(re.escape, sorted(content, key=len, reverse=True)))) if content else None
    within = re.compile(
        r'(?<![\w"(（-])(' + "|".join(map(re.escape, sorted(lowered, key=len, reverse=True))) + r')(?![\w")）-])'
    )
    found = set()
    for text in parser.texts:
        if taken_out is not None:
            text = taken_out.sub(" ", text)
        text = " ".join(text.split()).strip(" :·—()*›|")
        if not text:
            continue
        if text.casefold() in lowered:
            found.add(text)
        elif CJK.search(text):
            found |= {f"{match.group(0)} in “{text}”" for match in within.finditer(text.casefold())}
    return sorted(found)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def admin_world():
    """One row of every model the admin shows, with its texts in every language."""
    org = OrganizationFactory(slug="tea-club", name={"en": "Tea club", "zh-hans": "茶会", "ja": "お茶の会"})
    venue = VenueFactory(organization=org, name={"en": "Hall", "zh-hans": "礼堂", "ja": "ホール"})
    CategoryFactory(slug="tea", name={"en": "Tea", "zh-hans": "茶", "ja": "お茶"})
    manager = UserFactory(username="wang")
    MembershipFactory(user=manager, organization=org, role=Membership.Role.MANAGER)
    event = EventFactory(
        organization=org,
        venue=venue,
        slug="tea-evening",
        title={"en": "Tea evening", "zh-hans": "品茶", "ja": "お茶会"},
    )
    QuestionFactory(event=event, key="diet", label={"en": "Diet", "zh-hans": "饮食", "ja": "食事"})
    registration = RegistrationFactory(event=event, name="王小明", email="wang@example.org", language="zh-hans")
    Payment.objects.create(registration=registration, provider="door", status="paid", amount=10, currency="CNY")
    StripeEvent.objects.create(event_id="evt_1", type="checkout.session.completed", payload={})
    CheckInFactory(ticket=registration.tickets.get(), session=event.sessions.first(), device="门口 1")
    Notification.objects.create(
        registration=registration, recipient=registration.email, kind="confirmation", language="zh-hans",
        dedupe_key="confirmation:1",
    )  # fmt: skip
    announcement = Announcement.objects.create(organization=org, subject={"zh-hans": "通知"}, body={"zh-hans": "正文"})
    announcement.events.add(event)
    Feedback.objects.create(registration=registration, rating=5, comment="很好", language="zh-hans")
    ApiToken.objects.create(user=manager, name="门口手机", digest=token_digest("hg_x"), prefix="hg_x")
    AuditEntry.objects.create(
        actor=manager, actor_label="wang", organization=org, event=event, action=AuditAction.EVENT_PUBLISH,
        target_type="event", target_id=str(event.pk), target_label="tea-evening",
    )  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_names_in_the_admin(language):
    admin_world()
    superuser = get_user_model().objects.create_superuser("support", "support@example.org", "x")
    client = desk_client(superuser, language=language)
    names, content = english_names(language) - JSON_KEYS, content_values()
    pages = {"index": reverse("admin:index")}
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        pages[f"{meta.label} list"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        pages[f"{meta.label} add"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        first = model_admin.get_queryset(_request(superuser)).first()
        if first is not None:
            pages[f"{meta.label} change"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
    found, seen = {}, 0
    for page, url in pages.items():
        response = client.get(url)
        if page.endswith(" add") and response.status_code == 403:
            continue  # rows the use cases write (the outbox, check-ins, the audit log)
        assert response.status_code == 200, (page, response.status_code)
        html = response.content.decode()
        assert f'<html lang="{language}"' in html, page  # the admin really switched language
        seen += 1
        english = english_on(html, names, content)
        if english:
            found[page] = english
    assert seen >= 2 * len(admin.site._registry), seen  # lists and change pages of every model at least
    assert not found, f"English names in the admin in {language}: {found}"


def test_the_scan_catches_an_english_name():
    names = english_names("ja")
    assert english_on("<h1>定員</h1><label>Capacity:</label>", names) == ["Capacity"]
    assert english_on("<h3>以 status</h3>", names) == ["status in “以 status”"]
    assert english_on('<p>JSON：[{"label": "…"}]</p>', names) == []  # a key in an example, not a name
    assert english_on("<p>网址标识（slug）</p>", names) == []  # the technical term, glossed
    assert english_on("<td>Ticket 1 (王小明)</td>", names, {"Ticket 1 (王小明)"}) == []  # a row's own text
    assert english_on("<label>Created at:</label>", names) == ["Created at"]  # a field nobody named
