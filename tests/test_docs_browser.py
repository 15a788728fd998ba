"""/docs in a real browser: headless Chromium renders Swagger UI, then calls the API.

The example app serves Swagger UI's files itself (`swagger_ui_assets="local"`), and Chromium
is told that every host but 127.0.0.1 does not exist, so the test also proves /docs works
offline. Skipped without chromium and chromedriver (Debian: `apt-get install chromium
chromium-driver`) or selenium; every wait has a timeout and the server is always stopped.
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
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "examples.docs_offline:app", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1"],
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
