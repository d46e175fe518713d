"""Procore's hosts per environment, from its "Sandbox Environments" page."""

from uploader_gui.config import ENVIRONMENTS, resolve_environment


def test_each_environment_opens_procore_pages_on_its_browser_domain() -> None:
    web = {name: env.web_base for name, env in ENVIRONMENTS.items()}
    assert web == {
        "production": "https://app.procore.com",
        # Development sandbox: "browser access and API gateway access" on one domain.
        "sandbox": "https://sandbox.procore.com",
        # Monthly sandbox: API on api-monthly, browser on api-sandbox-monthly.
        "monthly": "https://api-sandbox-monthly.procore.com",
    }
    assert ENVIRONMENTS["monthly"].api_base == "https://api-monthly.procore.com"
    assert ENVIRONMENTS["monthly"].login_base == "https://login-sandbox-monthly.procore.com"


def test_another_server_serves_its_pages_where_it_answers() -> None:
    env = resolve_environment(api_base="http://127.0.0.1:8123/")
    assert env.web_base == "http://127.0.0.1:8123"
