"""Background jobs of the residents register: the Excel import (all or nothing) and export."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.jobs import JobFailed, job_handler, progress, save_output
from courtyard.core.scoping import has_action, scope_q, user_scope
from courtyard.estates.jobs import choice_lookup
from courtyard.estates.models import Unit

from . import services
from .choices import ResidentKind, Role
from .filters import ResidentFilterSet
from .models import Resident
from .tables import ResidentTable

RESIDENT_COLUMNS = (
    excel.ImportColumn(
        "estate", gettext_lazy("Estate"), example="翠湖天地", aliases=("项目", "小区")
    ),
    excel.ImportColumn("building", gettext_lazy("Building"), example="1号楼", aliases=("楼栋",)),
    excel.ImportColumn("entrance", gettext_lazy("Entrance"), example="1单元", aliases=("单元",)),
    excel.ImportColumn("room_no", gettext_lazy("Room number"), example="101", aliases=("房号",)),
    excel.ImportColumn("name", pgettext_lazy("person", "Name"), example="张伟", aliases=("姓名",)),
    excel.ImportColumn(
        "role", gettext_lazy("Role"), example=Role.OWNER.label, aliases=("身份", "类型")
    ),
    excel.ImportColumn(
        "id_number",
        gettext_lazy("ID number"),
        required=False,
        example="11010519491231002X",
        aliases=("身份证号", "身份证号码"),
    ),
    excel.ImportColumn(
        "phone",
        gettext_lazy("Mobile number"),
        required=False,
        example="13912345678",
        aliases=("手机号", "手机", "电话"),
    ),
    excel.ImportColumn(
        "relation", gettext_lazy("Relation"), required=False, aliases=("关系", "与户主关系")
    ),
    excel.ImportColumn(
        "move_in",
        gettext_lazy("Move-in date"),
        required=False,
        example="2024-05-01",
        aliases=("入住日期",),
    ),
    excel.ImportColumn("email", gettext_lazy("Email"), required=False, aliases=("邮箱",)),
    excel.ImportColumn(
        "emergency_contact",
        gettext_lazy("Emergency contact"),
        required=False,
        aliases=("紧急联系人",),
    ),
    excel.ImportColumn(
        "emergency_phone",
        gettext_lazy("Emergency phone"),
        required=False,
        aliases=("紧急联系电话",),
    ),
    excel.ImportColumn(
        "company_name", gettext_lazy("Company name"), required=False, aliases=("公司名称",)
    ),
)
COLUMN_LABELS = {column.key: column.label for column in RESIDENT_COLUMNS}
CUSTOMARY_ROLES = {
    "业主": Role.OWNER,
    "产权人": Role.OWNER,
    "租户": Role.TENANT,
    "租客": Role.TENANT,
    "家属": Role.MEMBER,
    "同住人": Role.MEMBER,
    "家庭成员": Role.MEMBER,
}
# Errors of check_people land in the column they are about.
FIELD_COLUMNS = {
    "name": "name",
    "role": "role",
    "id_number": "id_number",
    "phone": "phone",
    "emergency_phone": "emergency_phone",
    "company_name": "company_name",
}


def _in_scope(queryset, user):
    q = scope_q(queryset.model, user_scope(user))
    return queryset.all() if q is None else queryset.filter(q)


class ResidentImport:
    """Check every row of a residents workbook, then write all of it in one transaction."""

    def __init__(self, job):
        self.job, self.user = job, job.user
        self.errors = []
        self.roles = {**CUSTOMARY_ROLES, **choice_lookup(Role)}

    def error(self, row, key, message):
        self.errors.append(excel.RowError(row, str(COLUMN_LABELS[key]), str(message)))

    def run(self):
        if not has_action(self.user, Resident, "add"):
            raise JobFailed(_("No permission."))
        try:
            with self.job.input_file.open("rb") as upload:
                sheet = excel.read_sheet(upload, RESIDENT_COLUMNS)
        except ValidationError as error:
            raise JobFailed(" ".join(error.messages))
        if not sheet.rows:
            raise JobFailed(_("The file has no rows to import."))
        total = len(sheet.rows) * 2
        progress(self.job, 0, total)
        units = self.units(sheet.rows)
        groups = {}  # unit id -> [(row number, person)]
        for index, (number, record) in enumerate(sheet.rows, start=1):
            found = self.read(number, record, units)
            if found is not None:
                unit, person = found
                groups.setdefault(unit.pk, (unit, []))[1].append((number, person))
            if index % 200 == 0:
                progress(self.job, index)
        for unit, rows in groups.values():
            self.check(unit, rows)
        if self.errors:
            raise self.failure()
        count = self.write(groups)
        progress(self.job, total)
        return {"summary": _("%(count)s residents imported.") % {"count": count}}

    def units(self, rows):
        """The units the rows name, in the user's scope, found with one query."""
        rooms = {record["room_no"] for _number, record in rows if record["room_no"]}
        queryset = _in_scope(
            Unit.objects.filter(room_no__in=rooms).select_related("estate", "building", "entrance"),
            self.user,
        )
        return {(u.estate.name, u.building.name, u.entrance.name, u.room_no): u for u in queryset}

    def read(self, number, record, units):
        key = (record["estate"], record["building"], record["entrance"], record["room_no"])
        unit = units.get(key)
        if unit is None:
            self.error(
                number,
                "room_no",
                _("No unit %(unit)s in your data scope.") % {"unit": " ".join(k for k in key if k)},
            )
        role = self.roles.get(record["role"].lower()) if record["role"] else None
        if role is None:
            labels = ", ".join(str(label) for label in Role.labels)
            self.error(
                number,
                "role",
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": record["role"], "choices": labels},
            )
        move_in = None
        if record["move_in"]:
            try:
                move_in = datetime.date.fromisoformat(record["move_in"][:10])
            except ValueError:
                self.error(number, "move_in", _("Enter a date such as 2024-05-01."))
        if unit is None or role is None:
            return None
        person = services.PersonInput(
            name=record["name"],
            role=role,
            id_number=record["id_number"],
            phone=record["phone"],
            kind=ResidentKind.COMPANY if record["company_name"] else ResidentKind.INDIVIDUAL,
            company_name=record["company_name"],
            email=record["email"],
            emergency_contact=record["emergency_contact"],
            emergency_phone=record["emergency_phone"],
            relation=record["relation"],
        )
        person.move_in = move_in or timezone.localdate()
        return unit, person

    def check(self, unit, rows):
        """The form's rules (``services.check_people``) for the people of one unit."""
        found = services.check_people(unit, [person for _number, person in rows])
        for (number, _person), person_errors in zip(rows, found, strict=True):
            for field, messages in person_errors.items():
                key = FIELD_COLUMNS.get(field, "name")
                for message in messages:
                    self.error(number, key, " ".join(message.messages))
        if not any(found):
            self.check_email(rows)

    def check_email(self, rows):
        from django.core.validators import validate_email

        for number, person in rows:
            if person.email:
                try:
                    validate_email(person.email)
                except ValidationError:
                    self.error(number, "email", _("Enter a valid email address."))

    def failure(self):
        rows = len({e.row for e in self.errors})
        message = ngettext(
            "%(rows)s row has errors; nothing was imported.",
            "%(rows)s rows have errors; nothing was imported.",
            rows,
        )
        return JobFailed(message % {"rows": rows}, sorted(self.errors, key=lambda e: e.row))

    def write(self, groups):
        count = 0
        with transaction.atomic():
            for unit, rows in groups.values():
                try:
                    services.import_unit_people(self.user, unit, [p for _n, p in rows])
                except ValidationError as error:  # changed since the check
                    for key, messages in error.message_dict.items():
                        index = int(key.split("-")[1]) if key.startswith("people-") else 0
                        for message in messages:
                            self.error(rows[index][0], "name", message)
                except (PermissionDenied, Http404):
                    self.error(rows[0][0], "room_no", _("Outside your data scope."))
                count += len(rows)
            if self.errors:
                raise self.failure()  # leaving the block rolls every row back
        return count


@job_handler("residents.import_residents")
def import_residents(job):
    return ResidentImport(job).run()


@job_handler("residents.export_residents")
def export_residents(job):
    """The filtered list the user may view, masked unless they may see identities in full."""
    from .selectors import current_residents

    table = export_job(
        job.user, Resident.objects.all(), ResidentFilterSet, ResidentTable, job.params
    )
    queryset = current_residents(job.user).filter(pk__in=table.queryset.values("pk"))
    table = ResidentTable(
        queryset.order_by("name", "pk"),
        full_identity=job.user.has_perm("residents.view_full_identity"),
    )
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(
        table.export_headers(), table.export_rows(), title=_("residents")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"{_('residents')}-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
