"""Detectors as data: `detectors/signatures.json` (shipped in `batonpass/_data/`) read by one generic in-page
evaluator (`detectors/evaluator.js`), run in every frame of the page, one `evaluate` per frame.

Scoring (research A6): per category S = Σ weights of the features that fired in any frame (each feature
counts once; a feature whose `unless` fired does not count); a category is entered when S ≥ `enter`, in the
precedence order captcha > push > twofa > approval. A hit that rests on non-hard features must hold in a
second pass `confirm_ms` later; features with `dwell_ms` (challenge pages that usually clear themselves) are
confirmed only after that dwell. After a person's resolution the blocker counts as gone once its category no
longer reaches `enter` in two passes in a row (`Detectors.cleared` says why not research A6's `exit`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

__all__ = ["Detection", "Detectors", "DialogTarget", "Feature", "FrameScan", "OtpTarget", "Target"]

log = logging.getLogger("batonpass")

FRAME_TIMEOUT_S = 2.0
"""A frame that does not answer in time is skipped, and skipped from then on (e.g. an `about:blank#…` frame,
which never reports an execution context to Playwright)."""


def _data_text(name: str) -> str:
    return resources.files("batonpass").joinpath("_data", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Feature:
    name: str
    category: str
    weight: float
    hard: bool = False
    dwell_ms: int = 0
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """An element the SDK may act on: a CSS path in its frame, its label, its centre in that frame's viewport."""

    path: str
    label: str
    x: float
    y: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        return cls(str(data["path"]), str(data.get("label", "")), float(data.get("x", 0)), float(data.get("y", 0)))


@dataclass(frozen=True)
class OtpTarget:
    """Where a one-time code goes: one input, or split single-digit boxes in order; and the submit button."""

    frame: Frame
    inputs: tuple[Target, ...]
    length: int | None
    submit: Target | None


@dataclass(frozen=True)
class DialogTarget:
    """The approval dialog and its confirm / cancel buttons."""

    frame: Frame
    path: str
    confirm: Target | None
    cancel: Target | None


@dataclass(frozen=True)
class FrameScan:
    """One frame's evaluator result."""

    frame: Frame | None
    href: str
    top: bool
    hits: tuple[str, ...]
    errors: tuple[str, ...] = ()
    """Features whose matcher threw in the page (an invalid selector or regex): they never fire."""
    otp: Mapping[str, Any] | None = None
    dialog: Mapping[str, Any] | None = None
    viewport: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Detection:
    """The verdict of one pass over every frame of a page."""

    category: str | None
    """The entered category (captcha, push, twofa, approval), or None when none reached `enter`."""
    score: float
    """Score of `category`, or the best score when nothing was entered."""
    scores: Mapping[str, float]
    features: Mapping[str, float]
    """Every counted feature that fired, by name, with its weight."""
    interruption_type: str | None
    hard: bool
    wait_ms: int
    """How long the hit must hold before it counts (confirm pass or dwell); 0 for hard evidence."""
    url: str
    otp: OtpTarget | None = None
    dialog: DialogTarget | None = None
    frames: int = 1
    elapsed_ms: float = 0.0
    categories: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def hit(self) -> bool:
        return self.category is not None

    def category_features(self, category: str | None = None) -> dict[str, float]:
        wanted = category or self.category
        return {name: weight for name, weight in self.features.items() if self.categories.get(name) == wanted}

    @property
    def fingerprint(self) -> str:
        """(category, origin, evidence): what suppression and repeat detection compare."""
        parts = urlsplit(self.url)
        evidence = ",".join(sorted(self.category_features()))
        return f"{self.category}|{parts.scheme}://{parts.netloc}|{evidence}"

    def metadata(self) -> dict[str, Any]:
        """`metadata.detector` for the server's classifier: `{category, score, features}` (+ the OTP length)."""
        data: dict[str, Any] = {
            "category": self.category,
            "score": round(self.score, 6),
            "features": self.category_features(),
        }
        if self.otp is not None and self.otp.length:
            data["otp_length"] = self.otp.length
        return data


class Detectors:
    """The signature table plus the in-page evaluator generated from it.

    `Detectors()` uses the signatures shipped with the package (identical to the repository's
    `detectors/signatures.json`); pass a mapping or use `Detectors.from_file(path)` to try other weights.
    """

    def __init__(self, signatures: Mapping[str, Any] | None = None, *, evaluator_js: str | None = None) -> None:
        self.signatures: Mapping[str, Any] = signatures or json.loads(_data_text("signatures.json"))
        self.enter = float(self.signatures.get("enter", 1.0))
        self.exit = float(self.signatures.get("exit", 0.5))
        self.confirm_ms = int(self.signatures.get("confirm_ms", 400))
        self.suppress_s = float(self.signatures.get("suppress_s", 60))
        self.precedence: tuple[str, ...] = tuple(self.signatures.get("precedence", ()))
        self.interruption_types: dict[str, str] = {
            name: str(spec.get("interruption_type", "other"))
            for name, spec in dict(self.signatures.get("categories", {})).items()
        }
        self.features: tuple[Feature, ...] = tuple(
            Feature(
                name=str(f["name"]),
                category=str(f["category"]),
                weight=float(f["weight"]),
                hard=bool(f.get("hard", False)),
                dwell_ms=int(f.get("dwell_ms", 0)),
                unless=tuple(f.get("unless", ())),
            )
            for f in self.signatures["features"]
        )
        self._by_name = {f.name: f for f in self.features}
        self.script = build_script(self.signatures, evaluator_js or _data_text("evaluator.js"))
        self._unresponsive: weakref.WeakSet[Frame] = weakref.WeakSet()

    @classmethod
    def from_file(cls, path: str | Path) -> Detectors:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    async def scan_frames(self, page: Page, *, response: Mapping[str, Any] | None = None) -> list[FrameScan]:
        """Run the evaluator in the main frame and every child frame, concurrently; frames that detach or
        navigate mid-pass are skipped."""
        main = page.main_frame
        frames = [f for f in page.frames if f == main or f not in self._unresponsive]

        async def one(frame: Frame) -> FrameScan | None:
            arg = {"response": dict(response) if response and frame == main else None}
            try:
                raw = await asyncio.wait_for(frame.evaluate(self.script, arg), FRAME_TIMEOUT_S)
            except TimeoutError:
                log.debug("batonpass: frame %s did not answer the detector; skipping it from now on", frame.url)
                self._unresponsive.add(frame)
                return None
            except Exception as exc:  # noqa: BLE001 - a frame that went away has nothing to report
                log.debug("batonpass: detector skipped frame %s: %s", frame.url, exc)
                return None
            scan = frame_scan(raw, frame)
            if scan is not None and scan.errors:
                log.warning("batonpass: detector features failed in %s: %s", frame.url, "; ".join(scan.errors))
            return scan

        results = await asyncio.gather(*(one(f) for f in frames))
        return [r for r in results if r is not None]

    async def evaluate(self, page: Page, *, response: Mapping[str, Any] | None = None) -> Detection:
        """One pass over every frame."""
        started = time.perf_counter()
        scans = await self.scan_frames(page, response=response)
        detection = self.score(scans, url=page.url)
        return _with_elapsed(detection, (time.perf_counter() - started) * 1000)

    async def detect(
        self,
        page: Page,
        *,
        response: Mapping[str, Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> Detection | None:
        """A confirmed hit (research A6: a second pass after `confirm_ms`, or after the dwell), else None."""
        first = await self.evaluate(page, response=response)
        if not first.hit:
            return None
        if first.wait_ms <= 0:
            return first
        await sleep(first.wait_ms / 1000)
        second = await self.evaluate(page, response=response)
        return second if second.hit else None

    def score(self, scans: Sequence[FrameScan], *, url: str = "") -> Detection:
        """Aggregate frame results into one verdict (pure: no page access)."""
        fired: list[str] = []
        for scan in scans:
            fired += [name for name in scan.hits if name in self._by_name and name not in fired]
        fired_set = set(fired)
        counted = [self._by_name[n] for n in fired if not fired_set.intersection(self._by_name[n].unless)]
        scores = {c: 0.0 for c in self.precedence}
        for feature in counted:
            scores[feature.category] = round(scores.get(feature.category, 0.0) + feature.weight, 6)
        entered = next((c for c in self.precedence if scores.get(c, 0.0) >= self.enter), None)
        best = entered or max(scores, key=lambda c: scores[c], default=None)
        score = scores.get(best, 0.0) if best else 0.0
        own = [f for f in counted if f.category == entered and f.weight > 0]
        hard_features = [f for f in own if f.hard]
        hard = entered is not None and sum(f.weight for f in hard_features) >= self.enter
        if hard:
            wait_ms = max((f.dwell_ms for f in hard_features), default=0)
        else:
            wait_ms = max([self.confirm_ms] + [f.dwell_ms for f in own]) if entered else 0
        otp = dialog = None
        for scan in scans:
            if otp is None and scan.otp and scan.frame is not None and scan.otp.get("inputs"):
                otp = OtpTarget(
                    frame=scan.frame,
                    inputs=tuple(Target.from_json(t) for t in scan.otp["inputs"]),
                    length=int(scan.otp["length"]) if scan.otp.get("length") else None,
                    submit=Target.from_json(scan.otp["submit"]) if scan.otp.get("submit") else None,
                )
            if dialog is None and scan.dialog and scan.frame is not None:
                dialog = DialogTarget(
                    frame=scan.frame,
                    path=str(scan.dialog.get("path", "")),
                    confirm=Target.from_json(scan.dialog["confirm"]) if scan.dialog.get("confirm") else None,
                    cancel=Target.from_json(scan.dialog["cancel"]) if scan.dialog.get("cancel") else None,
                )
        top = next((s.href for s in scans if s.top), url)
        return Detection(
            category=entered,
            score=score,
            scores=scores,
            features={f.name: f.weight for f in counted},
            interruption_type=self.interruption_types.get(entered) if entered else None,
            hard=hard,
            wait_ms=wait_ms,
            url=url or top,
            otp=otp,
            dialog=dialog,
            frames=len(scans),
            categories={f.name: f.category for f in counted},
        )

    def cleared(self, detection: Detection, category: str) -> bool:
        """True when `category` no longer reaches `enter` (the wrapper asks for two such passes in a row).

        After a person resolved the blocker, "gone" means "no longer a blocker", not research A6's `exit`
        (S < 0.5): a solved widget stays drawn (a ticked reCAPTCHA scores 0.9, a verified challenge frame
        under its heading 0.6) and would otherwise never count as cleared. `exit` stays in the table for a
        continuous watcher (not built yet)."""
        return detection.scores.get(category, 0.0) < self.enter


def build_script(signatures: Mapping[str, Any], evaluator_js: str) -> str:
    """The one in-page function: the shared evaluator applied to the signature table."""
    body = "\n".join(line for line in evaluator_js.splitlines() if not line.lstrip().startswith("//")).strip()
    return f"(args) => ({body})({json.dumps(signatures, separators=(',', ':'))}, args)"


def frame_scan(raw: Any, frame: Frame | None) -> FrameScan | None:
    if not isinstance(raw, dict):
        return None
    return FrameScan(
        frame=frame,
        href=str(raw.get("href", "")),
        top=bool(raw.get("top")),
        hits=tuple(str(h) for h in raw.get("hits", [])),
        errors=tuple(str(e) for e in raw.get("errors", [])),
        otp=raw.get("otp") if isinstance(raw.get("otp"), dict) else None,
        dialog=raw.get("dialog") if isinstance(raw.get("dialog"), dict) else None,
        viewport=raw.get("viewport") if isinstance(raw.get("viewport"), dict) else None,
    )


def _with_elapsed(detection: Detection, elapsed_ms: float) -> Detection:
    return replace(detection, elapsed_ms=elapsed_ms)
