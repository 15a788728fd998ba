"""/docs and /redoc in a real browser: headless Chromium renders them, with no network.

The example apps serve Swagger UI's and ReDoc's files themselves (the docs extra is installed:
`swagger_ui_assets="local"` in one, no configuration at all in the app `make run` serves), and
Chromium is told that every host but 127.0.0.1 does not exist, so the tests also prove the docs
work offline. Screenshots of both pages are left in tmp_path and in .cache/screenshots/.
Skipped without chromium and chromedriver (Debian: `apt-get install chromium chromium-driver`)
or selenium; every wait has a timeout and the server is always stopped.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 30
OPERATION = "#operations-items-read_item_items__item_id__get"
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer within {WAIT_SECONDS} s")


@pytest.fixture
def base_url() -> Iterator[str]:
    """The example app under uvicorn on a free port, stopped (killed if need be) afterwards."""
    command = [sys.executable, "-m", "uvicorn", "examples.docs_offline:app"]
    yield from _serve(command)


@pytest.fixture
def make_run_url() -> Iterator[str]:
    """The app `make run` serves, started the way it starts it: `minifast run examples/main.py`."""
    yield from _serve([sys.executable, "-m", "minifast", "run", "examples/main.py"])


@pytest.fixture
def cdn_url() -> Iterator[str]:
    """An app whose docs load from the CDN: the docs extra hidden from the server's process."""
    script = (
        "import sys, uvicorn; sys.modules['swagger_ui_bundle'] = sys.modules['mkdocs_redoc_tag']"
        " = None; sys.argv[0] = 'uvicorn'; sys.exit(uvicorn.main())"
    )
    yield from _serve([sys.executable, "-c", script, "examples.puzzle:app"])


def _serve(command: list[str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url + "/openapi.json", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if uvicorn hangs
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through the system chromedriver; nothing is downloaded."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("needs chromium and chromedriver on PATH (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in [
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,2000",
        # Every host but the test server is unknown: a CDN request would fail the test.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]:
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=chromedriver)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.set_script_timeout(WAIT_SECONDS)
        yield driver
    finally:
        driver.quit()


def test_swagger_ui_renders_and_executes_a_request_offline(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(base_url + "/docs")
    operation = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, OPERATION)))
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    try_it = f"{OPERATION} .try-out__btn"
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, try_it))).click()
    field = wait.until(
        ec.visibility_of_element_located(
            (By.CSS_SELECTOR, f"{OPERATION} input[placeholder=item_id]")
        )
    )
    field.send_keys("1")
    browser.find_element(By.CSS_SELECTOR, f"{OPERATION} .execute").click()
    shown = f"{OPERATION} .live-responses-table tbody .response-col_description pre"
    body = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, shown))).text

    assert json.loads(body) == {"name": "widget", "price": 9.5, "tags": ["tools"]}
    status = browser.find_element(
        By.CSS_SELECTOR, f"{OPERATION} .live-responses-table tbody .response-col_status"
    )
    assert status.text.strip() == "200"
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert {url.split("?")[0] for url in loaded} >= {
        f"{base_url}/docs/assets/swagger-ui-bundle.js",
        f"{base_url}/docs/assets/swagger-ui.css",
        f"{base_url}/openapi.json",
        f"{base_url}/items/1",
    }
    assert all(url.startswith(base_url) for url in loaded), loaded


def _screenshot(browser: Any, tmp_path: Path, name: str) -> Path:
    """The page as a PNG in tmp_path, copied to .cache/screenshots/ for a person to look at."""
    shot = tmp_path / name
    assert browser.save_screenshot(str(shot))
    kept = ROOT / ".cache" / "screenshots"
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, kept / name)
    return shot


def test_make_run_apps_docs_and_redoc_render_every_operation_offline(
    browser: Any, make_run_url: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    paths = httpx.get(make_run_url + "/openapi.json", timeout=10).json()["paths"]
    operation_ids = {
        operation["operationId"] for item in paths.values() for operation in item.values()
    }
    assert len(operation_ids) >= 4
    # Where each page puts an operation's id: Swagger UI in a block's id, ReDoc in a section's.
    pages = {
        "/docs": (".opblock", "id", lambda value: value.rsplit("-", 1)[-1]),
        "/redoc": ("[data-section-id^='operation/']", "data-section-id",
                   lambda value: value.removeprefix("operation/")),
    }  # fmt: skip
    wait = WebDriverWait(browser, WAIT_SECONDS)
    for path, (selector, attribute, operation_id) in pages.items():

        def rendered(driver: Any, selector: str = selector, attribute: str = attribute,
                     operation_id: Any = operation_id) -> set[str]:  # fmt: skip
            found = driver.find_elements(By.CSS_SELECTOR, selector)
            return {operation_id(element.get_attribute(attribute) or "") for element in found}

        browser.get(make_run_url + path)
        wait.until(lambda driver: rendered(driver) >= operation_ids)
        assert rendered(browser) == operation_ids, path
        assert "If this text stays" not in browser.find_element(By.TAG_NAME, "body").text
        shot = _screenshot(browser, tmp_path, f"make-run{path.replace('/', '-')}.png")
        assert shot.stat().st_size > 20_000  # a rendered page, not a white one
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(entry => entry.name)"
        )
        elsewhere = [url for url in loaded if not url.startswith(make_run_url)]
        # ReDoc's own "API docs by Redocly" logo is built into its script: offline it is a
        # missing image in the sidebar's footer, and everything else is this app's.
        assert elsewhere in ([], [REDOCLY_LOGO]), elsewhere


def test_offline_with_cdn_docs_each_page_says_why_it_is_empty(
    browser: Any, cdn_url: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    for path, viewer in (("/docs", "Swagger UI"), ("/redoc", "ReDoc")):
        browser.get(cdn_url + path)
        text = browser.find_element(By.TAG_NAME, "body").text
        assert f"Loading {viewer} from cdn.jsdelivr.net… If this text stays" in text, text
        assert 'pip install "minifast[docs]"' in text
        _screenshot(browser, tmp_path, f"cdn-offline{path.replace('/', '-')}.png")
