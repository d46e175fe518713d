"""The whole loopback sign-in in a real headless Chromium: the app opens the authorize page,
the browser presses Allow, the app's listener gets the code, the tokens land in a file keyring,
and API calls work with them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import session
from uploader_gui.auth.credentials import OOB_REDIRECT, ClientCredentials
from uploader_gui.auth.keyring_store import service_name
from uploader_gui.config import Environment
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth

from .conftest import CLIENT_ID, CLIENT_SECRET

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=Service(shutil.which("chromedriver") or CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_loopback_sign_in_in_chromium(browser: object, sandbox: Sandbox, demo: DemoInfo,
                                      env: Environment, file_keyring: PlaintextKeyring) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    credentials = ClientCredentials(CLIENT_ID, CLIENT_SECRET, "http://localhost:8765/callback")

    def open_in_chromium(url: str) -> None:
        # The company registered this exact redirect (here an ephemeral test port).
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        sandbox_oauth.register_app(sandbox.state, CLIENT_ID, CLIENT_SECRET,
                                   [redirect_uri, OOB_REDIRECT])
        driver.get(url)  # type: ignore[attr-defined]

    attempt = session.begin_login(env, open_in_chromium, port=0, credentials=credentials)
    try:
        assert "Allow Procore Uploader to access your Procore account?" in \
            driver.page_source  # type: ignore[attr-defined]
        driver.find_element(By.ID, "allow").click()  # type: ignore[attr-defined]
        provider = attempt.wait(30)
    finally:
        attempt.cancel()

    WebDriverWait(driver, 10).until(  # type: ignore[arg-type]
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"),
                                                          "You can close this tab"))
    assert urlsplit(driver.current_url).hostname == "localhost"  # type: ignore[attr-defined]
    stored = file_keyring.get_password(service_name(env.api_base), str(demo.user_id))
    assert stored is not None and provider.sign_in.tokens.access_token in stored
    assert sandbox_oauth.counters(sandbox.state)["authorization_code"] == 1
    with ProcoreClient(env.api_base, provider) as client:
        assert client.me()["name"] == "Dana Rivera"
        assert [c["id"] for c in client.companies()] == [demo.company_id]
