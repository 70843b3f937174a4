"""One headless Chromium (Debian's) for the whole session, and a loader that serves a saved page at its
original URL with every request answered locally (no network: subresources get empty bodies)."""

import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from _report import DETECTOR_RESULTS
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from playwright.async_api import Request as PlaywrightRequest

TESTS = Path(__file__).resolve().parent
SDK = TESTS.parent
REPO = SDK.parent.parent
FIXTURES = TESTS / "fixtures" / "html"
BACKEND_FIXTURES = REPO / "backend" / "tests" / "fixtures" / "html"

CHROMIUM = os.environ.get("BATONPASS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

SAVED_FROM = re.compile(r"<!-- saved from url=\(\d+\)(\S+) -->")
RESPONSE = re.compile(r"<!-- response: (\d{3}) (\{.*?\}) -->")


def saved_pages(kind: str) -> list[Path]:
    """Our saved pages plus the backend classifier's (read-only), e.g. kind="positive"."""
    return sorted([*(FIXTURES / kind).glob("*.html"), *(BACKEND_FIXTURES / kind).glob("*.html")])


@dataclass
class SavedPage:
    url: str
    html: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "SavedPage":
        html = path.read_text(encoding="utf-8")
        found = SAVED_FROM.search(html)
        assert found, f"{path.name} must start with a 'saved from url' comment"
        response = RESPONSE.search(html)
        if response is None:
            return cls(found.group(1), html)
        return cls(found.group(1), html, int(response.group(1)), json.loads(response.group(2)))


async def open_saved(context: BrowserContext, path: Path) -> tuple[Page, dict[str, Any]]:
    """Load a saved page into a real tab at its original URL; returns the page and its document response."""
    saved = SavedPage.read(path)
    page = await context.new_page()

    async def answer(route: Route, request: PlaywrightRequest) -> None:
        if request.url == saved.url:
            await route.fulfill(status=saved.status, headers=saved.headers, content_type="text/html", body=saved.html)
        elif request.resource_type == "document":
            await route.fulfill(status=200, content_type="text/html", body="<!doctype html><html><body></body></html>")
        elif request.resource_type == "script":
            await route.fulfill(status=200, content_type="text/javascript", body="")
        else:
            await route.fulfill(status=204, body="")

    await page.route("**/*", answer)
    response = await page.goto(saved.url)
    assert response is not None
    return page, {"status": response.status, "headers": await response.all_headers()}


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session, before any page exists
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(viewport={"width": 1280, "height": 800})
    yield created
    await created.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    negatives, positives = DETECTOR_RESULTS["negative"], DETECTOR_RESULTS["positive"]
    if not negatives and not positives:
        return
    false_positives = sorted(name for name, category in negatives.items() if category is not None)
    missed = sorted(name for name, category in positives.items() if category is None)
    rate = len(false_positives) / len(negatives) if negatives else 0.0
    terminalreporter.write_line(
        f"detector false-positive rate on saved negatives: {len(false_positives)}/{len(negatives)} = {rate:.1%}"
        f" {false_positives}; positives detected: {len(positives) - len(missed)}/{len(positives)} {missed}",
        bold=True,
    )
