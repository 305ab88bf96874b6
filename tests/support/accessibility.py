"""Accessibility checks in the browser: axe-core's WCAG 2 A/AA rules, and a page that fits an LMS's iframe."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tests.support.services import service_missing

AXE_SCRIPT = Path(__file__).resolve().parents[1] / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")
# Frames are checked one by one (the tool's frame separately from the LMS page around it): without this, axe
# waits for an answer from every iframe that has no axe of its own.
RUN_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "iframes": False, "resultTypes": ["violations"]}


@cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        service_missing(f"axe-core is not installed at {AXE_SCRIPT} (npm ci --prefix tests/e2e)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(frame: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations in a Playwright page or frame, as axe reports them."""
    # Evaluated through the DevTools protocol rather than added as a <script>: the tool's CSP (script-src 'self')
    # refuses inline and foreign scripts, and the check should run under the same CSP users get, not bypass it.
    if not frame.evaluate("() => typeof window.axe === 'object'"):
        frame.evaluate(f"() => {{ {_axe_source()}\n}}")
    return frame.evaluate("options => window.axe.run(document, options).then(result => result.violations)", RUN_OPTIONS)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {violation['helpUrl']}")
        for node in violation["nodes"]:
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    {' > '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(frame: Any, where: str) -> None:
    """No serious or critical WCAG 2 A/AA violation in the frame; every one found is listed when some are."""
    blocking = [violation for violation in axe_violations(frame) if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"accessibility violations on {where}:\n{describe(blocking)}"


# After the next layout: the page's widths, and the innermost elements whose right edge passes the frame's.
WIDTHS = """() => new Promise(resolve => requestAnimationFrame(() => {
  const root = document.documentElement, limit = root.clientWidth;
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > limit + 1)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > limit + 1))
    .slice(0, 10).map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}`);
  resolve({scroll: root.scrollWidth, client: limit, url: location.pathname, wide});
}))"""


def assert_fits_iframe(page: Any, frame_selector: str = "#tool-frame", width: int = 800) -> None:
    """The page in the LMS's iframe, narrowed to `width` pixels, scrolls only vertically."""
    iframe = page.locator(frame_selector)
    iframe.evaluate("(element, width) => { element.style.width = width + 'px'; }", width)
    try:
        frame = iframe.element_handle().content_frame()
        sizes = frame.evaluate(WIDTHS)
        assert sizes["client"] <= width
        assert sizes["scroll"] <= sizes["client"], (
            f"{sizes['url']} scrolls sideways in a {width} px iframe ({sizes['scroll']} px wide); sticking out: "
            + ", ".join(sizes["wide"]))
    finally:
        iframe.evaluate("element => { element.style.width = ''; }")
