from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from hardfin.models import IdempotencyKey


def test_purge_deletes_only_keys_older_than_a_day(operator, capsys):
    now = timezone.now()
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=23))):
        IdempotencyKey.objects.create(user=operator, key=key, method="POST", path="/api/transfers/",
                                      fingerprint="x" * 64, created_at=now - age)
    call_command("purge_idempotency_keys")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert "Deleted 1 idempotency key(s)" in capsys.readouterr().out
