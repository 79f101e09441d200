"""SMTP e-mail against a local aiosmtpd server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from cdrhub.automations.channels.smtp_email import send_email
from cdrhub.jobs.outbox import PermanentFailure, RetryLater


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.data_reply: str | None = None
        self.rcpt_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope, message_from_bytes(envelope.content, policy=default)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, dict[str, Any]]]:
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            recorder,
            {"host": "127.0.0.1", "port": port, "from": "cdrhub@example.com", "timeout": 5},
        )
    finally:
        controller.stop()


def test_sends_with_idempotent_message_id(smtp: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, options = smtp
    result = send_email(
        options,
        to=["manager@example.com"],
        subject="שיחה שלא נענתה",
        text="התקשר ללקוח 050-123-4567",
        idempotency_key="abc123",
    )
    assert result["message_id"] == "<abc123@cdrhub>"
    ((envelope, message),) = recorder.messages
    assert envelope.rcpt_tos == ["manager@example.com"]
    assert message["Subject"] == "שיחה שלא נענתה"
    assert message["Message-ID"] == "<abc123@cdrhub>"
    assert message["X-Idempotency-Key"] == "abc123"
    assert "050-123-4567" in message.get_content()


def test_transient_and_permanent_replies(smtp: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, options = smtp
    args = {"to": ["m@example.com"], "subject": "s", "text": "t", "idempotency_key": "k"}
    recorder.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(RetryLater, match="451"):
        send_email(options, **args)
    recorder.data_reply = "554 5.7.1 Rejected"
    with pytest.raises(PermanentFailure, match="554"):
        send_email(options, **args)
    recorder.data_reply = None
    recorder.rcpt_reply = "450 4.2.1 Mailbox busy"
    with pytest.raises(RetryLater):
        send_email(options, **args)
    recorder.rcpt_reply = "550 5.1.1 No such user"
    with pytest.raises(PermanentFailure):
        send_email(options, **args)


def test_unreachable_server_is_retried() -> None:
    options = {"host": "127.0.0.1", "port": _free_port(), "from": "a@example.com", "timeout": 2}
    with pytest.raises(RetryLater):
        send_email(options, to=["b@example.com"], subject="s", text="t", idempotency_key="k")
