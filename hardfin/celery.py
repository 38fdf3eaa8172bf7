"""The Celery application of background jobs (``celery -A hardfin worker``).

Settings come from Django's (the ``CELERY_`` ones, see hardfin/settings.py and docs/JOBS.md);
tasks are found in every installed app's ``tasks`` module. Without ``CELERY_BROKER_URL`` tasks
run eagerly, in the process that starts them, so nothing more is needed to run or test.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")

app = Celery("hardfin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
