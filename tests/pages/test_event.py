import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from common.exceptions import InvalidInput
from events.models import Event, Question, Session
from pages.forms import RegistrationForm
from registrations.models import Registration
from tests.factories import EventFactory, QuestionFactory, RegistrationFactory, SessionFactory, VenueFactory
from tests.pages.conftest import field_block, field_errors, form_data, html, text

pytestmark = pytest.mark.django_db

S = Registration.Status


def url(event):
    return f"/events/{event.slug}/"


def register_url(event):
    return f"/events/{event.slug}/register/"


# --- the event page ------------------------------------------------------------------------------


def test_event_page_shows_description_sessions_venue_and_calendar(client, event):
    venue = event.venue
    venue.accessibility_notes = {"en": "Step-free entrance on the east side."}
    venue.save()
    SessionFactory(event=event, starts_at=timezone.now() + dt.timedelta(days=9), status=Session.Status.CANCELLED)

    response = client.get(url(event))

    assert response.status_code == 200
    page = html(response)
    assert "<h1>Tea evening</h1>" in page
    assert "We drink tea together." in page
    assert page.count('class="session"') == 1 and page.count('class="session session--cancelled"') == 1
    assert "Cancelled" in text(page)
    assert "1 Community Road" in page
    assert 'href="https://www.openstreetmap.org/?mlat=39.915000&amp;mlon=116.404000' in page
    assert "Step-free entrance on the east side." in page
    assert "10 seats left" in text(page)
    assert f'href="/api/v1/events/{event.slug}/calendar.ics?lang=en"' in page
    assert client.get(f"/api/v1/events/{event.slug}/calendar.ics?lang=en").status_code == 200


def test_event_page_form_has_the_questions_with_translated_labels(zh_client, event):
    page = html(zh_client.get(url(event)))

    assert '<html lang="zh-hans"' in page
    assert "<h1>茶艺之夜</h1>" in page
    nationality = field_block(page, "answer_nationality")
    assert "您来自哪里？" in nationality and "日本" in nationality and "德国" in nationality
    assert 'class="req"' in nationality  # required mark
    assert 'type="radio"' in nationality and "<fieldset>" in nationality
    diet = field_block(page, "answer_diet")
    assert "食物过敏？" in diet and 'class="req"' not in diet
    assert 'type="checkbox"' in field_block(page, "answer_photos")
    assert 'type="checkbox"' in field_block(page, "privacy") and 'class="req"' in field_block(page, "privacy")
    assert "<textarea" in field_block(page, "guests")  # max_guests = 2
    assert 'name="csrfmiddlewaretoken"' in page


def test_event_page_without_guests_or_questions_has_just_the_basics(client):
    event = EventFactory(max_guests=0)

    page = html(client.get(url(event)))

    assert 'name="guests"' not in page and 'name="answer_' not in page and 'name="payment"' not in page
    assert 'name="name"' in page and 'name="email"' in page and 'name="privacy"' in page


def test_event_page_404_for_draft_and_unknown(client):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert client.get(url(draft)).status_code == 404
    response = client.get("/events/no-such-event/")
    assert response.status_code == 404
    assert "This event does not exist" in html(response)


def test_event_page_query_count_does_not_grow_with_sessions(client, django_assert_num_queries):
    small = EventFactory()
    big = EventFactory(venue=VenueFactory())
    for day in range(2, 12):
        SessionFactory(event=big, starts_at=timezone.now() + dt.timedelta(days=day), venue=VenueFactory())
    QuestionFactory(event=big)

    # the event; its sessions (with venues); its questions; its ticket types with seats taken;
    # whether any code is on offer (else the form asks for none)
    with django_assert_num_queries(5):
        client.get(url(small))
    with django_assert_num_queries(5):
        response = client.get(url(big))
    assert html(response).count('class="session"') == 11


def test_paid_event_without_online_payment_says_so_and_offers_no_form(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    event = EventFactory(price=Decimal("80"), allow_pay_at_door=False)

    page = html(client.get(url(event)))

    assert "Online payment is not available at the moment" in page
    assert 'name="email"' not in page
    response = client.post(register_url(event), form_data())
    assert "Online payment is not available" in html(response)
    assert not Registration.objects.exists()


def test_paid_event_pay_at_door_only_while_online_payment_is_down(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    event = EventFactory(price=Decimal("80"), allow_pay_at_door=True)

    page = html(client.get(url(event)))
    assert "please pay in cash at the door" in page and 'name="payment"' not in page

    response = client.post(register_url(event), form_data(answer_nationality=None))
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert registration.status == S.CONFIRMED and registration.payment_method == "door"
    manage = text(client.get(response["Location"]))
    assert "Please pay 80 CNY in cash at the door." in manage


def test_paid_event_with_online_payment_offers_the_choice_and_holds_the_seat(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_huiguan"
    event = EventFactory(price=Decimal("80"), allow_pay_at_door=True)

    page = html(client.get(url(event)))
    assert 'name="payment"' in page and 'value="online"' in page and 'value="door"' in page

    response = client.post(register_url(event), form_data(payment="online"))
    registration = Registration.objects.get()
    assert registration.status == S.PENDING_PAYMENT
    manage = html(client.get(response["Location"]))
    assert "Pay now" in manage
    assert f"/api/v1/registrations/{registration.pk}/pay/?token={registration.manage_token}" in manage
    assert "QR code" not in manage  # no ticket before payment


def test_closed_registration_says_why_and_writes_nothing(client):
    event = EventFactory(registration_closes_at=timezone.now() - dt.timedelta(hours=1))

    page = html(client.get(url(event)))
    assert "Registration has closed." in page and 'name="email"' not in page

    response = client.post(register_url(event), form_data(answer_nationality=None))
    assert response.status_code == 200
    assert "Registration has closed." in html(response)
    assert not Registration.objects.exists()


def test_not_yet_open_registration_says_when_it_opens(client):
    event = EventFactory(registration_opens_at=timezone.now() + dt.timedelta(days=1))

    page = text(client.get(url(event)))

    assert "Registration has not opened yet." in page and "Registration opens on" in page


# --- registering ---------------------------------------------------------------------------------


def test_register_redirects_to_the_private_manage_page(zh_client, event):
    response = zh_client.post(
        register_url(event),
        form_data(answer_diet=" peanuts ", answer_photos="on", guests="Wang Wei\n\n  Sato Yui  \n"),
    )

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manage/{registration.manage_token}/"
    assert registration.status == S.CONFIRMED
    assert registration.language == "zh-hans"  # the page's language
    assert registration.answers == {"nationality": "jp", "diet": "peanuts", "photos": True}
    assert registration.consents["privacy"]["agreed"] is True
    assert [t.name for t in registration.tickets.all()] == ["Li Na", "Wang Wei", "Sato Yui"]
    assert response["Cache-Control"] == "private, no-store"


def test_a_language_asked_for_by_url_is_kept_through_registering(client, event):
    page = html(client.get(url(event) + "?lang=ja"))
    assert f'action="/events/{event.slug}/register/?lang=ja"' in page

    response = client.post(register_url(event) + "?lang=ja", form_data())

    registration = Registration.objects.get()
    assert registration.language == "ja"
    assert response["Location"] == f"/manage/{registration.manage_token}/?lang=ja"
    assert '<html lang="ja"' in html(client.get(response["Location"]))


def test_validation_errors_are_shown_next_to_the_fields_and_nothing_is_written(client, event):
    response = client.post(
        register_url(event),
        form_data(name="", email="not-an-email", answer_nationality=None, privacy=None, guests="A\nB\nC"),
    )

    assert response.status_code == 200
    page = html(response)
    assert field_errors(page, "name") == ["This field is required."]
    assert field_errors(page, "email") == ["Enter a valid email address."]
    assert field_errors(page, "answer_nationality") == ["Please choose an answer."]
    assert field_errors(page, "privacy") == ["Please agree to continue."]
    assert field_errors(page, "guests") == ["You can bring at most 2 guest(s)."]
    assert field_errors(page, "answer_diet") == []
    assert 'aria-describedby="id_email_error id_email_helptext"' in field_block(page, "email")
    assert 'value="not-an-email"' in page  # what was typed stays
    assert not Registration.objects.exists()


def test_validation_errors_in_the_page_language(zh_client, event):
    page = html(zh_client.post(register_url(event), form_data(email="nope")))

    assert field_errors(page, "email") == ["请输入合法的邮件地址。"]  # Django's own catalogue
    assert not Registration.objects.exists()


def test_required_checkbox_question(client, event):
    QuestionFactory(event=event, key="rules", kind=Question.Kind.CHECKBOX, required=True, label={"en": "I accept"})

    page = html(client.post(register_url(event), form_data()))

    assert field_errors(page, "answer_rules") == ["Please tick this box to continue."]
    assert not Registration.objects.exists()


def test_service_errors_land_on_the_fields(client, event):
    event.capacity = 2
    event.save()

    page = html(client.post(register_url(event), form_data(guests="A\nB")))

    assert field_errors(page, "guests") == ["This event has only 2 seat(s) in all."]
    assert not Registration.objects.exists()


def test_nested_answer_errors_from_the_service_map_onto_question_fields(event):
    form = RegistrationForm(form_data(), event=event, language="en", payments_enabled=False)
    assert form.is_valid()

    form.add_domain_errors(
        InvalidInput(
            fields={"answers": {"nationality": ["Not offered."], "gone": ["There is no such question."]}, "x": ["?"]}
        )
    )

    assert form.errors["answer_nationality"] == ["Not offered."]
    assert form.non_field_errors() == ["There is no such question.", "?"]


def test_duplicate_email_says_so_and_resends_the_link(client, event, django_capture_on_commit_callbacks):
    first = client.post(register_url(event), form_data())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(event), form_data(name="Someone Else", email="LINA@example.org"))

    assert response.status_code == 200
    assert "This email address is already registered for this event." in html(response)
    assert Registration.objects.count() == 1
    [message] = mail.outbox
    assert message.to == ["lina@example.org"]
    assert first["Location"] in message.body


def test_full_event_registers_on_the_waiting_list(client, event):
    event.capacity = 1
    event.save()
    RegistrationFactory(event=event, email="first@example.org")

    page = text(client.get(url(event)))
    assert "Waiting list" in page and "Join the waiting list" in page

    response = client.post(register_url(event), form_data())
    registration = Registration.objects.get(email="lina@example.org")
    assert registration.status == S.WAITLISTED
    manage = text(client.get(response["Location"]))
    assert "On the waiting list" in manage and "You are number 1 on the waiting list." in manage
    assert "QR code" not in manage and "Add to calendar" not in manage


def test_signed_in_user_gets_name_and_email_prefilled(client, event):
    user = get_user_model().objects.create_user("mei", "mei@example.org", "pw", first_name="Mei", last_name="Li")
    client.force_login(user)

    page = html(client.get(url(event)))

    assert 'value="Mei Li"' in field_block(page, "name")
    assert 'value="mei@example.org"' in field_block(page, "email")
    client.post(register_url(event), form_data(name="Mei Li", email="mei@example.org"))
    assert Registration.objects.get().user == user


def test_register_needs_the_csrf_token(event):
    client = Client(enforce_csrf_checks=True)

    response = client.post(register_url(event), form_data())

    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_register_get_goes_back_to_the_event_page(client, event):
    response = client.get(register_url(event))

    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/#register"
