"""Request limits: body size (ASGI middleware) and per-minute counters for rate limits."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cxgap.settings import WebSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


WebOptions = WebSettings
"""The web application's settings part (:class:`cxgap.settings.WebSettings`)."""


class BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_too_large: ASGIApp) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_too_large = on_too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self.on_too_large(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self.on_too_large(scope, receive, send)


class RateLimiter:
    """Counts events per key over the last minute (sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = 0.0

    def allow(self, key: str, *, now: float | None = None) -> bool:
        """Count one event for ``key``; ``False`` while a minute's allowance is used up."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if now - self._swept > 60:  # forget keys idle for a minute
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - 60}
                self._swept = now
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - 60:
                events.popleft()
            if len(events) >= self.per_minute:
                return False
            events.append(now)
            return True


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # survey links are credentials: never leak them
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Add the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
