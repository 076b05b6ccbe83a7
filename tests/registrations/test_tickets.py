"""Ticket codes: signing, hostile input, key handling, and QR images read by a real decoder."""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import stat
import threading
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from registrations import tickets
from registrations.tickets import (
    TicketCodeInvalid,
    parse_ticket_code,
    public_key_b64,
    public_key_pem,
    qr_png,
    qr_svg,
    ticket_code,
    verify_ticket,
)
from tests.factories import RegistrationFactory
from tests.qr import decode_qr

CODE_SHAPE = re.compile(r"HG1\.[0-9]+\.[A-Za-z0-9_-]{86}")


@pytest.fixture(autouse=True, scope="module")
def _isolated_key(tmp_path_factory):
    """Every test in this module signs with a key file of its own, never the shared var/ one.

    Module-scoped so the hypothesis tests need no function-scoped fixture.
    """
    key_file = tmp_path_factory.mktemp("keys") / "ticket-signing-ed25519.pem"
    with override_settings(TICKET_SIGNING_KEY="", TICKET_SIGNING_KEY_FILE=key_file):
        tickets._signing_key.cache_clear()
        yield key_file
    tickets._signing_key.cache_clear()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _use_key(settings, value: str) -> None:
    settings.TICKET_SIGNING_KEY = value
    tickets._signing_key.cache_clear()
    tickets._verification_key.cache_clear()


# --- Codes ----------------------------------------------------------------------------------


def test_round_trip():
    code = ticket_code(ticket_id=42)

    assert CODE_SHAPE.fullmatch(code)
    assert code.startswith("HG1.42.")
    assert parse_ticket_code(code) == 42
    assert ticket_code(ticket_id=42) == code  # deterministic: re-sent emails show the same QR


def test_scanner_newline_is_tolerated():
    code = ticket_code(ticket_id=7)
    assert parse_ticket_code(code + "\r\n") == 7


def test_code_verifies_offline_with_the_public_key_alone():
    code = ticket_code(ticket_id=1234)
    message, _dot, signature = code.rpartition(".")
    raw_signature = base64.urlsafe_b64decode(signature + "==")

    from_raw = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_key_b64() + "="))
    from_pem = serialization.load_pem_public_key(public_key_pem().encode())

    from_raw.verify(raw_signature, message.encode())  # raises if not genuine
    from_pem.verify(raw_signature, message.encode())
    assert len(base64.urlsafe_b64decode(public_key_b64() + "=")) == 32


@pytest.mark.parametrize("changed_id", ["43", "420", "4", "042"])
def test_tampered_id_is_rejected(changed_id):
    code = ticket_code(ticket_id=42)
    forged = code.replace("HG1.42.", f"HG1.{changed_id}.", 1)

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(forged)


def test_tampered_signature_is_rejected():
    code = ticket_code(ticket_id=42)
    prefix, signature = code.rsplit(".", 1)
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[10] ^= 0x01

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(f"{prefix}.{_b64url(bytes(flipped))}")


def test_non_canonical_signature_spelling_is_rejected():
    """The last base64 character carries 4 unused bits: another spelling of the same bytes."""
    code = ticket_code(ticket_id=42)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(code[-1])
    sibling = code[:-1] + alphabet[last ^ 0b0001]
    assert base64.urlsafe_b64decode(sibling.rsplit(".", 1)[1] + "==") == base64.urlsafe_b64decode(
        code.rsplit(".", 1)[1] + "=="
    )

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(sibling)


def test_code_signed_by_another_key_is_rejected():
    intruder = Ed25519PrivateKey.generate()
    forged = f"HG1.42.{_b64url(intruder.sign(b'HG1.42'))}"

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(forged)


def test_codes_from_a_previous_key_are_rejected(settings):
    _use_key(settings, _b64url(os.urandom(32)))
    old_code = ticket_code(ticket_id=5)
    _use_key(settings, _b64url(os.urandom(32)))

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(old_code)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        None,
        0,
        42,
        b"HG1.1.abc",
        ["HG1.1.x"],
        {"code": "HG1.1.x"},
        "x" * 10_000,
        "HG1." + "1" * 10_000 + ".x",
        "票券🎫",
        "HG1..",
        "HG1...",
        "HG1",
        "HG2.1.x",
        "hg1.1." + "A" * 86,
        "HG1.-1." + "A" * 86,
        "HG1.+1." + "A" * 86,
        "HG1.1_0." + "A" * 86,
        "HG1.١." + "A" * 86,  # Arabic-Indic digit one: int() would accept it
        "HG1. 1." + "A" * 86,
        "HG1.99999999999999999999." + "A" * 86,  # beyond a 64-bit primary key
        "HG1.9223372036854775808." + "A" * 86,
        "HG1.1.!!!",
        "HG1.1." + "A" * 85,
        "HG1.1." + "A" * 87,
        "HG1.1." + "A" * 84 + "==",
        "HG1.1." + "A" * 86 + ".extra",
        "HG1.1." + "A" * 86,  # well-formed, but an all-zero signature
        "HG1.1.\x00" + "A" * 85,
    ],
)
def test_garbage_is_rejected_with_the_domain_error_only(garbage):
    with pytest.raises(TicketCodeInvalid) as excinfo:
        parse_ticket_code(garbage)

    assert excinfo.value.code == "invalid_ticket"
    assert excinfo.value.status_code == 400


@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=100),
        st.integers(),
        st.floats(),
        st.none(),
        st.lists(st.text(max_size=5), max_size=3),
        st.builds(lambda i, s: f"HG1.{i}.{s}", st.integers(), st.text(max_size=100)),
        st.builds(
            lambda i, s: f"HG1.{i}.{s}",
            st.text(alphabet="0123456789-+_ ", max_size=25),
            st.text(
                alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", min_size=80, max_size=90
            ),
        ),
    )
)
def test_arbitrary_input_raises_only_ticket_code_invalid(value):
    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(value)


@given(ticket_id=st.integers(min_value=0, max_value=2**63 - 1), data=st.data())
def test_any_single_character_change_is_rejected(ticket_id, data):
    code = ticket_code(ticket_id=ticket_id)
    assert parse_ticket_code(code) == ticket_id

    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != code[position]))
    mutated = code[:position] + replacement + code[position + 1 :]

    with pytest.raises(TicketCodeInvalid):
        parse_ticket_code(mutated)


@pytest.mark.parametrize("bad_id", [-1, True, "1", 1.0, None, 2**63])
def test_ticket_code_refuses_what_is_not_a_database_id(bad_id):
    with pytest.raises(ValueError):
        ticket_code(ticket_id=bad_id)


# --- Tickets --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_ticket_loads_ticket_registration_and_event_in_one_query(django_assert_num_queries):
    registration = RegistrationFactory(party_size=2)
    guest_ticket = registration.tickets.get(position=1)
    code = ticket_code(ticket_id=guest_ticket.id)

    with django_assert_num_queries(1):
        ticket = verify_ticket(code=code)
        assert ticket == guest_ticket
        assert ticket.registration.status == "confirmed"
        assert ticket.registration.event.slug == registration.event.slug


@pytest.mark.django_db
def test_verify_ticket_rejects_a_genuine_code_for_a_missing_ticket():
    with pytest.raises(TicketCodeInvalid):
        verify_ticket(code=ticket_code(ticket_id=987_654))


@pytest.mark.django_db
def test_verify_ticket_rejects_forgeries_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(TicketCodeInvalid):
        verify_ticket(code="HG1.1.!!!")


@pytest.mark.django_db
def test_code_and_qr_carry_no_personal_data():
    registration = RegistrationFactory(name="Zhang Wei", email="zhang.wei@example.org")
    ticket = registration.tickets.get()
    code = ticket_code(ticket_id=ticket.id)
    [decoded] = decode_qr(qr_png(code=code))

    for text in (code, decoded):
        assert CODE_SHAPE.fullmatch(text)
        assert "zhang" not in text.lower()
        assert "example.org" not in text
        assert "@" not in text


# --- Keys -----------------------------------------------------------------------------------


def test_dev_key_file_is_created_once_with_mode_0600_and_reused(settings, tmp_path):
    key_file = tmp_path / "keys" / "ticket-signing-ed25519.pem"
    settings.TICKET_SIGNING_KEY_FILE = key_file
    tickets._signing_key.cache_clear()

    code = ticket_code(ticket_id=1)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content, inode = key_file.read_bytes(), key_file.stat().st_ino
    assert b"BEGIN PRIVATE KEY" in content
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind

    tickets._signing_key.cache_clear()  # as a new process would: load from the file again
    tickets._verification_key.cache_clear()
    assert ticket_code(ticket_id=1) == code
    assert parse_ticket_code(code) == 1
    assert key_file.read_bytes() == content
    assert key_file.stat().st_ino == inode


def test_an_existing_key_file_wins_over_a_freshly_generated_key(tmp_path):
    """What the loser of a creation race sees: the file already exists, so it uses that key."""
    key_file = tmp_path / "k.pem"
    existing = Ed25519PrivateKey.generate()
    key_file.write_text(_pem(existing))
    key_file.chmod(0o600)

    loaded = tickets._load_or_create_key_file(key_file)

    assert loaded.private_bytes_raw() == existing.private_bytes_raw()


def test_racing_creators_all_end_up_with_the_same_key(tmp_path):
    key_file = tmp_path / "keys" / "race.pem"
    racers = 16
    barrier = threading.Barrier(racers)
    results: list[bytes] = []
    errors: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            results.append(tickets._load_or_create_key_file(key_file).private_bytes_raw())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == racers
    assert len(set(results)) == 1
    assert results[0] == tickets._read_key_file(key_file).private_bytes_raw()
    assert [path.name for path in key_file.parent.iterdir()] == ["race.pem"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_key_from_setting_as_base64url_seed(settings, tmp_path):
    seed = os.urandom(32)
    settings.TICKET_SIGNING_KEY_FILE = tmp_path / "unused.pem"
    _use_key(settings, _b64url(seed))

    code = ticket_code(ticket_id=9)

    expected_public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    message, _dot, signature = code.rpartition(".")
    expected_public.verify(base64.urlsafe_b64decode(signature + "=="), message.encode())
    assert public_key_b64() == _b64url(expected_public.public_bytes_raw())
    assert not (tmp_path / "unused.pem").exists()


def test_key_from_setting_as_pem(settings):
    key = Ed25519PrivateKey.generate()
    _use_key(settings, _pem(key))

    code = ticket_code(ticket_id=9)

    assert public_key_b64() == _b64url(key.public_key().public_bytes_raw())
    assert parse_ticket_code(code) == 9


@pytest.mark.parametrize(
    "bad_key",
    [
        "not base64!",
        _b64url(b"too short"),
        "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n",
    ],
)
def test_unusable_key_setting_fails_loudly_without_echoing_it(settings, bad_key):
    _use_key(settings, bad_key)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        ticket_code(ticket_id=1)

    assert bad_key.strip() not in str(excinfo.value)


def test_production_without_key_setting_warns_once(settings, monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("HUIGUAN_TESTING")
    settings.DEBUG = False
    settings.TICKET_SIGNING_KEY_FILE = tmp_path / "prod.pem"
    tickets._signing_key.cache_clear()

    with caplog.at_level(logging.WARNING, logger="registrations.tickets"):
        code = ticket_code(ticket_id=1)
        ticket_code(ticket_id=2)
        parse_ticket_code(code)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "TICKET_SIGNING_KEY is not set" in warnings[0].getMessage()
    assert str(tmp_path / "prod.pem") in warnings[0].getMessage()


def test_no_warning_in_tests_or_with_a_configured_key(settings, caplog):
    _use_key(settings, _b64url(os.urandom(32)))
    settings.DEBUG = False

    with caplog.at_level(logging.WARNING, logger="registrations.tickets"):
        ticket_code(ticket_id=1)

    assert caplog.records == []


# --- QR images ------------------------------------------------------------------------------


def _decode(png: bytes) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)


@pytest.mark.parametrize("scale", [10, 3])
def test_png_decodes_with_a_real_qr_reader(scale):
    code = ticket_code(ticket_id=123_456)
    png = qr_png(code=code) if scale == 10 else qr_png(code=code, scale=scale)

    barcodes = _decode(png)

    assert [barcode.text for barcode in barcodes] == [code]
    assert barcodes[0].ec_level == "Q"


def test_png_is_large_enough_and_has_a_four_module_quiet_zone():
    scale = 10
    image = Image.open(io.BytesIO(qr_png(code=ticket_code(ticket_id=2**40)))).convert("L")
    width, height = image.size
    quiet = 4 * scale

    assert width == height >= 400
    assert width % scale == 0
    pixels = image.load()
    border = [
        pixels[x, y] for x in range(width) for y in range(height) if min(x, y, width - 1 - x, height - 1 - y) < quiet
    ]
    assert set(border) == {255}
    assert pixels[quiet, quiet] == 0  # the finder pattern starts right after the quiet zone


def test_png_survives_damage_thanks_to_level_q():
    """A scratch across part of the symbol, as on a cracked phone screen, still reads."""
    code = ticket_code(ticket_id=77)
    image = Image.open(io.BytesIO(qr_png(code=code))).convert("L")
    width, _height = image.size
    quiet = 40
    # Wipe a band of data modules (away from the finder patterns) in the lower middle.
    band = Image.new("L", (width // 5, 30), 255)
    image.paste(band, (width // 2 - width // 10, width * 2 // 3))

    assert decode_qr(image) == [code]
    assert image.getpixel((quiet, quiet)) == 0


def test_svg_is_well_formed_xml_with_a_path():
    svg = qr_svg(code=ticket_code(ticket_id=1))

    root = ET.fromstring(svg)

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1
    assert paths[0].get("d")


@pytest.mark.parametrize("scale", [0, -1, 2.5, True])
def test_png_refuses_a_scale_that_is_not_whole_pixels(scale):
    with pytest.raises(ValueError):
        qr_png(code="HG1.1.x", scale=scale)
