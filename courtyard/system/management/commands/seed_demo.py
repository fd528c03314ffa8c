"""Seed the demo data once: default roles, departments, two estates, one account per role.

Idempotent: a second run changes nothing that exists.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from courtyard.accounts.demo import seed_users
from courtyard.billing.demo import seed_billing
from courtyard.core.audit import change_source
from courtyard.estates.demo import seed_estates
from courtyard.notices.demo import seed_notices
from courtyard.repairs.demo import seed_repairs
from courtyard.residents.demo import seed_residents


class Command(BaseCommand):
    help = "Create demo roles, estates, units and accounts (only what is missing)."

    def handle(self, *args, **options):
        call_command("setup_roles", verbosity=0)
        with change_source("system"):
            estates = seed_estates()
            users = seed_users({estate.code: estate for estate in estates})
            seed_residents(users)
            seed_repairs()
            seed_billing()
            seed_notices()
        if users:
            self.stdout.write(f"demo data ready: {len(estates)} estates, {len(users)} accounts")
        else:
            self.stdout.write("demo data already present")
