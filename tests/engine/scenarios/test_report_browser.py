"""The HTML report in a real browser (Debian's chromium through Playwright, never a downloaded one): the plots
are drawn, the cursor reads values out, a drag zooms every plot of the scenario and a double-click resets."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.engine import ModelDocument
from app.engine.scenarios._report import html_report

from .conftest import run

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium); it is never downloaded")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, model: ModelDocument, tmp_path: Path) -> Iterator[Page]:
    result = run(model, faults=[{"type": "stuck", "port": "gain.out", "value": 9, "at": 4, "for": 1}],
                 assertions=[{"name": "below 8", "always": "gain.out < 8"}])
    report = tmp_path / "report.html"
    report.write_text(html_report([result]), encoding="utf-8")
    errors: list[str] = []
    opened = browser.new_page(viewport={"width": 1000, "height": 900})
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("request", lambda request: errors.append(f"network: {request.url}")
              if not request.url.startswith("file:") else None)
    opened.goto(report.as_uri())
    opened.wait_for_function("document.querySelectorAll('.fig canvas').length > 0")
    yield opened
    assert errors == []
    opened.close()


def readout(page: Page, fig: int) -> str:
    return page.locator(".readout").nth(fig).inner_text()


def test_every_figure_is_drawn_to_the_page_width(page: Page) -> None:
    widths = page.eval_on_selector_all(".fig canvas", "cs => cs.map(c => c.getBoundingClientRect().width)")
    assert widths and all(w == widths[0] and w > 900 for w in widths)  # shared width: time axes line up
    inked = page.eval_on_selector(".fig canvas", """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert inked > 1000


def test_the_cursor_reads_out_values_in_every_figure(page: Page) -> None:
    box = page.locator(".fig canvas").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    page.wait_for_function("document.querySelector('.readout').textContent.startsWith('t = ')")
    assert "gain.out = " in readout(page, 0) and "gain.out = " in readout(page, 1)


def test_dragging_zooms_all_plots_and_double_click_resets(page: Page) -> None:
    box = page.locator(".fig canvas").last.bounding_box()
    assert box is not None
    y = box["y"] + 40
    page.mouse.move(box["x"] + 300, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 500, y, steps=5)
    page.mouse.up()
    page.mouse.move(0, 0)  # leave: the readout shows the view
    page.wait_for_function("document.querySelector('.readout').textContent.startsWith('view ')")
    zoomed = readout(page, 0)
    assert not zoomed.startswith("view 0 .. 10 s") and readout(page, 1).split(" s ")[0] == zoomed.split(" s ")[0]
    page.mouse.dblclick(box["x"] + 400, y)
    page.mouse.move(0, 0)
    page.wait_for_function("document.querySelector('.readout').textContent.startsWith('view 0 .. 10 s')")
