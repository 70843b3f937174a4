"""The detectors, run for real: each saved page is loaded into headless Chromium and scanned in every frame."""

from pathlib import Path

import pytest
from _report import DETECTOR_RESULTS
from conftest import open_saved, saved_pages
from playwright.async_api import BrowserContext

from batonpass import Detectors
from batonpass._detectors import FrameScan

POSITIVES = saved_pages("positive")
NEGATIVES = saved_pages("negative")
DETECTORS = Detectors()


def expected_category(path: Path) -> str:
    return path.name.split("__", 1)[0]


class TestSavedPages:
    def test_every_required_kind_has_saved_pages(self) -> None:
        names = {p.stem for p in POSITIVES} | {p.stem for p in NEGATIVES}
        for needle in (
            "recaptcha_v2", "recaptcha_enterprise", "hcaptcha", "turnstile", "cloudflare_interstitial",
            "cloudflare_mitigated", "arkose", "aws_waf", "press_hold", "press_and_hold", "split_six", "split_four",
            "one_time_code", "okta", "microsoft_number_match", "google_phone_prompt", "alertdialog",
            "native_dialog", "cookie_banner_onetrust", "cookie_banner_didomi", "newsletter", "recaptcha_v3",
        ):  # fmt: skip
            assert any(needle in name for name in names), needle
        assert len(NEGATIVES) >= 20

    @pytest.mark.parametrize("path", POSITIVES, ids=lambda p: p.stem)
    async def test_positive_page_is_detected_in_its_category(self, context: BrowserContext, path: Path) -> None:
        page, response = await open_saved(context, path)
        scans = await DETECTORS.scan_frames(page, response=response)
        detection = DETECTORS.score(scans, url=page.url)
        DETECTOR_RESULTS["positive"][path.stem] = detection.category

        assert [e for s in scans for e in s.errors] == []
        assert detection.category == expected_category(path), (detection.scores, detection.features)
        assert detection.score >= DETECTORS.enter
        await page.close()

    @pytest.mark.parametrize("path", NEGATIVES, ids=lambda p: p.stem)
    async def test_negative_page_is_not_detected(self, context: BrowserContext, path: Path) -> None:
        page, response = await open_saved(context, path)
        scans = await DETECTORS.scan_frames(page, response=response)
        detection = DETECTORS.score(scans, url=page.url)
        DETECTOR_RESULTS["negative"][path.stem] = detection.category

        assert [e for s in scans for e in s.errors] == []
        assert detection.category is None, (detection.scores, detection.features)
        await page.close()


class TestTargets:
    async def test_split_boxes_are_returned_in_order_with_the_code_length(self, context: BrowserContext) -> None:
        page, _ = await open_saved(context, saved_pages("positive")[_index("twofa__split_four_box")])
        detection = await DETECTORS.evaluate(page)

        assert detection.otp is not None
        labels = [await page.locator(t.path).get_attribute("aria-label") for t in detection.otp.inputs]
        assert labels == ["digit 1", "digit 2", "digit 3", "digit 4"]
        assert detection.otp.length == 4
        assert detection.otp.submit is not None
        assert detection.otp.submit.label == "Verify"
        assert detection.metadata()["otp_length"] == 4
        await page.close()

    async def test_one_time_code_input_and_its_form_submit(self, context: BrowserContext) -> None:
        page, _ = await open_saved(context, saved_pages("positive")[_index("twofa__auth0_mfa_otp")])
        detection = await DETECTORS.evaluate(page)

        assert detection.otp is not None
        assert [t.path for t in detection.otp.inputs] == ["#code"]
        assert detection.otp.submit is not None
        assert detection.otp.submit.label == "Continue"
        await page.close()

    async def test_dialog_confirm_and_cancel_buttons(self, context: BrowserContext) -> None:
        page, _ = await open_saved(context, saved_pages("positive")[_index("approval__native_dialog_delete")])
        detection = await DETECTORS.evaluate(page)

        assert detection.dialog is not None
        assert detection.dialog.confirm is not None
        assert detection.dialog.confirm.label == "Delete repository"
        assert detection.dialog.cancel is not None
        assert detection.dialog.cancel.label == "Cancel"
        assert await page.locator(detection.dialog.confirm.path).inner_text() == "Delete repository"
        await page.close()

    async def test_a_challenge_inside_a_child_frame_is_seen_from_that_frame(self, context: BrowserContext) -> None:
        page, _ = await open_saved(context, saved_pages("positive")[_index("captcha__image_grid_frame")])
        scans = await DETECTORS.scan_frames(page)

        child = [s for s in scans if not s.top]
        assert len(scans) == 2
        assert len(child) == 1
        assert "captcha_grid_instructions" in child[0].hits
        assert "captcha_grid_instructions" not in next(s for s in scans if s.top).hits
        await page.close()


class TestConfirmation:
    async def test_a_dialog_that_closes_before_the_second_pass_is_not_a_hit(self, context: BrowserContext) -> None:
        page = await context.new_page()
        await page.set_content(_MODAL + "<script>setTimeout(() => document.getElementById('m').remove(), 150)</script>")

        assert (await DETECTORS.evaluate(page)).category == "approval"
        assert await DETECTORS.detect(page) is None
        await page.close()

    async def test_a_dialog_that_stays_is_confirmed_after_the_second_pass(self, context: BrowserContext) -> None:
        page = await context.new_page()
        await page.set_content(_MODAL)
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        detection = await DETECTORS.detect(page, sleep=sleep)
        assert detection is not None
        assert detection.category == "approval"
        assert waits == [DETECTORS.confirm_ms / 1000]
        await page.close()

    async def test_invisible_challenge_frames_do_not_count(self, context: BrowserContext) -> None:
        page = await context.new_page()
        await page.route("**/*", lambda route: route.fulfill(content_type="text/html", body="<p>frame</p>"))
        await page.set_content(
            "<div style='visibility:hidden'><iframe src='https://www.google.com/recaptcha/api2/bframe?k=1' "
            "style='width:400px;height:580px'></iframe></div>"
            "<iframe title='captcha challenge' style='display:none' src='https://captcha.example/c'></iframe>"
        )
        detection = await DETECTORS.evaluate(page)
        assert detection.features == {}
        await page.close()


class TestScoring:
    def scan(self, *hits: str, top: bool = True) -> FrameScan:
        return FrameScan(frame=None, href="https://example.test/", top=top, hits=hits)

    def test_features_from_several_frames_add_up_once_each(self) -> None:
        main = self.scan("captcha_frame_generic", "captcha_text_generic")
        child = self.scan("captcha_grid_instructions", "captcha_text_generic", top=False)
        detection = DETECTORS.score([main, child])
        assert detection.category == "captcha"
        assert detection.score == pytest.approx(1.1)
        assert detection.interruption_type == "captcha"

    def test_unless_cancels_a_negative_feature(self) -> None:
        detection = DETECTORS.score([self.scan("recaptcha_v3_badge", "recaptcha_checkbox_frame", "recaptcha_unsolved")])
        assert detection.features == {"recaptcha_checkbox_frame": 0.6, "recaptcha_unsolved": 0.4}
        assert detection.category == "captcha"

    def test_precedence_puts_captcha_before_approval_and_push_before_otp(self) -> None:
        both = DETECTORS.score(
            [self.scan("arkose_frame", "modal_open", "modal_confirm_and_cancel", "modal_high_stakes_text")]
        )
        assert both.category == "captcha"
        push = DETECTORS.score([self.scan("okta_number_challenge", "otp_autocomplete", "otp_text")])
        assert push.category == "push"
        assert push.interruption_type == "twofa"

    def test_hard_evidence_needs_no_second_pass_but_soft_and_dwell_features_wait(self) -> None:
        assert DETECTORS.score([self.scan("recaptcha_challenge_frame")]).wait_ms == 0
        assert DETECTORS.score([self.scan("otp_autocomplete", "otp_text")]).wait_ms == DETECTORS.confirm_ms
        turnstile = DETECTORS.score([self.scan("turnstile_widget", "turnstile_unsolved", "turnstile_script")])
        assert turnstile.wait_ms == 5000
        assert DETECTORS.score([self.scan("cloudflare_mitigated")]).wait_ms == 10000

    def test_metadata_is_what_the_server_classifier_reads(self) -> None:
        detection = DETECTORS.score([self.scan("otp_autocomplete", "otp_text", "modal_open")])
        assert detection.metadata() == {
            "category": "twofa",
            "score": 1.0,
            "features": {"otp_autocomplete": 0.7, "otp_text": 0.3},
        }

    def test_nothing_fired_is_no_hit(self) -> None:
        detection = DETECTORS.score([self.scan()])
        assert not detection.hit
        assert detection.interruption_type is None
        assert detection.wait_ms == 0


_MODAL = (
    "<div style='position:fixed;inset:0;background:#0008'></div>"
    "<div id='m' role='alertdialog' aria-modal='true' style='position:fixed;top:20%;left:20%;width:60%;"
    "height:40%;background:#fff'><h2>Authorize payment</h2><p>Send $20 to Ada? This cannot be undone.</p>"
    "<button>Deny</button><button>Approve</button></div>"
)


def _index(stem: str) -> int:
    return [p.stem for p in saved_pages("positive")].index(stem)
