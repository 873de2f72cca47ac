"""A real SMTP server (aiosmtpd) on 127.0.0.1 at a free port, for the mail tests."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Sink:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
            )
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    address: str  # host:port, as smtpServer of monitoringConf
    sink: Sink


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"127.0.0.1:{port}", sink)
    finally:
        controller.stop()
