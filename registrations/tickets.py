"""Signed ticket codes and their QR images.

A ticket code is ``HG1.<ticket id>.<signature>``: the signature is Ed25519 over the ASCII bytes
``HG1.<ticket id>``, base64url without padding. Why this shape:

- It carries no personal data, so a screenshot or a leaked photo of a QR code tells nobody who
  is coming; the name lives in the database, behind the check-in permission.
- Ed25519 is asymmetric: the server signs with the private key, and an offline scanner (a
  volunteer's phone with no network at the door) can check a code with the public key alone
  (`public_key_b64` / `public_key_pem`) without being able to mint new tickets.
- ``HG1`` is a version tag that is part of the signed message, so a future format (``HG2``)
  can never be confused with this one, and the signature binds the id to this version.
- The code is short (about 100 ASCII characters), which keeps the QR symbol at version 8:
  coarse modules that phone cameras read easily from a cracked screen.

Parsing treats every input as hostile: it checks the whole shape with one bounded, anchored
regular expression before any decoding or crypto, and only ever raises `TicketCodeInvalid`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import logging
import os
import re
import stat
import tempfile
from pathlib import Path

import environ
import qrcode
import qrcode.constants
import qrcode.image.svg
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError
from registrations.models import Ticket

logger = logging.getLogger(__name__)

PREFIX = "HG1"
# Hard cap checked before anything else: a real code is ~100 characters, so anything longer is
# rejected without running a regex or decoding over attacker-sized input.
MAX_CODE_LENGTH = 200
_SIGNATURE_BYTES = 64  # Ed25519
_SIGNATURE_CHARS = 86  # ceil(64 * 8 / 6): base64url of 64 bytes without "=" padding
# The largest primary key PostgreSQL and SQLite can store; a bigger id would make the database
# driver raise OverflowError instead of "no such ticket".
_MAX_TICKET_ID = 2**63 - 1
# Canonical form only: no sign, no leading zeros, no "_" separators or Unicode digits (which
# int() would accept), at most 19 digits, exactly 86 base64url characters.
_CODE_RE = re.compile(rf"{PREFIX}\.(0|[1-9][0-9]{{0,18}})\.([A-Za-z0-9_-]{{{_SIGNATURE_CHARS}}})", re.ASCII)
# Scanners in keyboard mode append a newline or tab; that is not tampering.
_SCANNER_WHITESPACE = " \t\r\n"

# Error correction Q restores up to ~25% of the symbol: enough for a cracked screen, a smudge
# or a fold, while the symbol stays coarser than at level H.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
# The quiet zone the QR standard asks for; scanners fail on codes printed edge-to-edge.
QR_BORDER_MODULES = 4
# 10 px per module gives a (49 + 8) * 10 = 570 px PNG for a version-8 symbol: sharp when
# printed and when shown full width on a phone.
QR_DEFAULT_SCALE = 10


class TicketCodeInvalid(DomainError):
    """The code is malformed, forged, or names no ticket. One error for all: a caller learns
    nothing about which check failed, and the check-in screen only needs "not a ticket"."""

    code = "invalid_ticket"
    default_message = _("This is not a valid ticket code.")


# --- Keys -----------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _key_from_setting(value: str) -> Ed25519PrivateKey:
    """Load TICKET_SIGNING_KEY: a PEM private key, or a base64url raw 32-byte seed.

    Errors never echo the value: it is a secret and error messages end up in logs.
    """
    value = value.strip()
    if value.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(value.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
            raise ImproperlyConfigured("TICKET_SIGNING_KEY is not a readable unencrypted PEM private key.") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("TICKET_SIGNING_KEY must be an Ed25519 private key.")
        return key
    unpadded = value.rstrip("=")
    try:
        # validate=True: urlsafe_b64decode would silently drop stray characters from a typo.
        seed = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("TICKET_SIGNING_KEY is neither PEM nor base64url.") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("TICKET_SIGNING_KEY as base64url must decode to exactly 32 bytes.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("Ticket signing key file %s is readable by others (mode %o); chmod 600 it.", path, mode)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ImproperlyConfigured(f"Ticket signing key file {path} is not an unencrypted PEM private key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"Ticket signing key file {path} must hold an Ed25519 private key.")
    return key


def _load_or_create_key_file(path: Path) -> Ed25519PrivateKey:
    """Return the key in ``path``, generating it first if the file does not exist.

    Safe when several processes (gunicorn workers, a Celery worker) start at once: each writes a
    complete candidate key to its own temporary file (created 0600 by mkstemp) in the same
    directory, then tries ``os.link`` to the final name. A hard link is atomic and never
    replaces an existing file, so exactly one candidate wins, readers never see a half-written
    file, and every process -- winner or loser -- then loads the key *from the file*, so all of
    them sign with the same key.
    """
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(pem)
            tmp.flush()
            os.fsync(tmp.fileno())  # the key must be on disk before its name is visible
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            pass  # another process won the race; its key is the one everybody uses
        else:
            logger.info("Generated a new ticket signing key in %s.", path)
    finally:
        os.unlink(tmp_name)
    return _read_key_file(path)


def _is_production() -> bool:
    # HUIGUAN_TESTING is an environment switch (see backend/settings_test.py), not a setting.
    return not settings.DEBUG and not environ.Env().bool("HUIGUAN_TESTING", default=False)


@functools.cache
def _signing_key() -> Ed25519PrivateKey:
    """The process-wide signing key, loaded once: signing is on every ticket page and email.

    Tests that change the key settings call ``_signing_key.cache_clear()``; the
    ``setting_changed`` receiver below also does it for ``override_settings``.
    """
    configured = settings.TICKET_SIGNING_KEY
    if configured:
        return _key_from_setting(configured)
    path = Path(settings.TICKET_SIGNING_KEY_FILE)
    if _is_production():
        # Not fatal: a single host works fine. But with several hosts each would generate its
        # own key and reject the others' tickets, so say so loudly, once per process.
        logger.warning(
            "TICKET_SIGNING_KEY is not set; using the key file %s. Every host that signs or checks "
            "tickets must share this file, or set TICKET_SIGNING_KEY.",
            path,
        )
    return _load_or_create_key_file(path)


@functools.cache
def _verification_key() -> Ed25519PublicKey:
    return _signing_key().public_key()


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs) -> None:
    if setting in ("TICKET_SIGNING_KEY", "TICKET_SIGNING_KEY_FILE"):
        _signing_key.cache_clear()
        _verification_key.cache_clear()


def public_key_b64() -> str:
    """The raw 32-byte Ed25519 public key, base64url without padding, for offline scanners."""
    return _b64url(_verification_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_pem() -> str:
    """The public key as SubjectPublicKeyInfo PEM, for scanners whose crypto library wants PEM."""
    return (
        _verification_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


# --- Codes ----------------------------------------------------------------------------------


def ticket_code(*, ticket_id: int) -> str:
    """The signed code for one ticket (one seat). Deterministic: Ed25519 signatures are, so the
    same ticket always gets the same code and QR image, and re-sending an email changes nothing."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or not 0 <= ticket_id <= _MAX_TICKET_ID:
        raise ValueError(f"ticket_id must be a non-negative database id, got {ticket_id!r}")
    message = f"{PREFIX}.{ticket_id}"
    signature = _signing_key().sign(message.encode("ascii"))
    return f"{message}.{_b64url(signature)}"


def parse_ticket_code(code: str) -> int:
    """Return the ticket id of a genuine code; raise `TicketCodeInvalid` for anything else.

    Whatever a scanner or a client sends -- not a string, megabytes, Unicode, a forged or
    truncated code -- this raises `TicketCodeInvalid` and nothing else. Cheap checks run first
    (type, length, one anchored regex) so junk never reaches base64 or the signature check.
    """
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        raise TicketCodeInvalid()
    match = _CODE_RE.fullmatch(code.strip(_SCANNER_WHITESPACE))
    if match is None:
        raise TicketCodeInvalid()
    id_text, signature_text = match.groups()
    ticket_id = int(id_text)
    if ticket_id > _MAX_TICKET_ID:
        raise TicketCodeInvalid()
    # The regex guarantees the alphabet and length, so decoding cannot fail; the round trip
    # rejects the non-canonical spellings of the same 64 bytes (the last character carries
    # 4 unused bits), so every ticket has exactly one valid code.
    signature = base64.urlsafe_b64decode(signature_text + "==")
    if len(signature) != _SIGNATURE_BYTES or _b64url(signature) != signature_text:
        raise TicketCodeInvalid()
    try:
        _verification_key().verify(signature, f"{PREFIX}.{id_text}".encode("ascii"))
    except InvalidSignature:
        raise TicketCodeInvalid() from None
    return ticket_id


def verify_ticket(*, code: str) -> Ticket:
    """The ticket a genuine code names, with its registration and event loaded in one query.

    Only proves the code is genuine and the ticket exists. Whether it may enter (cancelled,
    unpaid, another event) is the check-in service's decision, from ``ticket.registration``.
    A deleted ticket is reported like a forged one: the door needs no difference.
    """
    ticket_id = parse_ticket_code(code)
    try:
        return (
            Ticket.objects.select_related("registration", "registration__event")
            # The door needs the event's title and rules, not its long texts.
            .defer("registration__event__description", "registration__event__search_text")
            .get(pk=ticket_id)
        )
    except Ticket.DoesNotExist:
        raise TicketCodeInvalid() from None


# --- QR images ------------------------------------------------------------------------------


def _qr(code: str, *, box_size: int) -> qrcode.QRCode:
    qr = qrcode.QRCode(version=None, error_correction=QR_ERROR_CORRECTION, box_size=box_size, border=QR_BORDER_MODULES)
    qr.add_data(code)
    qr.make(fit=True)  # the smallest symbol version that holds the code at level Q
    return qr


def qr_png(*, code: str, scale: int = QR_DEFAULT_SCALE) -> bytes:
    """A black-on-white PNG of the code, ``scale`` pixels per module, with a 4-module quiet zone.

    The default is large enough to print and to show on a phone; smaller scales are for
    thumbnails. Whole pixels per module keep the edges sharp, so scale must be a positive int.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    buffer = io.BytesIO()
    _qr(code, box_size=scale).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(*, code: str) -> bytes:
    """The code as an SVG document with one path: scales to any size, for print and PDFs."""
    buffer = io.BytesIO()
    _qr(code, box_size=QR_DEFAULT_SCALE).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()
