"""The publication mode in a real browser: what a visitor sees, and what axe-core finds.

One node runs in its own process (``livenode.py``): a published mark, a badge issued to a
holder who accepted it. The tests load its pages in headless Chromium, check the banner and
the badge image, revoke and reload, open the personal and the node's pages and the static
export from ``file://``, run axe-core in each page (no serious or critical violation), and
save screenshots. Each test asks for ``browser`` first, so that without one it skips
before a node is started.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from livenode import LiveNode, cli, live_node, run

SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("browser")) as running:
        yield running


def axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> "
                     f"{[n['target'] for n in v['nodes']][:3]}" for v in violations)


def image_loaded(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def zoomed_badge(browser: Any, url: str, path: Path) -> None:
    """The badge alone at 4x (device pixels), as the README shows it."""
    context = browser.new_context(device_scale_factor=4)
    try:
        badge = context.new_page()
        badge.goto(url)
        badge.locator("svg").screenshot(path=str(path))
    finally:
        context.close()


def test_verify_page_then_revocation(browser: Any, node: LiveNode, page: Any,
                                     shots: Path) -> None:
    url = f"{node.base}/badges/{node.short}"
    page.goto(url)
    assert page.locator("#status-word").inner_text() == "VALID"
    assert image_loaded(page, ".badge-line img")
    assert "Top seller" in page.locator("h1").inner_text()
    assert "At least 95%" in page.locator("dl.deed").inner_text()
    assert page.locator("ul.checks li").count() == 6
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / "verify-page.png"), full_page=True)
    svg_before = page.request.get(f"{url}.svg").text()
    badge = page.locator(".badge-line img")
    badge.screenshot(path=str(shots / "badge-valid.png"))
    width_before = page.eval_on_selector(".badge-line img", "img => img.naturalWidth")
    zoomed_badge(browser, f"{url}.svg", shots / "badge-valid-4x.png")

    node.revoke()
    page.reload()
    assert page.locator("#status-word").inner_text() == "REVOKED"
    assert image_loaded(page, ".badge-line img")
    svg_after = page.request.get(f"{url}.svg").text()
    assert "top seller: revoked" in svg_after and svg_after != svg_before
    assert page.eval_on_selector(".badge-line img", "img => img.naturalWidth") > width_before
    page.locator(".badge-line img").screenshot(path=str(shots / "badge-revoked.png"))
    zoomed_badge(browser, f"{url}.svg", shots / "badge-revoked-4x.png")
    page.screenshot(path=str(shots / "verify-page-revoked.png"), full_page=True)
    assert not axe_violations(page)
    assert page.csp_errors == []


def test_personal_and_node_pages(browser: Any, node: LiveNode, page: Any, shots: Path
                                 ) -> None:
    page.goto(f"{node.base}/subjects/{quote(node.holder.did, safe='')}")
    assert page.locator("ul.cards li").count() == 1
    assert image_loaded(page, "ul.cards img")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / "personal-page.png"), full_page=True)
    page.goto(node.base + "/")
    assert "Market E1" in page.locator("h1").inner_text()
    assert "Top seller" in page.locator("main").inner_text()
    assert "never more than three tenths in all" in page.locator("main").inner_text()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / "node-page.png"), full_page=True)
    page.goto(f"{node.base}/marks/top-seller/1?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Au moins 95 %" in page.locator("main").inner_text()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / "deed-fr.png"), full_page=True)
    assert page.csp_errors == []


def test_static_export_opens_from_file_url(browser: Any, node: LiveNode, page: Any,
                                           shots: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    cli("badges", "export", "--subject", node.holder.did, "--out", str(out), "--node",
        node.base)
    page.goto((out / "index.html").as_uri())
    assert image_loaded(page, "ul.cards img")
    page.click("ul.cards a")
    assert page.url.startswith("file://") and page.url.endswith("/index.html")
    assert page.locator("#status-word").inner_text() in ("VALID", "REVOKED")
    assert image_loaded(page, ".badge-line img")
    background = page.eval_on_selector("header.site", "h => getComputedStyle(h).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"  # the stylesheet loaded from the copy
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(shots / "export-verify-page.png"), full_page=True)


def test_bidi_override_is_inert_in_the_browser(browser: Any, node: LiveNode, page: Any
                                               ) -> None:
    hostile = "\u202eredro\u202c fake seller <script>alert(1)</script>"
    issued = run(node.post("/admin/issue", {
        "kind": "TrustMark", "markDefinition": "top-seller",
        "credentialSubject": {"id": "did:example:mallory", "status": hostile}}))
    page.goto(f"{node.base}/badges/{issued['id'].rsplit(';', 1)[-1]}")
    text = page.locator(".badge-line").inner_text()
    assert "⟦U+202E⟧redro⟦U+202C⟧ fake seller <script>alert(1)</script>" in text
    assert page.evaluate("() => document.querySelectorAll('main script').length") == 0
    assert page.evaluate("() => typeof window.alerted") == "undefined"
    # the <bdi> isolates it: the label before it keeps its left-to-right order
    box_label = page.locator(".badge-line span").bounding_box()
    box_value = page.locator(".badge-line strong").bounding_box()
    assert box_label is not None and box_value is not None
    assert box_value["x"] > box_label["x"]
