"""Where a refused form sends the person back to: the tool page it was sent from, which then shows why."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException

# Forms the LMS posts (launches, deep-linking answers) come from the LMS's pages, never from one of the tool's.
_NOT_AN_ORIGIN_PREFIXES = ("/lti/",)
# The category of a flashed refusal: shown as an alert, apart from confirmations.
REFUSAL = "refusal"


def origin_page() -> str | None:
    """The tool page a refused POST came from (its Referer, on this tool's own origin), or None: then the refusal
    gets a page of its own. Browsers send the Referer within one origin (Referrer-Policy strict-origin-when-cross-origin),
    with the tab's token in its query, so the way back keeps the person's session."""
    if request.method != "POST":
        return None
    referer = request.headers.get("Referer", "")
    origin, here = urlsplit(referer), urlsplit(request.host_url)
    if (origin.scheme, origin.netloc) != (here.scheme, here.netloc) or origin.path.startswith(_NOT_AN_ORIGIN_PREFIXES):
        return None
    return referer if _is_a_page(origin.path) else None


def _is_a_page(path: str) -> bool:
    # A page shown in answer to a form (a form with problems) may sit at a URL that only takes forms: going back
    # there would be a dead end of its own.
    try:
        current_app.url_map.bind(request.host).match(path, method="GET")
    except HTTPException:
        return False
    return True


def activity_home() -> str | None:
    """The activity's home for a refusal on one of its pages, so an error page always has a way on."""
    link_id = (request.view_args or {}).get("link_id")
    if not isinstance(link_id, int) or request.endpoint == "landing.resource_link":
        return None
    return url_for("landing.resource_link", link_id=link_id)
