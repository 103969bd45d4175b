"""The web page in real headless Chromium: a first try without a login, as a person would."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_harness import PHOTOS, Server, start_server

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent"),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The anonymous plan's shortest setting keeps the render to a few seconds.
    s = start_server(tmp_path_factory.mktemp("web"), anon_max_size="240", anon_max_duration="4")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url)
    yield page
    context.close()


def screenshot(page: object, tmp_path: Path, name: str) -> Path:
    """Saved for a person to look at: under HUGAI_SCREENSHOTS when set, else the test's tmp."""
    folder = Path(os.environ.get("HUGAI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def test_make_a_hug_on_a_phone(page: object, tmp_path: Path) -> None:
    p = page
    p.set_input_files("#files", str(PHOTOS / "A_prom_couple.jpg"))  # type: ignore[attr-defined]
    caption = p.locator(".thumb .caption.ok")  # type: ignore[attr-defined]
    caption.wait_for()
    assert caption.inner_text() == "2 people found"
    assert p.locator(".thumb .box").count() == 2  # type: ignore[attr-defined]
    assert p.locator("#make").is_disabled(), "no video without consent"  # type: ignore[attr-defined]
    # Only the lengths the anonymous plan allows can be picked.
    assert p.locator("#lengths input[value='8']").is_disabled()  # type: ignore[attr-defined]
    p.check("#lengths input[value='4']")  # type: ignore[attr-defined]
    p.check("#consent")  # type: ignore[attr-defined]
    screenshot(p, tmp_path, "phone-ready")
    p.click("#make")  # type: ignore[attr-defined]

    p.locator("#result").wait_for(state="visible", timeout=120_000)  # type: ignore[attr-defined]
    # It plays: metadata loaded, a duration, and time moving on.
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => { const v = document.getElementById('video');"
        " return v.readyState >= 2 && v.duration > 3 && v.currentTime > 0.3; }"
    )
    href = p.get_attribute("#download", "href")  # type: ignore[attr-defined]
    assert href and href.endswith("/video?download=1")
    screenshot(p, tmp_path, "phone-result")

    # Delete now: the server forgets it.
    job_url = href.removesuffix("/video?download=1")
    p.click("#delete")  # type: ignore[attr-defined]
    p.locator("#result").wait_for(state="hidden")  # type: ignore[attr-defined]
    status = p.evaluate(f"fetch('{job_url}').then(r => r.status)")  # type: ignore[attr-defined]
    assert status == 404


def test_a_photo_with_no_person_says_so_beside_it(page: object, tmp_path: Path) -> None:
    p = page
    files = [str(PHOTOS / "B_grace_hopper.jpg"), str(PHOTOS / "D_no_person_coffee.png")]
    p.set_input_files("#files", files)  # type: ignore[attr-defined]
    error = p.locator(".thumb[data-index='1'] .error")  # type: ignore[attr-defined]
    error.wait_for()
    assert error.inner_text().startswith("Found no person")
    assert p.locator(".thumb[data-index='0'] .caption.ok").inner_text() == "1 person found"  # type: ignore[attr-defined]
    p.check("#consent")  # type: ignore[attr-defined]
    assert p.locator("#make").is_disabled()  # type: ignore[attr-defined]
    screenshot(p, tmp_path, "phone-error")

    # Without the coffee, one person is left: the page says what to add.
    p.click(".thumb[data-index='1'] .remove")  # type: ignore[attr-defined]
    left = p.locator(".thumb[data-index='0'] .error")  # type: ignore[attr-defined]
    left.wait_for()
    assert left.inner_text().startswith("Found 1 person")
    assert p.locator(".thumb").count() == 1  # type: ignore[attr-defined]
