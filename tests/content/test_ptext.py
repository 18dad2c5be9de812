"""Our Portable Text renderer: structure, and nothing unsafe gets through."""

import pytest

from storefront.content.ptext import portable_text_to_plain, render_portable_text, safe_href


def block(text, style="normal", marks=(), defs=(), list_item=None, level=None):  # type: ignore[no-untyped-def]
    b = {
        "_type": "block",
        "style": style,
        "markDefs": list(defs),
        "children": [{"_type": "span", "text": text, "marks": list(marks)}],
    }
    if list_item:
        b["listItem"], b["level"] = list_item, level or 1
    return b


def test_styles_and_escaping() -> None:
    html = render_portable_text([block("Hi <b>", "h2"), block('"quote"', "blockquote")])
    assert html == "<h2>Hi &lt;b&gt;</h2><blockquote>&#34;quote&#34;</blockquote>"


def test_nested_lists_up_and_down_and_type_change() -> None:
    html = render_portable_text(
        [
            block("a", list_item="bullet"),
            block("b", list_item="bullet", level=2),
            block("c", list_item="bullet"),
            block("1", list_item="number"),
            block("end"),
        ]
    )
    assert html == ("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><ol><li>1</li></ol><p>end</p>")


def test_marks_nest_properly() -> None:
    b = {
        "_type": "block",
        "style": "normal",
        "markDefs": [{"_key": "k", "_type": "link", "href": "https://example.org/x"}],
        "children": [
            {"_type": "span", "text": "bold ", "marks": ["strong"]},
            {"_type": "span", "text": "link", "marks": ["strong", "k"]},
            {"_type": "span", "text": " plain", "marks": []},
        ],
    }
    assert render_portable_text([b]) == (
        '<p><strong>bold <a href="https://example.org/x" rel="noopener noreferrer">link</a>'
        "</strong> plain</p>"
    )


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example",
        "\\\\evil",
        "https:/nohost",
        None,
        42,
    ],
)
def test_unsafe_links_render_as_plain_text(href) -> None:  # type: ignore[no-untyped-def]
    html = render_portable_text(
        [block("click", marks=["k"], defs=[{"_key": "k", "_type": "link", "href": href}])]
    )
    assert html == "<p>click</p>"
    assert safe_href(href) is None


@pytest.mark.parametrize(
    "href",
    ["https://x.example/a?b=1", "mailto:hi@x.example", "/pages/about", "#top", "tel:+4930123"],
)
def test_safe_links(href: str) -> None:
    assert safe_href(href) == href


def test_quote_injection_in_href_and_alt_is_escaped() -> None:
    html = render_portable_text(
        [
            block(
                "x",
                marks=["k"],
                defs=[{"_key": "k", "_type": "link", "href": 'https://x.example/"onmouseover="a'}],
            ),
            {"_type": "image", "alt": '"><script>'},
        ],
        image_url=lambda img: "https://cdn.example/i.png",
    )
    assert 'href="https://x.example/&#34;onmouseover=&#34;a"' in html
    assert 'alt="&#34;&gt;&lt;script&gt;"' in html
    assert "<script>" not in html


def test_internal_links_newlines_and_unknown_blocks() -> None:
    b = block(
        "see\nabout",
        marks=["k"],
        defs=[{"_key": "k", "_type": "internalLink", "reference": {"_ref": "page-about"}}],
    )
    html = render_portable_text([b, {"_type": "mystery"}], link_resolver=lambda ref: "/pages/about")
    assert html == '<p><a href="/pages/about">see<br>about</a></p>'
    assert render_portable_text(None) == ""
    assert portable_text_to_plain([block("One"), block("Two")]) == "One\n\nTwo"
