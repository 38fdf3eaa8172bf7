"""The shared cache: with CACHE_URL (or REDIS_URL) every process counts the API's throttles in
one Redis, so a limit holds overall across app servers; without it each counts its own."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tools import gunicorn

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "hardfin" / "settings.py"
KEY = "6vN2q0Jz-Xw8sYc4Lr1Tb7Ue3Ki9Op5Ma0Ng6Hd2Fj8Ql4Zx-Rt5Wy7Bk3"
#: REST_FRAMEWORK's "auth" rate (hardfin/settings.py): 30 sign-in attempts a minute.
AUTH_LIMIT = 30


def settings_with(monkeypatch, **environ) -> dict:
    for name in ("CACHE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_without_a_cache_url_each_process_has_its_local_memory_cache(monkeypatch):
    assert settings_with(monkeypatch)["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("name", ["CACHE_URL", "REDIS_URL"])
def test_a_cache_url_makes_the_default_cache_djangos_redis_cache(monkeypatch, name):
    cache = settings_with(monkeypatch, **{name: "redis://cache.internal:6379/2"})["CACHES"]["default"]
    assert cache == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache.internal:6379/2"}


def test_cache_url_wins_over_redis_url(monkeypatch):
    cache = settings_with(monkeypatch, CACHE_URL="redis://a:6379/0", REDIS_URL="redis://b:6379/0")["CACHES"]["default"]
    assert cache["LOCATION"] == "redis://a:6379/0"


def test_a_cache_url_of_another_kind_is_refused_at_startup(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        settings_with(monkeypatch, CACHE_URL="memcached://cache.internal:11211")


# --- two real app servers ------------------------------------------------------------------------

def app_env(tmp_path, **extra) -> dict:
    env = {name: value for name, value in os.environ.items()
           if name not in {"DEBUG", "CACHE_URL", "REDIS_URL", "REPLICA_DATABASE_URL"} and not name.startswith("SECURE_")}
    env.update(SECRET_KEY=KEY, ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               # django-axes must not lock the (wrong) sign-ins first: only the throttle counts here.
               LOGIN_FAILURE_LIMIT="1000", LOG_LEVEL="WARNING", **extra)
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    path = tmp_path_factory.mktemp("shared-cache")
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=app_env(path),
                   check=True, timeout=300)
    return path


def start_servers(env, count=2):
    servers = [gunicorn.start(env) for _ in range(count)]
    try:
        for process, url in servers:
            gunicorn.wait_healthy(process, url)
    except RuntimeError:
        stop(servers)
        raise
    return servers


def stop(servers):
    for process, _ in servers:
        process.terminate()
    for process, _ in servers:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in_attempt(url) -> int:
    request = urllib.request.Request(f"{url}/api/auth/token/", data=b'{"username": "mallory", "password": "guess"}',
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def alternate(servers, attempts) -> list[int]:
    return [sign_in_attempt(servers[n % len(servers)][1]) for n in range(attempts)]


def test_with_a_shared_redis_the_sign_in_throttle_holds_across_two_servers(migrated, redis_server):
    servers = start_servers(app_env(migrated, CACHE_URL=redis_server.url(3)))
    try:
        statuses = alternate(servers, AUTH_LIMIT + 10)
    finally:
        stop(servers)
    assert statuses.count(400) == AUTH_LIMIT  # wrong password, answered
    assert statuses.count(429) == 10  # throttled, on both servers alike
    assert set(statuses[AUTH_LIMIT:]) == {429}


def test_without_a_shared_cache_each_server_counts_alone(migrated):
    servers = start_servers(app_env(migrated))
    try:
        statuses = alternate(servers, AUTH_LIMIT + 10)
    finally:
        stop(servers)
    # 20 attempts on each server, each below its own limit of 30: none is throttled.
    assert statuses.count(400) == AUTH_LIMIT + 10
    assert 429 not in statuses
