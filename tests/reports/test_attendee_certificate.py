"""A course's participants get their own certificate: a link on the manage page and an email once
the course is over, for each seat that reached the course's completion threshold."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.utils import translation
from pypdf import PdfReader

from events.models import Event, Session
from notifications import services
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def manage(client, registration, language="en"):
    response = client.get(f"/manage/{registration.manage_token}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def certificate(client, registration, seat=0):
    return client.get(f"/manage/{registration.manage_token}/certificate/{seat}.pdf")


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_manage_page_offers_the_certificate_to_those_who_completed(course, client):
    page = manage(client, course.p2, "zh-hans")
    assert "结业证书" in page
    assert f"/manage/{course.p2.manage_token}/certificate/0.pdf" in page
    text = pdf_text(certificate(client, course.p2))
    assert "陈美玲" in text and "汉语入门" in text
    assert "/certificate/" not in manage(client, course.p4)  # attended nothing


def test_each_seat_of_a_party_on_its_own(course, client):
    page = manage(client, course.p3, "ja")
    assert "/certificate/1.pdf" in page and "/certificate/0.pdf" not in page
    assert "山田太郎" in pdf_text(certificate(client, course.p3, seat=1))
    refused = certificate(client, course.p3, seat=0)  # 2 of 4 sessions: below 75 %
    assert refused.status_code == 404 and refused["Content-Type"].startswith("text/html")
    assert certificate(client, course.p3, seat=5).status_code == 404


def test_no_certificate_without_a_valid_link_or_for_a_cancelled_registration(course, client):
    assert client.get("/manage/not-a-token/certificate/0.pdf").status_code == 404
    assert certificate(client, course.p5).status_code == 404  # cancelled, though checked in
    response = certificate(client, course.p1)
    assert response["Cache-Control"] == "private, no-store"


def test_the_threshold_is_the_courses_own(course, client):
    Event.objects.filter(pk=course.event.pk).update(completion_threshold=100)
    assert certificate(client, course.p2).status_code == 404  # 3 of 4 is not 100 %
    assert certificate(client, course.p1).status_code == 200


def test_an_event_that_is_not_a_course_has_no_certificate(course, client):
    Event.objects.filter(pk=course.event.pk).update(kind=Event.Kind.EVENT)
    assert certificate(client, course.p1).status_code == 404
    assert "/certificate/" not in manage(client, course.p1)


def test_the_certificate_email_once_the_course_is_over(course, django_capture_on_commit_callbacks):
    s4, s6 = course.sessions[3], course.sessions[5]
    Session.objects.filter(pk=s6.pk).update(status=Session.Status.CANCELLED)  # S4 is the last session
    ended = s4.ends_at
    assert services.certificates_enqueue(now=ended + dt.timedelta(minutes=20)) == 0  # too soon
    with django_capture_on_commit_callbacks(execute=True):
        assert services.certificates_enqueue(now=ended + dt.timedelta(hours=2)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert services.certificates_enqueue(now=ended + dt.timedelta(hours=3)) == 0  # once
    assert services.certificates_enqueue(now=ended + dt.timedelta(days=20)) == 0  # too old
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"anna@example.org", "mei@example.org", "hanako@example.org"}
    assert Notification.objects.filter(kind=Notification.Kind.CERTIFICATE, status="sent").count() == 3

    mei = by_address["mei@example.org"]
    assert "结业证书" in mei.subject and "汉语入门" in mei.subject
    assert f"/manage/{course.p2.manage_token}/certificate/0.pdf" in mei.body
    hanako = by_address["hanako@example.org"]
    assert "修了証書" in hanako.subject
    assert "山田太郎" in hanako.body and f"/manage/{course.p3.manage_token}/certificate/1.pdf" in hanako.body
    assert "/certificate/0.pdf" not in hanako.body  # her own seat did not complete
    anna = by_address["anna@example.org"]
    with translation.override("en"):
        assert anna.subject == "Your certificate: Chinese for beginners"
