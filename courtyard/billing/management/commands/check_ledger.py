"""``manage.py check_ledger``: verify every invariant of the billing ledger; exit 1 on a break."""

from django.core.management.base import BaseCommand, CommandError

from courtyard.billing import ledger


class Command(BaseCommand):
    help = (
        "Check that every bill's paid and refunded amounts and status agree with its payments "
        "and refunds, and every payment's allocations with its amount. Exits non-zero on a break."
    )

    def handle(self, *args, **options):
        count = 0
        for found in ledger.iter_breaks():
            count += 1
            self.stdout.write(str(found))
        if count:
            raise CommandError(f"{count} ledger break(s) found.")
        self.stdout.write(self.style.SUCCESS("The ledger reconciles: no breaks found."))
