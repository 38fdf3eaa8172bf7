"""An app server for the tests that drive the app over HTTP: ``gunicorn hardfin.wsgi`` on a
free port with the environment given, started and waited for until ``/healthz`` answers."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def start(env: dict, *, workers: int = 1, log=None) -> tuple[subprocess.Popen, str]:
    """A gunicorn process and its base URL (not yet waited for: ``wait_healthy``)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hardfin.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen, url: str, *, seconds: float = 60, describe=lambda: "") -> None:
    """Until ``url``/healthz answers; raises (with ``describe()``, a log, say) when the server
    exits or does not answer in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn on {url} did not start. {describe()}") from None
            time.sleep(0.2)
