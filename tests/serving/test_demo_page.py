"""The demo page in headless Chromium (Debian's `chromium`, driven by Python `playwright`).

Nothing is downloaded at run time: playwright is pointed at the system browser. The test skips
with the reason when either is missing (`make test` installs chromium where it can).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NLPKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SENTENCE = "Alice Smith lives in Paris ."

if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) or set "
        "NLPKIT_CHROMIUM to a Chromium binary",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Python playwright is not installed (pip install playwright)"
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()


def test_entities_and_sentiment_bars(server, browser, tmp_path):
    client, _ = server
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone-width window
    page.set_default_timeout(60_000)
    blocked = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(str(client.base_url))
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page.goto(f"{client.base_url}/")
    page.wait_for_selector("#model option[value=ner]", state="attached")

    # keyboard: the skip link, then the model picker, are the first tab stops
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "model"

    page.select_option("#model", "ner")
    page.click("#text-input")
    page.keyboard.type(SENTENCE)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("mark.ent")
    marks = page.locator("mark.ent")
    found = [
        (
            marks.nth(i).get_attribute("data-label"),
            marks.nth(i).evaluate("m => m.firstChild.textContent"),
        )
        for i in range(marks.count())
    ]
    assert found == [("PER", "Alice Smith"), ("LOC", "Paris")]
    assert page.locator(".ents").inner_text().startswith("Alice Smith")
    page.screenshot(path=str(tmp_path / "ner.png"), full_page=True)

    page.select_option("#model", "sentiment")
    page.fill("#text-input", "")
    page.click("#text-input")
    page.keyboard.type("i loved this movie")
    page.click("#text-run")
    page.wait_for_selector(".bars li")
    labels = page.locator(".bars .bar-label").all_inner_texts()
    assert labels == ["pos", "neg"]
    widths = page.locator(".bars .bar").evaluate_all(
        "bs => bs.map(b => b.getBoundingClientRect().width)"
    )
    track = page.locator(".bars .bar-track").first.evaluate("t => t.getBoundingClientRect().width")
    assert widths[0] > 0.9 * track and widths[1] < 0.1 * track
    assert page.locator("#result-title").inner_text() == "Label: pos"
    # readable at phone width: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = tmp_path / "sentiment.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    assert blocked == []  # the page asked for nothing outside this server
    if os.environ.get("NLPKIT_SCREENSHOT_DIR"):
        for name in ("ner.png", "sentiment.png"):
            shutil.copy(tmp_path / name, Path(os.environ["NLPKIT_SCREENSHOT_DIR"]) / name)
    page.close()
