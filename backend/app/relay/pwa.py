"""Serving the built mobile PWA (frontend/dist) from the API's own port.

`/m` and `/m/…` answer index.html (the app routes on the client); `/assets/…` are content-hashed, so they
are cached for a year; the service worker, the manifest and the icons are revalidated on every load.
Only known paths are claimed, so unknown paths and wrong methods on API routes keep their problem+json.
"""

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from app.config import Settings
from app.kit.problems import NotFound
from app.migrate import BACKEND_DIR

log = logging.getLogger(__name__)

DEFAULT_DIST = BACKEND_DIR.parent / "frontend" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MEDIA_TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}


def _file(dist: Path, relative: str, cache_control: str) -> FileResponse:
    path = (dist / relative).resolve()
    if not path.is_relative_to(dist) or not path.is_file():
        raise NotFound(f"No file /{relative}.")
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix), headers={"Cache-Control": cache_control})


def mount_pwa(app: FastAPI, settings: Settings) -> None:
    dist = (settings.frontend_dist or DEFAULT_DIST).resolve()
    index = dist / "index.html"

    if not index.is_file():
        log.info("mobile PWA not built (%s missing): /m/ answers 404 until `npm run build`", index)

        @app.get("/m/{rest:path}", include_in_schema=False)
        async def pwa_missing(rest: str) -> Response:
            raise NotFound(
                "The mobile app is not built on this server: run `cd frontend && npm ci && npm run build`, "
                "or use the dev server on :3074."
            )

        return

    async def page(rest: str = "") -> FileResponse:
        # The URL may carry a single-use token: never cache this response, never leak it as a referrer.
        return FileResponse(
            index,
            media_type="text/html",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    app.add_api_route("/m", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/m/{rest:path}", page, methods=["GET"], include_in_schema=False)

    @app.get("/assets/{name:path}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        return _file(dist, f"assets/{name}", IMMUTABLE)

    @app.get("/icons/{name}", include_in_schema=False)
    async def icon(name: str) -> FileResponse:
        return _file(dist, f"icons/{name}", REVALIDATE)

    for root_file in sorted(p.name for p in dist.iterdir() if p.is_file() and p.name != "index.html"):
        serve = _root_file(dist, root_file)
        app.add_api_route(f"/{root_file}", serve, methods=["GET"], include_in_schema=False)


def _root_file(dist: Path, name: str) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return _file(dist, name, REVALIDATE)

    return serve
