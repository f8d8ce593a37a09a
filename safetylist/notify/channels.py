"""Sending over e-mail (SMTP, or the development outbox when no server is configured) and over a
webhook (a JSON POST signed with HMAC-SHA256, for an SMS or WeCom gateway).

A channel raises TemporaryFailure (try again later) or PermanentFailure (stop trying)."""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid

from safetylist.notify.render import Message


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


def absolute(link: str | None, config) -> str | None:
    base = config.get("PUBLIC_BASE_URL", "")
    return f"{base}{link}" if link and base else link


def send_email(config, to_address: str, message: Message, idempotency_key: str) -> None:
    """Send through the configured SMTP server; the Message-ID is derived from the delivery so a
    mail system that sees a retried message can tell it is the same one."""
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = to_address
    email["Subject"] = message.title
    email["Message-ID"] = make_msgid(idstring=idempotency_key.replace(":", "."), domain="safetylist")
    link = absolute(message.link, config)
    email.set_content(message.body + (f"\n\n{link}" if link else "") + "\n")
    timeout = config["NOTIFY_TIMEOUT_SECONDS"]
    try:
        if config["MAIL_USE_SSL"]:
            server = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        with server:
            if config["MAIL_USE_TLS"]:
                server.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            server.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"SMTP refused the recipient {to_address}: {exc.recipients}") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise TemporaryFailure(f"SMTP login failed ({exc.smtp_code}); check MAIL_USERNAME/MAIL_PASSWORD") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}: {exc}") from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What X-SafetyList-Signature carries: sha256=HMAC(secret, timestamp + "." + body), in hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_webhook(config, payload: dict, idempotency_key: str) -> None:
    """POST the payload; 2xx is delivered, 4xx (but 408/429) is permanent, the rest is retried.
    The Idempotency-Key is the same on every attempt, so the gateway can drop a repeat."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SafetyList-notify/1",
               "Idempotency-Key": idempotency_key, "X-SafetyList-Timestamp": timestamp}
    if config.get("NOTIFY_WEBHOOK_SECRET"):
        headers["X-SafetyList-Signature"] = signature(config["NOTIFY_WEBHOOK_SECRET"], timestamp, body)
    request = urllib.request.Request(config["NOTIFY_WEBHOOK_URL"], data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=config["NOTIFY_TIMEOUT_SECONDS"]) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        reason = f"webhook answered HTTP {exc.code}"
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentFailure(reason) from exc
        raise TemporaryFailure(reason) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TemporaryFailure(f"webhook unreachable: {getattr(exc, 'reason', exc)}") from exc
