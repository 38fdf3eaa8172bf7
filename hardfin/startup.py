"""What the web application checks before it serves anything (wsgi, gunicorn, runserver).

Management commands that sign nothing (migrate, reconcile, check…) run without SECRET_KEY, so
settings cannot refuse an empty key; the web application can, and must: without a key every
request that touches a session or a CSRF token would fail with a 500.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "SECRET_KEY is not set, so the web application will not start: it signs sessions, CSRF "
    "tokens and confirmations with it. Set SECRET_KEY in the environment to a long random "
    "string (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set DEBUG=1 on "
    "a developer's machine for a local development key."
)


def secret_key_missing() -> bool:
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return True


def check_ready_to_serve() -> None:
    """Raise ImproperlyConfigured, with what to do, if the web application cannot serve."""
    if secret_key_missing():
        raise ImproperlyConfigured(MISSING_SECRET_KEY)
