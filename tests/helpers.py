"""Helpers tests of several apps share: a notice in three languages; paying through the Stripe
stub and Stripe's refund webhook. Fixtures live in conftest."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import Notice
from tests.registrations.test_stripe import post_webhook, register, start_checkout
from tests.stripe_stub import checkout_event


def notice_in(organization, *, status: str = Notice.Status.PUBLISHED, **fields) -> Notice:
    """A notice of ``organization`` (published now unless told), written in English, Chinese and Japanese."""
    values = {
        "category": Notice.Category.SERVICE,
        "title": {"en": "Office hours change", "zh-hans": "办公时间调整", "ja": "窓口時間の変更"},
        "body": {"en": "Open 9 to 5.", "zh-hans": "九点至五点开放。", "ja": "9時から17時まで。"},
        **fields,
    }
    values.setdefault("published_at", timezone.now() if status != Notice.Status.DRAFT else None)
    return Notice.objects.create(organization=organization, status=status, **values)


def pay_online(api_client, event, *, email="pay@example.org", event_id=None, amount_total=None, **extra) -> dict:
    """Register and pay through Checkout (the stub), confirmed by a signed webhook. The body of
    the registration's 201."""
    body = register(api_client, event, email=email, **extra)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    kwargs = {"amount_total": amount_total} if amount_total is not None else {}
    payload = checkout_event(
        event_id=event_id or f"evt_paid_{body['id']}", session_id=session_id, registration_id=body["id"], **kwargs
    )
    response = post_webhook(api_client, payload)
    assert response.status_code == 200, response.content
    body["session_id"] = session_id
    return body


def charge_refunded_event(
    *, event_id: str, payment_intent: str, amount: int, amount_refunded: int, refunds: list[dict] | None = None
) -> bytes:
    """``charge.refunded`` as Stripe sends it (refunds listed when ``refunds`` is given)."""
    charge = {
        "id": f"ch_for_{payment_intent}",
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount_refunded,
        "currency": "cny",
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
    }
    if refunds is not None:
        charge["refunds"] = {"object": "list", "data": refunds}
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {"object": charge},
        }
    ).encode()


def manage_token(body: dict) -> str:
    return body["manage_url"].rstrip("/").rsplit("/", 1)[1]


def cancel_via_api(api_client, body: dict):
    return api_client.delete(f"/api/v1/registrations/{body['id']}/", HTTP_X_MANAGE_TOKEN=manage_token(body))


# --- browser tests ---------------------------------------------------------------------------------

AXE = Path(__file__).resolve().parent / "browser" / "vendor" / "axe-4.10.3.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, *, wcag_aa_only: bool = True) -> list[dict]:
    """axe-core's violations on the page as shown (the context needs ``bypass_csp=True``: axe is
    injected as a script): WCAG 2.1 A/AA rules, or every rule with ``wcag_aa_only=False``."""
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}} if wcag_aa_only else {"resultTypes": ["violations"]}
    result = page.evaluate("(options) => axe.run(document, options)", options)
    return [
        {"id": v["id"], "impact": v.get("impact"), "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def use_live_redis_cache(settings) -> str:
    """Point the default cache at a live Redis (the shared one, this run's own database, a fresh key
    prefix) with the project's resilient backend; skip the test without one. Returns the prefix."""
    import redis

    db = int(os.environ.get("HUIGUAN_TEST_REDIS_DB", "14"))
    try:
        redis.Redis(db=db, socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"cache-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{db}",
            "KEY_PREFIX": prefix,
        }
    }
    return prefix
