import json
import math
import re
import sys
import time
from pathlib import Path

import pytest

import app.classifier as classifier
from app.classifier import SDK_SHARE, SIGNATURES, Verdict, classify

FIXTURES = Path(__file__).parents[2] / "fixtures" / "html"
POSITIVES = sorted((FIXTURES / "positive").glob("*.html"))
NEGATIVES = sorted((FIXTURES / "negative").glob("*.html"))
SPECIFIC_TYPES = ("captcha", "twofa", "approval")
CLAIM_FOR_PREFIX = {"captcha": "captcha", "twofa": "twofa", "push": "twofa", "approval": "approval"}
"""Fixture name prefix (the expected category) -> the interruption type an agent reports for it."""
SAVED_FROM = re.compile(r"<!-- saved from url=\(\d{4}\)(\S+) -->")


def load(path: Path) -> tuple[str, str]:
    html = path.read_text(encoding="utf-8")
    match = SAVED_FROM.match(html)
    assert match, f"{path.name} must start with a 'saved from url' comment"
    return html, match.group(1)


def expected(path: Path) -> tuple[str, str]:
    """(interruption type, category) encoded in a positive fixture's name."""
    category = path.name.split("__", 1)[0]
    return CLAIM_FOR_PREFIX[category], category


def run(path: Path, interruption_type: str, detector: dict[str, object] | None = None) -> Verdict:
    html, url = load(path)
    return classify(dom=html, url=url, interruption_type=interruption_type, detector=detector)


def page(
    body: str, interruption_type: str, *, detector: dict[str, object] | None = None, threshold: float = 1.0
) -> Verdict:
    return classify(
        dom=f"<html><head><title>t</title></head><body>{body}</body></html>",
        url="https://example.test/",
        interruption_type=interruption_type,
        detector=detector,
        threshold=threshold,
    )


WEAK_CAPTCHA = '<h1>Security check</h1><iframe title="captcha" src="https://widgets.example/frame"></iframe>'
"""Two generic captcha features: 0.6, below the threshold on their own."""


class TestFixtures:
    def test_fixture_sets_cover_the_required_pages(self) -> None:
        names = {p.name for p in POSITIVES + NEGATIVES}

        for required in (
            "twofa__google_totp.html",
            "twofa__microsoft_otc.html",
            "twofa__okta_passcode.html",
            "twofa__split_six_box.html",
            "twofa__sms_one_time_code.html",
            "captcha__recaptcha_v2_bframe.html",
            "captcha__hcaptcha_challenge.html",
            "captcha__cloudflare_interstitial.html",
            "captcha__turnstile_widget.html",
            "captcha__arkose.html",
            "captcha__perimeterx_press_hold.html",
            "push__microsoft_number_match.html",
            "push__duo_universal_prompt.html",
            "approval__payment_alertdialog.html",
            "approval__oauth_consent_dialog.html",
            "none__login_password.html",
            "none__search_results.html",
            "none__cookie_banner_onetrust.html",
            "none__newsletter_modal.html",
            "none__checkout_card.html",
            "none__phone_entry.html",
            "none__article_mentions_2fa.html",
            "none__recaptcha_v3_badge.html",
        ):
            assert required in names

    @pytest.mark.parametrize("path", POSITIVES, ids=lambda p: p.stem)
    def test_positive_page_is_confirmed_for_its_type_with_its_category(self, path: Path) -> None:
        interruption_type, category = expected(path)

        verdict = run(path, interruption_type)

        assert verdict.confirmed, verdict.reason
        assert verdict.category == category

    @pytest.mark.parametrize("path", POSITIVES, ids=lambda p: p.stem)
    def test_positive_page_is_confirmed_for_other_with_its_category(self, path: Path) -> None:
        verdict = run(path, "other")

        assert verdict.confirmed, verdict.reason
        assert verdict.category == expected(path)[1]

    @pytest.mark.parametrize("interruption_type", SPECIFIC_TYPES)
    @pytest.mark.parametrize("path", NEGATIVES, ids=lambda p: p.stem)
    def test_negative_page_is_rejected_for_every_specific_type(self, path: Path, interruption_type: str) -> None:
        verdict = run(path, interruption_type)

        assert not verdict.confirmed, verdict.reason
        assert verdict.category is None

    def test_error_rates(self, capsys: pytest.CaptureFixture[str]) -> None:
        false_negatives = [p.name for p in POSITIVES if run(p, expected(p)[0]).category != expected(p)[1]]
        false_positives = [f"{p.name}:{t}" for p in NEGATIVES for t in SPECIFIC_TYPES if run(p, t).confirmed]

        with capsys.disabled():
            sys.stdout.write(
                f"\nclassifier fixtures: {len(POSITIVES)} positive, {len(NEGATIVES)} negative x "
                f"{len(SPECIFIC_TYPES)} types; false negatives {len(false_negatives)} {false_negatives}, "
                f"false positives {len(false_positives)} {false_positives}\n"
            )
        assert (false_negatives, false_positives) == ([], [])


class TestHiddenEvidence:
    def test_hidden_code_inputs_and_challenge_frames_do_not_count(self) -> None:
        body = (
            '<div style="display:none"><input autocomplete="one-time-code" name="otp" inputmode="numeric">'
            + '<input maxlength="1">' * 6
            + '</div><div aria-hidden="true"><iframe src="https://www.google.com/recaptcha/api2/bframe?k=x">'
            "</iframe></div><dialog><h2>Authorize payment</h2>"
            "<button>Authorize</button><button>Cancel</button></dialog>"
            '<div hidden id="px-captcha"></div><input type="hidden" name="otc">'
        )

        for interruption_type in SPECIFIC_TYPES:
            verdict = page(body, interruption_type)
            assert not verdict.confirmed
        assert page(body, "other").features == ()

    @pytest.mark.parametrize(("visibility", "confirmed"), [("hidden", False), ("visible", True)])
    def test_recaptcha_challenge_counts_only_when_its_container_is_visible(
        self, visibility: str, confirmed: bool
    ) -> None:
        body = (
            f'<div style="visibility: {visibility}; position: absolute; top: 10px">'
            '<iframe title="recaptcha challenge expires in two minutes" '
            'src="https://www.google.com/recaptcha/api2/bframe?hl=en&amp;k=6Lc"></iframe></div>'
        )

        assert page(body, "captcha").confirmed is confirmed

    def test_solved_recaptcha_checkbox_is_not_a_blocker(self) -> None:
        anchor = '<iframe title="reCAPTCHA" src="https://www.google.com/recaptcha/api2/anchor?k=6Lc&amp;size=normal">'
        token = '</iframe><textarea name="g-recaptcha-response" style="display:none">03AFcWeA5x</textarea>'

        verdict = page(anchor + token, "captcha")

        assert not verdict.confirmed
        assert "recaptcha_unsolved" not in {hit.name for hit in verdict.features}


class TestNegativeEvidence:
    def test_recaptcha_badge_cancels_nothing_when_a_challenge_is_open(self) -> None:
        badge = '<div class="grecaptcha-badge" data-style="bottomright"></div>'
        challenge = '<iframe src="https://www.google.com/recaptcha/api2/bframe?hl=en&amp;k=6Lc"></iframe>'

        badge_only = page(badge, "captcha")
        with_challenge = page(badge + challenge, "captcha")

        assert [h.name for h in badge_only.features] == ["recaptcha_v3_badge"]
        assert with_challenge.confirmed
        assert "recaptcha_v3_badge" not in {h.name for h in with_challenge.features}

    def test_cookie_evidence_outside_a_modal_does_not_cancel_an_approval_dialog(self) -> None:
        cookie_bar = '<div id="onetrust-banner-sdk" role="region"><p>We use cookies.</p></div>'
        dialog = (
            '<div role="alertdialog"><h2>Delete workspace?</h2><p>This cannot be undone.</p>'
            "<button>Delete</button><button>Cancel</button></div>"
        )

        alone = page(dialog, "approval")
        with_cookie_bar = page(cookie_bar + dialog, "approval")

        assert alone.confirmed
        assert with_cookie_bar.confirmed
        assert with_cookie_bar.score == alone.score == 1.1


class TestReason:
    def test_confirmed_reason_compares_score_with_threshold_and_names_features_and_weights(self) -> None:
        verdict = run(FIXTURES / "positive" / "twofa__sms_one_time_code.html", "twofa")

        assert verdict.reason == (
            "twofa score 1.6 ≥ 1.0: otp_autocomplete (+0.7), otp_numeric_input (+0.3), otp_name (+0.3), otp_text (+0.3)"
        )

    def test_rejected_reason_lists_negative_evidence(self) -> None:
        verdict = run(FIXTURES / "negative" / "none__recaptcha_v3_badge.html", "captcha")

        assert verdict.reason == "captcha score -0.7 < 1.0: captcha_frame_generic (+0.3), recaptcha_v3_badge (-1.0)"

    def test_rejected_reason_points_to_the_type_the_page_looks_like(self) -> None:
        verdict = run(FIXTURES / "positive" / "captcha__arkose.html", "twofa")

        assert (
            verdict.reason
            == "twofa score 0.0 < 1.0: no twofa signature matched; the page looks like captcha 1.6 instead"
        )

    def test_features_list_every_fired_feature_of_every_category(self) -> None:
        verdict = run(FIXTURES / "positive" / "push__microsoft_number_match.html", "twofa")

        assert {(hit.name, hit.category, hit.weight) for hit in verdict.features} == {
            ("microsoft_number_match", "push", 1.0),
            ("microsoft_push_description", "push", 0.8),
            ("push_text", "push", 0.5),
            ("push_number_display", "push", 0.3),
            ("otp_text", "twofa", 0.3),
        }
        assert dict(verdict.scores) == {"captcha": 0.0, "push": 2.6, "twofa": 0.3, "approval": 0.0}

    def test_to_dict_is_json_safe_and_carries_the_whole_decision(self) -> None:
        verdict = run(FIXTURES / "positive" / "approval__payment_alertdialog.html", "approval")

        data = json.loads(json.dumps(verdict.to_dict()))

        assert data == {
            "confirmed": True,
            "category": "approval",
            "interruption_type": "approval",
            "score": 1.1,
            "threshold": 1.0,
            "reason": verdict.reason,
            "features": [
                {"name": "modal_open", "category": "approval", "weight": 0.5},
                {"name": "modal_confirm_and_cancel", "category": "approval", "weight": 0.3},
                {"name": "modal_high_stakes_text", "category": "approval", "weight": 0.3},
            ],
            "scores": {"captcha": 0.0, "push": 0.0, "twofa": 0.0, "approval": 1.1},
        }


class TestPush:
    def test_push_evidence_adds_up_with_code_evidence_for_twofa(self) -> None:
        verdict = run(FIXTURES / "positive" / "push__duo_universal_prompt.html", "twofa")

        assert verdict.confirmed
        assert verdict.score == 2.1
        assert verdict.reason.startswith("twofa score 2.1 (push 1.3 + twofa 0.8) ≥ 1.0: duo_push (+0.8)")

    def test_push_page_does_not_confirm_an_approval_claim(self) -> None:
        verdict = run(FIXTURES / "positive" / "push__okta_number_challenge.html", "approval")

        assert not verdict.confirmed
        assert verdict.reason.endswith("the page looks like twofa 2.6 instead")


class TestSdkDetector:
    def test_sdk_score_alone_cannot_confirm(self) -> None:
        verdict = page("<p>Nothing to see</p>", "captcha", detector={"category": "captcha", "score": 50.0})

        assert not verdict.confirmed
        assert verdict.score == 0.6
        assert [(h.name, h.weight) for h in verdict.features] == [("sdk_detector", 0.6)]

    def test_sdk_score_tops_up_weak_dom_evidence(self) -> None:
        without = page(WEAK_CAPTCHA, "captcha")
        with_sdk = page(WEAK_CAPTCHA, "captcha", detector={"category": "captcha", "score": 0.9, "features": {}})

        assert (without.confirmed, without.score) == (False, 0.6)
        assert (with_sdk.confirmed, with_sdk.score) == (True, 1.2)
        assert "sdk_detector (+0.6)" in with_sdk.reason

    def test_sdk_cap_scales_with_the_threshold(self) -> None:
        verdict = page("", "captcha", detector={"category": "captcha", "score": 9}, threshold=2.0)

        assert verdict.score == 2.0 * SDK_SHARE

    def test_sdk_score_below_the_cap_counts_as_is(self) -> None:
        verdict = page("", "captcha", detector={"category": "captcha", "score": 0.25})

        assert verdict.score == 0.25

    def test_sdk_category_aliases_map_to_server_categories(self) -> None:
        verdict = page("", "twofa", detector={"category": "otp", "score": 1.0, "features": {"otp_autocomplete": 0.7}})

        assert [(h.name, h.category) for h in verdict.features] == [("sdk_detector", "twofa")]

    @pytest.mark.parametrize(
        "detector",
        [
            {"category": "captcha"},
            {"category": "captcha", "score": "0.9"},
            {"category": "captcha", "score": True},
            {"category": "captcha", "score": math.nan},
            {"category": "captcha", "score": math.inf},
            {"category": "captcha", "score": -3.0},
            {"category": "quantum", "score": 0.9},
            {"category": 7, "score": 0.9},
            {"category": "captcha", "score": 0.9, "features": ["iframe"]},
            {"category": "captcha", "score": 0.9, "features": {"iframe": "heavy"}},
            {"category": "captcha", "score": 0.9, "features": {3: 0.5}},
            {},
        ],
    )
    def test_malformed_detector_data_is_ignored(self, detector: dict[str, object]) -> None:
        verdict = page(WEAK_CAPTCHA, "captcha", detector=detector)

        assert verdict.score == 0.6
        assert "sdk_detector" not in {hit.name for hit in verdict.features}

    def test_non_mapping_detector_is_ignored(self) -> None:
        verdict = classify(dom=WEAK_CAPTCHA, url="", interruption_type="captcha", detector=["captcha", 1.0])  # type: ignore[arg-type]

        assert verdict.score == 0.6


class TestOther:
    def test_other_is_confirmed_on_trust_when_nothing_matches(self) -> None:
        verdict = run(FIXTURES / "negative" / "none__login_password.html", "other")

        assert (verdict.confirmed, verdict.category, verdict.score) == (True, None, 0.0)
        assert verdict.reason == "other: no signature matched; trusting the agent"

    def test_other_is_confirmed_on_trust_when_only_weak_positive_evidence_matches(self) -> None:
        verdict = page(WEAK_CAPTCHA, "other")

        assert (verdict.confirmed, verdict.category) == (True, None)
        assert "trusting it" in verdict.reason

    @pytest.mark.parametrize(
        "name",
        ["none__cookie_banner_onetrust.html", "none__newsletter_modal.html", "none__recaptcha_v3_badge.html"],
    )
    def test_other_is_rejected_when_the_evidence_is_a_dismissable_page_element(self, name: str) -> None:
        verdict = run(FIXTURES / "negative" / name, "other")

        assert not verdict.confirmed
        assert "dismissable or unsolvable patterns" in verdict.reason

    def test_other_is_rejected_on_a_hard_block_page(self) -> None:
        verdict = run(FIXTURES / "negative" / "none__datadome_blocked.html", "other")

        assert not verdict.confirmed
        assert "datadome_blocked (-2.0)" in verdict.reason

    def test_other_takes_the_best_type_and_reports_it(self) -> None:
        verdict = run(FIXTURES / "positive" / "captcha__cloudflare_interstitial.html", "other")

        assert verdict.reason.startswith("other: captcha score 2.1 ≥ 1.0: cloudflare_interstitial_title (+0.6)")


class TestArguments:
    def test_threshold_decides(self) -> None:
        path = FIXTURES / "positive" / "twofa__google_totp.html"

        assert run(path, "twofa").score == 1.1
        html, url = load(path)
        assert not classify(dom=html, url=url, interruption_type="twofa", detector=None, threshold=1.2).confirmed

    def test_unknown_interruption_type_raises(self) -> None:
        with pytest.raises(ValueError, match="interruption_type"):
            classify(dom="", url="", interruption_type="push", detector=None)

    @pytest.mark.parametrize("threshold", [0.0, -1.0, math.nan, math.inf])
    def test_threshold_that_is_not_positive_and_finite_raises(self, threshold: float) -> None:
        with pytest.raises(ValueError, match="threshold"):
            classify(dom="", url="", interruption_type="captcha", detector=None, threshold=threshold)

    @pytest.mark.parametrize("url", ["", "not a url", "http://[::1", "https://\u2603.example/é?x=%zz"])
    def test_odd_urls_do_not_raise(self, url: str) -> None:
        classify(dom="<p>x</p>", url=url, interruption_type="other", detector=None)

    def test_malformed_html_is_classified_without_raising(self) -> None:
        verdict = classify(
            dom="<div role=alertdialog><<button>Authorize</b><button>Cancel<p>payment",
            url="https://example.test/",
            interruption_type="approval",
            detector=None,
        )

        assert verdict.confirmed

    def test_large_page_is_classified_in_linear_time(self) -> None:
        tile = '<div class="tile"><a href="/p/1"><img src="/i.jpg" alt=""><h3>Item</h3></a><button>Add</button>'
        tile += '<p class="rating"><span style="width: 80%"></span> 4.5 (120 reviews)</p></div>'
        html = f"<main>{tile * 2000}</main><form><input autocomplete='one-time-code'><p>Enter code</p></form>"

        started = time.perf_counter()
        verdict = classify(dom=html, url="https://example.test/", interruption_type="twofa", detector=None)

        assert verdict.confirmed
        assert time.perf_counter() - started < 1.0, "a ~200 KB page must take tens of milliseconds, not seconds"


class TestSignatureTable:
    def test_feature_names_are_unique(self) -> None:
        names = [feature.name for feature in SIGNATURES]

        assert len(names) == len(set(names))

    def test_unless_refers_to_known_features(self) -> None:
        names = {feature.name for feature in SIGNATURES}

        assert all(set(feature.unless) <= names for feature in SIGNATURES)

    def test_every_category_has_features_and_negatives_exist(self) -> None:
        assert {feature.category for feature in SIGNATURES} == set(classifier.CATEGORIES)
        assert {feature.category for feature in SIGNATURES if feature.weight < 0} == {
            "captcha",
            "twofa",
            "approval",
        }

    def test_public_names_are_pinned(self) -> None:
        assert classifier.__all__ == [
            "CATEGORIES",
            "CLAIM_CATEGORIES",
            "INTERRUPTION_TYPES",
            "SDK_SHARE",
            "SIGNATURES",
            "Category",
            "DomSnapshot",
            "Element",
            "Feature",
            "FeatureHit",
            "Verdict",
            "classify",
            "parse_dom",
        ]
