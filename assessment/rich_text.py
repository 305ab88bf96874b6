"""Rich user text: Markdown rendered, and HTML cleaned (formatting kept; scripts, links into the tool and images that
load from anywhere dropped)."""

from __future__ import annotations

import re
from functools import cache, partial
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt

# Attributes that hold a URL, among those nh3 keeps.
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
TAB_TOKEN = "_t="  # noqa: S105  (the query parameter of tab sessions, not a secret)
# Browsers drop these from URLs before parsing them (WHATWG URL): "/lti/lo\ngin" is "/lti/login".
_IGNORED_IN_URLS = re.compile(r"[\t\n\r]")
# Only pictures written into the text itself; they load nothing. SVG is left out: it is a document.
_INLINE_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);", re.IGNORECASE)


def clean_rich_text(html: str, tool_origin: str) -> str:
    """`html` with only formatting, and links that cannot bring anyone back into the tool.

    The rules, applied when the text is stored and again when it is shown (rows stored before them):
    1. scripts, event handlers, styles and unknown tags go (nh3's defaults);
    2. a URL carrying a tab token (`_t=`, however encoded) goes: it would sign its reader into its author's tab;
    3. a relative URL goes, and so does an absolute one on the tool's host (`tool_origin`, when known):
       a link or image inside a page of the tool must never reach the tool (cookie bombs, fixation);
    4. an image goes unless it is written into the text (data:image/...): a remote image would tell its
       host, so perhaps the author, who is reading, and when (anonymous review);
    5. links open in a new window, without the referrer."""
    return nh3.clean(
        html or "",
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"data"},
        attribute_filter=partial(_keep_attribute, tool_host=_host(tool_origin)),
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def render_markdown(source: str, tool_origin: str) -> str:
    """Markdown (CommonMark, with tables and strikethrough) as HTML, cleaned by `clean_rich_text`'s rules.

    HTML written inside the Markdown is rendered too, as CommonMark says, and cleaned like any other."""
    return clean_rich_text(_markdown().render(source or ""), tool_origin).strip()


@cache
def _markdown() -> MarkdownIt:
    # One parser for the process: building one compiles its rules. Rendering with it keeps no state between calls.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _keep_attribute(tag: str, attribute: str, value: str, *, tool_host: str | None) -> str | None:
    if attribute not in URL_ATTRIBUTES:
        return value
    url = _IGNORED_IN_URLS.sub("", value).strip().replace("\\", "/")
    if tag == "img" and attribute == "src":
        return value if _INLINE_IMAGE.match(url) else None
    return value if _allowed_link(url, tool_host) else None


def _allowed_link(url: str, tool_host: str | None) -> bool:
    if TAB_TOKEN in url.lower() or TAB_TOKEN in unquote(unquote(url)).lower():
        return False
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme or scheme == "data":
        return False  # relative: it resolves to the tool; data: is no link a reader should follow
    if scheme in ("http", "https"):
        # "https:host/path" without its slashes is relative to a page on https.
        if not url[len(scheme) + 1:].startswith("//") or not parts.hostname:
            return False
        return tool_host is None or parts.hostname.rstrip(".") != tool_host
    return True


def _host(origin: str) -> str | None:
    return (urlsplit(origin).hostname or "").rstrip(".") or None
