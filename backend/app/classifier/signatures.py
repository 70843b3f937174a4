"""Stuck-page signatures as data: one table of weighted features per category.

Every feature belongs to one category and fires at most once per page, whatever
the number of matching elements. A feature fires when any of its matchers
matches; `AllOf` and `AnyOf` compose matchers. Negative weights are evidence
that the page is *not* a human-only blocker of that category (a cookie banner,
a phone-number input, a score-only reCAPTCHA v3 badge, a hard block page).

Weights and selectors follow the detector research note (detectors-and-remote-control.md,
sections A2-A5). Differences from the in-page SDK detector, and why:

- Sizes, bounding boxes and computed styles do not exist in a static snapshot;
  "visible" means "not hidden by static markup" (see `dom.py`).
- The server only sees a page once the agent has given up on it, so dwell-time
  conditions ("token still empty after 5 s") are read as "token empty now".
- Hard block pages (Cloudflare "Access denied", DataDome `t=bv`) carry -2.0:
  no human can solve them, so no handoff.

Attribute values are lower-cased by the extractor, so string needles here are
lower-cased by the constructors below; regexes are compiled case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

Category: TypeAlias = Literal["captcha", "twofa", "push", "approval"]
TextSource: TypeAlias = Literal["title", "heading", "label", "button", "paragraph", "dialog", "script"]
AttrOp: TypeAlias = Literal["exists", "absent", "equals", "contains", "not_contains", "word", "prefix", "regex"]
UrlPart: TypeAlias = Literal["url", "host", "path"]

CATEGORIES: Final[tuple[Category, ...]] = ("captcha", "push", "twofa", "approval")
"""All categories, in precedence order (research A6: captcha > push > otp > modal)."""


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute condition. An absent attribute reads as "" for `regex`.

    `required` says the condition can only hold when the attribute is present,
    which lets the matcher start from the elements that carry it.
    """

    name: str
    op: AttrOp
    value: str = ""
    pattern: re.Pattern[str] | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class ElementMatch:
    """An element predicate, like a CSS selector plus an optional text regex.

    `tags` empty means any tag. `text` is searched in the element's normalised
    text (for `<input>`: its `value`). `in_dialog` requires the element to be an
    open modal or inside one. Hidden elements never match unless
    `include_hidden` is set (token fields such as `g-recaptcha-response` are
    hidden by design; their presence is the evidence).
    """

    tags: frozenset[str] = frozenset()
    attrs: tuple[Attr, ...] = ()
    text: re.Pattern[str] | None = None
    in_dialog: bool = False
    include_hidden: bool = False


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A regex over the page's candidate text from the given sources."""

    pattern: re.Pattern[str]
    sources: frozenset[TextSource]


@dataclass(frozen=True, slots=True)
class UrlMatch:
    """A regex over part of the URL the agent reported."""

    pattern: re.Pattern[str]
    part: UrlPart = "url"


@dataclass(frozen=True, slots=True)
class SplitInputMatch:
    """A group of sibling (or cousin) visible `maxlength=1` text inputs."""

    min_inputs: int = 4
    max_inputs: int = 8


@dataclass(frozen=True, slots=True)
class AllOf:
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    matchers: tuple[Matcher, ...]


Matcher: TypeAlias = "ElementMatch | TextMatch | UrlMatch | SplitInputMatch | AllOf | AnyOf"


@dataclass(frozen=True, slots=True)
class Feature:
    """A named, weighted piece of evidence. `unless` names features that cancel it."""

    name: str
    category: Category
    weight: float
    match: tuple[Matcher, ...]
    unless: tuple[str, ...] = ()


# --- constructors that keep the table readable --------------------------------------------


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def has(name: str) -> Attr:
    return Attr(name, "exists")


def lacks(name: str) -> Attr:
    return Attr(name, "absent", required=False)


def eq(name: str, value: str) -> Attr:
    return Attr(name, "equals", value.lower())


def contains(name: str, value: str) -> Attr:
    return Attr(name, "contains", value.lower())


def not_contains(name: str, value: str) -> Attr:
    return Attr(name, "not_contains", value.lower(), required=False)


def word(name: str, value: str) -> Attr:
    """Whitespace-separated token, like CSS `[name~=value]` (used for `class`)."""
    return Attr(name, "word", value.lower())


def prefix(name: str, value: str) -> Attr:
    return Attr(name, "prefix", value.lower())


def matches(name: str, pattern: str) -> Attr:
    compiled = rx(pattern)
    return Attr(name, "regex", pattern=compiled, required=compiled.search("") is None)


def el(
    *tags: str,
    attrs: tuple[Attr, ...] = (),
    text: str | None = None,
    in_dialog: bool = False,
    include_hidden: bool = False,
) -> ElementMatch:
    pattern = rx(text) if text is not None else None
    return ElementMatch(frozenset(tags), attrs, pattern, in_dialog, include_hidden)


def says(pattern: str, *sources: TextSource) -> TextMatch:
    """Candidate text matching `pattern`; all prose sources when none are given."""
    return TextMatch(rx(pattern), frozenset(sources or PROSE))


def url(pattern: str, part: UrlPart = "url") -> UrlMatch:
    return UrlMatch(rx(pattern), part)


PROSE: Final[tuple[TextSource, ...]] = ("title", "heading", "label", "button", "paragraph", "dialog")
"""Default text sources: everything a human reads, but not inline scripts."""

EMPTY: Final = r"^$"
DUO_HOST: Final = r"(^|\.)duosecurity\.com$"
TEXTLIKE_INPUT: Final = matches("type", r"^(text|tel|number)?$")
OTP_NAME: Final = (
    r"(?<![a-z0-9])(otp|otc|totp|passcode|mfa|2fa|one[-_]?time"
    r"|verif\w*?[-_]?code|security[-_]?code|totppin|idvpin)"
)
"""Leading boundary only: lower-cased camelCase names (`mfacode`, `otpinput`) must still match."""
NUMBER_TAGS: Final = ("div", "span", "p", "strong", "b", "h1", "h2", "h3")
OTP_PATTERN_ATTR: Final = r"^(\\d|\[0-9\])\{[4-8](,\d*)?\}$"
RECAPTCHA_V3_SCRIPT: Final = r"recaptcha/(api|enterprise)\.js\?(.*&)?render=(?!explicit|onload)"
CMP_ID: Final = r"onetrust|cookie|didomi|cybotcookiebot|usercentrics|truste|sp_message"
CMP_CLASS: Final = r"(^|\s)(qc-cmp\S*|cmpbox\S*|cmp-?banner\S*|fc-consent-root|cookie\S*)"
"""Consent-management platforms (OneTrust, Didomi, Cookiebot, Usercentrics, TrustArc, Sourcepoint, ...)."""
CONFIRM_LABEL: Final = (
    r"^(confirm|approve|allow|authori[sz]e|accept|continue|yes|grant|pay|sign"
    r"|delete|remove|send|transfer|buy|purchase|place order)\b"
)
"""Research A5's confirm labels plus the verbs of irreversible actions (delete, send, buy...)."""
CANCEL_LABEL: Final = r"^(cancel|deny|decline|no|reject|not now)\b"


def button(label: str) -> AnyOf:
    """A button-like element inside an open modal whose label matches."""
    return AnyOf(
        (
            el("button", "a", text=label, in_dialog=True),
            el("input", attrs=(matches("type", r"^(submit|button)$"),), text=label, in_dialog=True),
            el(attrs=(eq("role", "button"),), text=label, in_dialog=True),
        )
    )


RECAPTCHA_CHECKBOX: Final = el(
    "iframe",
    attrs=(
        matches("src", r"^https?://(www\.)?(google\.com|recaptcha\.net)/recaptcha/(api2|enterprise)/anchor"),
        not_contains("src", "size=invisible"),
    ),
)
HCAPTCHA_CHECKBOX: Final = el(
    "iframe",
    attrs=(
        contains("src", "hcaptcha.com/captcha/v1/"),
        has("data-hcaptcha-widget-id"),
        not_contains("src", "invisible"),
        not_contains("src", "frame=challenge"),
    ),
)
TURNSTILE_WIDGET: Final = AnyOf(
    (
        el(attrs=(word("class", "cf-turnstile"), has("data-sitekey"))),
        el("div", attrs=(prefix("id", "cf-chl-widget-"),)),
    )
)

# --- the table ----------------------------------------------------------------------------

CAPTCHA: Final[tuple[Feature, ...]] = (
    Feature(
        "recaptcha_challenge_frame",
        "captcha",
        1.0,
        (el("iframe", attrs=(matches("src", r"/recaptcha/(api2|enterprise)/bframe"),)),),
    ),
    Feature("recaptcha_checkbox_frame", "captcha", 0.6, (RECAPTCHA_CHECKBOX,)),
    Feature(
        "recaptcha_unsolved",
        "captcha",
        0.4,
        (
            AllOf(
                (
                    RECAPTCHA_CHECKBOX,
                    el(
                        "textarea",
                        attrs=(eq("name", "g-recaptcha-response"),),
                        text=EMPTY,
                        include_hidden=True,
                    ),
                )
            ),
        ),
    ),
    Feature(
        "recaptcha_v3_badge",
        "captcha",
        -1.0,
        (
            el(attrs=(word("class", "grecaptcha-badge"),)),
            el("script", attrs=(matches("src", RECAPTCHA_V3_SCRIPT),)),
        ),
        unless=("recaptcha_challenge_frame", "recaptcha_checkbox_frame"),
    ),
    Feature(
        "hcaptcha_challenge_frame",
        "captcha",
        1.0,
        (el("iframe", attrs=(contains("src", "hcaptcha.com"), contains("src", "frame=challenge"))),),
    ),
    Feature("hcaptcha_checkbox_frame", "captcha", 0.6, (HCAPTCHA_CHECKBOX,)),
    Feature(
        "hcaptcha_unsolved",
        "captcha",
        0.4,
        (
            AllOf(
                (
                    HCAPTCHA_CHECKBOX,
                    el("textarea", attrs=(eq("name", "h-captcha-response"),), text=EMPTY, include_hidden=True),
                )
            ),
        ),
    ),
    Feature("hcaptcha_container", "captcha", 0.2, (el(attrs=(word("class", "h-captcha"), has("data-sitekey"))),)),
    Feature(
        "turnstile_frame",
        "captcha",
        0.6,
        (el("iframe", attrs=(contains("src", "challenges.cloudflare.com"),)),),
    ),
    Feature("turnstile_widget", "captcha", 0.4, (TURNSTILE_WIDGET,)),
    Feature(
        "turnstile_unsolved",
        "captcha",
        0.4,
        (
            AllOf(
                (
                    TURNSTILE_WIDGET,
                    el(
                        "input",
                        attrs=(eq("name", "cf-turnstile-response"), matches("value", EMPTY)),
                        include_hidden=True,
                    ),
                )
            ),
        ),
    ),
    Feature(
        "turnstile_script",
        "captcha",
        0.2,
        (el("script", attrs=(contains("src", "challenges.cloudflare.com/turnstile/v0"),)),),
    ),
    Feature("cloudflare_interstitial_title", "captcha", 0.6, (says(r"^\s*just a moment", "title"),)),
    Feature(
        "cloudflare_challenge_script",
        "captcha",
        0.4,
        (el("script", attrs=(matches("src", r"/cdn-cgi/challenge-platform/(\w+/\w+/)?orchestrate/"),)),),
    ),
    Feature("cloudflare_challenge_options", "captcha", 0.3, (says(r"\b_cf_chl_opt\b", "script"),)),
    Feature(
        "cloudflare_challenge_markup",
        "captcha",
        0.3,
        (el(attrs=(matches("id", r"^(challenge-(stage|spinner|form|running|body-text)|turnstile-wrapper)$"),)),),
    ),
    Feature(
        "cloudflare_blocked",
        "captcha",
        -2.0,
        (el(attrs=(eq("id", "cf-error-details"),)), says(r"^\s*access denied", "title")),
    ),
    Feature(
        "arkose_frame",
        "captcha",
        1.0,
        (
            el(
                "iframe",
                attrs=(matches("src", r"^https?://([\w-]+\.)*(arkoselabs|funcaptcha)\.com([/:?#]|$)"),),
            ),
        ),
    ),
    Feature(
        "arkose_api",
        "captcha",
        0.3,
        (
            el("script", attrs=(contains("src", "arkoselabs.com"),)),
            el("script", attrs=(contains("src", "/fc/api/"),)),
        ),
    ),
    Feature(
        "aws_waf_captcha_script",
        "captcha",
        0.6,
        (el("script", attrs=(contains("src", ".captcha.awswaf.com"),)),),
    ),
    Feature("aws_waf_captcha_render", "captcha", 0.4, (says(r"\bAwsWafCaptcha\.renderCaptcha\b", "script"),)),
    Feature(
        "datadome_frame",
        "captcha",
        1.0,
        (el("iframe", attrs=(contains("src", "captcha-delivery.com/captcha"),)),),
    ),
    Feature(
        "datadome_blocked",
        "captcha",
        -2.0,
        (el("iframe", attrs=(contains("src", "captcha-delivery.com"), matches("src", r"[?&]t=bv(&|$)"))),),
    ),
    Feature("perimeterx_captcha", "captcha", 1.0, (el(attrs=(eq("id", "px-captcha"),)),)),
    Feature(
        "perimeterx_script",
        "captcha",
        0.3,
        (el("script", attrs=(contains("src", "captcha.px-cdn.net"),)), says(r"\b_pxAppId\b", "script")),
    ),
    Feature(
        "perimeterx_block_title",
        "captcha",
        0.3,
        (says(r"access to this page has been (blocked|denied)", "title"),),
    ),
    Feature("press_and_hold_text", "captcha", 0.3, (says(r"\bpress\s*(&|and)\s*hold\b"),)),
    Feature(
        "captcha_frame_generic",
        "captcha",
        0.3,
        (
            el("iframe", attrs=(matches("title", r"captcha|challenge"),)),
            el("iframe", attrs=(matches("src", r"captcha"),)),
        ),
    ),
    Feature(
        "captcha_text_generic",
        "captcha",
        0.3,
        (
            says(
                r"\bverify (that )?you are (a )?human\b|\bare you a robot\b|\bi'?m not a robot\b"
                r"|\bsecurity check\b|\bconfirm (that )?you are (a )?human\b|\bprove you('| a)re (a )?human\b"
            ),
        ),
    ),
)

TWOFA: Final[tuple[Feature, ...]] = (
    Feature(
        "otp_autocomplete",
        "twofa",
        0.7,
        (el("input", attrs=(eq("autocomplete", "one-time-code"), lacks("disabled"))),),
    ),
    Feature("otp_split_inputs", "twofa", 0.6, (SplitInputMatch(4, 8),)),
    Feature(
        "otp_numeric_input",
        "twofa",
        0.3,
        (
            el("input", attrs=(TEXTLIKE_INPUT, lacks("disabled"), eq("inputmode", "numeric"))),
            el("input", attrs=(TEXTLIKE_INPUT, lacks("disabled"), matches("maxlength", r"^[4-8]$"))),
            el("input", attrs=(TEXTLIKE_INPUT, lacks("disabled"), matches("pattern", OTP_PATTERN_ATTR))),
        ),
    ),
    Feature(
        "otp_name",
        "twofa",
        0.3,
        (
            el("input", attrs=(TEXTLIKE_INPUT, matches("name", OTP_NAME))),
            el("input", attrs=(TEXTLIKE_INPUT, matches("id", OTP_NAME))),
        ),
    ),
    Feature(
        "otp_text",
        "twofa",
        0.3,
        (
            says(
                r"\b(verification|security|authentication|one[- ]time|sign[- ]in|login)\s+code\b"
                r"|\benter (the |your )?(\d-digit |six-digit |verification )?code\b"
                r"|\b2-step verification\b|\btwo[- ](factor|step)\b"
                r"|\bverify (it'?s|that it'?s) you\b|\bverify your identity\b|\bauthenticator app\b"
            ),
        ),
    ),
    Feature(
        "google_challenge_url",
        "twofa",
        0.5,
        (url(r"/signin/(v2/)?challenge/(totp|ipp|iap)(/|\?|$)", "path"),),
    ),
    Feature("microsoft_otc_input", "twofa", 0.5, (el("input", attrs=(eq("name", "otc"),)),)),
    Feature("okta_passcode_input", "twofa", 0.5, (el("input", attrs=(eq("name", "credentials.passcode"),)),)),
    Feature("salesforce_verification_url", "twofa", 0.5, (url(r"/_ui/identity/verification/", "path"),)),
    Feature("duo_host", "twofa", 0.5, (url(DUO_HOST, "host"),)),
    Feature(
        "not_otp_autocomplete",
        "twofa",
        -0.6,
        (el("input", attrs=(matches("autocomplete", r"^(tel(-[a-z-]+)?|postal-code|cc-[a-z-]+)$"),)),),
    ),
    Feature(
        "not_otp_name",
        "twofa",
        -0.6,
        tuple(
            el(
                "input",
                attrs=(TEXTLIKE_INPUT, matches(attr, r"phone|zip|postal|card|cvc|cvv|amount|qty|quantity")),
            )
            for attr in ("name", "id")
        ),
    ),
)

PUSH: Final[tuple[Feature, ...]] = (
    Feature(
        "microsoft_number_match",
        "push",
        1.0,
        (el(attrs=(eq("id", "idRichContext_DisplaySign"),), text=r"^\d{2,3}$"),),
    ),
    Feature("microsoft_push_description", "push", 0.8, (el(attrs=(eq("id", "idDiv_SAOTCAS_Description"),)),)),
    Feature(
        "okta_number_challenge",
        "push",
        1.0,
        (
            el(attrs=(word("class", "okta-verify-number-challenge"),)),
            el(attrs=(eq("data-se", "challenge-number"),)),
            el(attrs=(word("class", "phone--number"),)),
        ),
    ),
    Feature(
        "okta_push_text",
        "push",
        0.8,
        (says(r"\bpush notification sent\b|\brespond on your mobile device to continue\b"),),
    ),
    Feature(
        "duo_push",
        "push",
        0.8,
        (
            AllOf(
                (
                    url(DUO_HOST, "host"),
                    says(r"\bcheck for a duo push\b|\bverify it'?s you\b|\bis this you signing in\b"),
                )
            ),
        ),
    ),
    Feature(
        "google_phone_prompt",
        "push",
        0.8,
        (AllOf((url(r"/challenge/(az|dp)(/|\?|$)", "path"), says(r"\bcheck your phone\b"))),),
    ),
    Feature(
        "push_text",
        "push",
        0.5,
        (
            says(
                r"\b(approve|confirm) (this |the |your )?sign[- ]?in\b|\bpush notification (was )?sent\b"
                r"|\bopen (the |your )?\w+ app\b|\btap \d{1,3}\b|\benter the number shown\b"
            ),
        ),
    ),
    Feature(
        "push_number_display",
        "push",
        0.3,
        tuple(
            el(*NUMBER_TAGS, attrs=(matches(attr, r"number|challenge|displaysign"),), text=r"^\d{2,3}$")
            for attr in ("id", "class")
        ),
    ),
)

APPROVAL: Final[tuple[Feature, ...]] = (
    Feature(
        "modal_open",
        "approval",
        0.5,
        (
            el("dialog", attrs=(has("open"),)),
            el(attrs=(eq("role", "alertdialog"),)),
            el(attrs=(eq("role", "dialog"), eq("aria-modal", "true"))),
        ),
    ),
    Feature("modal_confirm_and_cancel", "approval", 0.3, (AllOf((button(CONFIRM_LABEL), button(CANCEL_LABEL))),)),
    Feature(
        "modal_high_stakes_text",
        "approval",
        0.3,
        (
            says(
                r"authori[sz]e|\bpermissions?\b|\bgrant access\b|\bpayment\b|\bcharge[ds]?\b|\btransfer\b"
                r"|\bdelete\b|\bcannot be undone\b|\bconsent\b",
                "dialog",
            ),
        ),
    ),
    Feature(
        "cookie_banner",
        "approval",
        -1.0,
        (
            el(attrs=(matches("id", CMP_ID),), in_dialog=True),
            el(attrs=(matches("class", CMP_CLASS),), in_dialog=True),
            says(r"\bcookies?\b", "dialog"),
        ),
    ),
    Feature(
        "marketing_modal",
        "approval",
        -0.5,
        (
            says(
                r"\bsubscribe\b|\bnewsletter\b|\d+\s*% off\b|\bsign up for (our )?(emails?|updates)\b",
                "dialog",
            ),
        ),
    ),
)

SIGNATURES: Final[tuple[Feature, ...]] = CAPTCHA + TWOFA + PUSH + APPROVAL
"""Every feature the classifier knows, in evaluation and reporting order."""
