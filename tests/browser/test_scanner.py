"""The volunteers' scanner (/scan/) in real headless Chromium, on a phone-sized screen.

Uses the shared fixtures of tests/browser/conftest.py (``browser``, ``page``, ``live_site``,
``screenshot``). The camera test launches a second Chromium that plays a generated video of a
ticket's QR code as its camera; desktop Chromium has no BarcodeDetector, so the page's vendored
jsQR decodes it.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from checkin.models import CheckIn
from checkin.services import checkin_perform
from events.models import Event
from organizations.models import Membership
from registrations.models import Payment, Registration, Ticket
from registrations.tickets import qr_png, ticket_code
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.conftest import screenshot as save_screenshot
from tests.factories import (
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """checkin.selectors caches roles and sessions by id, and a flushed database reuses ids."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Door:
    event: Event
    session: object
    volunteer: object
    mei: Registration
    kenji: Registration
    lena: Registration


def screenshot(page, name: str) -> None:
    """The shared helper, once the answer card's arrival animation has settled."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    save_screenshot(page, name)


def code_of(registration: Registration, position: int = 0) -> str:
    return ticket_code(ticket_id=registration.tickets.get(position=position).pk)


@pytest.fixture
def door(live_site) -> Door:
    """A tea evening whose only session started 10 minutes ago, a volunteer, three guests."""
    organization = OrganizationFactory()
    event = EventFactory(
        organization=organization,
        with_session=False,
        title={"en": "Tea evening", "zh-hans": "茶艺之夜", "ja": "お茶の夕べ"},
        timezone="Asia/Shanghai",
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    session = SessionFactory(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    QuestionFactory(event=event, key="diet", show_at_checkin=True, label={"en": "Diet", "zh-hans": "饮食"})
    volunteer = UserFactory(username="ana", first_name="Ana", last_name="Li")
    MembershipFactory(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    return Door(
        event=event,
        session=session,
        volunteer=volunteer,
        mei=RegistrationFactory(event=event, name="Mei Chen", answers={"diet": "vegan"}),
        kenji=RegistrationFactory(event=event, name="Kenji Sato"),
        lena=RegistrationFactory(event=event, name="Lena Vogel"),
    )


def log_in_and_pick(page, live_site: str, door: Door, *, shots: bool = False) -> None:
    page.goto(live_site + "/scan/")
    assert "/scan/login/" in page.url
    if shots:
        screenshot(page, "scanner-login")
    page.get_by_label("Username").fill(door.volunteer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_site + "/scan/")
    card = page.locator(f'[data-session="{door.session.pk}"]')
    card.wait_for()
    assert "Tea evening" in card.inner_text() and "Check-in open" in card.inner_text()
    if shots:
        screenshot(page, "scanner-picker")
    card.click()
    page.locator("#door").wait_for()
    # The offline list is downloaded as soon as the session is chosen.
    tickets = Ticket.objects.filter(registration__event=door.event).count()
    page.wait_for_function(f"() => document.body.dataset.listTickets === '{tickets}'")


def expect_new_answer(page) -> None:
    """Remember which answer is on screen, so wait_for_answer waits for the next one."""
    page.evaluate("window.__seenAnswer = Number(document.getElementById('result').dataset.seq || 0)")


def type_code(page, code: str) -> None:
    expect_new_answer(page)
    page.get_by_role("tab", name="Type code").click()
    page.get_by_label("Ticket code").fill(code)
    page.get_by_role("button", name="Check", exact=True).click()


def wait_for_answer(page, status: str, color: str) -> dict:
    page.wait_for_function(
        "([status, color]) => { const card = document.getElementById('result');"
        " return Number(card.dataset.seq || 0) > (window.__seenAnswer || 0)"
        " && card.dataset.status === status && card.dataset.color === color; }",
        arg=[status, color],
    )
    return {
        "verdict": page.locator("#result-verdict").inner_text(),
        "name": page.locator("#result-name").inner_text(),
        "message": page.locator("#result-message").inner_text(),
    }


def waiting(page) -> int:
    return int(page.evaluate("document.body.dataset.waiting || '0'"))


def test_manual_entry_checks_in_then_a_rescan_is_refused(page, live_site, door):
    sent_languages = []
    page.on(
        "request",
        lambda request: "/api/v1/checkin/" in request.url and sent_languages.append(request.headers["accept-language"]),
    )
    log_in_and_pick(page, live_site, door, shots=True)
    screenshot(page, "scanner-ready")

    type_code(page, code_of(door.mei))
    answer = wait_for_answer(page, "ok", "green")
    assert answer["name"] == "Mei Chen"
    assert answer["message"] == "Welcome, Mei Chen."
    assert page.locator("#result-answers").inner_text().split() == ["Diet", "vegan"]
    assert page.locator("#undo").is_visible()
    screenshot(page, "scanner-green")
    checkin = CheckIn.objects.get(registration=door.mei)
    assert (checkin.session_id, checkin.scanned_by_id, checkin.source) == (door.session.pk, door.volunteer.pk, "online")

    type_code(page, code_of(door.mei))
    answer = wait_for_answer(page, "already_checked_in", "red")
    assert answer["verdict"] == "Already checked in"
    assert answer["name"] == "Mei Chen"
    assert "Already checked in at" in answer["message"] and "Ana Li" in answer["message"]
    screenshot(page, "scanner-red-already")

    page.wait_for_function("() => document.getElementById('count-in').textContent === '1'")
    assert page.locator("#count-expected").inner_text() == "3"
    assert CheckIn.objects.filter(registration=door.mei, is_duplicate=False).count() == 1
    assert set(sent_languages) == {"en"}  # API messages come back in the page's language

    type_code(page, "HG1.1.forged")
    assert wait_for_answer(page, "invalid", "red")["verdict"] == "Not a valid ticket"

    # A keyboard-wedge scanner types the code and Enter wherever the focus is.
    page.locator("#result").click()
    expect_new_answer(page)
    page.keyboard.type(code_of(door.kenji) + "\n")
    assert wait_for_answer(page, "ok", "green")["name"] == "Kenji Sato"

    # Scanning people out: Mei leaves.
    page.locator("#menu summary").click()
    page.get_by_label("Leaving").check()
    screenshot(page, "scanner-menu")
    page.locator("#menu summary").click()
    assert page.locator("#out-banner").is_visible()
    type_code(page, code_of(door.mei))
    answer = wait_for_answer(page, "ok", "green")
    assert (answer["verdict"], answer["message"]) == ("Checked out", "Goodbye, Mei Chen.")
    screenshot(page, "scanner-checked-out")
    page.wait_for_function(
        "() => document.getElementById('count-in').textContent === '2'"
        " && document.getElementById('count-inside').textContent === '1'"
    )


def test_offline_scan_is_decided_locally_and_synced_when_back(page, live_site, door):
    log_in_and_pick(page, live_site, door)
    page.context.set_offline(True)
    page.wait_for_function("() => document.body.dataset.online === 'false'")

    type_code(page, code_of(door.kenji))
    answer = wait_for_answer(page, "ok", "green")
    assert answer["name"] == "Kenji Sato"
    assert "decided offline" in page.locator("#result-meta").inner_text()
    assert waiting(page) == 1
    assert page.locator("#queue").inner_text() == "1 scan waiting to sync"
    assert page.locator("#offline-banner").is_visible()
    screenshot(page, "scanner-offline-green")
    assert not CheckIn.objects.exists()

    # The same ticket again on this phone: already checked in, decided locally, not queued.
    type_code(page, code_of(door.kenji))
    answer = wait_for_answer(page, "already_checked_in", "red")
    assert "on this phone" in answer["message"]
    # A forged code is refused by its Ed25519 signature (WebCrypto), and never queued.
    forged = code_of(door.lena)[:-3] + ("AAA" if not code_of(door.lena).endswith("AAA") else "BBA")
    type_code(page, forged)
    wait_for_answer(page, "invalid", "red")
    assert waiting(page) == 1

    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=20_000)
    assert page.locator("#queue").is_hidden()
    checkin = CheckIn.objects.get(registration=door.kenji)
    assert checkin.source == "offline"
    assert (checkin.session_id, checkin.scanned_by_id) == (door.session.pk, door.volunteer.pk)
    assert not checkin.is_duplicate and checkin.reverted_at is None
    page.wait_for_function("() => document.body.dataset.online === 'true'")
    screenshot(page, "scanner-synced")


def refresh_list(page):
    """Run the page's periodic list refresh now; return the response it got."""
    with page.expect_response(lambda response: "/tickets/" in response.url) as info:
        page.evaluate("HGScanner.refreshList()")
    return info.value


def test_offline_list_is_refreshed_with_since_and_etag(page, live_site, door):
    log_in_and_pick(page, live_site, door)
    # Nothing changed lately: a ?since= refresh comes back empty, and the same one again is a 304.
    Registration.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    first = refresh_list(page)
    assert "?since=" in first.url and first.status == 200 and first.json()["tickets"] == []
    second = refresh_list(page)
    assert second.url == first.url and second.status == 304
    second_headers = second.request.headers
    assert second_headers["if-none-match"].startswith('"')

    # A change on the server shows up in the list at the next refresh (a cancelled registration).
    Registration.objects.filter(pk=door.lena.pk).update(status="cancelled", updated_at=timezone.now())
    assert [row["name"] for row in refresh_list(page).json()["tickets"]] == ["Lena Vogel"]
    page.context.set_offline(True)
    type_code(page, code_of(door.lena))
    answer = wait_for_answer(page, "cancelled", "red")
    assert answer["message"] == "This registration was cancelled."
    assert waiting(page) == 0  # a refusal decided offline is not uploaded


def test_offline_duplicates_come_back_in_the_sync_report(page, live_site, door):
    """Another door checked Lena in online while this phone, offline, let her in too."""
    log_in_and_pick(page, live_site, door)
    page.context.set_offline(True)
    type_code(page, code_of(door.lena))
    wait_for_answer(page, "ok", "green")
    # A ticket booked after the list was downloaded: valid signature, not in the list.
    late = RegistrationFactory(event=door.event, name="Late Booker")
    type_code(page, code_of(late))
    answer = wait_for_answer(page, "not_in_list", "amber")
    assert "not in the downloaded list" in answer["message"]
    assert waiting(page) == 2

    checkin_perform(code=code_of(door.lena), session_id=door.session.pk, nonce=uuid.uuid4(), user=door.volunteer)
    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=20_000)
    report = page.locator("#sync-report")
    report.wait_for()
    assert "Lena Vogel" in report.inner_text() and "Already checked in" in report.inner_text()
    screenshot(page, "scanner-sync-report")
    assert CheckIn.objects.filter(registration=door.lena, is_duplicate=True, source="offline").count() == 1
    assert CheckIn.objects.filter(registration=late, is_duplicate=False, source="offline").count() == 1


def test_pay_at_door_party_undo_and_search(page, live_site, door):
    Event.objects.filter(pk=door.event.pk).update(price=Decimal("40"), allow_pay_at_door=True)
    party = RegistrationFactory(
        event=door.event, name="Hana Mori", party_size=3, payment_method="door", amount_due=Decimal("120")
    )
    log_in_and_pick(page, live_site, door)

    # One scan of the registrant's ticket: amber, collect the whole party's cash.
    type_code(page, code_of(party))
    answer = wait_for_answer(page, "ok", "amber")
    assert answer["verdict"] == "Collect payment" and answer["message"] == "Collect ¥120"
    assert page.locator("#result-party").inner_text() == "Party of 3 · registrant"
    members = page.locator(".party__member")
    assert members.count() == 3
    screenshot(page, "scanner-amber-party")

    expect_new_answer(page)
    page.get_by_role("button", name="Paid ¥120").click()
    wait_for_answer(page, "ok", "green")
    assert page.locator("#result-verdict").inner_text() == "Paid"
    payment = Payment.objects.get(registration=party)
    assert (payment.amount, payment.received_by_id) == (Decimal("120.00"), door.volunteer.pk)

    # The other two of the party, after unticking nobody.
    page.get_by_role("button", name="Check in selected").click()
    page.wait_for_function("() => document.querySelectorAll('.party__member--done').length === 3")
    assert CheckIn.objects.filter(registration=party, is_duplicate=False).count() == 3
    screenshot(page, "scanner-party-done")

    # Undo the two just checked in.
    expect_new_answer(page)
    page.get_by_role("button", name="Undo").click()
    wait_for_answer(page, "undone", "idle")
    assert CheckIn.objects.filter(registration=party, reverted_at=None, is_duplicate=False).count() == 1

    # Find Lena by name and check her in without a ticket.
    page.get_by_role("tab", name="Find name").click()
    page.get_by_label("Name or whole email address").fill("vog")
    page.get_by_role("button", name="Find").click()
    hit = page.locator(f'[data-registration="{door.lena.pk}"]')
    hit.wait_for()
    screenshot(page, "scanner-search")
    expect_new_answer(page)
    hit.get_by_role("button", name="Check in").click()
    answer = wait_for_answer(page, "ok", "green")
    assert answer["name"] == "Lena Vogel"
    assert page.locator(f'[data-registration="{door.lena.pk}"] .search-result__done').inner_text() == "✓ Checked in"
    assert CheckIn.objects.filter(registration=door.lena, is_duplicate=False).count() == 1


def test_the_page_speaks_chinese_and_so_do_the_answers(page, live_site, door):
    log_in_and_pick(page, live_site, door)
    sent = []
    page.on("request", lambda request: "/api/v1/checkin/" in request.url and sent.append(request.headers))
    page.locator("#menu summary").click()
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_function(
        "() => document.documentElement.lang === 'zh-hans' && document.body.dataset.ready === 'true'"
    )
    # The saved session is picked again after the reload.
    page.locator("#door").wait_for()
    type_code_button = page.locator("#tab-code")
    type_code_button.click()
    page.locator("#code-input").fill(code_of(door.mei))
    expect_new_answer(page)
    page.locator("#code-form button[type=submit]").click()
    assert wait_for_answer(page, "ok", "green")["name"] == "Mei Chen"
    assert sent and all(headers["accept-language"] == "zh-hans" for headers in sent)
    screenshot(page, "scanner-zh")


def test_non_volunteer_is_refused_politely(page, live_site, door):
    UserFactory(username="guest")
    page.goto(live_site + "/scan/login/")
    page.get_by_label("Username").fill("guest")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_site + "/scan/")
    assert page.get_by_role("heading", name="Scanning is for volunteers").is_visible()
    screenshot(page, "scanner-refused")


# --- a real camera (Chromium's fake one, fed a video of a ticket) -------------------------------------


def write_y4m(path: Path, png: bytes, *, frames: int = 30, size: tuple[int, int] = (640, 480)) -> Path:
    """A YUV4MPEG2 video (what Chromium's fake camera plays) of a QR image on white, 4:2:0."""
    width, height = size
    qr = Image.open(io.BytesIO(png)).convert("L")
    qr.thumbnail((height - 24, height - 24), Image.Resampling.NEAREST)
    canvas = Image.new("L", size, 255)
    canvas.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))  # black and white: no colour
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def test_camera_scan_with_a_fake_camera(browser, live_site, door, tmp_path):
    video = write_y4m(tmp_path / "ticket.y4m", qr_png(code=code_of(door.lena), scale=8))
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(viewport=PHONE, locale="en-US", timezone_id="Asia/Shanghai")
        context.grant_permissions(["camera"], origin=live_site)
        context.set_default_timeout(15_000)
        page = context.new_page()
        log_in_and_pick(page, live_site, door)
        expect_new_answer(page)
        page.get_by_role("button", name="Start camera").click()
        answer = wait_for_answer(page, "ok", "green")
        assert answer["name"] == "Lena Vogel"
        assert page.evaluate("document.body.dataset.camera") == "jsqr"  # no BarcodeDetector on Linux
        screenshot(page, "scanner-camera")
        checkin = CheckIn.objects.get(registration=door.lena)
        assert checkin.source == "online" and checkin.is_duplicate is False
        # The video loops: the same code in view is one scan, not a scan every frame.
        page.wait_for_timeout(1500)
        assert CheckIn.objects.filter(registration=door.lena).count() == 1
        assert page.locator("#result").get_attribute("data-status") == "ok"
    finally:
        camera_browser.close()


CACHED_PAGE_JS = """async () => {
  for (const key of await caches.keys()) {
    const page = await (await caches.open(key)).match('/scan/');
    if (page) return await page.text();
  }
  return null;
}"""


def test_reload_without_network_still_scans(page, live_site, door):
    """A phone that reloads the scanner with no network gets the page from its service worker."""
    log_in_and_pick(page, live_site, door)
    page.wait_for_function("() => document.body.dataset.offlineReady === 'true'")
    for _attempt in range(100):  # the worker saves its copy of the page in the background
        cached = page.evaluate(CACHED_PAGE_JS)
        if cached:
            break
        page.wait_for_timeout(100)
    assert cached and 'id="scan-config"' in cached

    page.context.set_offline(True)
    page.reload()
    page.locator("#door").wait_for()
    # The copy the worker kept, not a fresh render (each render masks the CSRF token anew).
    token = page.locator("#logout input[name=csrfmiddlewaretoken]").get_attribute("value")
    assert token in cached
    assert page.locator("#session-title").inner_text().startswith("Tea evening")

    type_code(page, code_of(door.mei))
    answer = wait_for_answer(page, "ok", "green")
    assert answer["name"] == "Mei Chen" and waiting(page) == 1
    screenshot(page, "scanner-offline-reload")

    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=20_000)
    assert CheckIn.objects.get(registration=door.mei).source == "offline"


def test_a_short_code_typed_offline_is_queued_and_checked_in_when_back(page, live_site, door):
    """The ticket card's short code: online it is checked at once; offline the list cannot know
    it (it holds no short codes), so it is saved and checked when the network is back."""
    log_in_and_pick(page, live_site, door)
    type_code(page, door.mei.tickets.get().short_code.lower())
    assert wait_for_answer(page, "ok", "green")["name"] == "Mei Chen"

    page.context.set_offline(True)
    page.wait_for_function("() => document.body.dataset.online === 'false'")
    short = door.kenji.tickets.get().short_code
    type_code(page, f"{short[:4]}-{short[4:]}")
    answer = wait_for_answer(page, "unchecked", "amber")
    assert "checked when the network is back" in answer["message"]
    assert waiting(page) == 1

    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.waiting === '0'", timeout=20_000)
    assert CheckIn.objects.get(registration=door.kenji).source == "offline"
