"""Hardening of the whole web surface: security headers, request size limit, generic errors.

Pure ASGI middleware (not BaseHTTPMiddleware) so streaming bodies are counted as they arrive
and the cost per request stays a few microseconds.
"""

from __future__ import annotations

import json
import logging
import uuid

from watchhouse.config import tile_url

log = logging.getLogger("watchhouse.web")

MAX_REQUEST_BYTES = 1_000_000


def _tile_origin() -> str:
    url = tile_url()
    if not url.startswith(("http://", "https://")):
        return ""
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    # Tile templates use {s} subdomains: allow the wildcard form of the host.
    return f"{scheme}://{host.replace('{s}', '*')}"


def content_security_policy() -> str:
    tiles = _tile_origin()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",  # no inline scripts, no eval
            # Leaflet and Vega set element styles from script; inline *styles* cannot run code.
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{' ' + tiles if tiles else ''}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"geolocation=(self), camera=(), microphone=()"),
    ]


def _wants_json(path: str) -> bool:
    return path.startswith(("/api", "/v1", "/map/"))


async def _send_error(send, status: int, message: str, path: str, extra_headers=()) -> None:
    if _wants_json(path):
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    else:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Watchhouse</title>"
            f"<main><h1>{status}</h1><p>{message}</p><p><a href=/>Back to the start</a></p></main></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *security_headers(),
               *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class HardeningMiddleware:
    """Adds security headers to every response, refuses oversized bodies with 413, and turns
    any unhandled error into a generic 500 that reveals nothing internal (the detail is logged
    with a reference the user can quote)."""

    def __init__(self, app, max_request_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.max_request_bytes = max_request_bytes
        self._headers = security_headers()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_request_bytes
                except ValueError:
                    too_large = True
                if too_large:
                    await _send_error(send, 413, "Request body too large.", path)
                    return

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_request_bytes:
                    raise _TooLarge
            return message

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *(h for h in self._headers if h[0] not in existing)]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, "Request body too large.", path)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            log.exception("unhandled error, reference %s, path %s", reference, path)
            if not started:
                await _send_error(send, 500, f"Something went wrong. Reference: {reference}.", path)
