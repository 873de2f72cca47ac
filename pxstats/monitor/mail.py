"""The report by e-mail (spec ops.md §5.6): multipart/alternative, a text/plain part (the
report) and a text/html part (`<html>` + the report, newlines as `<br>` + `</html>`), both
UTF-8 and quoted-printable, with From, To, Date and Message-ID (the original sent a Subject
only), sent with smtplib to smtpServer (`host` or `host:port`, port 25 by default)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pxstats.monitor.report import Report

SMTP_TIMEOUT = 60


class MailError(Exception):
    """The report could not be handed to the SMTP server (one line)."""


def build(report: Report, sender: str, recipients, domain: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = report.subject()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("statsMonitor", domain=domain)
    message.set_content(report.text(), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(report.html(), subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def server_address(server: str) -> tuple[str, int]:
    host, colon, port = server.rpartition(":")
    if colon and port.isdigit() and host and "]" not in port:
        return host.strip("[]"), int(port)
    return server, smtplib.SMTP_PORT


def send(
    message: EmailMessage, server: str, sender: str, recipients, timeout: float = SMTP_TIMEOUT
) -> None:
    host, port = server_address(server)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            refused = smtp.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"cannot send the report through {server}: {type(exc).__name__}: {exc}".replace(
                "\n", " "
            )
        ) from None
    if refused:
        raise MailError(f"{server} refused {', '.join(sorted(refused))}")
