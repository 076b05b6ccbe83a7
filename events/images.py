"""Event images: checked by decoding them, re-encoded, stored under an unguessable name.

What a file *is* is decided by Pillow reading it, never by its name or the Content-Type the
browser sent. Limits come from settings: bytes (EVENT_IMAGE_MAX_BYTES), and pixels and side
length read from the header *before* decoding, so a small file that would inflate into
gigabytes (a decompression bomb) is refused without being decoded. The accepted picture is
re-encoded, which drops EXIF metadata (a phone photo's GPS position) and anything smuggled
after the image data.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass(frozen=True)
class CheckedImage:
    content: ContentFile
    width: int
    height: int


UPLOAD_DIRECTORY = "events"


def upload_to(instance, filename: str) -> str:
    """``events/<32 hex>.<ext>``: the name says nothing about the event and cannot be guessed."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{UPLOAD_DIRECTORY}/{secrets.token_hex(16)}.{extension}"


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def check_event_image(upload) -> CheckedImage:
    """Decode ``upload`` (a file-like object) and return it re-encoded; ValidationError otherwise."""
    max_bytes = settings.EVENT_IMAGE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        _refuse(_("The image is too large: at most %(size)s.") % {"size": filesizeformat(max_bytes)}, "file_size")
    if size == 0:
        _refuse(_("The file is empty."), "empty")
    upload.seek(0)
    not_an_image = _("This is not a JPEG, PNG or WebP image.")
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns (and above twice its limit raises); ours below is stricter.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        max_side, max_pixels = settings.EVENT_IMAGE_MAX_SIDE, settings.EVENT_IMAGE_MAX_PIXELS
        too_many_pixels = _("The image has too many pixels: at most %(side)d on a side and %(mp)s megapixels.") % {
            "side": max_side,
            "mp": f"{max_pixels / 1_000_000:g}",
        }
        try:
            image = Image.open(upload)
        except Image.DecompressionBombError:
            _refuse(too_many_pixels, "dimensions")
        except (UnidentifiedImageError, OSError, ValueError):
            _refuse(not_an_image, "invalid_image")
        image_format = image.format
        if image_format not in FORMATS:
            _refuse(not_an_image, "invalid_image")
        width, height = image.size
        if width > max_side or height > max_side or width * height > max_pixels:
            _refuse(too_many_pixels, "dimensions")
        try:
            image.load()  # decode everything: a truncated or corrupt file fails here, not when shown
            image = ImageOps.exif_transpose(image)  # keep a phone photo upright once EXIF is gone
            output = io.BytesIO()
            _encode(image, image_format, output)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            _refuse(_("The image could not be read; it may be damaged."), "invalid_image")
    return CheckedImage(
        content=ContentFile(output.getvalue(), name=f"image{FORMATS[image_format]}"),
        width=width,
        height=height,
    )


def _encode(image: Image.Image, image_format: str, output: io.BytesIO) -> None:
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(output, format="JPEG", quality=88, optimize=True)
    elif image_format == "WEBP":
        image.save(output, format="WEBP", quality=88)
    else:
        image.save(output, format="PNG", optimize=True)
