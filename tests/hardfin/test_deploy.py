"""Production settings: ``check --deploy`` passes clean, HSTS is configurable, cookies are
secure, and every page carries a Content-Security-Policy that allows no inline code and
nothing from elsewhere."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "hardfin" / "settings.py"
STRONG_KEY = "6vN2q0Jz-Xw8sYc4Lr1Tb7Ue3Ki9Op5Ma0Ng6Hd2Fj8Ql4Zx-Rt5Wy7Bk3"  # 58 characters, many different


@pytest.fixture
def production_env(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "DEBUG" and not name.startswith("SECURE_")}
    env.update(
        SECRET_KEY=STRONG_KEY,
        SECURE_SSL_REDIRECT="1",
        ALLOWED_HOSTS="inventory.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return env


def settings_with(monkeypatch, **environ) -> dict:
    """hardfin/settings.py as it reads ``environ`` (DEBUG and SECURE_* unset otherwise)."""
    for name in [name for name in os.environ if name == "DEBUG" or name.startswith(("SECURE_", "EMAIL_"))]:
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_check_deploy_passes_clean_with_production_settings(production_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_behind_https_browsers_are_told_to_keep_to_https(monkeypatch):
    production = settings_with(monkeypatch, SECRET_KEY=STRONG_KEY, SECURE_SSL_REDIRECT="1")

    assert production["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SESSION_COOKIE_SECURE"] is production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is production["CSRF_COOKIE_HTTPONLY"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer's plain-HTTP health check is not redirected.
    assert production["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$"]


def test_hsts_is_configured_from_the_environment(monkeypatch):
    production = settings_with(
        monkeypatch, SECRET_KEY=STRONG_KEY, SECURE_SSL_REDIRECT="1", SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_HSTS_PRELOAD="false",
    )

    assert production["SECURE_HSTS_SECONDS"] == 3600
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert production["SECURE_HSTS_PRELOAD"] is False


def test_plain_http_sends_no_hsts_and_no_secure_cookies(monkeypatch):
    local = settings_with(monkeypatch, DEBUG="1")

    assert local["SECURE_HSTS_SECONDS"] == 0
    assert local["SESSION_COOKIE_SECURE"] is local["CSRF_COOKIE_SECURE"] is False


def test_a_malformed_hsts_duration_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_SECONDS must be a whole number of seconds"):
        settings_with(monkeypatch, SECRET_KEY=STRONG_KEY, SECURE_SSL_REDIRECT="1", SECURE_HSTS_SECONDS="a year")


def policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/admin/login/", "/api/docs/", "/inventory/", "/api/items/", "/healthz"]
)
def test_every_response_carries_a_strict_content_security_policy(client, db, path):
    response = client.get(path)

    csp = policy(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


def test_the_api_docs_page_has_no_inline_script_or_style(client, db):
    page = client.get("/api/docs/").content.decode()

    assert "<style" not in page
    assert "<script>" not in page  # every script has a src, from this server
    assert '<script src="/api/docs/?script=' in page
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


INLINE_CODE = re.compile(r"<style|<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_no_template_has_inline_scripts_or_styles():
    """What the policy would block: inline <script> and <style>, style="…" attributes, event
    handler attributes and javascript: links."""
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert found == []
