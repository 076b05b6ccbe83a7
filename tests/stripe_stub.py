"""A local stand-in for api.stripe.com, so the real `stripe` library runs over real HTTP.

Only Stripe's side is faked; our code and the stripe client are exercised as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class StripeStub:
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next: int = 0
        self._ids = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                stub.requests.append({"path": self.path, "form": form, "headers": dict(self.headers)})
                if stub.fail_next:
                    stub.fail_next -= 1
                    return self._send(500, {"error": {"type": "api_error", "message": "stub failure"}})
                n = next(stub._ids)
                if self.path == "/v1/checkout/sessions":
                    return self._send(
                        200,
                        {
                            "id": f"cs_test_{n}",
                            "object": "checkout.session",
                            "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
                            "payment_status": "unpaid",
                            "status": "open",
                            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                        },
                    )
                if self.path == "/v1/refunds":
                    return self._send(
                        200,
                        {
                            "id": f"re_test_{n}",
                            "object": "refund",
                            "status": "succeeded",
                            "payment_intent": form.get("payment_intent"),
                        },
                    )
                return self._send(404, {"error": {"type": "invalid_request_error", "message": "unknown path"}})

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_stub")
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [request["path"] for request in self.requests]


def sign_webhook(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed the way Stripe documents it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload.decode()}".encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def checkout_event(
    *,
    event_id: str,
    session_id: str,
    registration_id: int,
    kind: str = "checkout.session.completed",
    payment_status: str = "paid",
    amount_total: int = 8000,
    currency: str = "cny",
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "payment_status": payment_status,
                    "amount_total": amount_total,
                    "currency": currency,
                    "payment_intent": f"pi_for_{session_id}",
                    "client_reference_id": str(registration_id),
                    "metadata": {"registration_id": str(registration_id)},
                }
            },
        }
    ).encode()
