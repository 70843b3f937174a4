"""A small, tolerant HTML feature extractor for DOM snapshots (stdlib `html.parser`).

It keeps what the signatures look at and nothing more: every element with its
attributes (names and values lower-cased), whether static markup hides it,
the open modal it sits in, its text on demand, groups of `maxlength=1` inputs,
and a capped budget of candidate text per source (title, headings, labels,
buttons, paragraphs, open dialogs, inline scripts).

"Hidden" is what static markup alone proves: the `hidden` attribute,
`aria-hidden="true"`, inline `display:none`, a closed `<dialog>`, `<template>`
and `<noscript>` (inherited by descendants), inline `visibility:hidden`
(inherited, but a descendant's `visibility:visible` wins, as in CSS), and
`<input type="hidden">`. Stylesheets and layout are out of reach: an element
hidden by a class or positioned off-screen still counts as visible.

Malformed markup never raises: unknown end tags are ignored, unclosed elements
end with their parent or the document, and a parser error keeps what was
collected so far.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final, NamedTuple

from app.classifier.signatures import TextSource

MAX_DOM_CHARS: Final = 2_000_000
"""Only this many leading characters are parsed; the API should reject larger bodies anyway."""
TEXT_BUDGET: Final = 4096
"""Candidate prose kept per snapshot, filled in `TEXT_PRIORITY` order."""
ELEMENT_TEXT_CAP: Final = 1024
SCRIPT_TEXT_CAP: Final = 1024
"""Leading characters kept per inline script; vendor bootstraps set their globals first."""
SCRIPT_BUDGET: Final = 16384

TEXT_PRIORITY: Final[tuple[TextSource, ...]] = ("title", "heading", "dialog", "label", "button", "paragraph")

VOID_TAGS: Final = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
RAW_TEXT_TAGS: Final = frozenset({"script", "style"})
HIDING_TAGS: Final = frozenset({"template", "noscript"})
TEXT_SOURCE_BY_TAG: Final[Mapping[str, TextSource]] = {
    "title": "title",
    **{f"h{level}": "heading" for level in range(1, 7)},
    "label": "label",
    "legend": "label",
    "button": "button",
    "summary": "button",
    "p": "paragraph",
}
TEXT_SOURCE_BY_ROLE: Final[Mapping[str, TextSource]] = {"heading": "heading", "button": "button"}
BUTTON_INPUT_TYPES: Final = frozenset({"submit", "button", "reset"})
DIRECT_TEXT_TAGS: Final = frozenset({"div", "span", "strong", "b", "small"})
"""Text placed directly in these counts as paragraph prose (many login pages put instructions in divs)."""
SPLIT_INPUT_TYPES: Final = frozenset({"", "text", "tel", "number"})

_BLOCK_STARTS: Final = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    ]
)
IMPLIED_END: Final[Mapping[str, frozenset[str]]] = {
    **dict.fromkeys(_BLOCK_STARTS, frozenset({"p"})),
    "li": frozenset({"li", "p"}),
    "option": frozenset({"option"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
}
"""Start tag -> open elements it closes when they are innermost (the common HTML omissions)."""

_SVG: Final = re.compile(r"<svg\b.*?</svg\s*>", re.IGNORECASE | re.DOTALL)
_SPACE: Final = re.compile(r"\s+")


class Element(NamedTuple):
    position: int
    """Document order; the key for `DomSnapshot.text` spans and for `parent` and `dialog`."""
    tag: str
    attrs: Mapping[str, str]
    parent: int
    """Index of the parent element, -1 at the top."""
    hidden: bool
    dialog: int
    """Index of the innermost visible open modal that is this element or contains it; -1 if none."""


@dataclass(frozen=True, slots=True)
class DomSnapshot:
    """What `parse_dom` extracted. Element indices are document order."""

    elements: tuple[Element, ...]
    by_tag: Mapping[str, tuple[Element, ...]]
    by_attr: Mapping[str, tuple[Element, ...]]
    texts: Mapping[TextSource, str]
    """Candidate text per source, one element per line, within `TEXT_BUDGET` (scripts: `SCRIPT_BUDGET`)."""
    split_input_groups: tuple[int, ...]
    """Sizes of groups of visible `maxlength=1` text inputs sharing a parent or a grandparent."""
    _chunks: tuple[str, ...]
    _chunk_hidden: tuple[bool, ...]
    _spans: tuple[tuple[int, int], ...]

    def text(self, element: Element) -> str:
        """Normalised text of the element (an input's `value`), capped.

        Text of hidden descendants counts only when the element itself is hidden.
        """
        if element.tag == "input":
            return element.attrs.get("value", "")
        start, end = self._spans[element.position]
        return _join_text(self._chunks, self._chunk_hidden, start, end, include_hidden=element.hidden)


def _join_text(
    chunks: Sequence[str], chunk_hidden: Sequence[bool], start: int, end: int, *, include_hidden: bool
) -> str:
    parts: list[str] = []
    size = 0
    for i in range(start, end):
        if chunk_hidden[i] and not include_hidden:
            continue
        parts.append(chunks[i])
        size += len(chunks[i]) + 1
        if size >= ELEMENT_TEXT_CAP:
            break
    return " ".join(parts)[:ELEMENT_TEXT_CAP]


class _Frame(NamedTuple):
    tag: str
    element: int
    sticky_hidden: bool
    visibility_hidden: bool
    dialog: int


_ROOT: Final = _Frame("#root", -1, False, False, -1)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.by_tag: dict[str, list[Element]] = {}
        self.by_attr: dict[str, list[Element]] = {}
        self.chunks: list[str] = []
        self.chunk_hidden: list[bool] = []
        self.direct_chunks: list[int] = []
        self.candidates: list[tuple[TextSource, int]] = []
        self.scripts: list[str] = []
        self.script_budget = SCRIPT_BUDGET
        self.split_parent: dict[int, int] = {}
        self.split_grandparent: dict[int, int] = {}
        self.stack: list[_Frame] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        stack = self.stack
        closes = IMPLIED_END.get(tag)
        while closes and stack and stack[-1].tag in closes:
            self._close(len(stack) - 1)
        parent = stack[-1] if stack else _ROOT
        a = {name: value.lower() if value else "" for name, value in attrs}
        index = len(self.elements)

        sticky = parent.sticky_hidden or "hidden" in a or a.get("aria-hidden") == "true" or tag in HIDING_TAGS
        if tag == "dialog" and "open" not in a:
            sticky = True
        visibility = parent.visibility_hidden
        style = a.get("style")
        if style:
            style = style.replace(" ", "")
            if "display:none" in style:
                sticky = True
            if "visibility:hidden" in style or "visibility:collapse" in style:
                visibility = True
            elif "visibility:visible" in style:
                visibility = False
        hidden = sticky or visibility or (tag == "input" and a.get("type") == "hidden")

        dialog = parent.dialog
        role = a.get("role")
        modal = (
            (tag == "dialog" and "open" in a)
            or role == "alertdialog"
            or (role == "dialog" and a.get("aria-modal") == "true")
        )
        if modal and not hidden:
            dialog = index
            self.candidates.append(("dialog", index))

        element = Element(index, tag, a, parent.element, hidden, dialog)
        self.elements.append(element)
        self.starts.append(len(self.chunks))
        self.ends.append(len(self.chunks))
        self.by_tag.setdefault(tag, []).append(element)
        for name in a:
            self.by_attr.setdefault(name, []).append(element)

        if not hidden:
            source = TEXT_SOURCE_BY_TAG.get(tag) or (TEXT_SOURCE_BY_ROLE.get(role) if role else None)
            if tag == "input" and a.get("type") in BUTTON_INPUT_TYPES:
                source = "button"
            if source is not None:
                self.candidates.append((source, index))
            if tag == "input" and a.get("maxlength") == "1" and a.get("type", "") in SPLIT_INPUT_TYPES:
                self.split_parent[parent.element] = self.split_parent.get(parent.element, 0) + 1
                grandparent = self.elements[parent.element].parent if parent.element >= 0 else -1
                self.split_grandparent[grandparent] = self.split_grandparent.get(grandparent, 0) + 1

        if tag not in VOID_TAGS:
            stack.append(_Frame(tag, index, sticky, visibility, dialog))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        stack = self.stack
        for position in range(len(stack) - 1, -1, -1):
            if stack[position].tag == tag:
                self._close(position)
                return

    def _close(self, position: int) -> None:
        end = len(self.chunks)
        for frame in self.stack[position:]:
            self.ends[frame.element] = end
        del self.stack[position:]

    def handle_data(self, data: str) -> None:
        top = self.stack[-1] if self.stack else _ROOT
        if top.tag in RAW_TEXT_TAGS:
            if top.tag == "script" and self.script_budget > 0 and data:
                kept = data[: min(SCRIPT_TEXT_CAP, self.script_budget)]
                self.script_budget -= len(kept)
                self.scripts.append(kept)
            return
        if data.isspace() or not data:
            return
        if "\n" in data or "  " in data or "\t" in data:
            data = _SPACE.sub(" ", data)
        self.chunks.append(data.strip())
        self.chunk_hidden.append(top.sticky_hidden or top.visibility_hidden)
        if top.tag in DIRECT_TEXT_TAGS and not (top.sticky_hidden or top.visibility_hidden):
            self.direct_chunks.append(len(self.chunks) - 1)

    def finish(self) -> DomSnapshot:
        self._close(0)
        return DomSnapshot(
            elements=tuple(self.elements),
            by_tag={tag: tuple(items) for tag, items in self.by_tag.items()},
            by_attr={name: tuple(items) for name, items in self.by_attr.items()},
            texts=self._texts(),
            split_input_groups=(*self.split_parent.values(), *self.split_grandparent.values()),
            _chunks=tuple(self.chunks),
            _chunk_hidden=tuple(self.chunk_hidden),
            _spans=tuple(zip(self.starts, self.ends, strict=True)),
        )

    def _texts(self) -> dict[TextSource, str]:
        by_source: dict[TextSource, list[str]] = {}
        for source, index in self.candidates:
            element = self.elements[index]
            if element.tag == "input":
                line = element.attrs.get("value", "")
            else:
                line = _join_text(
                    self.chunks, self.chunk_hidden, self.starts[index], self.ends[index], include_hidden=False
                )
            by_source.setdefault(source, []).append(line)
        by_source.setdefault("paragraph", []).extend(self.chunks[i] for i in self.direct_chunks)
        texts: dict[TextSource, str] = {"script": "\n".join(self.scripts)}
        budget = TEXT_BUDGET
        for source in TEXT_PRIORITY:
            kept: list[str] = []
            for line in by_source.get(source, ()):
                if budget <= 0:
                    break
                if line:
                    kept.append(line[:budget])
                    budget -= len(line) + 1
            texts[source] = "\n".join(kept)
        return texts


def parse_dom(html: str) -> DomSnapshot:
    """Extract a `DomSnapshot` from an HTML string; never raises on malformed markup."""
    extractor = _Extractor()
    # A parser bug on hostile input must not fail the handoff: keep what was collected.
    with contextlib.suppress(Exception):
        extractor.feed(_SVG.sub("<svg></svg>", html[:MAX_DOM_CHARS]))
        extractor.close()
    return extractor.finish()
