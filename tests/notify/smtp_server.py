"""A real SMTP server on loopback (aiosmtpd) that records what it accepted."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Recorder:
    """Keeps every message the server accepted (a 250 answer to DATA).

    With ``hold_at`` = n, the n-th DATA is held without an answer until the client goes
    away (the server then takes no responsibility for it, as SMTP says).
    """

    hold_at: int | None = None
    accepted: list[Message] = field(default_factory=list)
    seen: int = 0
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        self.seen += 1
        if self.hold_at is not None and self.seen == self.hold_at:
            self.holding.set()
            while True:  # cancelled by aiosmtpd when the client's connection ends
                await asyncio.sleep(0.05)
        self.accepted.append(message_from_bytes(envelope.content))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.accepted]


@contextmanager
def smtp_server(recorder: Recorder) -> Iterator[int]:
    """Serve on 127.0.0.1 at a free port for the ``with`` block; yields the port."""
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
