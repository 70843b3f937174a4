"""The built PWA served from the API's port: SPA routes, cache headers, and API errors left untouched."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app

INDEX = "<!doctype html><html><head><title>Baton Pass</title></head><body><div id=root></div></body></html>"


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "icons").mkdir()
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('app')")
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (dist / "manifest.webmanifest").write_text('{"name": "Baton Pass"}')
    (dist / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "secret.txt").write_text("outside the dist folder")
    return dist


async def _client(settings: Settings, dist: Path | None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"frontend_dist": dist}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def served(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(settings, _dist(tmp_path / "web")):
        yield http


async def test_spa_routes_answer_index_never_cached(served: httpx.AsyncClient) -> None:
    for path in ("/m", "/m/", "/m/h_01JDQ7ZK8X3M9V2N4B6C8D0E1F?t=secret-token", "/m/anything/else"):
        response = await served.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_hashed_assets_are_immutable_and_the_worker_revalidates(served: httpx.AsyncClient) -> None:
    asset = await served.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith("text/javascript")
    worker = await served.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"].startswith("text/javascript")
    manifest = await served.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    icon = await served.get("/icons/icon-192.png")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/png"


async def test_nothing_outside_dist_is_served(served: httpx.AsyncClient) -> None:
    for path in ("/assets/%2e%2e/%2e%2e/secret.txt", "/assets/missing.js", "/icons/none.png", "/secret.txt"):
        response = await served.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_api_errors_stay_problem_json(served: httpx.AsyncClient) -> None:
    missing = await served.get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = await served.get("/api/v1/handoffs/h_01JDQ7ZK8X3M9V2N4B6C8D0E1F/resolve")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


async def test_without_a_build_the_mobile_route_explains_itself(settings: Settings, tmp_path: Path) -> None:
    async for http in _client(settings, tmp_path / "not-built"):
        response = await http.get("/m/h_01JDQ7ZK8X3M9V2N4B6C8D0E1F")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "npm run build" in response.json()["detail"]
