"""The Swagger UI at /api/v1/docs/ runs in a real browser under our CSP, from this server."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_page_renders_every_operation_without_csp_violations(
    live_server, page, screenshot_dir
):
    violations, foreign = [], []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/figures/offices/" in paths and "/api/v1/dossiers/" in paths
    assert page.locator(".btn.authorize").count() == 1
    assert not violations, violations
    assert not [url for url in foreign if not url.startswith("data:")], foreign
    page.screenshot(path=str(screenshot_dir / "api-docs.png"), full_page=False)
