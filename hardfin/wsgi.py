"""The WSGI application (gunicorn hardfin.wsgi, runserver). It refuses to load without a
SECRET_KEY, so a misconfigured server stops at start-up with the reason instead of answering
500 to every request."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")
application = get_wsgi_application()

from hardfin.startup import check_ready_to_serve  # noqa: E402  (needs the settings set up)

check_ready_to_serve()
