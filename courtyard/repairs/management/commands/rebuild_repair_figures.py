"""Sum the days of the repair statistics again (``repairs.rollup``): every day since the first
work order, or a range of days, or only the days that are stale."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from courtyard.repairs.statistics import rollup


def day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}")


class Command(BaseCommand):
    help = "Rebuild the daily rollup of the repair statistics (all days, a range, or the stale)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=day, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=day, help="last day (YYYY-MM-DD)")
        parser.add_argument(
            "--stale", action="store_true", help="only the days stale or never summed"
        )

    def handle(self, *args, start=None, end=None, stale=False, **options):
        if start and end and end < start:
            raise CommandError("--to is before --from.")
        days = rollup.refresh_stale() if stale else rollup.rebuild(start, end)
        self.stdout.write(f"{days} days summed")
