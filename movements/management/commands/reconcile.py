from django.core.management.base import BaseCommand, CommandError

from movements.reconciliation import reconcile


class Command(BaseCommand):
    help = (
        "Check that lots, stock levels, open shortfalls and the ledger agree (DESIGN.md rule 3). "
        "Prints every mismatch and exits 1 if there is any."
    )

    def handle(self, *args, **options):
        mismatches = reconcile()
        if mismatches:
            for mismatch in mismatches:
                self.stderr.write(str(mismatch))
            raise CommandError(f"{len(mismatches)} mismatch(es) found.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Reconciled: lots, stock levels, shortfalls and ledger agree."))
