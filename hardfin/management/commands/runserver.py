"""``runserver`` that refuses to start without SECRET_KEY, before it starts serving (or
watching files), like Django's own refusal without ALLOWED_HOSTS. WhiteNoise's
``runserver_nostatic``, listed just above ``hardfin`` in INSTALLED_APPS, wraps this command."""

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticfilesRunserverCommand,
)
from django.core.management.base import CommandError

from hardfin.startup import MISSING_SECRET_KEY, secret_key_missing


class Command(StaticfilesRunserverCommand):
    def handle(self, *args, **options):
        if secret_key_missing():
            raise CommandError(MISSING_SECRET_KEY)
        super().handle(*args, **options)
