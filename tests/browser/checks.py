"""What every screen must pass at every size: no sideways scroll, touch targets, axe-core.

axe-core is vendored (tests/browser/vendor/, see its README): the pinned copy is read
from disk, checked against its checksum and evaluated in the page through the
DevTools protocol, so the portal's strict CSP stays on while it runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
#: WCAG 2.2 target size (2.5.5, AAA: 44 × 44 CSS px), the size the portal holds to
TOUCH_TARGET_PX = 44


@dataclass(frozen=True)
class Size:
    name: str
    width: int
    height: int
    phone: bool

    def context_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"viewport": {"width": self.width, "height": self.height}}
        if self.phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        return options


PHONE = Size("telephone", 390, 844, phone=True)
DESKTOP = Size("bureau", 1366, 768, phone=False)
SIZES = (PHONE, DESKTOP)


@cache
def axe_source() -> str:
    data = AXE_PATH.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_PATH} is not the pinned axe-core ({digest})"
    return data.decode("utf-8")


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA, best practices)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ["violations"] });
          return r.violations.map((v) =>
            `${v.id} (${v.impact}): ${v.help} — ` +
            v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
        }"""
    )
    return list(results)


def horizontal_overflow(page: Any) -> dict[str, int] | None:
    """The page's width when it is wider than the viewport (sideways scroll), else None."""
    sizes = page.evaluate(
        """() => ({
          viewport: window.innerWidth,
          document: document.documentElement.scrollWidth,
          body: document.body.scrollWidth,
        })"""
    )
    if max(sizes["document"], sizes["body"]) > sizes["viewport"]:
        return dict(sizes)
    return None


def small_touch_targets(page: Any) -> list[str]:
    """Visible controls lower than 44 CSS px (a phone user taps them)."""
    return list(
        page.evaluate(
            """(min) => {
              const selector = [
                "button", "a.button", "select", "input:not([type=checkbox]):not([type=file])",
                "[role=tab]", "[role=option]", ".topbar a", ".rows a", ".recent a",
                ".quick-actions a", "label.button", ".table a", ".agenda a", ".results-list a",
              ].join(",");
              const small = [];
              for (const el of document.querySelectorAll(selector)) {
                const box = el.getBoundingClientRect();
                if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
                if (box.height < min - 0.5) {
                  const text = (el.textContent || el.getAttribute("aria-label") || "").trim();
                  small.push(`${el.tagName.toLowerCase()} "${text.slice(0, 30)}" ${box.height}px`);
                }
              }
              return small;
            }""",
            TOUCH_TARGET_PX,
        )
    )


def check_screen(page: Any, size: Size, screen: str) -> None:
    """The screen fits the width, its targets are big enough on a phone, and axe finds nothing."""
    page.wait_for_timeout(150)  # let the screen's requests land
    overflow = horizontal_overflow(page)
    assert overflow is None, f"{screen} at {size.name}: sideways scroll {overflow}"
    if size.phone:
        small = small_touch_targets(page)
        assert not small, f"{screen} at {size.name}: targets under 44 px: {small}"
    violations = axe_violations(page)
    assert not violations, f"{screen} at {size.name}: axe-core: {violations}"


def settled(page: Any) -> None:
    """The page has run what an answer just received set off: a frame, then a task
    after its promise callbacks."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))")


def answer_late(page: Any, route: Any) -> None:
    """Let a held request go on and wait until the page has handled its answer."""
    with page.expect_response(lambda r: r.request == route.request) as late:
        route.continue_()
    late.value.finished()
    settled(page)
