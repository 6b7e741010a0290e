"""HTTP hardening: security headers on every response, CORS only when configured, and safe
Content-Disposition values."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from videoforge.settings import Settings

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# JSON and media need nothing from the page; /docs loads Swagger UI's scripts and styles.
CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """Pure ASGI middleware (streams pass through untouched) that adds the headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*HEADERS]
        if not str(scope.get("path", "")).startswith(_DOCS):
            extra.append(CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Add the security middleware; CORS stays off unless CORS_ALLOW_ORIGINS names origins."""
    origins = [o.strip() for o in settings.cors_allow_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Content-Length", "Accept-Ranges"],
        )
    app.add_middleware(SecurityHeaders)


def safe_original_name(name: str, limit: int = 120) -> str:
    """An uploaded file's name as metadata: no path, no control characters, capped length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .-") or "video"
    return name[-limit:]


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name per RFC 5987; no injection."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "download"
    exact = quote(filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{exact}"
