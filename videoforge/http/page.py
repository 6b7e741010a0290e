"""The web page at `/` and everything it loads, all served from here: no CDN, machines may be
offline. Our own files live in `static/`; players and Swagger UI come from `npm ci`."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from videoforge.errors import NotFound
from videoforge.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# A source checkout keeps node_modules beside the package (see package.json and `make install`).
CHECKOUT_NODE_MODULES = Path(__file__).parents[2] / "node_modules"
# Served name -> path inside node_modules. Only these files, so nothing else there is reachable.
VENDOR_FILES = {
    "hls.min.js": "hls.js/dist/hls.min.js",
    # dash.js's modern (ES2020) build; the page loads it on its first DASH playback.
    "dash.all.min.js": "dashjs/dist/modern/umd/dash.all.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    # tus-js-client's browser bundle (global `tus`): the page's resumable uploads.
    "tus.min.js": "tus-js-client/dist/tus.min.js",
}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the page at `/`, its files under `/static`, and Swagger UI at `/docs`."""
    node_modules = settings.node_modules_dir or CHECKOUT_NODE_MODULES
    missing = [name for name, path in VENDOR_FILES.items() if not (node_modules / path).is_file()]
    if missing:
        log.warning("web page assets missing from %s: %s (run `make install`)", node_modules,
                    ", ".join(missing))  # fmt: skip

    async def vendor(name: str) -> FileResponse:
        if name not in VENDOR_FILES or not (node_modules / VENDOR_FILES[name]).is_file():
            raise NotFound(f"no asset {name[:80]!r} (front-end packages come from `npm ci`)")
        return FileResponse(node_modules / VENDOR_FILES[name], headers=_CACHE_A_DAY)

    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.add_api_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    # Before the mount, which would otherwise answer for /static/vendor/... itself.
    app.add_api_route("/static/vendor/{name}", vendor, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


_CACHE_A_DAY = {"cache-control": "public, max-age=86400"}
