"""E-mail over SMTP (smtplib): STARTTLS or implicit TLS, optional login.

The Message-ID derives from the idempotency key (`<key@cdrhub>`) and the key also travels in
`X-Idempotency-Key`, so a retried send is recognisable. SMTP 4xx replies and connection errors
are retried; 5xx replies are permanent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from cdrhub.jobs.outbox import PermanentFailure, RetryLater


def build_message(
    sender: str, to: Sequence[str], subject: str, text: str, idempotency_key: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = f"<{idempotency_key}@cdrhub>"
    message["X-Idempotency-Key"] = idempotency_key
    message.set_content(text)
    return message


def send_email(
    options: Mapping[str, Any], *, to: Sequence[str], subject: str, text: str, idempotency_key: str
) -> dict[str, Any]:
    message = build_message(options["from"], to, subject, text, idempotency_key)
    host, timeout = options["host"], float(options.get("timeout", 15))
    use_ssl = bool(options.get("ssl", False))
    port = int(options.get("port", 465 if use_ssl else 587))
    try:
        smtp: smtplib.SMTP
        if use_ssl:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if not use_ssl and options.get("starttls", False):
                smtp.starttls(context=ssl.create_default_context())
            if options.get("username"):
                smtp.login(options["username"], options.get("password", ""))
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(400 <= c < 500 for c in codes):
            raise RetryLater(f"smtp: recipients deferred: {exc.recipients}") from exc
        raise PermanentFailure(f"smtp: recipients refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        text_ = f"smtp: {exc.smtp_code} {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            raise RetryLater(text_) from exc
        raise PermanentFailure(text_) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise RetryLater(f"smtp: {type(exc).__name__}: {exc}") from exc
    return {"provider": "smtp", "message_id": message["Message-ID"], "refused": list(refused)}
