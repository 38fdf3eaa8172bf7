"""The Celery application (``celery -A hardfin worker``): the worker that bin/production starts.

Settings come from Django's (the ``CELERY_`` ones in hardfin/settings.py); tasks are found in
every installed app's ``tasks`` module. No door sends work to it yet: the background jobs
(issue 14) are still to land. Without ``CELERY_BROKER_URL`` tasks would run eagerly, in the
process that starts them, so nothing more is needed to run or test.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")

app = Celery("hardfin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
