"""`wrap_with_baton_pass(page, client, agent_id=…)`: hand a stuck Playwright page to a person and resume on it.

After every wrapped navigation and input (`goto`, `reload`, `go_back`, `go_forward`, `click`, `fill`, `press`,
…, the same on locators, `keyboard` and `mouse`), the detectors run over every frame. On a confirmed hit the
wrapper holds the agent — the triggering call does not return, and any other wrapped call waits at the gate —
while it:

1. captures the frozen state: cookies (`context.cookies()`), the DOM with password values removed *inside the
   page* (the server refuses a snapshot that still carries one), a JPEG screenshot, URL, viewport and device
   scale factor, and the document's identity (`performance.timeOrigin`, navigation type);
2. creates the handoff (`metadata.detector` carries the detector's category, score and features);
3. follows the handoff's event stream: applies each `relay.action` to the live page in `seq` order (mouse click
   at x/y, `keyboard.insert_text`, `keyboard.press`) and uploads a frame reflecting that `seq` after each;
4. on `solved`, applies the operator's resolution (`otp`: fill the detected input or split boxes and submit;
   `approve` / `deny`: click the matched dialog button; `text`: type it; `done`: nothing), waits for the
   blocker to clear, checks that this is still the frozen page (same page object; the same document or a
   forward navigation — never a reload or a step back; every frozen cookie still present), acknowledges
   `resumed`, and returns control to the agent — the page is never reloaded.

The task's end is reported by the context manager (`completed` on a normal exit, `failed(agent_cancelled)` on
an exception) or explicitly with `complete()` / `fail()`. An expired or failed handoff raises
`HandoffExpiredError` / `HandoffFailedError` in the agent's call; a page that fails the resume checks raises
`ResumeFailedError` after reporting `failed(resume_failed)`.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from batonpass._client import VERSION, BatonPass, FailureReason, TaskOutcome
from batonpass._detectors import Detection, Detectors, DialogTarget, OtpTarget, Target
from batonpass._errors import (
    BatonPassError,
    HandoffError,
    HandoffExpiredError,
    HandoffFailedError,
    ResumeFailedError,
)
from batonpass._models import (
    TERMINAL_STATES,
    Handoff,
    HandoffEvent,
    InterruptionType,
    RelayAction,
    Snapshot,
    Viewport,
)

if TYPE_CHECKING:
    from playwright.async_api import Frame, Keyboard, Locator, Mouse, Page, Request, Response

__all__ = ["BatonPassLocator", "BatonPassPage", "HandoffCallback", "HandoffRecord", "wrap_with_baton_pass"]

log = logging.getLogger("batonpass")
T = TypeVar("T")

HandoffCallback = Callable[[Handoff], Awaitable[None] | None]
"""Called with each handoff right after it is created (its `mobile_url` is the operator's link)."""

STRIPPED_DOM_JS = """() => {
  const secret = (el) => {
    const type = (el.getAttribute('type') || '').trim().toLowerCase();
    const autocomplete = (el.getAttribute('autocomplete') || '').toLowerCase();
    return type === 'password' || /(^|\\s)(current|new)-password(\\s|$)/.test(autocomplete);
  };
  const clone = document.documentElement.cloneNode(true);
  let stripped = 0;
  const scrub = (root) => {
    for (const input of root.querySelectorAll('input')) {
      if (secret(input) && input.hasAttribute('value')) { input.removeAttribute('value'); stripped += 1; }
    }
    for (const template of root.querySelectorAll('template')) scrub(template.content);
  };
  scrub(clone);
  const doctype = document.doctype ? '<!DOCTYPE ' + document.doctype.name + '>\\n' : '';
  return { html: doctype + clone.outerHTML, stripped };
}"""
"""Serialises a clone of the document with every password-like input's `value` removed, so no password
leaves the page. (Typed values live in the `.value` property, which serialisation never includes.)"""

DOCUMENT_STATE_JS = """() => {
  const entry = performance.getEntriesByType('navigation')[0];
  return {
    url: location.href,
    title: document.title,
    timeOrigin: performance.timeOrigin,
    navigationType: entry ? entry.type : null,
    historyLength: history.length,
    width: window.innerWidth,
    height: window.innerHeight,
    dpr: window.devicePixelRatio || 1,
  };
}"""


@dataclass
class HandoffRecord:
    """What happened to one handoff of this page (the operator's code or text is never kept)."""

    handoff: Handoff
    detection: Detection
    state: str
    resolution_type: str | None = None
    resume_outcome: str | None = None
    """`same` (same document, same URL) or `navigated` (a forward navigation); None until resumed."""
    actions_applied: int = 0

    @property
    def id(self) -> str:
        return self.handoff.id


@dataclass(frozen=True)
class _Frozen:
    url: str
    time_origin: float
    cookies: frozenset[tuple[str, str, str]]
    cookie_names: dict[tuple[str, str, str], str] = field(default_factory=dict)


class BatonPassPage:
    """A Playwright `Page` whose navigations and inputs are watched for CAPTCHAs, 2FA prompts and approval
    dialogs. Every other attribute is the page's own (`title()`, `url`, `wait_for_url()`, `evaluate()`…);
    the raw page is `.page`. Use it as an async context manager so the task's end is reported."""

    def __init__(
        self,
        page: Page,
        client: BatonPass,
        *,
        agent_id: str,
        task: str | None = None,
        on_handoff: HandoffCallback | None = None,
        detectors: Detectors | None = None,
        categories: Collection[str] | None = None,
        frame_interval_s: float | None = 1.0,
        settle_s: float = 0.15,
        navigation_timeout_s: float = 10.0,
        exit_timeout_s: float = 10.0,
        max_handoffs_per_call: int = 3,
        screenshot_quality: int = 60,
        dom_max_chars: int = 1_500_000,
    ) -> None:
        self._page = page
        self._client = client
        self.agent_id = agent_id
        self.task = task
        self.on_handoff = on_handoff
        self.detectors = detectors or Detectors()
        self.categories = frozenset(categories) if categories is not None else None
        self.frame_interval_s = frame_interval_s
        self.settle_s = settle_s
        self.navigation_timeout_s = navigation_timeout_s
        self.exit_timeout_s = exit_timeout_s
        self.max_handoffs_per_call = max_handoffs_per_call
        self.screenshot_quality = screenshot_quality
        self.dom_max_chars = dom_max_chars
        self.handoffs: list[HandoffRecord] = []
        self._gate = asyncio.Lock()
        self._page_lock = asyncio.Lock()
        self._suppressed: dict[str, float] = {}
        self._last_response: Response | None = None
        self._navigations = 0
        self._navigation_requests = 0
        self._navigated = asyncio.Event()
        self._closed = False
        page.on("response", self._on_response)
        page.on("framenavigated", self._on_navigated)
        page.on("request", self._on_request)

    # --- the agent's surface ---------------------------------------------------------------------------------

    @property
    def page(self) -> Page:
        return self._page

    @property
    def keyboard(self) -> _WatchedKeyboard:
        return _WatchedKeyboard(self._page.keyboard, self)

    @property
    def mouse(self) -> _WatchedMouse:
        return _WatchedMouse(self._page.mouse, self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._page, name)

    # Reads need no watching; the common ones are spelled out so they keep their types.

    @property
    def url(self) -> str:
        return self._page.url

    async def title(self) -> str:
        return await self._page.title()

    async def content(self) -> str:
        return await self._page.content()

    async def wait_for_url(self, url: Any, **kwargs: Any) -> None:
        await self._page.wait_for_url(url, **kwargs)

    async def wait_for_load_state(self, state: Any = None, **kwargs: Any) -> None:
        await self._page.wait_for_load_state(state, **kwargs)

    async def inner_text(self, selector: str, **kwargs: Any) -> str:
        return await self._page.inner_text(selector, **kwargs)

    async def text_content(self, selector: str, **kwargs: Any) -> str | None:
        return await self._page.text_content(selector, **kwargs)

    async def is_visible(self, selector: str, **kwargs: Any) -> bool:
        return await self._page.is_visible(selector, **kwargs)

    async def goto(self, url: str, **kwargs: Any) -> Response | None:
        return await self.watch(lambda: self._page.goto(url, **kwargs))

    async def reload(self, **kwargs: Any) -> Response | None:
        return await self.watch(lambda: self._page.reload(**kwargs))

    async def go_back(self, **kwargs: Any) -> Response | None:
        return await self.watch(lambda: self._page.go_back(**kwargs))

    async def go_forward(self, **kwargs: Any) -> Response | None:
        return await self.watch(lambda: self._page.go_forward(**kwargs))

    async def click(self, selector: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.click(selector, **kwargs))

    async def dblclick(self, selector: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.dblclick(selector, **kwargs))

    async def tap(self, selector: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.tap(selector, **kwargs))

    async def fill(self, selector: str, value: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.fill(selector, value, **kwargs))

    async def press(self, selector: str, key: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.press(selector, key, **kwargs))

    async def type(self, selector: str, text: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.type(selector, text, **kwargs))

    async def check(self, selector: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.check(selector, **kwargs))

    async def uncheck(self, selector: str, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.uncheck(selector, **kwargs))

    async def set_checked(self, selector: str, checked: bool, **kwargs: Any) -> None:
        await self.watch(lambda: self._page.set_checked(selector, checked, **kwargs))

    async def select_option(self, selector: str, *args: Any, **kwargs: Any) -> list[str]:
        return await self.watch(lambda: self._page.select_option(selector, *args, **kwargs))

    def locator(self, selector: str, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.locator(selector, **kwargs), self)

    def get_by_role(self, role: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_role(role, **kwargs), self)

    def get_by_text(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_text(text, **kwargs), self)

    def get_by_label(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_label(text, **kwargs), self)

    def get_by_placeholder(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_placeholder(text, **kwargs), self)

    def get_by_test_id(self, test_id: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_test_id(test_id), self)

    def get_by_title(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_title(text, **kwargs), self)

    def get_by_alt_text(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return BatonPassLocator(self._page.get_by_alt_text(text, **kwargs), self)

    async def watch(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one agent action behind the gate, then look for a blocker (and hand it off) before returning."""
        if self._closed:
            raise BatonPassError("this wrapped page was closed; wrap the page again")
        async with self._gate:
            pass
        result = await call()
        await self.check_now()
        return result

    async def check_now(self) -> HandoffRecord | None:
        """Look for a blocker now (e.g. after an action the wrapper does not see) and hand it off if found.

        Returns the last handoff made, or None when the page is clear. A blocker still present after
        `max_handoffs_per_call` handoffs is left to the agent (logged)."""
        async with self._gate:
            record: HandoffRecord | None = None
            for _ in range(self.max_handoffs_per_call):
                await self._settle_load()
                detection = await self.detectors.detect(self._page, response=await self._response_info())
                if detection is None or not self._wanted(detection):
                    return record
                parts = urlsplit(self._page.url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    log.warning("batonpass: %s on %s (not http): no handoff", detection.category, parts.geturl())
                    self._suppress(detection)
                    return record
                record = await self._hand_off(detection, parts.hostname)
                if record.state == "failed":
                    return record
            log.warning("batonpass: %s still blocked after %d handoffs", self._page.url, self.max_handoffs_per_call)
            return record

    async def complete(self, task_outcome: TaskOutcome = "success", detail: str | None = None) -> None:
        """Report `completed` for every handoff of this page that resumed and has not been reported."""
        for record in self.handoffs:
            if record.state == "resumed":
                record.handoff = await self._client.completed(record.id, task_outcome=task_outcome, detail=detail)
                record.state = record.handoff.state

    async def fail(self, reason: FailureReason = "agent_cancelled", detail: str | None = None) -> None:
        """Report `failed(reason)` for every handoff of this page that has not ended."""
        for record in self.handoffs:
            if record.state not in TERMINAL_STATES:
                record.handoff = await self._client.fail(record.id, reason, detail=detail)
                record.state = record.handoff.state

    def close(self) -> None:
        """Stop watching the page (listeners removed); the page itself stays open."""
        if self._closed:
            return
        self._closed = True
        for event, handler in (
            ("response", self._on_response),
            ("framenavigated", self._on_navigated),
            ("request", self._on_request),
        ):
            with contextlib.suppress(Exception):
                self._page.remove_listener(event, handler)

    async def __aenter__(self) -> BatonPassPage:
        return self

    async def __aexit__(
        self, exc_type: builtins.type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None:
                await self.complete()
            elif not isinstance(exc, ResumeFailedError):
                try:
                    await asyncio.shield(self.fail("agent_cancelled", detail=f"{type(exc).__name__}: {exc}"[:1000]))
                except BatonPassError as report_error:  # never hide the agent's own exception
                    log.warning("batonpass: could not report the failure: %s", report_error)
        finally:
            self.close()

    # --- detection → handoff → resume ------------------------------------------------------------------------

    def _on_response(self, response: Response) -> None:
        with contextlib.suppress(Exception):
            if response.request.resource_type == "document" and response.frame == self._page.main_frame:
                self._last_response = response

    def _on_request(self, request: Request) -> None:
        with contextlib.suppress(Exception):
            if request.is_navigation_request() and request.frame == self._page.main_frame:
                self._navigation_requests += 1
                self._navigated.set()

    def _on_navigated(self, frame: Frame) -> None:
        if frame == self._page.main_frame:
            self._navigations += 1
            self._navigated.set()

    async def _response_info(self) -> dict[str, Any] | None:
        response = self._last_response
        if response is None:
            return None
        try:
            return {"status": response.status, "headers": await response.all_headers()}
        except Exception:  # noqa: BLE001 - a response from a document that is gone tells nothing
            return None

    async def _settle_load(self) -> None:
        with contextlib.suppress(Exception):
            await self._page.wait_for_load_state("load", timeout=self.navigation_timeout_s * 1000)

    def _wanted(self, detection: Detection) -> bool:
        if self.categories is not None and detection.category not in self.categories:
            return False
        now = asyncio.get_running_loop().time()
        until = self._suppressed.get(detection.fingerprint)
        return until is None or until < now

    async def _hand_off(self, detection: Detection, domain: str) -> HandoffRecord:
        url = self._page.url
        snapshot, frozen, title = await self._capture()
        handoff = await self._client.create_handoff(
            agent_id=self.agent_id,
            interruption_type=_interruption_type(detection.interruption_type),
            domain=domain,
            url=url,
            task=self.task,
            snapshot=snapshot,
            metadata={
                "detector": detection.metadata(),
                "sdk": {"name": "batonpass-python", "version": VERSION},
                "page": {"title": title[:200]},
            },
        )
        record = HandoffRecord(handoff=handoff, detection=detection, state=handoff.state)
        self.handoffs.append(record)
        log.info(
            "batonpass: %s on %s → handoff %s (%s)%s",
            detection.category,
            url,
            handoff.id,
            handoff.state,
            f", operator link {handoff.mobile_url}" if handoff.mobile_url else "",
        )
        try:
            if self.on_handoff is not None:
                outcome = self.on_handoff(handoff)
                if inspect.isawaitable(outcome):
                    await outcome
            if handoff.state == "failed":
                # The server's classifier does not see a human-only blocker here: carry on, and do not ask again
                # for the same evidence on this origin for a while.
                log.warning("batonpass: handoff %s rejected (%s); continuing", handoff.id, handoff.failure_reason)
                self._suppress(detection)
                return record
            resolution = await self._follow(record)
            record.resolution_type = str(resolution.get("type") or "done")
            # Checked twice: before the solution is applied (never type a code into a page that was reloaded
            # or lost its session while the operator worked) and after (its own navigation must go forward).
            problems, _ = await self._resume_checks(frozen)
            if not problems:
                await self._apply_resolution(resolution, detection)
                problems, outcome_name = await self._resume_checks(frozen)
            if problems:
                record.handoff = await self._client.fail(record.id, "resume_failed", detail="; ".join(problems))
                record.state = record.handoff.state
                raise ResumeFailedError(record.id, problems)
            record.handoff = await self._client.resumed(record.id)
            record.state = record.handoff.state
            record.resume_outcome = outcome_name
            log.info("batonpass: handoff %s resumed (%s) on %s", record.id, outcome_name, self._page.url)
            return record
        except asyncio.CancelledError:
            await self._report_failure(record, "agent_cancelled", "the agent was cancelled while waiting")
            raise
        except BatonPassError:
            raise
        except Exception as exc:
            # Playwright could not apply the operator's solution: the page is no longer the frozen one.
            await self._report_failure(record, "resume_failed", f"{type(exc).__name__}: {exc}")
            raise ResumeFailedError(record.id, [f"could not apply the solution: {exc}"]) from exc

    async def _report_failure(self, record: HandoffRecord, reason: FailureReason, detail: str) -> None:
        if record.state in TERMINAL_STATES:
            return
        try:
            record.handoff = await asyncio.shield(self._client.fail(record.id, reason, detail=detail[:1000]))
            record.state = record.handoff.state
        except BatonPassError as exc:
            log.warning("batonpass: could not report %s for %s: %s", reason, record.id, exc)

    def _suppress(self, detection: Detection) -> None:
        self._suppressed[detection.fingerprint] = asyncio.get_running_loop().time() + self.detectors.suppress_s

    async def _capture(self) -> tuple[Snapshot, _Frozen, str]:
        page = self._page
        async with self._page_lock:
            state = await page.evaluate(DOCUMENT_STATE_JS)
            cookies = await page.context.cookies()
            dom = await page.evaluate(STRIPPED_DOM_JS)
            screenshot = await page.screenshot(type="jpeg", quality=self.screenshot_quality, scale="css")
        html = str(dom["html"])[: self.dom_max_chars]
        keys = {_cookie_key(c): str(c.get("name")) for c in cookies}
        frozen = _Frozen(str(state["url"]), float(state["timeOrigin"]), frozenset(keys), keys)
        snapshot = Snapshot(
            dom=html,
            screenshot=screenshot,
            viewport=self._viewport(state),
            cookies=[dict(c) for c in cookies],
        )
        return snapshot, frozen, str(state.get("title") or "")

    def _viewport(self, state: Mapping[str, Any]) -> Viewport:
        size = self._page.viewport_size
        width = int(size["width"]) if size else int(state.get("width") or 0)
        height = int(size["height"]) if size else int(state.get("height") or 0)
        return Viewport(max(width, 1), max(height, 1), float(state.get("dpr") or 1.0))

    async def _follow(self, record: HandoffRecord) -> Mapping[str, Any]:
        """Apply relay actions until the operator resolves; returns the resolution."""
        handoff_id = record.id
        applied = 0
        refresher = (
            asyncio.create_task(self._refresh_frames(handoff_id, lambda: applied)) if self.frame_interval_s else None
        )
        try:
            async with contextlib.aclosing(self._client.events(handoff_id)) as stream:
                async for event in stream:
                    if isinstance(event, RelayAction):
                        if event.seq <= applied:
                            continue
                        await self._apply_action(event.action)
                        applied = event.seq
                        record.actions_applied += 1
                        await self._upload_frame(handoff_id, applied)
                    elif isinstance(event, HandoffEvent):
                        record.state = event.state
                        if event.state == "solved":
                            return event.resolution or {"type": "done"}
                        if event.state == "expired":
                            raise HandoffExpiredError(handoff_id, "no operator solved it before it expired")
                        if event.state == "failed":
                            reason = event.data.get("reason")
                            detail = (event.data.get("payload") or {}).get("detail")
                            raise HandoffFailedError(handoff_id, str(reason) if reason else None, detail)
                        if event.state == "completed":
                            raise HandoffError(handoff_id, "completed before the agent resumed")
        finally:
            if refresher is not None:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
        raise HandoffError(handoff_id, "the event stream ended before the handoff was solved")

    async def _apply_action(self, action: Mapping[str, Any]) -> None:
        page = self._page
        kind = action.get("type")
        mark = self._mark()
        async with self._page_lock:
            if kind == "click":
                await page.mouse.click(float(action["x"]), float(action["y"]))
            elif kind == "type":
                await page.keyboard.insert_text(str(action["text"]))
            elif kind == "press":
                await page.keyboard.press(str(action["key"]))
            else:
                log.warning("batonpass: unknown relay action %r ignored", kind)
            await asyncio.sleep(self.settle_s)
        if self._moved(mark):
            await self._after_submit(mark)

    async def _screenshot(self) -> tuple[bytes, Viewport]:
        async with self._page_lock:
            state = await self._page.evaluate(DOCUMENT_STATE_JS)
            image = await self._page.screenshot(type="jpeg", quality=self.screenshot_quality, scale="css")
        return image, self._viewport(state)

    async def _upload_frame(self, handoff_id: str, seq: int) -> bytes | None:
        try:
            image, viewport = await self._screenshot()
            await self._client.upload_frame(handoff_id, image, seq=seq, viewport=viewport)
            return image
        except Exception as exc:  # noqa: BLE001 - a lost frame is replaced by the next one
            log.debug("batonpass: frame upload for %s failed: %s", handoff_id, exc)
            return None

    async def _refresh_frames(self, handoff_id: str, seq: Callable[[], int]) -> None:
        """Keep the operator's picture current while nothing is tapped (animations, async page updates)."""
        assert self.frame_interval_s
        last: bytes | None = None
        while True:
            await asyncio.sleep(self.frame_interval_s)
            try:
                image, viewport = await self._screenshot()
                if image != last:
                    await self._client.upload_frame(handoff_id, image, seq=seq(), viewport=viewport)
                    last = image
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next tick tries again
                log.debug("batonpass: frame refresh for %s failed: %s", handoff_id, exc)

    async def _apply_resolution(self, resolution: Mapping[str, Any], detection: Detection) -> None:
        kind = resolution.get("type")
        fresh = await self.detectors.evaluate(self._page)
        if kind == "otp":
            target = fresh.otp or detection.otp
            await self._enter_code(str(resolution.get("code", "")), target)
        elif kind in ("approve", "deny"):
            dialog = fresh.dialog or detection.dialog
            if detection.category == "approval" or dialog is not None:
                await self._decide(kind == "approve", dialog)
        elif kind == "text":
            async with self._page_lock:
                await self._page.keyboard.insert_text(str(resolution.get("text", "")))
        # "done" (and approve on a push prompt): the operator acted elsewhere; wait for the page to move on.
        category = detection.category or ""
        if not await self._await_clear(category):
            log.warning("batonpass: %s still detected on %s after the resolution", category, self._page.url)

    async def _enter_code(self, code: str, target: OtpTarget | None) -> None:
        page = self._page
        mark = self._mark()
        if target is None:
            await page.keyboard.insert_text(code)
            await page.keyboard.press("Enter")
            await self._after_submit(mark)
            return
        frame = target.frame
        if len(target.inputs) > 1:
            # Real keystrokes first: split boxes move the focus themselves (and may submit on the last digit).
            await frame.click(target.inputs[0].path, timeout=5000)
            await page.keyboard.type(code, delay=25)
            await asyncio.sleep(0.05)
            if not self._moved(mark):
                try:
                    values: list[str] | None = [await frame.input_value(t.path, timeout=2000) for t in target.inputs]
                except Exception:  # noqa: BLE001 - the boxes went away: the page moved on by itself
                    values = None
                if values is not None and "".join(values) != code[: len(target.inputs)]:
                    for box, digit in zip(target.inputs, code, strict=False):
                        await frame.fill(box.path, digit, timeout=5000)
        else:
            await frame.fill(target.inputs[0].path, code, timeout=5000)
        await asyncio.sleep(0.3)  # pages that submit on the last digit navigate by themselves
        if not self._moved(mark):
            # Look again: a submit button that was disabled until the code was complete is enabled now.
            refreshed = (await self.detectors.evaluate(page)).otp
            await self._submit(refreshed if refreshed is not None and refreshed.submit else target)
        await self._after_submit(mark)

    async def _submit(self, target: OtpTarget) -> None:
        frame = target.frame
        if target.submit is not None:
            try:
                await frame.click(target.submit.path, timeout=3000)
                return
            except Exception as exc:  # noqa: BLE001 - fall back to Enter in the field
                log.debug("batonpass: submit button %s not clickable (%s); pressing Enter", target.submit.path, exc)
        await frame.press(target.inputs[-1].path, "Enter", timeout=3000)

    async def _decide(self, approve: bool, dialog: DialogTarget | None) -> None:
        button: Target | None = None
        if dialog is not None:
            button = dialog.confirm if approve else dialog.cancel
        if dialog is None or button is None:
            raise _CannotApply(f"no {'confirm' if approve else 'cancel'} button found in the dialog")
        mark = self._mark()
        await dialog.frame.click(button.path, timeout=5000)
        await self._after_submit(mark)

    def _mark(self) -> tuple[int, int]:
        return self._navigations, self._navigation_requests

    def _moved(self, mark: tuple[int, int]) -> bool:
        """Has the main frame started or committed a navigation since `mark`?"""
        return self._mark() != mark

    async def _after_submit(self, mark: tuple[int, int], start_s: float = 0.5) -> None:
        """If the page navigates (as a form post does), wait for the new document to load.

        A navigation shows up as a main-frame navigation request at once (even when the server is slow to
        answer); none within `start_s` means the page handled the input in place."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + start_s
        while self._navigations == mark[0]:
            if self._navigation_requests != mark[1]:  # started: now wait for it to commit
                deadline = loop.time() + self.navigation_timeout_s
                mark = (mark[0], self._navigation_requests)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._navigated.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._navigated.wait(), remaining)
        await self._settle_load()

    async def _await_clear(self, category: str) -> bool:
        """The blocker is gone when its category is no longer entered in two passes in a row."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.exit_timeout_s
        streak = 0
        while True:
            await self._settle_load()
            detection = await self.detectors.evaluate(self._page)
            streak = streak + 1 if self.detectors.cleared(detection, category) else 0
            if streak >= 2:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(self.detectors.confirm_ms / 1000)

    async def _resume_checks(self, frozen: _Frozen) -> tuple[list[str], str]:
        """Research B5: same page, same document or a forward navigation, frozen cookies still there."""
        page = self._page
        if page.is_closed():
            return ["the page was closed"], "closed"
        state = await page.evaluate(DOCUMENT_STATE_JS)
        problems: list[str] = []
        same_document = float(state["timeOrigin"]) == frozen.time_origin
        outcome = "same" if same_document and state["url"] == frozen.url else "navigated"
        if not same_document:
            if state.get("navigationType") == "reload":
                problems.append("the page was reloaded")
            elif state.get("navigationType") == "back_forward":
                problems.append("the page went back in history")
        cookies = await page.context.cookies()
        now = {_cookie_key(c) for c in cookies}
        missing = sorted(frozen.cookie_names[key] for key in frozen.cookies - now)
        if missing:
            problems.append(f"cookies lost since the freeze: {', '.join(missing)}")
        return problems, outcome


def _cookie_key(cookie: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(cookie.get("name")), str(cookie.get("domain")), str(cookie.get("path") or "/")


class _CannotApply(Exception):
    """The operator's resolution does not fit the page (no such button any more)."""


_INTERRUPTION_TYPES: dict[str, InterruptionType] = {"captcha": "captcha", "twofa": "twofa", "approval": "approval"}


def _interruption_type(value: str | None) -> InterruptionType:
    return _INTERRUPTION_TYPES.get(value or "", "other")


class BatonPassLocator:
    """A Playwright `Locator` whose actions are watched like the page's; anything else is the locator's own."""

    def __init__(self, locator: Locator, owner: BatonPassPage) -> None:
        self._locator = locator
        self._owner = owner

    @property
    def locator_(self) -> Locator:
        """The raw locator."""
        return self._locator

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._locator, name)

    def _wrap(self, locator: Locator) -> BatonPassLocator:
        return BatonPassLocator(locator, self._owner)

    async def inner_text(self, **kwargs: Any) -> str:
        return await self._locator.inner_text(**kwargs)

    async def text_content(self, **kwargs: Any) -> str | None:
        return await self._locator.text_content(**kwargs)

    async def is_visible(self, **kwargs: Any) -> bool:
        return await self._locator.is_visible(**kwargs)

    async def get_attribute(self, name: str, **kwargs: Any) -> str | None:
        return await self._locator.get_attribute(name, **kwargs)

    async def input_value(self, **kwargs: Any) -> str:
        return await self._locator.input_value(**kwargs)

    async def count(self) -> int:
        return await self._locator.count()

    async def wait_for(self, **kwargs: Any) -> None:
        await self._locator.wait_for(**kwargs)

    async def click(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.click(**kwargs))

    async def dblclick(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.dblclick(**kwargs))

    async def tap(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.tap(**kwargs))

    async def fill(self, value: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.fill(value, **kwargs))

    async def clear(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.clear(**kwargs))

    async def press(self, key: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.press(key, **kwargs))

    async def press_sequentially(self, text: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.press_sequentially(text, **kwargs))

    async def type(self, text: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.type(text, **kwargs))

    async def check(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.check(**kwargs))

    async def uncheck(self, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.uncheck(**kwargs))

    async def set_checked(self, checked: bool, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._locator.set_checked(checked, **kwargs))

    async def select_option(self, *args: Any, **kwargs: Any) -> list[str]:
        return await self._owner.watch(lambda: self._locator.select_option(*args, **kwargs))

    def locator(self, selector: Any, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.locator(selector, **kwargs))

    def filter(self, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.filter(**kwargs))

    def nth(self, index: int) -> BatonPassLocator:
        return self._wrap(self._locator.nth(index))

    @property
    def first(self) -> BatonPassLocator:
        return self._wrap(self._locator.first)

    @property
    def last(self) -> BatonPassLocator:
        return self._wrap(self._locator.last)

    def get_by_role(self, role: Any, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.get_by_role(role, **kwargs))

    def get_by_text(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.get_by_text(text, **kwargs))

    def get_by_label(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.get_by_label(text, **kwargs))

    def get_by_placeholder(self, text: Any, **kwargs: Any) -> BatonPassLocator:
        return self._wrap(self._locator.get_by_placeholder(text, **kwargs))

    def get_by_test_id(self, test_id: Any) -> BatonPassLocator:
        return self._wrap(self._locator.get_by_test_id(test_id))


class _WatchedKeyboard:
    def __init__(self, keyboard: Keyboard, owner: BatonPassPage) -> None:
        self._keyboard = keyboard
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._keyboard, name)

    async def press(self, key: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._keyboard.press(key, **kwargs))

    async def type(self, text: str, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._keyboard.type(text, **kwargs))

    async def insert_text(self, text: str) -> None:
        await self._owner.watch(lambda: self._keyboard.insert_text(text))


class _WatchedMouse:
    def __init__(self, mouse: Mouse, owner: BatonPassPage) -> None:
        self._mouse = mouse
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._mouse, name)

    async def click(self, x: float, y: float, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._mouse.click(x, y, **kwargs))

    async def dblclick(self, x: float, y: float, **kwargs: Any) -> None:
        await self._owner.watch(lambda: self._mouse.dblclick(x, y, **kwargs))


def wrap_with_baton_pass(
    page: Page,
    client: BatonPass,
    *,
    agent_id: str,
    task: str | None = None,
    on_handoff: HandoffCallback | None = None,
    detectors: Detectors | None = None,
    categories: Collection[str] | None = None,
    frame_interval_s: float | None = 1.0,
    exit_timeout_s: float = 10.0,
    max_handoffs_per_call: int = 3,
) -> BatonPassPage:
    """Watch `page` for CAPTCHAs, 2FA prompts and approval dialogs; hand each to a person through `client`.

    `agent_id` and `task` are shown to the operator. `on_handoff(handoff)` (sync or async) runs right after
    each handoff is created — `handoff.mobile_url` is the operator's signed link. `categories` limits which
    detector categories may interrupt (`captcha`, `push`, `twofa`, `approval`; default all).
    `frame_interval_s` refreshes the operator's picture while they think (None: only after their actions).
    Use the result as `async with wrap_with_baton_pass(…) as page:` so the task's end is reported.
    """
    return BatonPassPage(
        page,
        client,
        agent_id=agent_id,
        task=task,
        on_handoff=on_handoff,
        detectors=detectors,
        categories=categories,
        frame_interval_s=frame_interval_s,
        exit_timeout_s=exit_timeout_s,
        max_handoffs_per_call=max_handoffs_per_call,
    )
