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
# JSON and media need nothing from a page. The web page loads only our own files; hls.js
# fetches segments and runs its worker from a blob. Swagger UI starts from an inline script.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:{s3}; "
    "connect-src 'self'{s3}; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def csp_by_path(settings: Settings) -> dict[str, bytes]:
    """The Content-Security-Policy of each page; every other answer gets API_CSP."""
    s3 = ""
    if settings.presigned_redirects and settings.s3_endpoint:
        # Players follow redirects to presigned URLs: S3 (its public address) serves media.
        from videoforge.storage.s3 import endpoint_url  # boto3 loads only where S3 is used

        endpoint = settings.public_s3_endpoint or settings.s3_endpoint
        s3 = " " + endpoint_url(endpoint, settings.s3_secure)
    return {"/": PAGE_CSP.format(s3=s3).encode(), "/docs": DOCS_CSP.encode()}


class SecurityHeaders:
    """Pure ASGI middleware (streams pass through untouched) that adds the headers above."""

    def __init__(self, app: ASGIApp, csp_by_path: dict[str, bytes]) -> None:
        self.app = app
        self.csp_by_path = csp_by_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = self.csp_by_path.get(str(scope.get("path", "")), API_CSP.encode())
        extra = [*HEADERS, (b"content-security-policy", csp)]

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
    app.add_middleware(SecurityHeaders, csp_by_path=csp_by_path(settings))


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name per RFC 5987; no injection."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "download"
    exact = quote(filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{exact}"
