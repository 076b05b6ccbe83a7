"""Talking to Stripe: the client, and amounts in the currency's smallest unit."""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.conf import settings

from common.exceptions import DomainError, PaymentUnavailable

# Stripe amounts are in the currency's smallest unit; these currencies have none below 1.
ZERO_DECIMAL_CURRENCIES = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())


class PaymentProviderError(DomainError):
    status_code = 502
    code = "payment_provider_error"


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentUnavailable()
    options = {"max_network_retries": settings.STRIPE_MAX_NETWORK_RETRIES}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def to_minor_units(amount: Decimal, currency: str) -> int:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount)
    return int((amount * 100).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount)
    return Decimal(amount) / 100


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to what the currency can pay out (whole yen; cents otherwise), never up."""
    step = Decimal(1) if currency.upper() in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return amount.quantize(step, rounding="ROUND_DOWN")
