"""``manage.py maintenance on [--until "2026-12-01 06:00"] [--message ...] | off | status``."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courtyard.core.audit import change_source
from courtyard.system import services
from courtyard.system.selectors import maintenance_state


class Command(BaseCommand):
    help = "Switch maintenance mode (System upgrade in progress) on or off, or show it."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument("--until", help='expected end, local time: "2026-12-01 06:00"')
        parser.add_argument("--message", default="", help="shown to users while it is on")

    def handle(self, *args, action, until=None, message="", **options):
        if action != "status":
            with change_source("system"):
                try:
                    services.switch_maintenance(
                        None, on=action == "on", until=self.parse_until(until), message=message
                    )
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages))
        self.report()

    def parse_until(self, raw):
        if not raw:
            return None
        value = parse_datetime(raw.replace("T", " "))
        if value is None:
            raise CommandError(
                _('--until must look like "2026-12-01 06:00", not "%(raw)s".') % {"raw": raw}
            )
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    def report(self):
        state = maintenance_state()
        if not state.is_on:
            self.stdout.write(_("Maintenance mode: off"))
            return
        until = timezone.localtime(state.until).strftime("%Y-%m-%d %H:%M") if state.until else "-"
        self.stdout.write(_("Maintenance mode: on (expected end %(until)s)") % {"until": until})
        if state.message:
            self.stdout.write(_("Message: %(message)s") % {"message": state.message})
