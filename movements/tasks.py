"""Background jobs of movements: an opening-balances file too large for a web request."""

from django.contrib.auth import get_user_model
from django.db import transaction

from hardfin import jobs
from hardfin.errors import InvalidInput

from .imports import OpeningBalancesInvalid, opening_balances_import, opening_balances_read
from .models import Movement

#: Row problems listed in a failed job's message (all of them are in the preview).
LISTED_PROBLEMS = 20


@jobs.job_task("movements.opening_balances")
def import_opening_balances(job) -> None:
    """Record the confirmed file: the service's one transaction (under the preview's once
    key), with the job's ``done`` in it. A kill before the commit records nothing; the rerun
    records it once, and a second job under the same key is refused by the once key."""
    user = get_user_model().objects.get(pk=job.created_by_id)
    rows = opening_balances_read(job.input_text)
    jobs.progress(job, 0, len(rows))
    try:
        with transaction.atomic():
            movements = opening_balances_import(rows=rows, user=user, once_key=job.params.get("once_key"))
            receipts = sum(1 for movement in movements if movement.kind == Movement.Kind.RECEIPT)
            jobs.finish(job, summary=(
                f"Imported {len(rows)} opening balance{'s' if len(rows) != 1 else ''}: "
                f"{receipts} receipt{'s' if receipts != 1 else ''} and {len(movements) - receipts} "
                f"upward adjustment{'s' if len(movements) - receipts != 1 else ''}."), done=len(rows))
    except OpeningBalancesInvalid as exc:
        # Something changed since the preview (an item deleted, a location deactivated).
        listed = "; ".join(str(error) for error in exc.errors[:LISTED_PROBLEMS])
        more = len(exc.errors) - LISTED_PROBLEMS
        raise InvalidInput(
            f"{exc.message} {listed}{f'; and {more} more' if more > 0 else ''}.") from exc
