"""Create the default roles and departments; safe to run again (the seed and ``make run`` do)."""

from django.core.management.base import BaseCommand

from courtyard.accounts.administration.services import (
    ensure_default_departments,
    ensure_default_roles,
)
from courtyard.core.audit import change_source


class Command(BaseCommand):
    help = (
        "Create the missing default roles (系统管理员, 客服专员, 财务人员, 运维主管, 维修人员, "
        "巡检人员) and departments. Existing roles keep their permissions; the administrator "
        "role is topped up with every permission of the matrix."
    )

    def handle(self, *args, **options):
        with change_source("system"):
            roles = ensure_default_roles()
            departments = ensure_default_departments()
        if options["verbosity"]:
            self.stdout.write(
                f"roles created: {', '.join(roles) or 'none'}; "
                f"departments created: {', '.join(departments) or 'none'}"
            )
