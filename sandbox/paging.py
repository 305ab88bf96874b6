"""How each LMS profile pages its service lists (line items, results, memberships) and links the next page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from sandbox.profiles import LmsProfile


class BadPagingParameter(ValueError):
    pass


class ListKind(Enum):
    LINE_ITEMS = "line items"
    RESULTS = "results"
    MEMBERSHIPS = "memberships"


# canvas-lms lib/api.rb: per_page defaults to 10 and is capped at 50 (api_per_page, api_max_per_page).
CANVAS_PER_PAGE = 10
CANVAS_MAX_PER_PAGE = 50
# canvas-lms app/controllers/lti/ims/providers/memberships_provider.rb: MAX_PAGE_SIZE 50, also the default.
CANVAS_NRPS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    headers: dict[str, str] = field(default_factory=dict)


def paginate(profile: LmsProfile, kind: ListKind, items: Sequence[Any], query: Mapping[str, str], url: str) -> Page:
    """One page of `items` as the profile's LMS would cut it, with its Link header. `url` has no query string."""
    if profile.is_canvas:
        return _canvas_page(kind, items, query, url)
    if profile.is_moodle:
        return _moodle_page(kind, items, query, url)
    return _spec_page(items, query, url)


def _spec_page(items: Sequence[Any], query: Mapping[str, str], url: str) -> Page:
    """Slice by `limit` and `page` (1-based); the next page's URL keeps every other parameter."""
    if "limit" not in query:
        return Page(list(items))
    limit = _positive_int(query, "limit")
    page = _positive_int(query, "page") if "page" in query else 1
    start = (page - 1) * limit
    # pylti1p3 only recognises the quoted form rel="next".
    headers = ({"Link": f'<{url}?{urlencode({**query, "page": page + 1})}>; rel="next"'}
               if start + limit < len(items) else {})
    return Page(list(items[start : start + limit]), headers)


def _canvas_page(kind: ListKind, items: Sequence[Any], query: Mapping[str, str], url: str) -> Page:
    """canvas-lms lib/api.rb paginate and build_links: `page` and `per_page`, LTI's `limit` read as per_page
    (app/controllers/lti/ims/concerns/gradebook_services.rb pagination_args); NRPS drops `limit` from its links
    (memberships_provider.rb clear_request_param). Links: current, next, prev, first, last, joined by ","."""
    default = CANVAS_NRPS_PAGE_SIZE if kind is ListKind.MEMBERSHIPS else CANVAS_PER_PAGE
    requested = query.get("limit") or query.get("per_page")
    per_page = min(max(_int(requested, "limit") if requested else default, 1), CANVAS_MAX_PER_PAGE)
    page = max(_int(query["page"], "page"), 1) if "page" in query else 1
    kept = {name: value for name, value in query.items() if name not in ("page", "per_page")}
    if kind is ListKind.MEMBERSHIPS:
        kept.pop("limit", None)
    last = max(1, -(-len(items) // per_page))

    def link(number: int, rel: str) -> str:
        return f'<{url}?{urlencode({**kept, "page": number, "per_page": per_page})}>; rel="{rel}"'

    links = [link(page, "current")]
    if page < last:
        links.append(link(page + 1, "next"))
    if page > 1:
        links.append(link(page - 1, "prev"))
    links += [link(1, "first"), link(last, "last")]
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), {"Link": ",".join(links)})


def _moodle_page(kind: ListKind, items: Sequence[Any], query: Mapping[str, str], url: str) -> Page:
    """Moodle pages with `limit` and `from` (an offset); no limit means the whole list in one answer.

    - memberships (mod/lti/service/memberships/classes/local/service/memberships.php users_to_json): the next page
      is `{endpoint}?limit=N&from=M`, so a `role` filter is lost from the second page on;
    - line items (mod/lti/service/gradebookservices/classes/local/resources/lineitems.php): first, prev, canonical,
      next and last links, keeping type_id and the filters, but with typographic quotes (rel=“next”), which
      clients that look for rel="next" do not recognise. Results are not paged at all (results.php)."""
    limit = _int(query.get("limit") or "0", "limit")
    offset = _int(query.get("from") or "0", "from")
    if limit <= 0 or kind is ListKind.RESULTS:
        return Page(list(items))
    page = list(items[offset : offset + limit])
    more = offset + limit < len(items)
    if kind is ListKind.MEMBERSHIPS:
        headers = {"Link": f'<{url}?limit={limit}&from={offset + limit}>; rel="next"'} if more else {}
        return Page(page, headers)
    base = {name: query[name] for name in ("resource_id", "resource_link_id", "tag") if name in query}
    base |= {"type_id": query.get("type_id", ""), "limit": str(limit)}

    def link(start: int, rel: str) -> str:
        return f"<{url}?{urlencode({**base, 'from': start})}>; rel=\u201c{rel}\u201d"

    links = [link(0, "first")]
    if 0 < offset < len(items):
        links.append(link(max(offset - limit, 0), "prev"))
    links.append(link(offset, "canonical"))
    if more:
        links.append(link(offset + limit, "next"))
    links.append(link(max(len(items) - limit + 1, 0), "last"))
    # PHP sends the quotes as UTF-8 bytes; WSGI headers are latin-1 strings, so carry those same bytes.
    return Page(page, {"Link": ", ".join(links).encode("utf-8").decode("latin-1")})


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadPagingParameter(f"{name} must be an integer") from None


def _positive_int(query: Mapping[str, str], name: str) -> int:
    value = _int(query[name], name)
    if value < 1:
        raise BadPagingParameter(f"{name} must be a positive integer")
    return value
