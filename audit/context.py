"""The client address of the request being served, for the audit log.

Service functions are called from views, the admin and Celery tasks; rather than thread an
``ip`` argument through every one of them, the middleware puts the address in a context
variable for the duration of the request. Outside a request (tasks, shell) it is ``None``.
"""

from __future__ import annotations

import contextvars
import ipaddress

from rest_framework.throttling import BaseThrottle

client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)


def request_client_ip(request) -> str | None:
    """The client's address by the rate limits' rule (``NUM_PROXIES``), or None if it is not one."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
