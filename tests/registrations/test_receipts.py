"""Receipts: issued when a payment lands (online or at the door), numbered per organization,
a PDF in the payer's language and the organization's; fapiao requests. At the HTTP boundary
(the Stripe stub, the manage page, the desk); the PDF's text is read back with pypdf."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from pypdf import PdfReader

from organizations.models import Membership
from registrations.models import FapiaoRequest, Receipt
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, RegistrationFactory, UserFactory
from tests.helpers import manage_token, pay_online
from tests.organizer.helpers import desk_client

VALID_TAXPAYER_ID = "91350100M000100Y43"  # a real unified social credit code (check character Y… 3)


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.fixture
def tea_club(db):
    return OrganizationFactory(
        slug="tea-club", default_language="ja", name={"en": "Tea Club", "zh-hans": "茶社", "ja": "お茶の会"}
    )


@pytest.fixture
def dinner(tea_club):
    return EventFactory(
        organization=tea_club,
        slug="dumplings",
        title={"en": "Dumpling evening", "zh-hans": "饺子之夜", "ja": "餃子の夕べ"},
        price=Decimal("40"),
        currency="CNY",
        payment_methods=["card"],
        max_guests=2,
        capacity=10,
    )


@pytest.mark.django_db
def test_an_online_payment_gets_a_numbered_receipt_in_the_payers_and_the_organizations_language(
    api_client, dinner, stripe_stub
):
    body = pay_online(api_client, dinner, guests=["王小明"], amount_total=8000)  # zh-hans payer, 2 seats
    receipt = Receipt.objects.get()
    assert (receipt.number, receipt.total, receipt.currency, receipt.method) == (1, Decimal("80"), "CNY", "stripe")
    assert receipt.display_number == "TEA-CLUB-000001"

    token = manage_token(body)
    manage = api_client.get(f"/manage/{token}/?lang=zh-hans").content.decode()
    assert "TEA-CLUB-000001" in manage and f"/manage/{token}/receipts/1.pdf" in manage
    text = pdf_text(api_client.get(f"/manage/{token}/receipts/1.pdf"))
    for expected in (
        "TEA-CLUB-000001",  # the number
        "收据",  # the payer's language
        "領収書",  # the organization's
        "茶社",  # the organization, in the payer's language
        "Payer",  # the payer
        "pay@example.org",
        "饺子之夜",  # the line
        "40.00 CNY",  # its unit price
        "80.00 CNY",  # the total
    ):
        assert expected in text, (expected, text)
    assert " 2 " in f" {text.replace(chr(10), ' ')} "  # two seats on the line

    # Another registration's link does not open this receipt.
    other = pay_online(api_client, dinner, email="other@example.org", amount_total=4000)
    assert api_client.get(f"/manage/{manage_token(other)}/receipts/1.pdf").status_code == 404
    assert api_client.get(f"/manage/{manage_token(other)}/receipts/2.pdf").status_code == 200


@pytest.mark.django_db
def test_door_payments_are_numbered_on_in_the_same_organization_and_others_start_at_one(tea_club, dinner):
    manager = UserFactory(username="cashier")
    MembershipFactory(user=manager, organization=tea_club, role=Membership.Role.MANAGER)
    desk = desk_client(manager)
    door = [
        RegistrationFactory(event=dinner, payment_method="door", amount_due=Decimal("40"), name=f"Guest {i}")
        for i in range(3)
    ]
    for registration in door:
        url = f"/organizer/events/{dinner.slug}/registrations/{registration.pk}/door-payment/"
        assert desk.post(url, {}).status_code == 302
        assert desk.post(url, {}).status_code == 302  # twice: still one payment, one receipt
    assert list(Receipt.objects.order_by("number").values_list("number", "registration_id")) == [
        (1, door[0].pk),
        (2, door[1].pk),
        (3, door[2].pk),
    ]
    elsewhere = EventFactory(price=Decimal("10"))
    guest = RegistrationFactory(event=elsewhere, payment_method="door", amount_due=Decimal("10"))
    from registrations import services

    services.door_payment_record(registration_id=guest.pk, received_by=None)
    assert Receipt.objects.get(registration=guest).number == 1

    # The organizer finds it on the desk; an English payer of a Japanese organization gets both.
    response = desk.get(f"/organizer/events/{dinner.slug}/registrations/{door[1].pk}/receipts/2.pdf")
    text = pdf_text(response)
    assert "TEA-CLUB-000002" in text and "Receipt" in text and "領収書" in text
    assert "Guest 1" in text and "Dumpling evening" in text and "40.00 CNY" in text and "Tea Club" in text
    assert "cash at the door" in text
    other_manager = UserFactory(username="elsewhere")
    MembershipFactory(user=other_manager, organization=elsewhere.organization, role=Membership.Role.MANAGER)
    other = desk_client(other_manager).get(f"/organizer/events/{dinner.slug}/registrations/{door[1].pk}/receipts/2.pdf")
    assert other.status_code == 404


@pytest.mark.django_db
def test_the_data_export_lists_the_receipt_and_the_fapiao_request(api_client, dinner, stripe_stub):
    body = pay_online(api_client, dinner, amount_total=4000)
    token = manage_token(body)
    api_client.post(
        f"/manage/{token}/fapiao/",
        {"company_name": "上海茶叶有限公司", "taxpayer_id": VALID_TAXPAYER_ID},
        format="multipart",
    )
    data = json.loads(api_client.get(f"/manage/{token}/data.json").content)
    [receipt] = data["receipts"]
    assert receipt["number"] == "TEA-CLUB-000001" and receipt["total"] == "40.00"
    assert receipt["pdf_url"].endswith(f"/manage/{token}/receipts/1.pdf")
    assert data["fapiao_request"]["taxpayer_id"] == VALID_TAXPAYER_ID


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("taxpayer_id", "valid"),
    [
        (VALID_TAXPAYER_ID, True),
        ("91350100m000100y43", True),  # typed in lower case: stored in capitals
        ("9135 0100 M000 100Y 43", True),  # with spaces
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100I43", False),  # I is not in the code's alphabet
        ("123", False),
        ("110105123456789", True),  # an old 15-character tax registration number
        ("", False),
    ],
)
def test_fapiao_requests_check_the_taxpayer_id(api_client, dinner, stripe_stub, taxpayer_id, valid):
    body = pay_online(api_client, dinner, amount_total=4000)
    token = manage_token(body)
    response = api_client.post(
        f"/manage/{token}/fapiao/?lang=zh-hans",
        {"company_name": "上海茶叶有限公司", "taxpayer_id": taxpayer_id},
        format="multipart",
    )
    if valid:
        assert response.status_code == 302
        request = FapiaoRequest.objects.get()
        assert request.taxpayer_id == taxpayer_id.replace(" ", "").upper()
    else:
        assert response.status_code == 400
        assert FapiaoRequest.objects.count() == 0
        html = response.content.decode()
        assert 'aria-invalid="true"' in html
        if taxpayer_id:
            assert "纳税人识别号" in html or "统一社会信用代码" in html


@pytest.mark.django_db
def test_the_organizer_lists_fapiao_requests_and_marks_them_issued(api_client, tea_club, dinner, stripe_stub):
    body = pay_online(api_client, dinner, amount_total=4000)
    api_client.post(
        f"/manage/{manage_token(body)}/fapiao/",
        {"company_name": "上海茶叶有限公司", "taxpayer_id": VALID_TAXPAYER_ID},
        format="multipart",
    )
    manager = UserFactory(username="accountant")
    MembershipFactory(user=manager, organization=tea_club, role=Membership.Role.MANAGER)
    desk = desk_client(manager, language="zh-hans")
    page = desk.get(f"/organizer/events/{dinner.slug}/fapiao/").content.decode()
    assert "上海茶叶有限公司" in page and VALID_TAXPAYER_ID in page and "TEA-CLUB-000001" in page
    request = FapiaoRequest.objects.get()
    assert desk.post(f"/organizer/events/{dinner.slug}/fapiao/{request.pk}/issued/").status_code == 302
    request.refresh_from_db()
    assert request.issued_at is not None
    # Issued: the attendee can no longer change it.
    again = api_client.post(
        f"/manage/{manage_token(body)}/fapiao/",
        {"company_name": "Other Ltd", "taxpayer_id": VALID_TAXPAYER_ID},
        format="multipart",
    )
    assert again.status_code == 302
    assert "The fapiao has already been issued." in api_client.get(again["Location"]).content.decode()
    request.refresh_from_db()
    assert request.company_name == "上海茶叶有限公司"


@pytest.mark.django_db
def test_the_registration_api_takes_a_fapiao_request_at_checkout(api_client, dinner, stripe_stub):
    from tests.registrations.test_stripe import register

    wrong = api_client.post(
        f"/api/v1/events/{dinner.slug}/registrations/",
        {
            "name": "Payer",
            "email": "wrong@example.org",
            "consents": {"privacy": True},
            "fapiao": {"company_name": "上海茶叶有限公司", "taxpayer_id": "91350100M000100Y44"},
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert wrong.status_code == 400
    assert "纳税人识别号无效" in str(wrong.json())
    assert not FapiaoRequest.objects.exists()
    body = register(
        api_client, dinner, fapiao={"company_name": " 上海茶叶有限公司 ", "taxpayer_id": "91350100m000100y43"}
    )
    request = FapiaoRequest.objects.get()
    assert (request.registration_id, request.company_name, request.taxpayer_id) == (
        body["id"],
        "上海茶叶有限公司",
        VALID_TAXPAYER_ID,
    )
    # A free event has nothing to invoice: refused, and nobody is registered.
    free = EventFactory(organization=dinner.organization, price=Decimal("0"))
    response = api_client.post(
        f"/api/v1/events/{free.slug}/registrations/",
        {
            "name": "Free",
            "email": "free@example.org",
            "consents": {"privacy": True},
            "fapiao": {"company_name": "Tea Ltd", "taxpayer_id": VALID_TAXPAYER_ID},
        },
        format="json",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "nothing_to_invoice"
    assert not free.registrations.exists()


@pytest.mark.django_db
def test_erasing_keeps_the_receipt_for_the_books_without_the_payer(api_client, dinner, stripe_stub):
    body = pay_online(api_client, dinner, amount_total=4000)
    token = manage_token(body)
    api_client.post(
        f"/manage/{token}/fapiao/",
        {"company_name": "上海茶叶有限公司", "taxpayer_id": VALID_TAXPAYER_ID},
        format="multipart",
    )
    from privacy import services as privacy_services

    privacy_services.registration_erase(registration_id=body["id"])
    receipt = Receipt.objects.get()
    assert (receipt.number, receipt.total, receipt.payer_name, receipt.payer_email) == (1, Decimal("40"), "", "")
    assert not FapiaoRequest.objects.exists()  # not issued yet: nothing left to issue it to
