from django.core.management.base import BaseCommand
from django.utils import timezone

from hardfin.api.idempotency import TTL
from hardfin.models import IdempotencyKey


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than 24 hours (replays are promised for 24 h). "
        "Run it daily, e.g. from cron."
    )

    def handle(self, *args, **options):
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - TTL).delete()
        self.stdout.write(f"Deleted {deleted} idempotency key(s) older than {TTL}.")
