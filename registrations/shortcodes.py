"""Short ticket codes: eight characters a person can read out at the door or type on a phone.

The QR code holds the signed code (``registrations.tickets``, about 100 characters); the ticket
card prints this short one beside it, for a phone with a cracked screen or a volunteer whose
camera will not focus. Check-in accepts both (``checkin.services``).

The alphabet has no 0/O, 1/I/L or U/V look-alikes, so what is read out is what is typed; input
is upper-cased and spaces or hyphens are dropped ("k7qm-2xpr" is "K7QM2XPR"). Codes are random
(``secrets``), so one cannot be derived from another, and unique across all tickets (a unique
index): unique per event, as the door needs, and a code alone names its ticket. 29⁸ ≈ 5 × 10¹¹
codes make a collision rare (one in ~500 000 new tickets with a million issued); the insert that hits
one draws new codes and tries again (``registrations.services.register.tickets_create``).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # no 0 O 1 I L U V: nothing to confuse when read aloud
LENGTH = 8
_INPUT_RE = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-·.]+")


def new_short_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_short_code(text: object) -> str | None:
    """The code in canonical form if ``text`` is one (any case, spaced or hyphenated), else None."""
    if not isinstance(text, str) or len(text) > 3 * LENGTH:
        return None
    candidate = _SEPARATORS.sub("", text).upper()
    return candidate if _INPUT_RE.fullmatch(candidate) else None


def format_short_code(code: str) -> str:
    """``K7QM2XPR`` → ``K7QM-2XPR``: two groups of four are easier to read out."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == LENGTH else code
