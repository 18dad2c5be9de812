"""Portable Text → HTML, our own: every text escaped, only safe link targets.

Blocks (``normal``, ``h1``–``h6``, ``blockquote``), lists from consecutive blocks with
``listItem`` and ``level`` (nested and closed properly), decorators (strong, em, code,
underline, strike-through) and ``link``/``internalLink`` annotations, ``image`` blocks.
A link whose target is not http(s), mailto, tel or a local path is rendered as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

STYLES = {
    "normal": "p",
    "h1": "h1",
    "h2": "h2",
    "h3": "h3",
    "h4": "h4",
    "h5": "h5",
    "h6": "h6",
    "blockquote": "blockquote",
}
DECORATORS = {
    "strong": "strong",
    "em": "em",
    "code": "code",
    "underline": "u",
    "strike-through": "del",
}
LIST_TAGS = {"bullet": "ul", "number": "ol"}
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def safe_href(href: Any) -> str | None:
    """The href if it is safe to put in a page, else None."""
    if not isinstance(href, str):
        return None
    cleaned = _CONTROL.sub("", href)
    if not cleaned or "&#" in cleaned.lower() or "\\" in cleaned:
        return None
    if cleaned.startswith("//"):
        return None
    if cleaned.startswith(("/", "#")):
        return href.strip()
    scheme = urlsplit(cleaned).scheme.lower()
    if scheme in SAFE_SCHEMES and (scheme in ("mailto", "tel") or urlsplit(cleaned).netloc):
        return href.strip()
    return None


def _spans(
    block: dict[str, Any], link_resolver: Callable[[dict[str, Any]], str | None] | None
) -> str:
    defs = {d.get("_key"): d for d in block.get("markDefs") or [] if isinstance(d, dict)}
    children = [c for c in block.get("children") or [] if isinstance(c, dict)]
    out: list[str] = []
    open_marks: list[str] = []

    def opener(mark: str) -> tuple[str, str]:
        if mark in DECORATORS:
            tag = DECORATORS[mark]
            return f"<{tag}>", f"</{tag}>"
        definition = defs.get(mark)
        if definition is None:
            return "", ""
        href = None
        if definition.get("_type") == "link":
            href = safe_href(definition.get("href"))
        elif definition.get("_type") == "internalLink" and link_resolver is not None:
            href = safe_href(link_resolver(definition.get("reference") or definition))
        if href is None:
            return "", ""
        external = not href.startswith(("/", "#"))
        rel = ' rel="noopener noreferrer"' if external else ""
        return f'<a href="{escape(href)}"{rel}>', "</a>"

    closers: dict[str, str] = {}
    for index, child in enumerate(children):
        marks = [m for m in child.get("marks") or [] if isinstance(m, str)]
        # close marks this span no longer has (and everything opened after them)
        keep = 0
        while keep < len(open_marks) and open_marks[keep] in marks:
            keep += 1
        for mark in reversed(open_marks[keep:]):
            out.append(closers.pop(mark, ""))
        open_marks = open_marks[:keep]
        # open new marks, the longest-running first so nesting stays valid
        new = [m for m in marks if m not in open_marks]
        new.sort(key=lambda m: -_run_length(children, index, m))
        for mark in new:
            start, end = opener(mark)
            out.append(start)
            closers[mark] = end
            open_marks.append(mark)
        text = child.get("text") if child.get("_type", "span") == "span" else ""
        out.append(str(escape(text or "")).replace("\n", "<br>"))
    for mark in reversed(open_marks):
        out.append(closers.pop(mark, ""))
    return "".join(out)


def _run_length(children: list[dict[str, Any]], start: int, mark: str) -> int:
    n = 0
    for child in children[start:]:
        if mark not in (child.get("marks") or []):
            break
        n += 1
    return n


def render_portable_text(
    blocks: Any,
    *,
    image_url: Callable[[dict[str, Any]], str] | None = None,
    link_resolver: Callable[[dict[str, Any]], str | None] | None = None,
) -> Markup:
    if not isinstance(blocks, list):
        return Markup("")
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # open lists: (tag, level)

    def close_lists(to_level: int) -> None:
        while stack and stack[-1][1] > to_level:
            tag, _ = stack.pop()
            out.append(f"</li></{tag}>")

    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("_type")
        if kind == "block" and block.get("listItem") in LIST_TAGS:
            tag = LIST_TAGS[block["listItem"]]
            level = max(1, int(block.get("level") or 1))
            close_lists(level)
            if stack and stack[-1][1] == level and stack[-1][0] != tag:
                close_lists(level - 1)
            if stack and stack[-1][1] == level:
                out.append("</li><li>")
            else:
                while not stack or stack[-1][1] < level:
                    depth = (stack[-1][1] + 1) if stack else 1
                    out.append(f"<{tag}><li>")
                    stack.append((tag, depth))
            out.append(_spans(block, link_resolver))
            continue
        close_lists(0)
        if kind == "block":
            tag = STYLES.get(str(block.get("style") or "normal"), "p")
            out.append(f"<{tag}>{_spans(block, link_resolver)}</{tag}>")
        elif kind == "image" and image_url is not None:
            url = image_url(block)
            if url:
                alt = escape(block.get("alt") or "")
                out.append(f'<figure><img src="{escape(url)}" alt="{alt}" loading="lazy"></figure>')
    close_lists(0)
    return Markup("".join(out))  # noqa: S704 - built only from escaped text and fixed tags


def portable_text_to_plain(blocks: Any) -> str:
    """GROQ's ``pt::text``: the text of each block, blocks separated by a blank line."""
    if not isinstance(blocks, list):
        return ""
    texts = []
    for block in blocks:
        if isinstance(block, dict) and block.get("_type") == "block":
            texts.append(
                "".join(
                    c.get("text", "")
                    for c in block.get("children") or []
                    if isinstance(c, dict) and isinstance(c.get("text"), str)
                )
            )
    return "\n\n".join(texts)
