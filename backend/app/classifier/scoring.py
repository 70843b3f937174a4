"""The server-side stuck classifier: confirm or reject an agent's handoff claim.

Rules (research A6, adapted to a single static snapshot):

- Per category, S = sum of the weights of the features that fired; each feature
  counts once, negative features subtract. Scores are rounded to 6 decimals.
- A claim is confirmed when the score of its interruption type reaches the
  threshold. `push` (approve-on-your-phone, number matching) is a second
  factor, so it counts for `twofa`, never for `approval`: the twofa score is
  S(twofa) + S(push), and the verdict's category says which of the two
  dominated. `approval` is reserved for in-page modals that the operator
  approves or denies through the page.
- `other`: confirmed when any type (captcha, twofa, approval) reaches the
  threshold; also confirmed when nothing fired at all, or only weak positive
  evidence did (the agent is stuck on something we have no signature for:
  trust it); rejected when a negative feature fired and no type reached the
  threshold (the page is a cookie banner, a newsletter modal, a hard block
  page: things the agent must dismiss itself or that no human can solve).
- The SDK's own detector score (`metadata["detector"]`) adds to its category,
  but never more than `threshold * SDK_SHARE` (0.6 x threshold): a client alone
  cannot get a handoff confirmed, the server's DOM evidence must supply the
  rest. Malformed detector data is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeGuard
from urllib.parse import urlsplit

from app.classifier.dom import DomSnapshot, Element, parse_dom
from app.classifier.signatures import (
    CATEGORIES,
    SIGNATURES,
    AllOf,
    AnyOf,
    Attr,
    AttrOp,
    Category,
    ElementMatch,
    Matcher,
    SplitInputMatch,
    TextMatch,
    UrlMatch,
    UrlPart,
)

INTERRUPTION_TYPES: Final = frozenset({"captcha", "twofa", "approval", "other"})
CLAIM_CATEGORIES: Final[Mapping[str, tuple[Category, ...]]] = {
    "captcha": ("captcha",),
    "twofa": ("push", "twofa"),
    "approval": ("approval",),
}
"""The categories whose scores add up to each specific interruption type; `other` takes the best type."""
SDK_SHARE: Final = 0.6
"""The SDK detector contributes at most `threshold * SDK_SHARE` to its category."""
SDK_FEATURE: Final = "sdk_detector"
SDK_CATEGORY_ALIASES: Final[Mapping[str, Category]] = {
    "captcha": "captcha",
    "twofa": "twofa",
    "otp": "twofa",
    "2fa": "twofa",
    "push": "push",
    "approval": "approval",
    "modal": "approval",
}


@dataclass(frozen=True, slots=True)
class FeatureHit:
    name: str
    category: Category
    weight: float

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "category": self.category, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision and everything needed to explain it in an audit trail."""

    confirmed: bool
    category: Category | None
    """The dominant category of the confirmed type; None when rejected or confirmed on trust."""
    score: float
    """Score of the claimed type (twofa: twofa + push; other: the best type)."""
    threshold: float
    features: tuple[FeatureHit, ...]
    """Every feature that fired, in any category, in signature-table order (SDK last)."""
    reason: str
    interruption_type: str
    scores: tuple[tuple[Category, float], ...]
    """Score of every category, in precedence order."""

    def to_dict(self) -> dict[str, object]:
        return {
            "confirmed": self.confirmed,
            "category": self.category,
            "interruption_type": self.interruption_type,
            "score": self.score,
            "threshold": self.threshold,
            "reason": self.reason,
            "features": [hit.to_dict() for hit in self.features],
            "scores": dict(self.scores),
        }


@dataclass(frozen=True, slots=True)
class _Page:
    dom: DomSnapshot
    url: Mapping[UrlPart, str]


def classify(
    *,
    dom: str,
    url: str,
    interruption_type: str,
    detector: Mapping[str, object] | None,
    threshold: float = 1.0,
) -> Verdict:
    """Confirm (`detected`) or reject (`classifier_rejected`) an agent's claim that it is stuck.

    Raises ValueError for an unknown `interruption_type` or a threshold that is
    not a positive finite number; never for the page or the detector data.
    """
    if interruption_type not in INTERRUPTION_TYPES:
        allowed = sorted(INTERRUPTION_TYPES)
        raise ValueError(f"interruption_type must be one of {allowed}, not {interruption_type!r}")
    if not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive finite number, not {threshold!r}")

    page = _Page(parse_dom(dom), _url_parts(url))
    fired = {feature.name for feature in SIGNATURES if any(_matches(m, page) for m in feature.match)}
    hits = [
        FeatureHit(f.name, f.category, f.weight)
        for f in SIGNATURES
        if f.name in fired and not fired.intersection(f.unless)
    ]
    sdk = _sdk_hit(detector, threshold)
    if sdk is not None:
        hits.append(sdk)
    # `+ 0.0` turns a -0.0 into 0.0 so that the audit trail never shows "-0.0".
    scores = {c: round(sum((h.weight for h in hits if h.category == c), 0.0), 6) + 0.0 for c in CATEGORIES}
    return _decide(interruption_type, tuple(hits), scores, threshold)


def _decide(claim: str, hits: tuple[FeatureHit, ...], scores: Mapping[Category, float], threshold: float) -> Verdict:
    totals = {kind: round(sum(scores[c] for c in cats), 6) + 0.0 for kind, cats in CLAIM_CATEGORIES.items()}
    # For `other` the best type wins; ties go to the earlier type (captcha, twofa, approval).
    kind = max(CLAIM_CATEGORIES, key=lambda k: totals[k]) if claim == "other" else claim
    group = CLAIM_CATEGORIES[kind]
    category = max(group, key=lambda c: (scores[c], -CATEGORIES.index(c)))
    score = totals[kind]
    reached = score >= threshold
    ordered = tuple((c, scores[c]) for c in CATEGORIES)

    def verdict(confirmed: bool, winner: Category | None, reason: str) -> Verdict:
        return Verdict(confirmed, winner, score, threshold, hits, reason, claim, ordered)

    prefix = "other: " if claim == "other" else ""
    parts = [f"{c} {_num(scores[c])}" for c in group if scores[c]]
    split = f" ({' + '.join(parts)})" if len(parts) > 1 else ""
    summary = f"{prefix}{kind} score {_num(score)}{split}"
    evidence = _list(hits, group, kind)
    if reached:
        return verdict(True, category, f"{summary} ≥ {_num(threshold)}: {evidence}")
    if claim != "other":
        elsewhere = [f"{k} {_num(t)}" for k, t in totals.items() if t >= threshold]
        hint = f"; the page looks like {', '.join(elsewhere)} instead" if elsewhere else ""
        return verdict(False, None, f"{summary} < {_num(threshold)}: {evidence}{hint}")
    if not hits:
        return verdict(True, None, "other: no signature matched; trusting the agent")
    negatives = [h for h in hits if h.weight < 0]
    if negatives:
        return verdict(
            False,
            None,
            f"other: no type reached {_num(threshold)} and the page matches dismissable or unsolvable "
            f"patterns: {', '.join(_hit(h) for h in negatives)}",
        )
    return verdict(
        True,
        None,
        f"other: no type reached {_num(threshold)} (best: {summary[len(prefix) :]}: {evidence}) "
        "and nothing contradicts the agent; trusting it",
    )


def _matches(matcher: Matcher, page: _Page) -> bool:
    match matcher:
        case ElementMatch():
            return _element_matches(matcher, page.dom)
        case TextMatch(pattern=pattern, sources=sources):
            texts = page.dom.texts
            return any(pattern.search(texts.get(source, "")) for source in sources)
        case UrlMatch(pattern=pattern, part=part):
            return pattern.search(page.url[part]) is not None
        case SplitInputMatch(min_inputs=low, max_inputs=high):
            return any(low <= n <= high for n in page.dom.split_input_groups)
        case AllOf(matchers=matchers):
            return all(_matches(m, page) for m in matchers)
        case AnyOf(matchers=matchers):
            return any(_matches(m, page) for m in matchers)


def _element_matches(m: ElementMatch, dom: DomSnapshot) -> bool:
    # Start from the smallest index that every match must be in: its tags, an attribute it
    # requires (a class token when it can), or the elements inside open modals.
    pools: list[Sequence[Element]] = [
        dom.with_class(a.value) if a.op == "word" and a.name == "class" else dom.by_attr.get(a.name, ())
        for a in m.attrs
        if a.required
    ]
    if m.tags:
        pools.append([e for tag in m.tags for e in dom.by_tag.get(tag, ())])
    if m.in_dialog:
        pools.append(dom.modal_elements)
    candidates = min(pools, key=len) if pools else dom.elements
    conditions = m.attrs
    for element in candidates:
        if (element.hidden and not m.include_hidden) or (m.in_dialog and element.dialog < 0):
            continue
        if m.tags and element.tag not in m.tags:
            continue
        attrs = element.attrs
        if all(_ATTR_OPS[c.op](c, attrs.get(c.name)) for c in conditions) and (
            m.text is None or m.text.search(dom.text(element)) is not None
        ):
            return True
    return False


def _regex(condition: Attr, value: str | None) -> bool:
    return condition.pattern is not None and condition.pattern.search(value or "") is not None


_ATTR_OPS: Final[Mapping[AttrOp, Callable[[Attr, str | None], bool]]] = {
    "exists": lambda c, v: v is not None,
    "absent": lambda c, v: v is None,
    "equals": lambda c, v: v == c.value,
    "contains": lambda c, v: v is not None and c.value in v,
    "not_contains": lambda c, v: v is None or c.value not in v,
    "word": lambda c, v: v is not None and c.value in v and c.value in v.split(),
    "prefix": lambda c, v: v is not None and v.startswith(c.value),
    "regex": _regex,
}
"""How each attribute operator reads a value (None: the attribute is absent)."""


def _url_parts(url: str) -> dict[UrlPart, str]:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return {"url": url, "host": "", "path": ""}
    return {"url": url, "host": host, "path": parts.path + ("?" + parts.query if parts.query else "")}


def _sdk_hit(detector: Mapping[str, object] | None, threshold: float) -> FeatureHit | None:
    """The SDK's detector score as one capped hit, or None if absent or malformed."""
    if not isinstance(detector, Mapping):
        return None
    raw_category = detector.get("category")
    category = SDK_CATEGORY_ALIASES.get(raw_category) if isinstance(raw_category, str) else None
    score = detector.get("score")
    features = detector.get("features", {})
    if category is None or not _is_number(score) or not isinstance(features, Mapping):
        return None
    if not all(isinstance(name, str) and _is_number(weight) for name, weight in features.items()):
        return None
    contribution = round(min(float(score), threshold * SDK_SHARE), 6)
    return FeatureHit(SDK_FEATURE, category, contribution) if contribution > 0 else None


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: float) -> str:
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text


def _hit(hit: FeatureHit) -> str:
    return f"{hit.name} ({'+' if hit.weight >= 0 else '-'}{_num(abs(hit.weight))})"


def _list(hits: tuple[FeatureHit, ...], group: tuple[Category, ...], kind: str) -> str:
    own = sorted((h for h in hits if h.category in group), key=lambda h: -h.weight)
    return ", ".join(_hit(h) for h in own) if own else f"no {kind} signature matched"
