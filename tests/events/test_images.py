"""Event images: organizers upload them (API and admin); the file is checked by decoding it."""

import io
import os
import re
import struct
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image
from rest_framework.test import APIClient

from events import services
from events.models import Event
from events.services import sweep_orphan_images
from organizations.models import Membership
from tests.events.test_admin import admin_url, read_form
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, UserFactory

STORED_NAME = re.compile(r"^events/[0-9a-f]{32}\.(png|jpg|webp)$")


def picture(fmt: str = "PNG", size=(64, 48), **save) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    output = io.BytesIO()
    image.save(output, format=fmt, **save)
    return output.getvalue()


def noisy_png(side: int) -> bytes:
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height``: decoding it would need gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def event(organization):
    return EventFactory(organization=organization, slug="tea")


def post_image(client, event, file, **extra):
    return client.post(f"/api/v1/organizer/events/{event.slug}/image/", {"image": file}, format="multipart", **extra)


# --- API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "suffix"),
    [("PNG", "tea.png", ".png"), ("JPEG", "tea.jpeg", ".jpg"), ("WEBP", "tea.webp", ".webp")],
)
def test_an_image_is_accepted_and_stored_under_an_unguessable_name(
    manager_client, event, media_root, fmt, name, suffix
):
    response = post_image(manager_client, event, upload(name, picture(fmt)))

    assert response.status_code == 200, response.json()
    event.refresh_from_db()
    assert STORED_NAME.match(event.image.name) and event.image.name.endswith(suffix)
    assert (media_root / event.image.name).is_file()
    assert (event.image_width, event.image_height) == (64, 48)
    body = response.json()
    assert body["image_url"] == f"http://testserver/media/{event.image.name}"
    assert (body["image_width"], body["image_height"]) == (64, 48)
    with Image.open(media_root / event.image.name) as stored:
        assert stored.format == fmt


def test_the_type_comes_from_the_content_not_the_name(manager_client, event):
    """A PNG called .jpg is stored as the PNG it is."""
    response = post_image(manager_client, event, upload("tea.jpg", picture("PNG"), "image/jpeg"))
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.image.name.endswith(".png")


def test_metadata_is_dropped(manager_client, event, media_root):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    response = post_image(manager_client, event, upload("photo.jpg", picture("JPEG", exif=exif.tobytes())))
    assert response.status_code == 200
    event.refresh_from_db()
    with Image.open(media_root / event.image.name) as stored:
        assert not stored.getexif()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("cat.png", b"I am a text file, honest.\n" * 10), "not a JPEG, PNG or WebP"),
        (upload("anim.gif", picture("GIF"), "image/gif"), "not a JPEG, PNG or WebP"),
        (upload("bomb.png", png_claiming(30_000, 30_000)), "too many pixels"),
        (upload("cut.png", picture("PNG", size=(300, 300))[:200]), "could not be read"),
        (upload("empty.png", b""), "empty"),
    ],
    ids=["text-renamed-png", "gif", "decompression-bomb", "truncated", "empty"],
)
def test_anything_else_is_a_400_on_the_image_field(manager_client, event, media_root, file, message):
    response = post_image(manager_client, event, file)

    assert response.status_code == 400
    [text] = response.json()["error"]["fields"]["image"]
    assert message in text
    event.refresh_from_db()
    assert not event.image
    assert not any(media_root.rglob("*.*"))


def test_an_oversized_file_is_refused(manager_client, event, settings):
    settings.EVENT_IMAGE_MAX_BYTES = 10_000
    response = post_image(manager_client, event, upload("big.png", noisy_png(100)))
    assert response.status_code == 400
    assert "too large" in response.json()["error"]["fields"]["image"][0]


def test_a_body_far_over_the_limit_is_413_before_it_is_read(manager_client, event, settings):
    settings.EVENT_IMAGE_MAX_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post_image(manager_client, event, upload("big.png", noisy_png(200)))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_pixel_limits_come_from_settings(manager_client, event, settings):
    settings.EVENT_IMAGE_MAX_PIXELS = 1000
    response = post_image(manager_client, event, upload("wide.png", picture("PNG", size=(100, 20))))
    assert response.status_code == 400
    assert "megapixels" in response.json()["error"]["fields"]["image"][0]


def test_the_message_is_in_the_organizers_language(manager_client, event):
    response = post_image(manager_client, event, upload("anim.gif", picture("GIF")), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "JPEG" in response.json()["error"]["fields"]["image"][0]
    assert "图片" in response.json()["error"]["fields"]["image"][0]


def test_a_missing_file_is_a_field_error(manager_client, event):
    response = manager_client.post(f"/api/v1/organizer/events/{event.slug}/image/", {}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()["error"]["fields"]


def test_replacing_and_removing_delete_the_old_file(
    manager_client, event, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_image(manager_client, event, upload("one.png", picture("PNG")))
    first = Event.objects.get(pk=event.pk).image.name
    with django_capture_on_commit_callbacks(execute=True):
        post_image(manager_client, event, upload("two.png", picture("PNG", size=(10, 10))))
    second = Event.objects.get(pk=event.pk).image.name
    assert second != first
    assert not (media_root / first).exists() and (media_root / second).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.delete(f"/api/v1/organizer/events/{event.slug}/image/")
    assert response.status_code == 200 and response.json()["image_url"] is None
    assert not (media_root / second).exists()


def test_only_the_events_managers_may_upload(api_client, event, organization):
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role=Membership.Role.MANAGER)
    # A volunteer organizes nothing (403); another organization's manager cannot see the event (404).
    for user, status in ((volunteer, 403), (stranger, 404)):
        client = APIClient()
        client.force_authenticate(user)
        assert post_image(client, event, upload("tea.png", picture())).status_code == status
    assert post_image(api_client, event, upload("tea.png", picture())).status_code == 401
    event.refresh_from_db()
    assert not event.image


# --- shown to the public -------------------------------------------------------------------------


@pytest.fixture
def event_with_image(manager_client, event):
    post_image(manager_client, event, upload("tea.png", picture()))
    event.refresh_from_db()
    return event


def test_public_api_has_the_absolute_image_url(api_client, event_with_image):
    expected = f"http://testserver/media/{event_with_image.image.name}"
    [listed] = api_client.get("/api/v1/events/").json()["results"]
    assert listed["image_url"] == expected
    assert api_client.get("/api/v1/events/tea/").json()["image_url"] == expected


def test_public_pages_show_the_image(client, event_with_image):
    src = f'src="/media/{event_with_image.image.name}"'
    assert src in client.get("/").content.decode()
    assert src in client.get("/events/tea/").content.decode()


def test_an_event_without_image_has_none(api_client, event):
    assert api_client.get("/api/v1/events/tea/").json()["image_url"] is None
    assert "<img" not in api_client.get("/events/tea/").content.decode()


def test_media_is_served_when_the_app_serves_it(client, event_with_image, settings):
    settings.SERVE_MEDIA = True
    response = client.get(f"/media/{event_with_image.image.name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    settings.SERVE_MEDIA = False
    assert client.get(f"/media/{event_with_image.image.name}").status_code == 404


def test_media_serving_stays_inside_media_root(client, settings, media_root):
    settings.SERVE_MEDIA = True
    for path in ("/media/../../etc/passwd", "/media/%2e%2e/%2e%2e/etc/passwd", "/media/..%2f..%2fetc/passwd"):
        response = client.get(path)
        assert response.status_code in (400, 404)
        assert b"root:" not in response.content


# --- admin -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_for(client, organization):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.MANAGER)
    client.force_login(user)
    return client


def admin_post(client, event, file):
    data = read_form(client.get(admin_url("event_change", event.pk)), "event_form")
    data["image"] = file
    return client.post(admin_url("event_change", event.pk), data)


def test_admin_upload_is_checked_and_stored(admin_client_for, organization, media_root):
    event = EventFactory(organization=organization, status=Event.Status.DRAFT)
    page = admin_client_for.get(admin_url("event_change", event.pk)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'accept="image/jpeg,image/png,image/webp"' in page

    response = admin_post(admin_client_for, event, upload("poster.jpeg", picture("JPEG")))

    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert STORED_NAME.match(event.image.name) and (media_root / event.image.name).is_file()
    assert (event.image_width, event.image_height) == (64, 48)


@pytest.mark.parametrize(
    "file",
    [
        upload("cat.png", b"just text"),
        upload("anim.gif", picture("GIF")),
        upload("bomb.png", png_claiming(30_000, 30_000)),
    ],
    ids=["text-renamed-png", "gif", "decompression-bomb"],
)
def test_admin_refuses_what_is_not_an_image(admin_client_for, organization, media_root, file):
    event = EventFactory(organization=organization, status=Event.Status.DRAFT)
    response = admin_post(admin_client_for, event, file)
    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    event.refresh_from_db()
    assert not event.image
    assert not any(media_root.rglob("*.*"))


def test_deleting_a_draft_in_the_admin_deletes_its_image(
    admin_client_for, organization, media_root, django_capture_on_commit_callbacks
):
    event = EventFactory(organization=organization, status=Event.Status.DRAFT)
    admin_post(admin_client_for, event, upload("poster.png", picture()))
    event.refresh_from_db()
    stored = media_root / event.image.name
    assert stored.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for.post(admin_url("event_delete", event.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not stored.exists()


# --- files left behind -----------------------------------------------------------------------------


def age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_sweeper_deletes_the_file_of_an_upload_that_rolled_back(event, manager, media_root):
    """The file is written before the transaction commits; if the transaction then rolls back, no
    event refers to it. The daily beat task removes such files once they are old enough that no
    transaction still in flight can be about to commit them."""
    with pytest.raises(RuntimeError), transaction.atomic():
        services.event_set_image(user=manager, event=event, upload=upload("poster.png", picture()))
        raise RuntimeError("something later in the same transaction failed")
    event.refresh_from_db()
    assert not event.image
    [orphan] = (media_root / "events").iterdir()

    kept = services.event_set_image(user=manager, event=event, upload=upload("tea.png", picture()))
    in_flight = media_root / "events" / ("0" * 32 + ".png")  # as if another upload were mid-transaction
    in_flight.write_bytes(picture())
    for path in (orphan, media_root / kept.image.name):
        age(path, hours=7)

    assert sweep_orphan_images() == 1

    assert not orphan.exists()
    assert (media_root / kept.image.name).is_file() and in_flight.is_file()
    assert sweep_orphan_images() == 0  # idempotent


def test_the_sweeper_leaves_other_media_alone_and_copes_without_a_directory(media_root):
    assert sweep_orphan_images() == 0  # nothing uploaded yet: no events/ directory
    other = media_root / "exports" / "old.csv"
    other.parent.mkdir()
    other.write_text("x")
    age(other, hours=100)
    assert sweep_orphan_images() == 0 and other.exists()


def test_the_sweeper_runs_once_a_day_from_the_beat_schedule():
    from backend.celery import app

    [entry] = [e for e in app.conf.beat_schedule.values() if e["task"] == sweep_orphan_images.name]
    schedule = entry["schedule"]
    assert len(schedule.hour) == len(schedule.minute) == 1 and len(schedule.day_of_week) == 7
