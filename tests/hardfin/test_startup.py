"""Without DEBUG and without SECRET_KEY the web application refuses to start, saying why
(it once started and answered 500 to every request, /healthz included), while management
commands that sign nothing still run. Each case is a real process with the environment an
operator would give it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hardfin.startup import MISSING_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
#: Generous, for a loaded machine; a process that refuses to start ends in about a second.
TIMEOUT = 60


@pytest.fixture
def production_env(tmp_path):
    """An operator's environment that forgot SECRET_KEY: DEBUG unset, hosts set, a database."""
    env = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "DEBUG")}
    env.update(ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return env


def run(*args, env, timeout=TIMEOUT):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_gunicorn_refuses_to_start_without_a_secret_key(production_env):
    gunicorn = Path(PYTHON).with_name("gunicorn")

    result = run(str(gunicorn), "--bind", "127.0.0.1:8402", "--workers", "1", "hardfin.wsgi", env=production_env)

    assert result.returncode != 0
    assert MISSING_SECRET_KEY in result.stderr


@pytest.mark.parametrize("reload", [[], ["--noreload"]], ids=["autoreload", "noreload"])
def test_runserver_refuses_to_start_without_a_secret_key(production_env, reload):
    result = run(PYTHON, "manage.py", "runserver", "127.0.0.1:8403", *reload, env=production_env)

    assert result.returncode == 1
    assert MISSING_SECRET_KEY in result.stderr


def test_the_wsgi_module_refuses_to_load_without_a_secret_key(production_env):
    result = run(PYTHON, "-c", "import hardfin.wsgi", env=production_env)

    assert result.returncode != 0
    assert MISSING_SECRET_KEY in result.stderr


def test_the_wsgi_module_loads_with_a_secret_key(production_env):
    result = run(PYTHON, "-c", "import hardfin.wsgi", env={**production_env, "SECRET_KEY": "k" * 50})

    assert result.returncode == 0, result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key(production_env):
    for command in (["migrate", "--noinput", "-v0"], ["check"], ["reconcile"]):
        result = run(PYTHON, "manage.py", *command, env=production_env)
        assert result.returncode == 0, (command, result.stderr)
