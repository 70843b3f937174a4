"""The PWA: a valid manifest with real icons, a registered service worker, Chromium's installability check,
an offline shell, and a push message that shows a vibrating notification which opens the handoff."""

import json
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, Route, async_playwright, expect

from harness import CHROMIUM, CHROMIUM_ARGS, PHONE, Backend, PhoneFactory, wait_for

Shot = Callable[[Page, str], Awaitable[Path]]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def _ready_service_worker(page: Page) -> str:
    scope: str = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    return scope


def test_manifest_is_valid_with_real_icons(backend: Backend) -> None:
    response = httpx.get(f"{backend.url}/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"]
    assert manifest["short_name"] == "Baton Pass"
    assert manifest["start_url"] == "/m/"
    assert manifest["scope"] == "/m/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#")
    assert manifest["background_color"].startswith("#")
    assert manifest.get("prefer_related_applications") is not True
    sizes = set()
    for icon in manifest["icons"]:
        image = httpx.get(f"{backend.url}{icon['src']}")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        width, height = _png_size(image.content)
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


async def test_service_worker_registers_and_chromium_finds_the_app_installable(
    backend: Backend, shot: Shot, tmp_path: Path
) -> None:
    # A persistent profile: Playwright's ordinary contexts are off-the-record, where Chromium never installs.
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            base_url=backend.url,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto("/m/")
            await expect(page.get_by_test_id("home")).to_be_visible()
            assert await _ready_service_worker(page) == f"{backend.url}/m/"
            await page.reload()  # now controlled by the worker
            assert await page.evaluate("navigator.serviceWorker.controller !== null")
            cdp = await context.new_cdp_session(page)
            result = await cdp.send("Page.getInstallabilityErrors")
            assert result["installabilityErrors"] == [], result
            manifest = await cdp.send("Page.getAppManifest")
            assert manifest["errors"] == [], manifest
            await shot(page, "30-home-installable")
        finally:
            await context.close()


async def test_the_shell_starts_offline(backend: Backend, phone: PhoneFactory, shot: Shot) -> None:
    page = await phone()
    await page.goto("/m/")
    await _ready_service_worker(page)
    await page.reload()
    await page.context.set_offline(True)
    await page.goto("/m/")
    await expect(page.get_by_test_id("home")).to_be_visible()
    await shot(page, "31-offline-shell")
    await page.context.set_offline(False)


async def test_a_push_shows_a_vibrating_notification_for_the_handoff(backend: Backend, phone: PhoneFactory) -> None:
    page = await phone()
    await page.context.grant_permissions(["notifications"], origin=backend.url)
    await page.goto("/m/")
    await _ready_service_worker(page)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("ServiceWorker.enable")
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    await page.wait_for_timeout(300)
    assert registrations, "the service worker registration is visible over CDP"
    payload = {
        "title": "An agent needs you",
        "body": "agent_e2e is stuck on a 2FA prompt at example.com",
        "url": "/m/h_01JDQ7ZK8X3M9V2N4B6C8D0E1F?t=abc",
        "handoff_id": "h_01JDQ7ZK8X3M9V2N4B6C8D0E1F",
    }
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": backend.url + "/",
            "registrationId": registrations[0]["registrationId"],
            "data": json.dumps(payload),
        },
    )
    read_notification = """async () => {
        const registration = await navigator.serviceWorker.ready;
        const [n] = await registration.getNotifications();
        return n ? {title: n.title, body: n.body, tag: n.tag, data: n.data, vibrate: Array.from(n.vibrate || []),
                    requireInteraction: n.requireInteraction, renotify: n.renotify} : null;
    }"""

    async def shown() -> Any:
        return await page.evaluate(read_notification)

    notification = await wait_for(shown, within_s=10)
    assert notification["title"] == payload["title"]
    assert notification["tag"] == payload["handoff_id"]
    assert notification["data"] == {"url": payload["url"]}
    assert notification["requireInteraction"] is True
    assert notification["renotify"] is True
    assert notification["vibrate"] == [200, 100, 200]


FAKE_PUSH = """
PushManager.prototype.getSubscription = async function () { return null; };
PushManager.prototype.subscribe = async function (options) {
  window.__subscribeKey = Array.from(new Uint8Array(options.applicationServerKey));
  return { toJSON: () => ({ endpoint: "https://push.example.test/send/abc", expirationTime: null,
                            keys: { p256dh: "BNcRd-p256dh-key", auth: "tBHI-auth" } }) };
};
"""


async def test_get_alerts_subscribes_with_the_vapid_key_and_posts_the_subscription(
    backend: Backend, phone: PhoneFactory, shot: Shot
) -> None:
    # Headless Chromium has no push service: stand in for PushManager only, and for the server's two endpoints,
    # so the page's own code (permission, key decoding, subscription body, messages) is what runs.
    page = await phone()
    await page.context.grant_permissions(["notifications"], origin=backend.url)
    await page.add_init_script(FAKE_PUSH)
    posted: list[Any] = []

    async def vapid(route: Route) -> None:
        await route.fulfill(status=200, json={"public_key": "AQID_-8"})

    async def subscriptions(route: Route) -> None:
        posted.append(route.request.post_data_json)
        await route.fulfill(status=201, json={"id": "sub_1", "operator_id": "op_1", "endpoint": "x", "created_at": "x"})

    await page.route("**/api/v1/push/vapid-public-key", vapid)
    await page.route("**/api/v1/operators/me/push-subscriptions", subscriptions)
    await page.goto("/m/")
    await _ready_service_worker(page)
    await page.get_by_test_id("alerts").tap()
    await expect(page.get_by_test_id("alerts-status")).to_have_text("Alerts are on for this phone.")
    assert await page.evaluate("window.__subscribeKey") == [1, 2, 3, 255, 239]
    assert posted == [
        {
            "endpoint": "https://push.example.test/send/abc",
            "keys": {"p256dh": "BNcRd-p256dh-key", "auth": "tBHI-auth"},
            "expirationTime": None,
        }
    ]
    await shot(page, "32-alerts-on")


async def test_get_alerts_explains_a_server_without_push(backend: Backend, phone: PhoneFactory, shot: Shot) -> None:
    page = await phone()
    await page.context.grant_permissions(["notifications"], origin=backend.url)

    async def missing(route: Route) -> None:
        await route.fulfill(
            status=404, content_type="application/problem+json", body='{"status":404,"title":"Not found"}'
        )

    await page.route("**/api/v1/push/vapid-public-key", missing)
    await page.goto("/m/")
    await _ready_service_worker(page)
    await page.get_by_test_id("alerts").tap()
    await expect(page.get_by_test_id("alerts-status")).to_have_text("Alerts aren't set up on this server yet.")
    await shot(page, "33-alerts-unavailable")
