"""Helpers for the notification tests: read sent emails the way a mail client does."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass

import pytest
from django.core import mail

LANGUAGES = ["en", "zh-hans", "ja"]


@dataclass
class Received:
    """One email, parsed back from its bytes on the wire."""

    raw: bytes
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def raw_subject(self) -> str:
        return email.message_from_bytes(self.raw)["Subject"]

    def part(self, content_type: str):
        return next((part for part in self.message.walk() if part.get_content_type() == content_type), None)

    @property
    def text(self) -> str:
        return self.part("text/plain").get_content()

    @property
    def html(self) -> str:
        return self.part("text/html").get_content()

    def calendar(self):
        return self.part("text/calendar")

    def attachments(self, content_type: str) -> list:
        return [
            part
            for part in self.message.walk()
            if part.get_content_type() == content_type and part.get_content_disposition() == "attachment"
        ]

    def inline_images(self) -> list:
        return [
            part
            for part in self.message.walk()
            if part.get_content_maintype() == "image" and part.get_content_disposition() == "inline"
        ]


def received(message) -> Received:
    raw = message.message().as_bytes()
    return Received(raw=raw, message=email.message_from_bytes(raw, policy=email.policy.default))


def inbox(address: str | None = None) -> list[Received]:
    return [received(message) for message in mail.outbox if address is None or address in message.to]


def parse_ics(data: bytes):
    """The invite read by two libraries: icalendar (what we write with) and vobject (a second reader)."""
    import vobject
    from icalendar import Calendar

    return Calendar.from_ical(data), vobject.readOne(data.decode("utf-8"))


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the queued sending tasks, eager in tests)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture(autouse=True)
def _clean_outbox():
    mail.outbox.clear()


class SmtpSink:
    """An aiosmtpd handler that keeps what it receives; ``reject_rcpt``/``reject_data`` answer with an error."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.reject_rcpt: str | None = None
        self.reject_data: list[str] = []  # answers for the next DATA commands, in order
        self.timeline: list | None = None  # set to a list to log ("smtp", command) as they arrive

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.timeline is not None:
            self.timeline.append(("smtp", "RCPT"))
        if self.reject_rcpt:
            return self.reject_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.timeline is not None:
            self.timeline.append(("smtp", "DATA"))
        if self.reject_data:
            return self.reject_data.pop(0)
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def parsed(self) -> list:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.messages]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A real SMTP server on a free loopback port."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def smtp_settings(settings):
    """Point Django's SMTP backend at a port; returns a function taking the port."""

    def use(port: int):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5

    return use
