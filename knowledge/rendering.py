"""Markdown → safe HTML for article bodies.

Python-Markdown turns the text into HTML (raw HTML in the text passes through it), then nh3
(the Rust ammonia sanitiser) keeps only an allow-list: no <script>, no event attributes, no
``javascript:`` or ``data:`` links, and every link gets rel="noopener noreferrer".
"""

from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
    "del", "sup", "sub", "kbd",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    # Imported here: the template tags that call this load with every page, articles are a few of them.
    import markdown
    import nh3

    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer"
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
