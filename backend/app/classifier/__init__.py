"""Server-side stuck classifier: is the page an agent is stuck on a human-only blocker?"""

from app.classifier.dom import DomSnapshot, Element, parse_dom
from app.classifier.scoring import (
    CLAIM_CATEGORIES,
    INTERRUPTION_TYPES,
    SDK_SHARE,
    FeatureHit,
    Verdict,
    classify,
)
from app.classifier.signatures import CATEGORIES, SIGNATURES, Category, Feature

__all__ = [
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
