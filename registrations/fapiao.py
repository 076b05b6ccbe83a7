"""Fapiao (发票) requests: the buyer's taxpayer ID checked, the request's fields cleaned.

Since 2015 a Chinese company's taxpayer ID is its Unified Social Credit Code (统一社会信用代码,
GB 32100-2015): 18 characters from ``0-9`` and ``A-Y`` without I, O, S, V and Z, the last one a
check character (weighted sum modulo 31). Older tax registration numbers of 15 or 20 characters
(digits and capitals) are still accepted; they carry no check character.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from common.exceptions import InvalidInput

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LEGACY_LENGTHS = (15, 20)


def normalise_taxpayer_id(value: str) -> str:
    return "".join(value.split()).upper()


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def taxpayer_id_valid(value: str) -> bool:
    value = normalise_taxpayer_id(value)
    if len(value) == 18:
        return all(ch in USCC_ALPHABET for ch in value) and uscc_check_character(value[:17]) == value[17]
    if len(value) in LEGACY_LENGTHS:
        return value.isascii() and value.isalnum() and value.upper() == value
    return False


def fapiao_clean(*, company_name: str, taxpayer_id: str) -> tuple[str, str]:
    """The request's fields, trimmed and checked; InvalidInput names the field that is wrong."""
    company_name = " ".join((company_name or "").split())
    taxpayer_id = normalise_taxpayer_id(taxpayer_id or "")
    errors = {}
    if not company_name:
        errors["company_name"] = [_("Enter the company name as registered for tax.")]
    elif len(company_name) > 200:
        errors["company_name"] = [_("The company name is too long.")]
    if not taxpayer_id_valid(taxpayer_id):
        errors["taxpayer_id"] = [
            _("This is not a valid taxpayer ID: enter the 18-character unified social credit code.")
        ]
    if errors:
        raise InvalidInput(fields=errors, code="invalid_fapiao")
    return company_name, taxpayer_id
