"""A small, tolerant HTML feature extractor for DOM snapshots (stdlib `html.parser`).

It keeps what the signatures look at and nothing more: every element with its
attributes (names and values lower-cased), whether static markup hides it,
the open modal it sits in, its text on demand, groups of `maxlength=1` inputs,
and a 4 KB budget of candidate text, split by source (title, headings, labels,
buttons, paragraphs, open dialogs), filled by rank so that a page's product
grid cannot crowd out its login form; plus the head of each inline script.

"Hidden" is what static markup alone proves: the `hidden` attribute,
`aria-hidden="true"`, inline `display:none`, a closed `<dialog>`, `<template>`
and `<noscript>` (inherited by descendants), inline `visibility:hidden`
(inherited, but a descendant's `visibility:visible` wins, as in CSS), and
`<input type="hidden">`. Stylesheets and layout are out of reach: an element
hidden by a class or positioned off-screen still counts as visible.

Malformed markup never raises and never takes more than linear time: unknown
end tags are ignored, unclosed elements end with their parent or the document,
text after an unterminated tag or comment is dropped (as a browser drops it
into the comment), and a parser error keeps what was collected so far.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final, NamedTuple

from app.classifier.signatures import TextSource

MAX_DOM_CHARS: Final = 2_000_000
"""Only this many leading characters are parsed; the API should reject larger bodies anyway."""
TEXT_BUDGET: Final = 4096
"""Candidate prose kept per snapshot, filled by rank (`TEXT_RANK`), then document order."""
LINE_CAP: Final = 512
ELEMENT_TEXT_CAP: Final = 1024
SCAN_CAP: Final = 2048
"""Text chunks looked at per element, whether kept or hidden: bounds the work hostile nesting can cause."""
CANDIDATE_CAP: Final = 4096
"""Candidate lines looked at per snapshot, including duplicates that the budget does not pay for."""
SCRIPT_TEXT_CAP: Final = 1024
"""Leading characters kept per inline script; vendor bootstraps set their globals first."""
SCRIPT_BUDGET: Final = 16384


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


VOID_TAGS: Final = _tags("area base br col embed hr img input keygen link meta param source track wbr")
RAW_TEXT_TAGS: Final = frozenset({"script", "style"})
HIDING_TAGS: Final = frozenset({"template", "noscript"})
ZONE_TAGS: Final = frozenset({"form", "fieldset"})
"""Text inside these (or in an open modal) outranks the rest: blockers live in forms and dialogs."""
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
TEXT_RANK: Final[Mapping[str, int]] = {
    "title": 0,
    "dialog": 0,
    "zone": 1,
    "h1": 2,
    "h2": 2,
    "label": 2,
    "legend": 2,
    "heading": 3,
    "button": 3,
    "paragraph": 4,
}
"""Lower ranks fill the text budget first: title and open dialogs, then anything in a form or dialog,
then top headings and labels, then other headings and buttons, then paragraphs."""
BUTTON_INPUT_TYPES: Final = frozenset({"submit", "button", "reset"})
DIRECT_TEXT_TAGS: Final = frozenset({"div", "span", "strong", "b", "small"})
"""Text placed directly in these counts as paragraph prose (many login pages put instructions in divs)."""
SPLIT_INPUT_TYPES: Final = frozenset({"", "text", "tel", "number"})

_BLOCK_STARTS: Final = _tags(
    "address article aside blockquote details dialog div dl fieldset figcaption figure footer form"
    " h1 h2 h3 h4 h5 h6 header hr main menu nav ol p pre section table ul"
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
    modal_elements: tuple[Element, ...]
    """Elements that are, or sit inside, a visible open modal."""
    texts: Mapping[TextSource, str]
    """Candidate text per source, one element per line, within `TEXT_BUDGET` (scripts: `SCRIPT_BUDGET`)."""
    split_input_groups: tuple[int, ...]
    """Sizes of groups of visible `maxlength=1` text inputs sharing a parent or a grandparent."""
    _chunks: tuple[str, ...]
    _chunk_hidden: tuple[bool, ...]
    _spans: tuple[tuple[int, int], ...]
    _class_index: list[dict[str, list[Element]]] = field(default_factory=list, compare=False)
    """Holds the class-token index once built (a list so a frozen snapshot can fill it lazily)."""

    def with_class(self, token: str) -> Sequence[Element]:
        """Elements whose `class` contains `token` (an index built on first use)."""
        if not self._class_index:
            index: dict[str, list[Element]] = defaultdict(list)
            for element in self.by_attr.get("class", ()):
                for name in element.attrs["class"].split():
                    index[name].append(element)
            self._class_index.append(index)
        return self._class_index[0].get(token, ())

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
    for i in range(start, min(end, start + SCAN_CAP)):
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
    zone: bool


_ROOT: Final = _Frame("#root", -1, False, False, -1, False)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.by_tag: defaultdict[str, list[Element]] = defaultdict(list)
        self.by_attr: defaultdict[str, list[Element]] = defaultdict(list)
        self.chunks: list[str] = []
        self.chunk_hidden: list[bool] = []
        self.candidates: list[tuple[int, TextSource, int]] = []
        """(rank, source, element position) for elements whose text is candidate prose."""
        self.direct: list[tuple[int, int]] = []
        """(rank, chunk index) for text placed directly in a `DIRECT_TEXT_TAGS` element."""
        self.scripts: list[str] = []
        self.script_budget = SCRIPT_BUDGET
        self.split_parent: defaultdict[int, int] = defaultdict(int)
        self.split_grandparent: defaultdict[int, int] = defaultdict(int)
        self.stack: list[_Frame] = []
        self.open_tags: defaultdict[str, int] = defaultdict(int)
        """Open frames per tag: an end tag with none open is ignored without scanning the stack."""

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
        zone = parent.zone or tag in ZONE_TAGS
        role = a.get("role")
        modal = (
            (tag == "dialog" and "open" in a)
            or role == "alertdialog"
            or (role == "dialog" and a.get("aria-modal") == "true")
        )
        if modal and not hidden:
            dialog = index
            zone = True
            self.candidates.append((TEXT_RANK["dialog"], "dialog", index))

        element = Element(index, tag, a, parent.element, hidden, dialog)
        self.elements.append(element)
        self.starts.append(len(self.chunks))
        self.ends.append(len(self.chunks))
        self.by_tag[tag].append(element)
        by_attr = self.by_attr
        for name in a:
            by_attr[name].append(element)

        if not hidden:
            source = TEXT_SOURCE_BY_TAG.get(tag) or (TEXT_SOURCE_BY_ROLE.get(role) if role else None)
            if tag == "input":
                if a.get("type") in BUTTON_INPUT_TYPES:
                    source = "button"
                if a.get("maxlength") == "1" and a.get("type", "") in SPLIT_INPUT_TYPES:
                    self.split_parent[parent.element] += 1
                    grandparent = self.elements[parent.element].parent if parent.element >= 0 else -1
                    self.split_grandparent[grandparent] += 1
            if source is not None:
                rank = TEXT_RANK["zone"] if zone and source != "title" else TEXT_RANK.get(tag, TEXT_RANK[source])
                self.candidates.append((rank, source, index))

        if tag not in VOID_TAGS:
            stack.append(_Frame(tag, index, sticky, visibility, dialog, zone))
            self.open_tags[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags[tag]:
            return
        stack = self.stack
        # Everything above the match is closed with it, so the scan is paid for by the pops.
        for position in range(len(stack) - 1, -1, -1):
            if stack[position].tag == tag:
                self._close(position)
                return

    def _close(self, position: int) -> None:
        end = len(self.chunks)
        for frame in self.stack[position:]:
            self.ends[frame.element] = end
            self.open_tags[frame.tag] -= 1
        del self.stack[position:]

    def handle_data(self, data: str) -> None:
        top = self.stack[-1] if self.stack else _ROOT
        if top.tag in RAW_TEXT_TAGS:
            if top.tag == "script" and self.script_budget > 0 and data:
                kept = data[: min(SCRIPT_TEXT_CAP, self.script_budget)]
                self.script_budget -= len(kept)
                self.scripts.append(kept)
            return
        if not data or data.isspace():
            return
        if "\n" in data or "  " in data or "\t" in data:
            data = _SPACE.sub(" ", data)
        hidden = top.sticky_hidden or top.visibility_hidden
        self.chunks.append(data.strip())
        self.chunk_hidden.append(hidden)
        if top.tag in DIRECT_TEXT_TAGS and not hidden:
            rank = TEXT_RANK["zone"] if top.zone else TEXT_RANK["paragraph"]
            self.direct.append((rank, len(self.chunks) - 1))

    def finish(self) -> DomSnapshot:
        self._close(0)
        return DomSnapshot(
            elements=tuple(self.elements),
            by_tag={tag: tuple(items) for tag, items in self.by_tag.items()},
            by_attr={name: tuple(items) for name, items in self.by_attr.items()},
            modal_elements=tuple(e for e in self.elements if e.dialog >= 0),
            texts=self._texts(),
            split_input_groups=(*self.split_parent.values(), *self.split_grandparent.values()),
            _chunks=tuple(self.chunks),
            _chunk_hidden=tuple(self.chunk_hidden),
            _spans=tuple(zip(self.starts, self.ends, strict=True)),
        )

    def _line(self, index: int) -> str:
        element = self.elements[index]
        if element.tag == "input":
            return element.attrs.get("value", "")
        return _join_text(self.chunks, self.chunk_hidden, self.starts[index], self.ends[index], include_hidden=False)

    def _texts(self) -> dict[TextSource, str]:
        # (rank, document order, source, where the text is); the budget is filled in that order.
        queue: list[tuple[int, int, TextSource, int, bool]] = [
            (rank, self.starts[index], source, index, True) for rank, source, index in self.candidates
        ]
        queue.extend((rank, chunk, "paragraph", chunk, False) for rank, chunk in self.direct)
        queue.sort(key=lambda item: (item[0], item[1]))
        kept: dict[TextSource, list[str]] = defaultdict(list)
        seen: set[str] = set()
        budget = TEXT_BUDGET
        for _, _, source, where, is_element in queue[:CANDIDATE_CAP]:
            if budget <= 0:
                break
            line = self._line(where) if is_element else self.chunks[where]
            if not line or line in seen:
                continue
            seen.add(line)
            line = line[: min(budget, ELEMENT_TEXT_CAP if source == "dialog" else LINE_CAP)]
            kept[source].append(line)
            budget -= len(line) + 1
        texts: dict[TextSource, str] = {source: "\n".join(lines) for source, lines in kept.items()}
        texts["script"] = "\n".join(self.scripts)
        return texts


def _strip_svg(html: str) -> str:
    """Drop inline SVG bodies (icon paths are tag-dense and never evidence), in linear time."""
    parts: list[str] = []
    position = 0
    while (start := html.find("<svg", position)) >= 0:
        end = html.find("</svg>", start)
        if end < 0:
            break
        parts.append(html[position:start])
        parts.append("<svg></svg>")
        position = end + len("</svg>")
    parts.append(html[position:])
    return "".join(parts)


def parse_dom(html: str) -> DomSnapshot:
    """Extract a `DomSnapshot` from an HTML string; never raises on malformed markup."""
    extractor = _Extractor()
    # `close()` is deliberately not called: on an unterminated tag or comment it re-scans the
    # rest of the input from every "<" (quadratic, CVE-2025-6069 on unpatched Pythons), and
    # all it would add is that tag-free tail as text. A parser error (some malformed
    # declarations raise AssertionError) must not fail the handoff: keep what was collected.
    with contextlib.suppress(Exception):
        extractor.feed(_strip_svg(html[:MAX_DOM_CHARS]))
    return extractor.finish()
